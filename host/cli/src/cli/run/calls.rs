//! The calls a `host run` makes: their texts (`--invoke`, `--input`), the input files
//! (INPUTS), and each call checked against its signature with every `@` argument
//! replaced by a file's contents, before anything runs.

use std::io::Read;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use wask::{Call, TaskComponent, Value, ValueType};

/// One invocation to make.
pub(super) struct Planned {
    pub(super) call: Call,
    /// The input file that `@` stood for, if any.
    pub(super) input: Option<PathBuf>,
}

/// Where a call text came from (for messages), and the text.
pub(super) type CallText = (String, String);

/// Reads a file the user named: a regular file (not a device, pipe or folder) of at
/// most `max_bytes`; `what` says what it is for, in messages.
pub(super) fn read_capped(path: &Path, max_bytes: u64, what: &str) -> anyhow::Result<Vec<u8>> {
    let file = std::fs::File::open(path)
        .with_context(|| format!("cannot read {} ({what})", path.display()))?;
    let meta = file
        .metadata()
        .with_context(|| format!("cannot read {} ({what})", path.display()))?;
    if !meta.is_file() {
        bail!(
            "{} is not a regular file ({what}): expected a file, not a device, pipe or folder",
            path.display()
        );
    }
    read_at_most(file, max_bytes, &path.display().to_string(), what)
}

/// Reads at most `max_bytes` from `reader`; more is an error naming the limit.
fn read_at_most(
    reader: impl Read,
    max_bytes: u64,
    name: &str,
    what: &str,
) -> anyhow::Result<Vec<u8>> {
    let mut bytes = Vec::new();
    reader
        .take(max_bytes.saturating_add(1))
        .read_to_end(&mut bytes)
        .with_context(|| format!("cannot read {name} ({what})"))?;
    if bytes.len() as u64 > max_bytes {
        bail!(
            "{name} ({what}) is larger than the limit of {} (--max-file-size)",
            wask_core::format_bytes(max_bytes)
        );
    }
    Ok(bytes)
}

/// The call texts: each `--invoke`, then each line of the `--input` file (or stdin),
/// skipping blank and `#` lines.
pub(super) fn call_texts(
    invoke: &[String],
    input: Option<&Path>,
    max_bytes: u64,
) -> anyhow::Result<Vec<CallText>> {
    let mut texts: Vec<CallText> = invoke
        .iter()
        .map(|t| {
            (
                format!("--invoke '{}'", wask_core::quote(t, 0..0)),
                t.clone(),
            )
        })
        .collect();
    if let Some(input) = input {
        let (name, bytes) = if input.as_os_str() == "-" {
            let stdin = read_at_most(std::io::stdin().lock(), max_bytes, "stdin", "calls")?;
            ("stdin".to_owned(), stdin)
        } else {
            let bytes = read_capped(input, max_bytes, "calls")?;
            (input.display().to_string(), bytes)
        };
        let text = String::from_utf8(bytes)
            .map_err(|e| anyhow::anyhow!("{name} is not UTF-8 text: {e}"))?;
        for (n, line) in text.lines().enumerate() {
            let line = line.trim();
            if !line.is_empty() && !line.starts_with('#') {
                texts.push((format!("{name} line {}", n + 1), line.to_owned()));
            }
        }
    }
    if texts.is_empty() {
        bail!(
            "nothing to run: give a call with --invoke 'name(args)', or a file of calls with --input FILE (- for stdin)"
        );
    }
    Ok(texts)
}

/// Input files: each folder gives its regular files (sorted), each glob pattern its
/// matches. A file named directly must be a regular file.
pub(super) fn expand_inputs(inputs: &[String]) -> anyhow::Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    for input in inputs {
        let path = Path::new(input);
        if path.is_dir() {
            let mut in_dir: Vec<PathBuf> = std::fs::read_dir(path)
                .with_context(|| format!("cannot list input folder {input}"))?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.is_file())
                .collect();
            if in_dir.is_empty() {
                bail!("input folder {input} has no files");
            }
            in_dir.sort();
            files.extend(in_dir);
        } else if path.is_file() {
            files.push(path.to_owned());
        } else if path.exists() {
            bail!(
                "input {input} is not a regular file or a folder (a device or pipe is never an input)"
            );
        } else if input.contains(['*', '?', '[']) {
            let matches: Vec<PathBuf> = glob::glob(input)
                .with_context(|| format!("bad glob pattern {input}"))?
                .filter_map(Result::ok)
                .filter(|p| p.is_file())
                .collect();
            if matches.is_empty() {
                bail!("glob pattern {input} matches no files");
            }
            files.extend(matches);
        } else {
            bail!("input {input} does not exist: expected a file, a folder or a glob pattern");
        }
    }
    Ok(files)
}

/// Every call to make, checked against its export's signature.
pub(super) fn plan_calls(
    component: &TaskComponent,
    texts: &[CallText],
    inputs: &[PathBuf],
    max_file_bytes: u64,
) -> anyhow::Result<Vec<Planned>> {
    let mut planned = Vec::new();
    for (origin, text) in texts {
        let template = FileArgs::find(text);
        if inputs.is_empty() {
            let call = template
                .bind(component, None, max_file_bytes)
                .with_context(|| origin.clone())?;
            planned.push(Planned { call, input: None });
            continue;
        }
        if !template.uses_input() {
            bail!("{origin}: input files were given, but the call has no bare `@` to take them");
        }
        for input in inputs {
            let call = template
                .bind(component, Some(input), max_file_bytes)
                .with_context(|| format!("{origin} with input {}", input.display()))?;
            planned.push(Planned {
                call,
                input: Some(input.clone()),
            });
        }
    }
    Ok(planned)
}

