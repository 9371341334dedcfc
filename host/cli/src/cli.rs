//! Command-line arguments and the subcommands, one file each, and how a command fails.

mod build;
mod inspect;
mod new;
mod run;
mod serve;
mod submit;
mod token;
mod worker;

use std::process::ExitCode;

/// Exit status when some task failed.
pub const EXIT_TASK_FAILED: u8 = 1;
/// Exit status for bad input: nothing ran.
pub const EXIT_BAD_INPUT: u8 = 2;
/// Exit status when tasks ran but their results could not all be written.
pub const EXIT_IO: u8 = 3;
/// Exit status when stdout's reader went away: 128 + SIGPIPE, as a shell reports a
/// tool that a closed pipe ended.
pub const EXIT_CLOSED_PIPE: u8 = 141;

/// Why a command ended without an exit code of its own choosing.
#[derive(Debug)]
pub enum Failure {
    /// The input was bad (usage, a component, a call) and nothing ran.
    BadInput(anyhow::Error),
    /// Tasks ran, but writing what they gave failed.
    Io(anyhow::Error),
    /// Stdout was closed by its reader.
    ClosedPipe,
}

impl<E: Into<anyhow::Error>> From<E> for Failure {
    /// Errors are bad input unless a command says otherwise: checks come first.
    fn from(e: E) -> Self {
        Failure::BadInput(e.into())
    }
}

impl Failure {
    /// A write after tasks ran failed: a closed stdout is [`Failure::ClosedPipe`].
    pub fn io(e: impl Into<anyhow::Error>) -> Self {
        let e = e.into();
        let closed = e
            .downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe);
        if closed {
            Failure::ClosedPipe
        } else {
            Failure::Io(e)
        }
    }
}

/// Wask: run typed WebAssembly components as sandboxed, parallel tasks.
#[derive(Debug, clap::Parser)]
#[command(name = "host", version)]
pub struct Args {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, clap::Subcommand)]
pub enum Command {
    Run(Box<run::RunCommand>),
    Inspect(inspect::InspectCommand),
    New(new::NewCommand),
    Build(build::BuildCommand),
    Serve(serve::ServeCommand),
    Submit(submit::SubmitCommand),
    Token(token::TokenCommand),
    Worker(worker::WorkerCommand),
}

impl Command {
    pub fn execute(self) -> Result<ExitCode, Failure> {
        match self {
            Command::Run(c) => c.execute(),
            Command::Inspect(c) => c.execute(),
            Command::New(c) => c.execute(),
            Command::Build(c) => c.execute(),
            Command::Serve(c) => c.execute(),
            Command::Submit(c) => c.execute(),
            Command::Token(c) => c.execute(),
            Command::Worker(c) => c.execute(),
        }
    }

    /// What the command logs unless `WASK_LOG` says otherwise: a server logs what it
    /// does, the rest only warnings.
    pub fn default_log_level(&self) -> &'static str {
        match self {
            Command::Serve(_) => "info",
            _ => "warn",
        }
    }
}

/// Flags shared by the commands that run tasks.
#[derive(Debug, clap::Args)]
pub struct RuntimeArgs {
    /// Worker threads, and so tasks run at once [default: CPU cores]
    #[arg(long, short = 'j', value_name = "N", value_parser = parse_at_least_one)]
    parallel: Option<usize>,
    /// Folder of the compiled-component cache [default: ~/.cache/wask/components]
    #[arg(long, value_name = "DIR")]
    cache_dir: Option<std::path::PathBuf>,
    /// Compile every component afresh, without the cache
    #[arg(long, conflicts_with = "cache_dir")]
    no_cache: bool,
    /// Run the tasks on a Wask cluster through this NATS server (nats://HOST:PORT)
    /// instead of here; `host worker` processes serve it
    #[arg(long, value_name = "URL")]
    nats: Option<String>,
    /// Size the cache may grow to; past it, the least recently used entries go [default: 2G]
    #[arg(long, value_name = "SIZE", value_parser = parse_size)]
    cache_max_size: Option<usize>,
    /// Folder of memoised results, for --memo [default: ~/.cache/wask/memo]
    #[arg(long, value_name = "DIR")]
    memo_dir: Option<std::path::PathBuf>,
    /// Size the memo folder may grow to; past it, the least recently used results go
    /// [default: 1G]
    #[arg(long, value_name = "SIZE", value_parser = parse_size)]
    memo_max_size: Option<usize>,
    /// Largest component file read [default: 256M]
    #[arg(long, value_name = "SIZE", value_parser = parse_size)]
    max_component_size: Option<usize>,
    #[command(flatten)]
    sandbox: SandboxArgs,
}

