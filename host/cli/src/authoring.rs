//! Writing tasks: `host new` scaffolds a guest and `host build` turns one into a task
//! component, in Rust, Python or JavaScript.
//!
//! A *guest* is a folder of source that builds to one task component:
//! - Rust: a crate with `crate-type = ["cdylib"]`, its WIT world in `wit/` and
//!   `wit-bindgen` (crates made by `cargo component new` build too);
//! - Python: a module of type-hinted functions, whose WIT world is generated from the
//!   hints, or a module with a `wit/` folder and a `WitWorld` class, as
//!   componentize-py expects;
//! - JavaScript: an ES module with a WIT world in `wit/`, as componentize-js expects.
//!
//! The toolchains are installed on first use into the tools folder ([`tools`]) and
//! shared by every guest. The component goes to `target/wask/NAME.wasm` in the guest's
//! folder.

mod js;
mod new;
mod python;
mod rust;
mod tools;
mod wit;

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};

pub use self::new::scaffold;
pub use self::tools::{Tools, say};

/// A guest's language.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Lang {
    Rust,
    Python,
    #[value(alias = "javascript")]
    Js,
}

impl std::fmt::Display for Lang {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Lang::Rust => "Rust",
            Lang::Python => "Python",
            Lang::Js => "JavaScript",
        })
    }
}

/// A guest found at a path, ready to build.
#[derive(Debug, Clone)]
pub struct Guest {
    pub lang: Lang,
    /// The guest's folder: the crate, the Python project, or the JavaScript package.
    pub dir: PathBuf,
    /// The Python module file, when the path named one.
    module: Option<PathBuf>,
}

impl Guest {
    /// The guest at `path`: a folder whose files tell its language (Cargo.toml,
    /// package.json, pyproject.toml or .py files), or a Python module file.
    pub fn find(path: &Path, lang: Option<Lang>) -> anyhow::Result<Guest> {
        if path.is_file() {
            if path.extension().is_some_and(|e| e == "py") && lang.is_none_or(|l| l == Lang::Python)
            {
                // `tasks.py` is in the current folder, named as "" so paths stay short.
                return Ok(Guest {
                    lang: Lang::Python,
                    dir: path.parent().unwrap_or(Path::new("")).to_owned(),
                    module: Some(path.to_owned()),
                });
            }
            bail!(
                "{} is a file, and only a Python module (.py) builds on its own: give a guest's folder (a Rust crate, a Python project or a JavaScript package)",
                path.display()
            );
        }
        if !path.is_dir() {
            bail!(
                "{} does not exist: expected a guest's folder, or a Python module (.py)",
                path.display()
            );
        }
        let lang = match lang {
            Some(lang) => lang,
            None if path.join("Cargo.toml").is_file() => Lang::Rust,
            None if path.join("package.json").is_file() => Lang::Js,
            None if path.join("pyproject.toml").is_file() || has_python_files(path) => Lang::Python,
            None => bail!(
                "cannot tell the language of the guest in {}: expected a Cargo.toml (Rust), a package.json (JavaScript), or a pyproject.toml or .py module (Python); `host new NAME --lang rust|python|js` makes one",
                path.display()
            ),
        };
        Ok(Guest {
            lang,
            dir: path.to_owned(),
            module: None,
        })
    }
}

fn has_python_files(dir: &Path) -> bool {
    std::fs::read_dir(dir).is_ok_and(|entries| {
        entries
            .filter_map(Result::ok)
            .any(|e| e.path().extension().is_some_and(|x| x == "py"))
    })
}

