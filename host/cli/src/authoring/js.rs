//! JavaScript guests, built with componentize-js.
//!
//! A JavaScript guest is an ES module (package.json's `main`, else `index.js`) with a
//! WIT world in `wit/`; each world-level export is an ES export of the same name in
//! camelCase (`count-words` is `countWords`). `host build` gives componentize-js a
//! generated entry module that re-exports the guest's and wraps each export:
//! - an exception is reported on stderr with its type, message and stack, in lines
//!   the host reads back into the task's error (`wask: task raised ...`);
//! - an `s64` argument arrives as a signed `BigInt` (componentize-js 0.23 hands it over
//!   unsigned); a negative `s64` result, which componentize-js 0.23 cannot lower (it
//!   traps, as with ComponentizeJS#343 for imports), is reported as an error that says
//!   so;
//! - in an export returning `result<T, string>`, a thrown `Error` becomes
//!   `err("Type: message")`.
//!
//! componentize-js is built with the features the host cannot provide turned off
//! (`http` and `fetch-event`); stdio, clocks and randomness stay.

use std::fmt::Write as _;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, bail};
use wit_parser::{Resolve, Type, TypeDefKind, WorldItem};

use super::tools::{self, Tools, say};
use super::{Inputs, place};

/// The componentize-js release every JavaScript guest is built with.
pub const COMPONENTIZE_JS_VERSION: &str = "0.23.0";

/// Runs componentize-js on the generated entry module.
const BUILD_MJS: &str = include_str!("../../assets/componentize.mjs");

/// What package.json of a JavaScript guest says.
struct Package {
    name: Option<String>,
    main: Option<String>,
    world: Option<String>,
}

impl Package {
    fn read(dir: &Path) -> anyhow::Result<Package> {
        let path = dir.join("package.json");
        let Ok(text) = std::fs::read_to_string(&path) else {
            return Ok(Package {
                name: None,
                main: None,
                world: None,
            });
        };
        let json: serde_json::Value = serde_json::from_str(&text)
            .with_context(|| format!("{} is not valid JSON", path.display()))?;
        let text_of = |v: &serde_json::Value| v.as_str().map(str::to_owned);
        Ok(Package {
            name: text_of(&json["name"]),
            main: text_of(&json["main"]),
            world: text_of(&json["wask"]["world"]),
        })
    }
}

/// Builds a JavaScript guest and gives the component's path.
pub fn build(
    tools: &Tools,
    dir: &Path,
    out_dir: &Path,
    output: &dyn Fn(&str) -> PathBuf,
) -> anyhow::Result<PathBuf> {
    let package = Package::read(dir)?;
    let main = package.main.as_deref().unwrap_or("index.js");
    let source = dir.join(main);
    if !source.is_file() {
        bail!(
            "{} has no {main}: a JavaScript guest is an ES module (package.json's \"main\", else index.js)",
            dir.display()
        );
    }
    let wit_dir = dir.join("wit");
    if !wit_dir.is_dir() {
        bail!(
            "{} has no wit/ folder: a JavaScript guest needs the WIT world it exports (see `host new NAME --lang js`)",
            dir.display()
        );
    }
    let (resolve, world) = super::wit::world(&wit_dir, package.world.as_deref())?;
    let world_name = resolve.worlds[world].name.clone();
    let build_dir = out_dir.join("js");
    tools::fresh_dir(&build_dir)?;
    let entry = build_dir.join("entry.js");
    let depth = entry
        .parent()
        .and_then(|p| p.strip_prefix(dir).ok())
        .map_or(0, |rel| rel.components().count());
    let import = format!("{}{}", "../".repeat(depth), main.trim_start_matches("./"));
    std::fs::write(&entry, wrapper(&resolve, world, &import, main))
        .with_context(|| format!("cannot write {}", entry.display()))?;
    let builder = componentize_js(tools)?;
    let name = package
        .name
        .as_deref()
        .map_or(world_name.as_str(), |n| n.rsplit('/').next().unwrap_or(n))
        .to_owned();
    let path = output(&name);
    let mut inputs = Inputs::new(&format!(
        "componentize-js {COMPONENTIZE_JS_VERSION}; world {world_name}; main {main}; {BUILD_MJS}"
    ));
    inputs.add_tree(dir)?;
    if inputs.built(&path) {
        say(&format!("{} is up to date", path.display()));
        return Ok(path);
    }
    let tmp = std::path::absolute(path.with_extension(format!("wasm.tmp{}", std::process::id())))
        .context("cannot tell the current folder")?;
    let mut node = Command::new("node");
    // componentize-js maps the current folder to the guest's `/` while it runs the
    // module once at build time, so the guest's own imports resolve from its folder.
    node.current_dir(dir)
        .arg(&builder)
        .arg(std::path::absolute(&entry).context("cannot tell the current folder")?)
        .arg(std::path::absolute(&wit_dir).context("cannot tell the current folder")?)
        .arg(&world_name)
        .arg(&tmp);
    let message = format!(
        "componentize-js {COMPONENTIZE_JS_VERSION}: building {} with SpiderMonkey inside (about 20 s)",
        source.display()
    );
    let spinner = std::io::stderr()
        .is_terminal()
        .then(|| crate::cli::spinner(message.clone()));
    if spinner.is_none() {
        say(&message);
    }
    let built = tools::run_captured(&mut node, "build the component");
    if let Some(spinner) = spinner {
        spinner.finish_and_clear();
    }
    built?;
    place(&tmp, &path)?;
    inputs.record(&path);
    Ok(path)
}