/// Each task's limits and capabilities. Sizes take a K, M or G suffix (powers of 1024).
#[derive(Debug, clap::Args)]
struct SandboxArgs {
    /// Interrupt a task that runs longer than this: seconds, or with a unit such as
    /// 500ms, 2s, 1m or 1h [default: 300s, 5 minutes]
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    timeout: Option<std::time::Duration>,
    /// Meter fuel and give each task this much (about one unit per wasm instruction)
    #[arg(long, value_name = "N")]
    fuel: Option<u64>,
    /// Linear memory each task may grow to [default: 2G]
    #[arg(long, value_name = "SIZE", value_parser = parse_size)]
    max_memory: Option<usize>,
    /// Table elements each task may grow to [default: 100000]
    #[arg(long, value_name = "N")]
    max_table_elements: Option<usize>,
    /// Instances each task may create [default: 64]
    #[arg(long, value_name = "N")]
    max_instances: Option<usize>,
    /// Wasm stack of each call [default: 512K]
    #[arg(long, value_name = "SIZE", value_parser = parse_size)]
    max_stack: Option<usize>,
    /// Size of each task's result [default: 256M]
    #[arg(long, value_name = "SIZE", value_parser = parse_size)]
    max_result: Option<usize>,
    /// Bytes of stdout and of stderr each task may write; writing more fails the
    /// task, and 0 forbids output [default: 1M]
    #[arg(long, value_name = "SIZE", value_parser = parse_size)]
    max_output: Option<usize>,
    /// Let tasks read a host folder, as HOST or `HOST::GUEST` (the path tasks see)
    #[arg(long, value_name = "DIR")]
    allow_read: Vec<String>,
    /// Seed the tasks' random numbers, for reproducible runs
    #[arg(long, value_name = "N")]
    random_seed: Option<u64>,
}

impl RuntimeArgs {
    /// The runtime these flags ask for: local, or a driver of the cluster at --nats.
    fn runtime(&self) -> anyhow::Result<wask::Runtime> {
        let config = self.config();
        Ok(match &self.nats {
            None => wask::Runtime::new(config)?,
            Some(url) => {
                let driver = wask_cluster::Driver::connect(wask_cluster::ClusterOptions::new(url))?;
                wask::Runtime::with_executor(config, driver)?
            }
        })
    }

