//! A guest's WIT folder: the world it builds to, read with wit-parser.

use std::path::Path;

use anyhow::Context;
use wit_parser::{Resolve, WorldId};

/// The guest's world: the one named `world`, or the only one in the folder's package.
pub fn world(wit_dir: &Path, world: Option<&str>) -> anyhow::Result<(Resolve, WorldId)> {
    let mut resolve = Resolve::default();
    let (package, _) = resolve
        .push_dir(wit_dir)
        .with_context(|| format!("cannot read the WIT in {}", wit_dir.display()))?;
    let id = resolve
        .select_world(&[package], world)
        .with_context(|| match world {
            Some(name) => format!("{} has no world `{name}`", wit_dir.display()),
            None => format!(
                "cannot tell which world of {} to build: keep one world in the package, or name it",
                wit_dir.display()
            ),
        })?;
    Ok((resolve, id))
}
