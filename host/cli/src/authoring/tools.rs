//! The tools folder, and running the tools in it.
//!
//! The *tools folder* (`$WASK_TOOLS_DIR`, else `$XDG_CACHE_HOME/wask`, else
//! `~/.cache/wask`) holds what `host build` installs on first use and shares between
//! guests: the Rust standard library built for the guest target, a shared cargo
//! target folder, componentize-py in a virtual environment of its own, and
//! componentize-js. Each is made under a lock, so builds running at once install
//! it once, and is marked complete only when it is.

use std::ffi::OsStr;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use anyhow::{Context, bail};

/// Prefix of every line `host build` writes about its own steps.
pub const SAY: &str = "host build:";

/// Says what `host build` is doing, on stderr.
pub fn say(message: &str) {
    eprintln!("{SAY} {message}");
}

/// The folder of installed tools and shared build products.
#[derive(Debug, Clone)]
pub struct Tools {
    root: PathBuf,
}

impl Tools {
    /// The tools folder of this user (see the module documentation).
    pub fn locate() -> anyhow::Result<Tools> {
        let root = if let Some(dir) = std::env::var_os("WASK_TOOLS_DIR") {
            PathBuf::from(dir)
        } else if let Some(dir) = std::env::var_os("XDG_CACHE_HOME") {
            PathBuf::from(dir).join("wask")
        } else if let Some(home) = std::env::var_os("HOME") {
            PathBuf::from(home).join(".cache").join("wask")
        } else {
            bail!("cannot tell where to install build tools: set WASK_TOOLS_DIR or HOME");
        };
        Ok(Tools { root })
    }

    /// A folder inside the tools folder, created if missing.
    pub fn dir(&self, name: &str) -> anyhow::Result<PathBuf> {
        let dir = self.root.join(name);
        std::fs::create_dir_all(&dir)
            .with_context(|| format!("cannot create the tools folder {}", dir.display()))?;
        Ok(dir)
    }

    /// Holds the lock called `name` until the guard is dropped; waits for another
    /// `host build` that holds it.
    pub fn lock(&self, name: &str) -> anyhow::Result<File> {
        let path = self.dir("locks")?.join(format!("{name}.lock"));
        let file = File::create(&path)
            .with_context(|| format!("cannot create the lock file {}", path.display()))?;
        if file.try_lock().is_err() {
            say(&format!(
                "waiting for another build that holds {}",
                path.display()
            ));
            file.lock()
                .with_context(|| format!("cannot lock {}", path.display()))?;
        }
        Ok(file)
    }

    /// Writes a helper script that ships inside the `host` binary into the tools folder
    /// (again only when its text changed) and gives its path.
    pub fn script(&self, dir: &str, name: &str, text: &str) -> anyhow::Result<PathBuf> {
        let path = self.dir(dir)?.join(name);
        if std::fs::read_to_string(&path).ok().as_deref() != Some(text) {
            let tmp = path.with_extension(format!("tmp{}", std::process::id()));
            std::fs::write(&tmp, text)
                .and_then(|()| std::fs::rename(&tmp, &path))
                .with_context(|| format!("cannot write {}", path.display()))?;
        }
        Ok(path)
    }
}

/// Whether a folder made by an installer is complete: its marker file holds `stamp`.
pub fn is_complete(dir: &Path, stamp: &str) -> bool {
    std::fs::read_to_string(dir.join(".wask-complete")).is_ok_and(|s| s == stamp)
}

/// Marks a folder complete, for [`is_complete`].
pub fn mark_complete(dir: &Path, stamp: &str) -> anyhow::Result<()> {
    std::fs::write(dir.join(".wask-complete"), stamp)
        .with_context(|| format!("cannot write the marker file in {}", dir.display()))
}

/// The program's name as shown in messages: `cargo`, `npm`.
fn program(cmd: &Command) -> String {
    Path::new(cmd.get_program())
        .file_name()
        .unwrap_or(OsStr::new("?"))
        .to_string_lossy()
        .into_owned()
}

/// Runs a command whose own output (progress, warnings, errors) goes straight to the
/// terminal; fails naming `what` it was for.
pub fn run(cmd: &mut Command, what: &str) -> anyhow::Result<()> {
    let status = cmd
        .stdin(Stdio::null())
        .status()
        .with_context(|| format!("cannot start {} to {what}", program(cmd)))?;
    if !status.success() {
        bail!("{} failed to {what} ({status})", program(cmd));
    }
    Ok(())
}

