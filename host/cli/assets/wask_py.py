# Wask's Python builder: the WIT world of a plain module, generated from its type hints.
"""Write the WIT world and the componentize-py wrapper of a module of type-hinted functions.

usage: python3 wask_py.py MODULE.py OUT_DIR

The module is read as a syntax tree and never run here. Its public top-level functions
(those listed in `__all__`, when it has one) become the world's exports, named in
kebab case: `def generate_fibonacci(sequence_size: int) -> int` becomes
`export generate-fibonacci: func(sequence-size: s64) -> s64`. Hints map to WIT types:

    int -> s64, float -> f64, str -> string, bytes -> list<u8>, bool -> bool,
    list[T] -> list<T>, tuple[A, B] -> tuple<A, B>, Optional[T] / T | None -> option<T>,
    a dataclass of the module -> a record, and `-> None` -> no result.

It writes OUT_DIR/wit/world.wit and OUT_DIR/app/_wask_app.py (the class `WitWorld` that
componentize-py exports, each method calling the user's function), and prints the world's
name. A hint with no WIT type, or a name with no WIT spelling, is an `error:` line on
stderr naming the function and parameter, and the exit status is 1.
"""

import ast
import re
import sys
from pathlib import Path

# Identifiers WIT reserves; a name equal to one is written with a leading `%`.
WIT_KEYWORDS = {
    "as", "async", "bool", "borrow", "char", "constructor", "enum", "error-context",
    "export", "f32", "f64", "flags", "float32", "float64", "func", "future", "import",
    "include", "interface", "list", "map", "option", "own", "package", "record",
    "resource", "result", "s8", "s16", "s32", "s64", "static", "stream", "string",
    "tuple", "type", "u8", "u16", "u32", "u64", "use", "variant", "with", "world",
}

# Modules componentize-py or this builder generate; a user module cannot take their names.
RESERVED_MODULES = {
    "wit_world", "componentize_py_types", "componentize_py_runtime",
    "componentize_py_async_support", "poll_loop", "_wask_app",
}

PRIMITIVES = {"int": "s64", "float": "f64", "str": "string", "bytes": "list<u8>", "bool": "bool"}
LIST_NAMES = {"list", "List", "Sequence"}
TUPLE_NAMES = {"tuple", "Tuple"}
EXPECTED = (
    "expected int, float, str, bytes, bool, list[T], tuple[A, B, ...], Optional[T] "
    "(or T | None) or a dataclass defined in this module"
)
# A Python name that componentize-py's snake_case spelling of our kebab name gives back.
ROUND_TRIP = re.compile(r"^[a-z][a-z0-9]*(_[a-z][a-z0-9]*)*$")


class HintError(Exception):
    """A hint or a name that has no WIT spelling."""


def escape(name):
    return "%" + name if name in WIT_KEYWORDS else name


def kebab_exact(name, what):
    """The kebab-case WIT name of a function or field, which must map back to `name`."""
    if not ROUND_TRIP.match(name):
        raise HintError(
            f"{what} has no WIT name: use lowercase words of letters and digits, each "
            f"starting with a letter, joined by single underscores (such as `sample_2d` -> `sample2d`)"
        )
    return escape(name.replace("_", "-"))


def kebab_loose(name):
    """A WIT name for a parameter, world or record: only its spelling in the WIT changes."""
    name = re.sub(r"(?<=[a-z])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", "_", name).lower()
    words = []
    for word in (w for w in re.split(r"[^a-z0-9]+", name) if w):
        if words and not word[0].isalpha():
            words[-1] += word
        elif word[0].isalpha():
            words.append(word)
        else:
            words.append("x" + word)
    return escape("-".join(words)) if words else ""


