//! Python guests, built with componentize-py in a virtual environment of its own.
//!
//! A Python guest is a module (`tasks.py`, or the module `[tool.wask] module` names in
//! `pyproject.toml`, or the only `.py` file of the folder). Without a `wit/` folder its
//! public top-level functions are the tasks: `wask_py.py` (shipped inside `host`) reads
//! their type hints, writes the WIT world and a wrapper class for componentize-py. With
//! a `wit/` folder, the module is given to componentize-py as it is, and must define
//! the `WitWorld` class componentize-py expects.
//!
//! The module and the other `.py` files and packages of its folder are copied into
//! `target/wask/python/app`, and only that folder goes on the guest's Python path:
//! componentize-py puts every folder of the path into the component.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, bail};

use super::tools::{self, Tools, say};
use super::{Guest, Inputs, place};

/// The componentize-py release every Python guest is built with; it bundles `CPython`
/// 3.14 for the guest.
pub const COMPONENTIZE_PY_VERSION: &str = "0.25.1";

/// Writes the WIT world and the wrapper from a module's type hints.
const WASK_PY: &str = include_str!("../../assets/wask_py.py");

/// Modules componentize-py generates, which a guest module cannot be named.
const RESERVED: &[&str] = &[
    "wit_world",
    "componentize_py_types",
    "componentize_py_runtime",
    "componentize_py_async_support",
    "poll_loop",
    "_wask_app",
];

/// What `[tool.wask]` of a Python guest's pyproject.toml may say.
#[derive(Debug, Default)]
struct Settings {
    module: Option<String>,
    world: Option<String>,
}

impl Settings {
    fn read(dir: &Path) -> anyhow::Result<Settings> {
        let path = dir.join("pyproject.toml");
        let Ok(text) = std::fs::read_to_string(&path) else {
            return Ok(Settings::default());
        };
        let table: toml::Table = text
            .parse()
            .with_context(|| format!("{} is not valid TOML", path.display()))?;
        let wask = table.get("tool").and_then(|t| t.get("wask"));
        let get = |key: &str| {
            wask.and_then(|w| w.get(key))
                .and_then(toml::Value::as_str)
                .map(str::to_owned)
        };
        Ok(Settings {
            module: get("module"),
            world: get("world"),
        })
    }
}

/// Builds a Python guest and gives the component's path.
pub fn build(
    tools: &Tools,
    guest: &Guest,
    out_dir: &Path,
    output: &dyn Fn(&str) -> PathBuf,
) -> anyhow::Result<PathBuf> {
    let settings = Settings::read(&guest.dir)?;
    let module = match &guest.module {
        Some(module) => module.clone(),
        None => find_module(&guest.dir, settings.module.as_deref())?,
    };
    let module_name = module
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    if !module_name
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '_')
        || module_name.starts_with(|c: char| c.is_ascii_digit())
        || module_name.is_empty()
    {
        bail!(
            "{} cannot be imported: a module's name must be a Python identifier",
            module.display()
        );
    }
    if RESERVED.contains(&module_name.as_str()) {
        bail!(
            "{}: the name `{module_name}` is taken by a module componentize-py generates; rename the file",
            module.display()
        );
    }
    let venv = venv(tools)?;
    let python = venv.join("bin").join("python");
    // componentize-py runs in the build folder: every path it gets is absolute.
    let build_dir = absolute(&out_dir.join("python"))?;
    let app_dir = build_dir.join("app");
    tools::fresh_dir(&build_dir)?;
    let source_dir = module.parent().filter(|p| !p.as_os_str().is_empty());
    copy_sources(source_dir.unwrap_or(Path::new(".")), &app_dir)?;
    let wit_dir = absolute(&guest.dir.join("wit"))?;
    let (wit_dir, world, app_module) = if guest.module.is_none() && wit_dir.is_dir() {
        let (resolve, id) = super::wit::world(&wit_dir, settings.world.as_deref())?;
        (
            wit_dir,
            resolve.worlds[id].name.clone(),
            module_name.clone(),
        )
    } else {
        let script = tools.script("python", "wask_py.py", WASK_PY)?;
        let generated = tools::run_captured(
            Command::new(&python)
                .arg(&script)
                .arg(app_dir.join(format!("{module_name}.py")))
                .arg(&build_dir),
            "read the module's type hints",
        )
        .map_err(|e| hint_error(&e))?;
        let world = String::from_utf8_lossy(&generated.stdout).trim().to_owned();
        say(&format!(
            "WIT world generated from the type hints of {}: {}",
            module.display(),
            out_dir.join("python/wit/world.wit").display()
        ));
        (build_dir.join("wit"), world, "_wask_app".to_owned())
    };
    let path = output(&module_name.replace('_', "-"));
    let mut inputs = Inputs::new(&format!(
        "componentize-py {COMPONENTIZE_PY_VERSION}; world {world}; module {app_module}"
    ));
    inputs.add_tree(&app_dir)?;
    inputs.add_tree(&wit_dir)?;
    if inputs.built(&path) {
        say(&format!("{} is up to date", path.display()));
        return Ok(path);
    }
    let tmp = absolute(&path.with_extension(format!("wasm.tmp{}", std::process::id())))?;
    let mut componentize = Command::new(venv.join("bin").join("componentize-py"));
    componentize
        .current_dir(&build_dir)
        .env("RUST_BACKTRACE", "0")
        .env_remove("VIRTUAL_ENV")
        .env_remove("PYTHONPATH")
        .env_remove("PYTHONHOME")
        .arg("-q")
        .arg("-d")
        .arg(&wit_dir)
        .arg("-w")
        .arg(&world)
        .arg("componentize")
        .arg(&app_module)
        .arg("-p")
        .arg(&app_dir)
        .arg("-o")
        .arg(&tmp);
    let message = format!(
        "componentize-py {COMPONENTIZE_PY_VERSION}: building {} with CPython inside (about 20 s to a minute)",
        module.display()
    );
    let spinner = std::io::stderr()
        .is_terminal()
        .then(|| crate::cli::spinner(message.clone()));
    if spinner.is_none() {
        say(&message);
    }
    let built = tools::run_captured(&mut componentize, "build the component");
    if let Some(spinner) = spinner {
        spinner.finish_and_clear();
    }
    built?;
    place(&tmp, &path)?;
    inputs.record(&path);
    Ok(path)
}