    fn config(&self) -> wask::RuntimeConfig {
        let mut config = wask::RuntimeConfig::default();
        if let Some(n) = self.parallel {
            config.n_workers = n;
        }
        if self.no_cache {
            config.sandbox.cache_dir = None;
        } else if let Some(dir) = &self.cache_dir {
            config.sandbox.cache_dir = Some(dir.clone());
        }
        if let Some(bytes) = self.cache_max_size {
            config.sandbox.cache_max_bytes = bytes as u64;
        }
        if let Some(dir) = &self.memo_dir {
            config.memo_dir = Some(dir.clone());
        }
        if let Some(bytes) = self.memo_max_size {
            config.memo_max_bytes = bytes as u64;
        }
        if let Some(bytes) = self.max_component_size {
            config.sandbox.max_component_bytes = bytes as u64;
        }
        let s = &self.sandbox;
        let limits = &mut config.default_tenant.limits;
        if let Some(t) = s.timeout {
            limits.deadline = Some(t);
        }
        if let Some(fuel) = s.fuel {
            config.sandbox.fuel = true;
            limits.fuel = Some(fuel);
        }
        if let Some(bytes) = s.max_memory {
            limits.max_memory_bytes = bytes;
            config.sandbox.max_memory_bytes = config.sandbox.max_memory_bytes.max(bytes);
        }
        if let Some(n) = s.max_table_elements {
            limits.max_table_elements = n;
        }
        if let Some(n) = s.max_instances {
            limits.max_instances = n;
        }
        if let Some(bytes) = s.max_stack {
            config.sandbox.max_wasm_stack = bytes;
        }
        if let Some(bytes) = s.max_result {
            limits.max_result_bytes = bytes;
        }
        if let Some(bytes) = s.max_output {
            limits.max_stdout_bytes = bytes;
            limits.max_stderr_bytes = bytes;
        }
        let capabilities = &mut config.default_tenant.capabilities;
        for dir in &s.allow_read {
            let (host, guest) = dir.split_once("::").unwrap_or((dir, dir));
            capabilities
                .read_only_dirs
                .push((host.into(), guest.to_owned()));
        }
        capabilities.random_seed = s.random_seed;
        config
    }
}

/// A spinner on stderr with `message` and the time so far; drawn only on a terminal.
pub fn spinner(message: String) -> indicatif::ProgressBar {
    let spinner = indicatif::ProgressBar::new_spinner();
    spinner.set_style(
        indicatif::ProgressStyle::with_template("{spinner} {msg} [{elapsed}]")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_spinner()),
    );
    spinner.set_message(message);
    spinner.enable_steady_tick(std::time::Duration::from_millis(120));
    spinner
}

/// A size for people: `812 B`, `74.6 KB`, `18.3 MB` (powers of 1000, as `ls -h --si`).
pub fn human_size(bytes: u64) -> String {
    let bytes_f = bytes as f64;
    if bytes < 1000 {
        format!("{bytes} B")
    } else if bytes < 1_000_000 {
        format!("{:.1} KB", bytes_f / 1e3)
    } else if bytes < 1_000_000_000 {
        format!("{:.1} MB", bytes_f / 1e6)
    } else {
        format!("{:.1} GB", bytes_f / 1e9)
    }
}

/// A positive duration: seconds (`2`, `0.5`), or a number with a unit (`500ms`, `2s`,
/// `1m`, `1h`), read as the service reads one ([`wask_service::parse_duration`]).
fn parse_duration(s: &str) -> Result<std::time::Duration, String> {
    wask_service::parse_duration(s)
        .ok()
        .filter(|d| !d.is_zero())
        .ok_or_else(|| {
            format!("expected a positive duration such as 30, 500ms, 2s, 1m or 1h, got `{s}`")
        })
}

fn parse_size(s: &str) -> Result<usize, String> {
    let (digits, shift) = match s.trim().to_ascii_uppercase() {
        t if t.ends_with('K') => (t[..t.len() - 1].to_owned(), 10),
        t if t.ends_with('M') => (t[..t.len() - 1].to_owned(), 20),
        t if t.ends_with('G') => (t[..t.len() - 1].to_owned(), 30),
        t => (t, 0),
    };
    digits
        .parse::<usize>()
        .ok()
        .and_then(|n| n.checked_mul(1 << shift))
        .ok_or_else(|| format!("expected a size in bytes such as 65536, 64K, 16M or 2G, got `{s}`"))
}

fn parse_at_least_one(s: &str) -> Result<usize, String> {
    match s.parse::<usize>() {
        Ok(0) | Err(_) => Err(format!("expected a whole number of at least 1, got `{s}`")),
        Ok(n) => Ok(n),
    }
}