def dotted(node):
    """`typing.Optional` -> `Optional`; the last part of a name or attribute."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return None


class Module:
    """What the module's syntax tree says: functions, dataclasses and type aliases."""

    def __init__(self, path):
        self.path = path
        source = path.read_text(encoding="utf-8")
        try:
            tree = ast.parse(source, filename=path.name)
        except SyntaxError as e:
            version = ".".join(map(str, sys.version_info[:2]))
            raise SystemExit(
                f"error: {path.name}:{e.lineno}: cannot read the module: {e.msg} "
                f"(its hints are read with Python {version}, whose syntax it must use)"
            )
        self.functions = {}
        self.dataclasses = {}
        self.aliases = {}
        self.exported = None
        for node in tree.body:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                self.functions[node.name] = node
            elif isinstance(node, ast.ClassDef) and any(
                dotted(d.func if isinstance(d, ast.Call) else d) == "dataclass"
                for d in node.decorator_list
            ):
                self.dataclasses[node.name] = node
            elif isinstance(node, ast.Assign) and len(node.targets) == 1:
                target = node.targets[0]
                if isinstance(target, ast.Name) and target.id == "__all__":
                    self.exported = self.names_in(node.value)
                elif isinstance(target, ast.Name):
                    self.aliases[target.id] = node.value
            elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
                if dotted(node.annotation) == "TypeAlias" and node.value is not None:
                    self.aliases[node.target.id] = node.value

    def names_in(self, node):
        if isinstance(node, (ast.List, ast.Tuple)) and all(
            isinstance(e, ast.Constant) and isinstance(e.value, str) for e in node.elts
        ):
            return [e.value for e in node.elts]
        raise SystemExit(f"error: {self.path.name}:{node.lineno}: __all__ must be a list of names")

    def tasks(self):
        """The functions to export, in the order they are defined."""
        if self.exported is None:
            return [f for name, f in self.functions.items() if not name.startswith("_")]
        missing = [name for name in self.exported if name not in self.functions]
        if missing:
            raise SystemExit(
                f"error: {self.path.name}: __all__ names {', '.join(missing)}, which "
                "are not functions defined at the top level of the module"
            )
        return [f for name, f in self.functions.items() if name in self.exported]


class World:
    """The WIT types of hints, and the records they need."""

    def __init__(self, module):
        self.module = module
        # Python class name -> (WIT name, [(field, WIT name, type)]); None while being read.
        self.records = {}

    def type_of(self, node, seen=()):
        """(WIT spelling, converter) of a hint; the converter is None when values pass as
        they are, else a tag tree the wrapper walks: "i" (s64, range-checked on return),
        ("r", class), ("l", c), ("o", c), ("t", (c, ...))."""
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            try:
                node = ast.parse(node.value, mode="eval").body
            except SyntaxError:
                raise HintError(f"the hint {node.value!r} is not a type expression")
        name = dotted(node)
        if name in PRIMITIVES and isinstance(node, (ast.Name, ast.Attribute)):
            return PRIMITIVES[name], ("i" if name == "int" else None)
        if isinstance(node, ast.Name) and node.id in self.module.dataclasses:
            return self.record(node.id, seen)
        if isinstance(node, ast.Name) and node.id in self.module.aliases and node.id not in seen:
            return self.type_of(self.module.aliases[node.id], seen + (node.id,))
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
            return self.union([node.left, node.right], node, seen)
        if isinstance(node, ast.Subscript):
            base = dotted(node.value)
            args = node.slice.elts if isinstance(node.slice, ast.Tuple) else [node.slice]
            if base in LIST_NAMES and len(args) == 1:
                wit, conv = self.type_of(args[0], seen)
                return f"list<{wit}>", (("l", conv) if conv else None)
            if base in TUPLE_NAMES:
                if any(isinstance(a, ast.Constant) and a.value is Ellipsis for a in args):
                    raise HintError(
                        f"the hint `{ast.unparse(node)}` is a tuple of any length, which WIT "
                        "has no type for: use list[T], or a tuple of a fixed length"
                    )
                if not args or (len(args) == 1 and isinstance(args[0], ast.Tuple)):
                    raise HintError("an empty tuple has no WIT type")
                parts = [self.type_of(a, seen) for a in args]
                convs = tuple(c for _, c in parts)
                wit = "tuple<" + ", ".join(w for w, _ in parts) + ">"
                return wit, (("t", convs) if any(convs) else None)
            if base == "Optional" and len(args) == 1:
                return self.option(args[0], node, seen)
            if base == "Union":
                return self.union(args, node, seen)
            if base in {"dict", "Dict", "Mapping"}:
                raise HintError(
                    f"the hint `{ast.unparse(node)}` is a dict, which has no WIT type here: "
                    "use list[tuple[K, V]] and build the dict in the function"
                )
        raise HintError(f"the hint `{ast.unparse(node)}` has no WIT type; {EXPECTED}")

    def union(self, members, node, seen):
        flat = []
        for m in members:
            if isinstance(m, ast.BinOp) and isinstance(m.op, ast.BitOr):
                flat.extend([m.left, m.right])
            else:
                flat.append(m)
        rest = [m for m in flat if not (isinstance(m, ast.Constant) and m.value is None)]
        if len(flat) == 2 and len(rest) == 1:
            return self.option(rest[0], node, seen)
        raise HintError(
            f"the hint `{ast.unparse(node)}` is a union, and only `T | None` (an option) has "
            "a WIT type here; a WIT variant cannot be written as a hint yet"
        )

    def option(self, inner, node, seen):
        wit, conv = self.type_of(inner, seen)
        if wit.startswith("option<"):
            raise HintError(
                f"the hint `{ast.unparse(node)}` nests one Optional in another, which "
                "Python cannot tell apart from a single one"
            )
        return f"option<{wit}>", (("o", conv) if conv else None)

    def record(self, class_name, seen):
        if class_name in self.records:
            if self.records[class_name] is None:
                raise HintError(
                    f"the dataclass `{class_name}` contains itself, and WIT records cannot "
                    "be recursive"
                )
            return self.records[class_name][0], ("r", class_name)
        self.records[class_name] = None
        wit_name = kebab_loose(class_name)
        taken = {r[0] for r in self.records.values() if r}
        if not wit_name or wit_name in taken:
            raise HintError(f"the dataclass `{class_name}` has no WIT name of its own")
        fields = []
        for field_name, annotation in self.fields(class_name):
            try:
                field_wit = kebab_exact(field_name, f"field `{field_name}`")
                wit, conv = self.type_of(annotation, seen)
            except HintError as e:
                raise HintError(f"dataclass `{class_name}`, field `{field_name}`: {e}")
            fields.append((field_name, field_wit, wit, conv))
        if not fields:
            raise HintError(f"the dataclass `{class_name}` has no fields, and WIT records need one")
        self.records[class_name] = (wit_name, fields)
        return wit_name, ("r", class_name)

    def fields(self, class_name):
        """A dataclass's fields, those of dataclass bases in the module first."""
        node = self.module.dataclasses[class_name]
        out = []
        for base in node.bases:
            if isinstance(base, ast.Name) and base.id in self.module.dataclasses:
                out.extend(self.fields(base.id))
        for item in node.body:
            if isinstance(item, ast.AnnAssign) and isinstance(item.target, ast.Name):
                if dotted(item.annotation) in {"ClassVar", "InitVar"} or (
                    isinstance(item.annotation, ast.Subscript)
                    and dotted(item.annotation.value) in {"ClassVar", "InitVar"}
                ):
                    continue
                out = [f for f in out if f[0] != item.target.id]
                out.append((item.target.id, item.annotation))
        return out


