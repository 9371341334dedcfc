//! The backend the `library` and `cli` suites run against: the local runtime, or, with
//! `WASK_TEST_BACKEND=cluster`, one cluster shared by the whole test process (a
//! `nats-server` and 2 `host worker` processes of 2 slots each).
//!
//! The suites reach their backend only through this module: [`runtime`] makes every
//! runtime a test uses, and [`run_host`] and [`check`] give every `host run` the
//! cluster's `--nats URL`. The shared cluster starts on first use and stops when the
//! test process exits; its processes also die with the test process if it is killed
//! (see [`crate::cluster`]). A test that checks something inherently local calls
//! [`skip_on_cluster`] with its reason, and still runs against the local backend.

use std::io::Write as _;
use std::process::Output;
use std::sync::{Mutex, OnceLock};

use crate::cluster::Cluster;

/// The environment variable that picks the backend: unset, empty or `local`, or
/// `cluster`.
pub const BACKEND_VAR: &str = "WASK_TEST_BACKEND";

/// Where the suites' tasks run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// A runtime's own worker threads, in the test process.
    Local,
    /// The shared cluster's worker processes, through NATS JetStream.
    Cluster,
}

/// The backend named by [`BACKEND_VAR`], read once per test process.
pub fn backend() -> Backend {
    static BACKEND: OnceLock<Backend> = OnceLock::new();
    *BACKEND.get_or_init(|| {
        let value = std::env::var(BACKEND_VAR).unwrap_or_default();
        match value.as_str() {
            "" | "local" => Backend::Local,
            "cluster" => Backend::Cluster,
            other => panic!("{BACKEND_VAR} is `{other}`; expected `local` or `cluster`"),
        }
    })
}

/// Under the cluster backend, prints that the calling test is skipped and why, and
/// answers true; the test then returns. Under the local backend it answers false.
pub fn skip_on_cluster(reason: &str) -> bool {
    if backend() != Backend::Cluster {
        return false;
    }
    let thread = std::thread::current();
    let test = thread.name().unwrap_or("this test");
    // Written to stderr itself, not through `eprintln!`, which the test harness
    // captures: a skip shows in every run.
    let _ = writeln!(
        std::io::stderr(),
        "skipped under the cluster backend: {test}: {reason}"
    );
    true
}

/// The shared cluster's slot: filled on first use, emptied (its processes stopped)
/// when the process exits.
static CLUSTER: Mutex<Option<Cluster>> = Mutex::new(None);

/// Worker processes of the shared cluster, and slots each.
const N_WORKERS: usize = 2;
const SLOTS: usize = 2;

/// The shared cluster's NATS URL, starting the cluster on first use.
pub fn cluster_url() -> String {
    static URL: OnceLock<String> = OnceLock::new();
    URL.get_or_init(|| {
        // The processes are started from a thread that lives as long as the test
        // process: a child's parent-death signal fires when the thread that spawned it
        // ends, and test threads end with their test.
        let (sender, receiver) = std::sync::mpsc::channel();
        std::thread::Builder::new()
            .name("wask-test-cluster".into())
            .spawn(move || {
                let cluster = Cluster::start("shared", N_WORKERS, SLOTS);
                let url = cluster.nats.url();
                *CLUSTER
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(cluster);
                // SAFETY: registers a plain extern "C" function with no preconditions.
                let registered = unsafe { libc::atexit(stop_cluster) };
                assert_eq!(registered, 0, "atexit refused the cluster's stop");
                sender.send(url).expect("the test waits for the cluster");
                loop {
                    std::thread::park();
                }
            })
            .expect("a thread to start the shared cluster");
        receiver
            .recv()
            .expect("the shared cluster starts (see the error above)")
    })
    .clone()
}

/// Stops the shared cluster's processes and removes its store, at process exit.
extern "C" fn stop_cluster() {
    let cluster = CLUSTER
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .take();
    drop(cluster);
}

/// A runtime on the test's backend: `wask::Runtime::new(config)` locally, or one whose
/// tasks run on the shared cluster (its `n_workers` then sizes only its local pool).
pub fn runtime(config: wask::RuntimeConfig) -> wask::Runtime {
    match backend() {
        Backend::Local => wask::Runtime::new(config).expect("the runtime starts"),
        Backend::Cluster => crate::cluster::runtime_at(&cluster_url(), config),
    }
}

/// `args` for `host`, with `--nats URL` after `run` under the cluster backend.
pub fn host_args(args: &[&str]) -> Vec<String> {
    let mut out: Vec<String> = args.iter().map(|a| (*a).to_owned()).collect();
    if backend() == Backend::Cluster && args.first() == Some(&"run") {
        out.insert(1, "--nats".into());
        out.insert(2, cluster_url());
    }
    out
}

/// [`crate::run_host`] on the test's backend.
pub fn run_host(args: &[&str], stdin: Option<&str>) -> Output {
    let args = host_args(args);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    crate::run_host(&args, stdin)
}

/// [`crate::check`] on the test's backend.
pub fn check(args: &[&str], stdin: Option<&str>, code: i32, stderr_has: &str) -> Output {
    let args = host_args(args);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    crate::check(&args, stdin, code, stderr_has)
}