fn absolute(path: &Path) -> anyhow::Result<PathBuf> {
    std::path::absolute(path).with_context(|| format!("cannot tell where {} is", path.display()))
}

/// The error of the hint reader is its own `error:` lines, which name the function and
/// parameter; the rest of the wrapping adds nothing.
fn hint_error(e: &anyhow::Error) -> anyhow::Error {
    let text = format!("{e:#}");
    let lines: Vec<&str> = text
        .lines()
        .filter_map(|l| l.strip_prefix("error: "))
        .collect();
    if lines.is_empty() {
        anyhow::anyhow!("{text}")
    } else {
        anyhow::anyhow!(
            "the module's type hints do not all map to WIT:\n  {}",
            lines.join("\n  ")
        )
    }
}

/// The guest module of a folder: the one `[tool.wask] module` names, or the only `.py`
/// file there.
fn find_module(dir: &Path, named: Option<&str>) -> anyhow::Result<PathBuf> {
    if let Some(name) = named {
        let path = dir.join(format!("{}.py", name.replace('.', "/")));
        if !path.is_file() {
            bail!(
                "pyproject.toml names the module `{name}` in [tool.wask], but there is no {}",
                path.display()
            );
        }
        return Ok(path);
    }
    let mut modules: Vec<PathBuf> = std::fs::read_dir(dir)
        .with_context(|| format!("cannot list {}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file() && p.extension().is_some_and(|e| e == "py"))
        .collect();
    modules.sort();
    match modules.as_slice() {
        [one] => Ok(one.clone()),
        [] => bail!("{} holds no Python module (.py) to build", dir.display()),
        many => bail!(
            "{} holds several Python modules ({}): name the one with the tasks as `module = \"NAME\"` under [tool.wask] in pyproject.toml, or build the file itself",
            dir.display(),
            many.iter()
                .filter_map(|p| p.file_name())
                .map(|n| n.to_string_lossy().into_owned())
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

/// Copies the `.py` files and packages (folders with an `__init__.py`) of the guest's
/// folder, so the module can import its neighbours.
fn copy_sources(from: &Path, to: &Path) -> anyhow::Result<()> {
    std::fs::create_dir_all(to).with_context(|| format!("cannot create {}", to.display()))?;
    for entry in std::fs::read_dir(from)
        .with_context(|| format!("cannot list {}", from.display()))?
        .filter_map(Result::ok)
    {
        let path = entry.path();
        let name = entry.file_name();
        if name.to_string_lossy().starts_with('.') {
            continue;
        }
        if path.is_file() && path.extension().is_some_and(|e| e == "py") {
            std::fs::copy(&path, to.join(&name))
                .with_context(|| format!("cannot copy {}", path.display()))?;
        } else if path.is_dir() && path.join("__init__.py").is_file() {
            tools::copy_tree(&path, &to.join(&name))?;
        }
    }
    Ok(())
}

/// componentize-py in its own virtual environment, `<tools>/python/componentize-py-V`,
/// made on first use (with Debian's python3-venv installed first if it is missing).
fn venv(tools: &Tools) -> anyhow::Result<PathBuf> {
    let venv = tools
        .dir("python")?
        .join(format!("componentize-py-{COMPONENTIZE_PY_VERSION}"));
    let stamp = format!("componentize-py=={COMPONENTIZE_PY_VERSION}");
    if tools::is_complete(&venv, &stamp) {
        return Ok(venv);
    }
    let _lock = tools.lock("python-venv")?;
    if tools::is_complete(&venv, &stamp) {
        return Ok(venv);
    }
    say(&format!(
        "installing componentize-py {COMPONENTIZE_PY_VERSION} from PyPI into {}, once",
        venv.display()
    ));
    if !tools::has_program("python3") {
        tools::apt_install(&["python3", "python3-venv"], "building a Python guest")?;
    }
    let make = |venv: &Path| {
        tools::run_captured(
            Command::new("python3")
                .args(["-m", "venv", "--clear"])
                .arg(venv),
            "make a virtual environment",
        )
    };
    if let Err(e) = make(&venv) {
        // Debian keeps ensurepip, which venv needs, in a package of its own.
        if !format!("{e:#}").contains("ensurepip") {
            return Err(e);
        }
        tools::apt_install(&["python3-venv"], "a Python virtual environment")?;
        make(&venv)?;
    }
    tools::run(
        Command::new(venv.join("bin").join("pip"))
            .args(["install", "--quiet", "--disable-pip-version-check"])
            .arg(&stamp)
            .env_remove("PIP_REQUIRE_VIRTUALENV"),
        "install componentize-py",
    )?;
    tools::mark_complete(&venv, &stamp)?;
    Ok(venv)
}