/// A piece of a call text: text as written, or an `@` argument.
enum Piece {
    Text(String),
    /// An `@path` (or bare `@`, with no path) at an argument position (from 0).
    File(usize, Option<PathBuf>),
}

/// A call text with its `@path` and bare `@` arguments found.
struct FileArgs {
    original: String,
    pieces: Vec<Piece>,
}

impl FileArgs {
    /// Finds `@` arguments: an `@` that starts an argument of the call, outside strings.
    fn find(text: &str) -> FileArgs {
        let mut pieces = Vec::new();
        let mut out = String::with_capacity(text.len());
        let (mut depth, mut position) = (0usize, 0usize);
        let mut at_arg_start = false;
        let mut chars = text.char_indices().peekable();
        while let Some((i, c)) = chars.next() {
            match c {
                '"' | '\'' => {
                    // Copy a string or char literal whole, with its escapes.
                    out.push(c);
                    while let Some((_, d)) = chars.next() {
                        out.push(d);
                        if d == '\\' {
                            if let Some((_, e)) = chars.next() {
                                out.push(e);
                            }
                        } else if d == c {
                            break;
                        }
                    }
                    at_arg_start = false;
                    continue;
                }
                '@' if depth == 1 && at_arg_start => {
                    let rest = &text[i + 1..];
                    let len = rest.find([',', ')']).unwrap_or(rest.len());
                    let path = rest[..len].trim();
                    pieces.push(Piece::Text(std::mem::take(&mut out)));
                    pieces.push(Piece::File(
                        position,
                        (!path.is_empty()).then(|| PathBuf::from(path)),
                    ));
                    for _ in 0..rest[..len].chars().count() {
                        chars.next();
                    }
                    at_arg_start = false;
                    continue;
                }
                '(' | '[' | '{' => {
                    depth += 1;
                    at_arg_start = depth == 1;
                }
                ')' | ']' | '}' => {
                    depth = depth.saturating_sub(1);
                    at_arg_start = false;
                }
                ',' if depth == 1 => {
                    position += 1;
                    at_arg_start = true;
                }
                c if c.is_whitespace() => {}
                _ => at_arg_start = false,
            }
            out.push(c);
        }
        pieces.push(Piece::Text(out));
        FileArgs {
            original: text.to_owned(),
            pieces,
        }
    }

    fn files(&self) -> impl Iterator<Item = (usize, Option<&Path>)> {
        self.pieces.iter().filter_map(|p| match p {
            Piece::File(position, path) => Some((*position, path.as_deref())),
            Piece::Text(_) => None,
        })
    }

    fn uses_input(&self) -> bool {
        self.files().any(|(_, path)| path.is_none())
    }

    /// The text with each `@` argument replaced by an empty value of its parameter's
    /// type (`""` for a string, `[]` for a list), so it parses.
    fn with_placeholders(&self, component: &TaskComponent) -> String {
        let name = self.original.split('(').next().unwrap_or("").trim();
        let signature = component
            .find(name)
            .ok()
            .or_else(|| (component.functions().len() == 1).then_some(0))
            .map(|func| component.functions()[func].signature());
        self.pieces
            .iter()
            .map(|piece| match piece {
                Piece::Text(text) => text.as_str(),
                Piece::File(position, _) => match signature
                    .and_then(|s| s.params().get(*position))
                    .map(|(_, ty)| ty)
                {
                    Some(ValueType::String) => "\"\"",
                    _ => "[]",
                },
            })
            .collect()
    }

    /// Parses the call and puts each file's contents in place of its `@` argument.
    fn bind(
        &self,
        component: &TaskComponent,
        input: Option<&Path>,
        max_file_bytes: u64,
    ) -> anyhow::Result<Call> {
        if self.pieces.len() == 1 {
            return Ok(component.parse_call(&self.original)?);
        }
        let parsed = component.parse_call(&self.with_placeholders(component))?;
        let func = parsed.function();
        let mut args = parsed.args().to_vec();
        for (position, path) in self.files() {
            let path = match (path, input) {
                (Some(path), _) => path,
                (None, Some(input)) => input,
                (None, None) => bail!(
                    "a bare `@` stands for each input file, but no input files were given; write @path or add INPUTS"
                ),
            };
            let (name, ty) = &func.signature().params()[position];
            let what = format!("parameter `{name}`");
            args[position] = if ty.is_bytes() {
                Value::bytes(&read_capped(path, max_file_bytes, &what)?)
            } else if *ty == ValueType::String {
                let contents = read_capped(path, max_file_bytes, &what)?;
                Value::String(String::from_utf8(contents).with_context(|| {
                    format!(
                        "{} is not UTF-8 text, as the string parameter `{name}` needs",
                        path.display()
                    )
                })?)
            } else {
                bail!(
                    "`@` passes a file's contents, which fit a list<u8> or string parameter; parameter `{name}` of `{}` is {ty}",
                    func.name()
                );
            };
        }
        Ok(component.call(func.name(), args)?)
    }
}