/// Builds a guest to a component and gives the component's path: `out`, or
/// `target/wask/NAME.wasm` in the guest's folder.
pub fn build(guest: &Guest, out: Option<&Path>) -> anyhow::Result<PathBuf> {
    let tools = Tools::locate()?;
    let out_dir = guest.dir.join("target").join("wask");
    std::fs::create_dir_all(&out_dir)
        .with_context(|| format!("cannot create the output folder {}", out_dir.display()))?;
    let output = |name: &str| -> PathBuf {
        out.map_or_else(|| out_dir.join(format!("{name}.wasm")), Path::to_owned)
    };
    match guest.lang {
        Lang::Rust => rust::build(&tools, &guest.dir, &output),
        Lang::Python => python::build(&tools, guest, &out_dir, &output),
        Lang::Js => js::build(&tools, &guest.dir, &out_dir, &output),
    }
}

/// Checks a new guest's name: it names the folder, the crate or package, and the WIT
/// world, so it must be a WIT name: lowercase words of letters and digits, each
/// starting with a letter, joined by `-` (or `_`, read as `-`).
pub fn check_name(name: &str) -> anyhow::Result<String> {
    let kebab = name.replace('_', "-");
    let ok = !kebab.is_empty()
        && kebab.split('-').all(|word| {
            word.starts_with(|c: char| c.is_ascii_lowercase())
                && word
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        });
    if !ok {
        bail!(
            "`{name}` cannot name a task: use lowercase words of letters and digits, each starting with a letter, joined by `-`, such as `word-count`"
        );
    }
    Ok(kebab)
}

/// Puts a finished component in place, atomically: `tmp` is renamed to `out`.
fn place(tmp: &Path, out: &Path) -> anyhow::Result<()> {
    if let Some(parent) = out.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent)
            .with_context(|| format!("cannot create {}", parent.display()))?;
    }
    if std::fs::rename(tmp, out).is_err() {
        std::fs::copy(tmp, out)
            .with_context(|| format!("cannot write the component to {}", out.display()))?;
        let _ = std::fs::remove_file(tmp);
    }
    Ok(())
}

/// What a build made its component from: the files it read and the settings it used.
/// A Python or JavaScript build takes tens of seconds even when nothing changed, so one
/// whose inputs are those of the component already in place is skipped.
struct Inputs(std::collections::hash_map::DefaultHasher);

impl Inputs {
    /// Starts with the settings (tool versions, world) and `host`'s own version.
    fn new(settings: &str) -> Inputs {
        use std::hash::Hash;
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        (env!("CARGO_PKG_VERSION"), settings).hash(&mut hasher);
        Inputs(hasher)
    }

    /// Adds every file under `dir` (as [`tools::copy_tree`] would copy them), by path
    /// and contents.
    fn add_tree(&mut self, dir: &Path) -> anyhow::Result<()> {
        use std::hash::Hash;
        let mut entries: Vec<_> = std::fs::read_dir(dir)
            .with_context(|| format!("cannot list {}", dir.display()))?
            .filter_map(Result::ok)
            .filter(|e| !tools::is_skipped(&e.file_name().to_string_lossy()))
            .collect();
        entries.sort_by_key(std::fs::DirEntry::file_name);
        for entry in entries {
            let path = entry.path();
            if path.is_dir() {
                self.add_tree(&path)?;
            } else if path.is_file() {
                path.hash(&mut self.0);
                std::fs::read(&path)
                    .with_context(|| format!("cannot read {}", path.display()))?
                    .hash(&mut self.0);
            }
        }
        Ok(())
    }

    fn stamp_path(out: &Path) -> PathBuf {
        let mut name = out.file_name().unwrap_or_default().to_owned();
        name.push(".inputs");
        out.with_file_name(name)
    }

    fn digest(&self) -> String {
        use std::hash::Hasher;
        format!("{:016x}", self.0.finish())
    }

    /// Whether `out` was built from these same inputs.
    fn built(&self, out: &Path) -> bool {
        out.is_file()
            && std::fs::read_to_string(Self::stamp_path(out)).is_ok_and(|s| s == self.digest())
    }

    /// Notes that `out` was built from these inputs.
    fn record(&self, out: &Path) {
        let _ = std::fs::write(Self::stamp_path(out), self.digest());
    }
}