def records_only(conv):
    """The converter an argument needs: only records change on the way in."""
    if conv is None or conv == "i":
        return None
    tag = conv[0]
    if tag == "r":
        return conv
    if tag == "t":
        inner = tuple(records_only(c) for c in conv[1])
        return ("t", inner) if any(inner) else None
    inner = records_only(conv[1])
    return (tag, inner) if inner else None


def read_function(world, func):
    """(WIT name, [(param, WIT name, type, conv)], (result type, conv) or None, doc)."""
    where = f"function `{func.name}`"
    if isinstance(func, ast.AsyncFunctionDef):
        raise HintError(f"{where} is async; a task is a plain `def`")
    args = func.args
    for bad, kind in ((args.vararg, "*"), (args.kwarg, "**")):
        if bad is not None:
            raise HintError(f"{where}, parameter `{kind}{bad.arg}`: a task takes a fixed list of parameters")
    for arg in args.kwonlyargs:
        raise HintError(f"{where}, parameter `{arg.arg}`: keyword-only parameters cannot be exported; move it before the `*`")
    wit_name = kebab_exact(func.name, where)
    params, taken = [], set()
    for arg in args.posonlyargs + args.args:
        if arg.annotation is None:
            raise HintError(f"{where}, parameter `{arg.arg}`: needs a type hint, such as `{arg.arg}: int`")
        try:
            wit, conv = world.type_of(arg.annotation)
        except HintError as e:
            raise HintError(f"{where}, parameter `{arg.arg}`: {e}")
        param_wit = kebab_loose(arg.arg) or f"arg{len(params)}"
        while param_wit in taken:
            param_wit += "x"
        taken.add(param_wit)
        params.append((arg.arg, param_wit, wit, records_only(conv)))
    if func.returns is None:
        raise HintError(f"{where}: needs a return type hint, such as `-> int` (`-> None` when it returns nothing)")
    if isinstance(func.returns, ast.Constant) and func.returns.value is None:
        result = None
    else:
        try:
            result = world.type_of(func.returns)
        except HintError as e:
            raise HintError(f"{where}, return type: {e}")
    doc = ast.get_docstring(func)
    return wit_name, params, result, (doc.strip().splitlines()[0] if doc else None)


def generate(module_path, out_dir):
    module = Module(module_path)
    module_name = module_path.stem
    if not module_name.isidentifier():
        raise SystemExit(f"error: {module_path.name}: the module name must be a Python identifier")
    if module_name in RESERVED_MODULES:
        raise SystemExit(
            f"error: {module_path.name}: the name `{module_name}` is taken by a module that "
            "componentize-py generates; rename the file"
        )
    world = World(module)
    exports, errors = [], []
    for func in module.tasks():
        try:
            exports.append((func.name,) + read_function(world, func))
        except HintError as e:
            errors.append(f"error: {module_path.name}:{func.lineno}: {e}")
    if errors:
        raise SystemExit("\n".join(errors))
    if not exports:
        raise SystemExit(
            f"error: {module_path.name} defines no public top-level function to export: "
            "write a `def name(param: type) -> type` at the top level of the module"
        )
    world_name = kebab_loose(module_name).lstrip("%")
    write_wit(out_dir, module_path, world_name, world, exports)
    write_wrapper(out_dir, module_name, world, exports)
    print(world_name)