/// componentize-js in `<tools>/js/componentize-js-V`, installed from npm on first use
/// (with Debian's nodejs and npm first, if node is missing); gives the builder script.
fn componentize_js(tools: &Tools) -> anyhow::Result<PathBuf> {
    let dir = tools
        .dir("js")?
        .join(format!("componentize-js-{COMPONENTIZE_JS_VERSION}"));
    let stamp = format!("@bytecodealliance/componentize-js@{COMPONENTIZE_JS_VERSION}");
    if !tools::is_complete(&dir, &stamp) {
        let _lock = tools.lock("componentize-js")?;
        if !tools::is_complete(&dir, &stamp) {
            if !tools::has_program("node") || !tools::has_program("npm") {
                tools::apt_install(&["nodejs", "npm"], "building a JavaScript guest")?;
            }
            say(&format!(
                "installing componentize-js {COMPONENTIZE_JS_VERSION} from npm into {}, once (about a minute)",
                dir.display()
            ));
            std::fs::create_dir_all(&dir)
                .and_then(|()| {
                    std::fs::write(
                        dir.join("package.json"),
                        "{ \"private\": true, \"type\": \"module\" }\n",
                    )
                })
                .with_context(|| format!("cannot write {}/package.json", dir.display()))?;
            tools::run_captured(
                Command::new("npm")
                    .current_dir(&dir)
                    .args(["install", "--no-audit", "--no-fund", "--loglevel=error"])
                    .arg(&stamp),
                "install componentize-js",
            )?;
            tools::mark_complete(&dir, &stamp)?;
        }
    }
    // The builder sits beside node_modules, so its import of componentize-js resolves.
    tools.script(
        &format!("js/componentize-js-{COMPONENTIZE_JS_VERSION}"),
        "wask-build.mjs",
        BUILD_MJS,
    )
}

/// `count-words` as `countWords`: componentize-js's name for a WIT export.
fn camel_case(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for (i, word) in name.split('-').enumerate() {
        let word = word.to_lowercase();
        if i == 0 {
            out.push_str(&word);
        } else {
            let mut chars = word.chars();
            if let Some(first) = chars.next() {
                out.extend(first.to_uppercase());
                out.push_str(chars.as_str());
            }
        }
    }
    out
}

/// The type behind aliases.
fn resolved(resolve: &Resolve, ty: Type) -> Type {
    match ty {
        Type::Id(id) => match &resolve.types[id].kind {
            TypeDefKind::Type(inner) => resolved(resolve, *inner),
            _ => ty,
        },
        other => other,
    }
}

/// The entry module componentize-js builds: the guest's exports, each wrapped (see the
/// module documentation). `import` is the guest's module relative to the entry.
fn wrapper(resolve: &Resolve, world: wit_parser::WorldId, import: &str, main: &str) -> String {
    let mut js = format!(
        "// Generated by `host build` from {main}; do not edit. Each export calls the module's
// own: exceptions are reported on stderr with their type, message and stack (the host
// reads them into the task's error), and s64 arguments arrive signed.
import * as user from '{import}';
export * from '{import}';

function report(e) {{
  if (e instanceof Error) {{
    console.error(`wask: task raised ${{e.name}}: ${{String(e.message).replace(/\\s+/g, ' ')}}`);
    for (const frame of String(e.stack ?? '').split('\\n')) {{
      // Frames of this wrapper and of componentize-js's bindings say nothing to the author.
      const generated = frame.includes('target/wask/js/entry.js:') || frame.includes('/sources/initializer.js:');
      if (frame.trim() && !generated) {{
        console.error(`wask:   at ${{frame.trim()}}`);
      }}
    }}
  }} else {{
    console.error(`wask: task raised a value that is not an Error: ${{String(e)}}`);
  }}
}}

function find(name, wit) {{
  const f = user[name];
  if (typeof f !== 'function') {{
    throw new Error(`{main} exports no function ${{name}}, the JavaScript name of the WIT export ${{wit}}`);
  }}
  return f;
}}
"
    );
    for item in resolve.worlds[world].exports.values() {
        let WorldItem::Function(func) = item else {
            continue;
        };
        let name = camel_case(&func.name);
        let params: Vec<String> = (0..func.params.len()).map(|i| format!("p{i}")).collect();
        let args: Vec<String> = func
            .params
            .iter()
            .zip(&params)
            .map(|(p, n)| match resolved(resolve, p.ty) {
                Type::S64 => format!("BigInt.asIntN(64, {n})"),
                _ => n.clone(),
            })
            .collect();
        let result = func.result.map(|ty| resolved(resolve, ty));
        let s64_result = matches!(result, Some(Type::S64));
        let string_err = result.is_some_and(|ty| match ty {
            Type::Id(id) => matches!(
                &resolve.types[id].kind,
                TypeDefKind::Result(r) if r.err.map(|e| resolved(resolve, e)) == Some(Type::String)
            ),
            _ => false,
        });
        let call = format!("{name}$({})", args.join(", "));
        let body = if s64_result {
            format!(
                "const r = {call};\n    if (r < 0) throw new RangeError(`{name}() returned ${{r}}, and componentize-js {COMPONENTIZE_JS_VERSION} traps on a negative s64 result: return it as an f64 or a string, or declare an s32`);\n    return r;"
            )
        } else {
            format!("return {call};")
        };
        let catch = if string_err {
            "if (e instanceof Error) throw { payload: `${e.name}: ${e.message}` };\n    throw e;"
        } else {
            "report(e);\n    throw e;"
        };
        let _ = write!(
            js,
            "
const {name}$ = find('{name}', '{wit}');
export function {name}({params}) {{
  try {{
    {body}
  }} catch (e) {{
    {catch}
  }}
}}
",
            wit = func.name,
            params = params.join(", "),
        );
    }
    js
}
