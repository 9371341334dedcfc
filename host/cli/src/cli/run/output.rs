//! Where `--output-dir` puts byte results: one file per task, named after its input
//! file (or numbered when it has none), and never over another file.
//!
//! Names are planned before anything runs. Inputs with the same file name (from
//! different folders) mirror their paths relative to the inputs' common folder; a name
//! that would still be taken twice, or a file that is there already, stops the run
//! before it starts. A file that appears while tasks run is not overwritten either.

use std::collections::{HashMap, HashSet};
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};

use super::calls::Planned;

/// The planned names of a run's output files.
pub(super) struct Outputs {
    dir: PathBuf,
    /// Per planned call with an input: its name without extension, relative to `dir`.
    stems: Vec<Option<PathBuf>>,
    /// Calls per round (the planned list), and rounds (`--repeat`).
    n_planned: usize,
    repeat: usize,
}

fn func_suffix(planned: &Planned, multi_template: bool) -> String {
    if multi_template {
        format!(".{}", planned.call.function().name())
    } else {
        String::new()
    }
}

/// The deepest folder that holds every path.
fn common_folder(paths: &[&Path]) -> PathBuf {
    let mut common: Option<PathBuf> = None;
    for path in paths {
        let parent = path.parent().unwrap_or(Path::new(""));
        common = Some(match common {
            None => parent.to_owned(),
            Some(c) => c
                .components()
                .zip(parent.components())
                .take_while(|(a, b)| a == b)
                .map(|(a, _)| a)
                .collect(),
        });
    }
    common.unwrap_or_default()
}

impl Outputs {
    /// Plans the names; refuses two tasks writing one name, or a name already taken.
    pub(super) fn plan(
        dir: &Path,
        planned: &[Planned],
        multi_template: bool,
        repeat: usize,
    ) -> anyhow::Result<Self> {
        let flat: Vec<Option<PathBuf>> = planned
            .iter()
            .map(|p| {
                let stem = p
                    .input
                    .as_deref()?
                    .file_stem()?
                    .to_string_lossy()
                    .into_owned();
                Some(PathBuf::from(stem + &func_suffix(p, multi_template)))
            })
            .collect();
        let stems = if first_duplicate(&flat).is_none() {
            flat
        } else {
            let inputs: Vec<&Path> = planned.iter().filter_map(|p| p.input.as_deref()).collect();
            let common = common_folder(&inputs);
            planned
                .iter()
                .map(|p| {
                    let input = p.input.as_deref()?;
                    let relative = input.strip_prefix(&common).unwrap_or(input);
                    let mut stem = relative.with_extension("").into_os_string();
                    stem.push(func_suffix(p, multi_template));
                    Some(PathBuf::from(stem))
                })
                .collect()
        };
        if let Some((a, b)) = first_duplicate(&stems) {
            let name = |i: usize| {
                planned[i]
                    .input
                    .as_deref()
                    .map_or_else(String::new, |p| p.display().to_string())
            };
            bail!(
                "inputs {} and {} would both write {} in --output-dir: give inputs with distinct names",
                name(a),
                name(b),
                stems[a].as_deref().unwrap_or(Path::new("")).display()
            );
        }
        let outputs = Outputs {
            dir: dir.to_owned(),
            stems,
            n_planned: planned.len().max(1),
            repeat,
        };
        outputs.check_free(planned)?;
        Ok(outputs)
    }

    /// The name (relative, without extension) of task `idx`'s output.
    fn stem(&self, idx: usize, planned: &Planned) -> PathBuf {
        let (round, p_idx) = (idx / self.n_planned, idx % self.n_planned);
        let mut stem = match &self.stems[p_idx] {
            Some(stem) => stem.clone().into_os_string(),
            None => format!("result-{idx}{}", func_suffix(planned, true)).into(),
        };
        if self.repeat > 1 && self.stems[p_idx].is_some() {
            stem.push(format!(".{round}"));
        }
        PathBuf::from(stem)
    }

    /// Refuses a run whose output names are taken already (by any extension).
    fn check_free(&self, planned: &[Planned]) -> anyhow::Result<()> {
        let mut listings: HashMap<PathBuf, HashSet<String>> = HashMap::new();
        for idx in 0..self.n_planned * self.repeat {
            let stem = self
                .dir
                .join(self.stem(idx, &planned[idx % self.n_planned]));
            let parent = stem.parent().unwrap_or(&self.dir).to_owned();
            let names = listings.entry(parent.clone()).or_insert_with(|| {
                std::fs::read_dir(&parent)
                    .map(|entries| {
                        entries
                            .filter_map(Result::ok)
                            .map(|e| e.file_name().to_string_lossy().into_owned())
                            .collect()
                    })
                    .unwrap_or_default()
            });
            let file = stem.file_name().map(|f| f.to_string_lossy().into_owned());
            let prefix = format!("{}.", file.unwrap_or_default());
            if let Some(taken) = names.iter().find(|n| n.starts_with(&prefix)) {
                bail!(
                    "{} exists already, and Wask never overwrites a result: remove it or choose another --output-dir",
                    parent.join(taken).display()
                );
            }
        }
        Ok(())
    }

    /// Writes task `idx`'s bytes to a new file, with the extension its contents show
    /// (PNG, JPEG), else its input's, else `bin`; gives the file's path.
    pub(super) fn write(
        &self,
        idx: usize,
        planned: &Planned,
        bytes: &[u8],
    ) -> anyhow::Result<PathBuf> {
        let ext = if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
            "png".to_owned()
        } else if bytes.starts_with(&[0xff, 0xd8, 0xff]) {
            "jpg".to_owned()
        } else {
            planned
                .input
                .as_deref()
                .and_then(Path::extension)
                .map_or_else(|| "bin".into(), |e| e.to_string_lossy().into_owned())
        };
        let mut name = self.dir.join(self.stem(idx, planned)).into_os_string();
        name.push(format!(".{ext}"));
        let path = PathBuf::from(name);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)
                .with_context(|| format!("cannot create {}", parent.display()))?;
        }
        let mut file = std::fs::File::options()
            .write(true)
            .create_new(true)
            .open(&path)
            .with_context(|| {
                format!(
                    "cannot write {} (Wask never overwrites a file)",
                    path.display()
                )
            })?;
        file.write_all(bytes)
            .with_context(|| format!("cannot write {}", path.display()))?;
        Ok(path)
    }
}

/// The first two indices holding the same name, if any.
fn first_duplicate(names: &[Option<PathBuf>]) -> Option<(usize, usize)> {
    let mut seen: HashMap<&Path, usize> = HashMap::new();
    for (i, name) in names.iter().enumerate() {
        if let Some(name) = name.as_deref()
            && let Some(first) = seen.insert(name, i)
        {
            return Some((first, i));
        }
    }
    None
}