def write_wit(out_dir, module_path, world_name, world, exports):
    lines = [
        f"// Generated by `host build` from the type hints of {module_path.name}; do not edit.",
        f"package wask:{world_name};",
        "",
        f"world {escape(world_name)} {{",
    ]
    for wit_name, fields in world.records.values():
        lines.append(f"    record {wit_name} {{")
        lines += [f"        {field_wit}: {wit}," for _, field_wit, wit, _ in fields]
        lines += ["    }", ""]
    for _, wit_name, params, result, doc in exports:
        if doc:
            lines.append(f"    /// {doc}")
        signature = ", ".join(f"{p}: {wit}" for _, p, wit, _ in params)
        arrow = f" -> {result[0]}" if result else ""
        lines.append(f"    export {wit_name}: func({signature}){arrow};")
    lines.append("}")
    (out_dir / "wit").mkdir(parents=True, exist_ok=True)
    (out_dir / "wit" / "world.wit").write_text("\n".join(lines) + "\n", encoding="utf-8")


WRAPPER_HEAD = '''\
# Generated by `host build` from {module}.py; do not edit. componentize-py exports the
# methods of WitWorld; each converts records to the module's own dataclasses, calls the
# function, and checks that every int it returns fits its WIT type s64.
import wit_world
import {module} as _user

_S64 = (-(1 << 63), (1 << 63) - 1)


def _in(value, conv):
    if conv is None or value is None:
        return value
    tag = conv[0] if isinstance(conv, tuple) else conv
    if tag == "r":
        cls, fields = _RECORDS[conv[1]]
        return cls(**{{name: _in(getattr(value, name), c) for name, c in fields}})
    if tag == "l":
        return [_in(v, conv[1]) for v in value]
    if tag == "o":
        return _in(value, conv[1])
    if tag == "t":
        return tuple(_in(v, c) for v, c in zip(value, conv[1]))
    return value


def _out(value, conv, func):
    if conv is None or value is None:
        return value
    tag = conv[0] if isinstance(conv, tuple) else conv
    if tag == "i":
        if isinstance(value, int) and not _S64[0] <= value <= _S64[1]:
            shown = repr(value) if value.bit_length() < 200 else f"an int of {{value.bit_length()}} bits"
            raise OverflowError(
                f"{{func}}() returned {{shown}}, which does not fit its WIT type s64 "
                "(-2**63 to 2**63-1)"
            )
    elif tag == "r":
        for name, c in _RECORDS[conv[1]][1]:
            _out(getattr(value, name), c, func)
    elif tag == "l":
        for v in value:
            _out(v, conv[1], func)
    elif tag == "o":
        _out(value, conv[1], func)
    elif tag == "t":
        for v, c in zip(value, conv[1]):
            _out(v, c, func)
    return value

'''


def write_wrapper(out_dir, module_name, world, exports):
    lines = [WRAPPER_HEAD.format(module=module_name), "_RECORDS = {"]
    for class_name, (_, fields) in world.records.items():
        convs = ", ".join(f"({name!r}, {conv!r})" for name, _, _, conv in fields)
        lines.append(f"    {class_name!r}: (_user.{class_name}, ({convs},)),")
    lines += ["}", "", "", "class WitWorld(wit_world.WitWorld):"]
    for py_name, _, params, result, _ in exports:
        names = [f"p{i}" for i in range(len(params))]
        args = ", ".join(
            f"_in({n}, {conv!r})" if conv else n for n, (_, _, _, conv) in zip(names, params)
        )
        call = f"_user.{py_name}({args})"
        if result and result[1]:
            call = f"_out({call}, {result[1]!r}, {py_name!r})"
        lines.append(f"    def {py_name}(self{''.join(', ' + n for n in names)}):")
        lines.append(f"        return {call}")
        lines.append("")
    (out_dir / "app").mkdir(parents=True, exist_ok=True)
    (out_dir / "app" / "_wask_app.py").write_text("\n".join(lines), encoding="utf-8")


def main(argv):
    if len(argv) != 3:
        raise SystemExit("usage: python3 wask_py.py MODULE.py OUT_DIR")
    generate(Path(argv[1]), Path(argv[2]))


if __name__ == "__main__":
    main(sys.argv)
