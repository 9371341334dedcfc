//! `host new`: a guest folder from the templates in `host/cli/templates/`, which ship
//! inside the binary.
//!
//! Each template is a working task with one export, `count-words`: the manifest with
//! the dependency versions `host build` uses, the source, a WIT world (for Python, the
//! type hints are the world), a README of three lines, and `calls.txt` with a call to
//! try it with.

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};

use super::Lang;

/// (path in the new folder, template text); `{{module}}` in a path is the Python
/// module's name.
type Template = (&'static str, &'static str);

const RUST: &[Template] = &[
    (
        "Cargo.toml",
        include_str!("../../templates/rust/Cargo.toml"),
    ),
    (
        "wit/world.wit",
        include_str!("../../templates/rust/wit/world.wit"),
    ),
    (
        "src/lib.rs",
        include_str!("../../templates/rust/src/lib.rs"),
    ),
    ("README.md", include_str!("../../templates/rust/README.md")),
    ("calls.txt", include_str!("../../templates/rust/calls.txt")),
    (".gitignore", include_str!("../../templates/rust/gitignore")),
];

const PYTHON: &[Template] = &[
    (
        "pyproject.toml",
        include_str!("../../templates/python/pyproject.toml"),
    ),
    (
        "{{module}}.py",
        include_str!("../../templates/python/module.py"),
    ),
    (
        "README.md",
        include_str!("../../templates/python/README.md"),
    ),
    (
        "calls.txt",
        include_str!("../../templates/python/calls.txt"),
    ),
    (
        ".gitignore",
        include_str!("../../templates/python/gitignore"),
    ),
];

const JS: &[Template] = &[
    (
        "package.json",
        include_str!("../../templates/js/package.json"),
    ),
    (
        "wit/world.wit",
        include_str!("../../templates/js/wit/world.wit"),
    ),
    ("index.js", include_str!("../../templates/js/index.js")),
    ("README.md", include_str!("../../templates/js/README.md")),
    ("calls.txt", include_str!("../../templates/js/calls.txt")),
    (".gitignore", include_str!("../../templates/js/gitignore")),
];

/// Writes a new guest in `lang` into the folder `path` (which must not exist, or be
/// empty), named after the folder. Gives the files written, relative to it.
pub fn scaffold(path: &Path, lang: Lang) -> anyhow::Result<Vec<PathBuf>> {
    let folder = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .with_context(|| format!("{} does not name a folder to create", path.display()))?;
    let name = super::check_name(&folder)?;
    if path.exists() && std::fs::read_dir(path).map_or(true, |mut entries| entries.next().is_some())
    {
        bail!(
            "{} exists already and is not an empty folder: give `host new` a new name",
            path.display()
        );
    }
    let module = name.replace('-', "_");
    let vars = [
        ("{{name}}", name.as_str()),
        ("{{module}}", module.as_str()),
        ("{{wit_bindgen}}", super::rust::WIT_BINDGEN_VERSION),
        (
            "{{componentize_py}}",
            super::python::COMPONENTIZE_PY_VERSION,
        ),
        ("{{componentize_js}}", super::js::COMPONENTIZE_JS_VERSION),
    ];
    let fill = |text: &str| {
        vars.iter().fold(text.to_owned(), |text, (key, value)| {
            text.replace(key, value)
        })
    };
    let templates = match lang {
        Lang::Rust => RUST,
        Lang::Python => PYTHON,
        Lang::Js => JS,
    };
    let mut written = Vec::new();
    for (file, text) in templates {
        let relative = PathBuf::from(fill(file));
        let target = path.join(&relative);
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent)
                .with_context(|| format!("cannot create {}", parent.display()))?;
        }
        std::fs::write(&target, fill(text))
            .with_context(|| format!("cannot write {}", target.display()))?;
        written.push(relative);
    }
    Ok(written)
}