/// Runs a command with its output captured; on failure, its stderr (and stdout) is
/// part of the error.
pub fn run_captured(cmd: &mut Command, what: &str) -> anyhow::Result<Output> {
    let output = cmd
        .stdin(Stdio::null())
        .output()
        .with_context(|| format!("cannot start {} to {what}", program(cmd)))?;
    if !output.status.success() {
        let mut text = String::from_utf8_lossy(&output.stderr)
            .trim_end()
            .to_owned();
        let stdout = String::from_utf8_lossy(&output.stdout);
        if !stdout.trim().is_empty() {
            text = format!("{}\n{text}", stdout.trim_end());
        }
        bail!(
            "{} failed to {what} ({}):\n{text}",
            program(cmd),
            output.status
        );
    }
    Ok(output)
}

/// Whether a program can be started from `PATH`.
pub fn has_program(name: &str) -> bool {
    Command::new(name)
        .arg("--version")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// Installs Debian packages with apt-get, as root or through sudo, saying first what
/// for. Fails with what to do by hand where there is no apt-get or no way to be root.
pub fn apt_install(packages: &[&str], why: &str) -> anyhow::Result<()> {
    let list = packages.join(" ");
    if !has_program("apt-get") {
        bail!(
            "{why} needs the packages {list}, and there is no apt-get here: install them with your system's package manager"
        );
    }
    let root = Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|out| out.stdout.trim_ascii() == b"0");
    if !root && !has_program("sudo") {
        bail!(
            "{why} needs the Debian packages {list}; install them as root: apt-get install {list}"
        );
    }
    say(&format!(
        "{why} needs the Debian packages {list}; installing them with apt-get{}",
        if root {
            ""
        } else {
            " (through sudo, which may ask for your password)"
        }
    ));
    let apt = |args: &[&str]| {
        let mut cmd = if root {
            Command::new("apt-get")
        } else {
            let mut sudo = Command::new("sudo");
            sudo.arg("apt-get");
            sudo
        };
        cmd.args(["-o", "DPkg::Lock::Timeout=900", "-q"])
            .args(args)
            .env("DEBIAN_FRONTEND", "noninteractive");
        cmd
    };
    run(&mut apt(&["update"]), "update the package lists")?;
    let mut install = apt(&["install", "-y"]);
    install.args(packages);
    run(&mut install, &format!("install {list}"))
}

/// Copies a folder's tree, leaving out build output, version control, virtual
/// environments and installed packages (`target`, hidden entries, `node_modules`,
/// `__pycache__`, `venv`).
pub fn copy_tree(from: &Path, to: &Path) -> anyhow::Result<()> {
    std::fs::create_dir_all(to).with_context(|| format!("cannot create {}", to.display()))?;
    let entries =
        std::fs::read_dir(from).with_context(|| format!("cannot list {}", from.display()))?;
    for entry in entries {
        let entry = entry.with_context(|| format!("cannot list {}", from.display()))?;
        let name = entry.file_name();
        if is_skipped(&name.to_string_lossy()) {
            continue;
        }
        let (src, dst) = (entry.path(), to.join(&name));
        let kind = entry
            .file_type()
            .with_context(|| format!("cannot read {}", src.display()))?;
        if kind.is_dir() {
            copy_tree(&src, &dst)?;
        } else if kind.is_file() {
            std::fs::copy(&src, &dst)
                .with_context(|| format!("cannot copy {} to {}", src.display(), dst.display()))?;
        }
    }
    Ok(())
}

/// Whether a folder's entry is build output, version control, a virtual environment
/// or installed packages, which no build reads as source.
pub fn is_skipped(name: &str) -> bool {
    name.starts_with('.') || ["target", "node_modules", "__pycache__", "venv"].contains(&name)
}

/// Empties a folder, or makes it.
pub fn fresh_dir(dir: &Path) -> anyhow::Result<()> {
    if dir.exists() {
        std::fs::remove_dir_all(dir).with_context(|| format!("cannot empty {}", dir.display()))?;
    }
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))
}
