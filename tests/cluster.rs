//! A real cluster for tests: a `nats-server` with JetStream on a free loopback port and
//! a temporary store, and `host worker` processes, all stopped when dropped and killed
//! by the kernel if the thread that started them ends without dropping them.

use std::net::TcpListener;
use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::host_bin;

/// Makes `command`'s process get SIGKILL when the thread that starts it ends (with its
/// process, when a test binary exits or is killed), so no server or worker outlives
/// the test that needed it.
fn die_with_parent(command: &mut Command) -> &mut Command {
    let parent = libc::pid_t::try_from(std::process::id()).expect("a pid fits pid_t");
    // SAFETY: the closure runs between fork and exec and only makes async-signal-safe
    // system calls.
    unsafe {
        command.pre_exec(move || {
            if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            // The parent may have died before the signal was asked for.
            if libc::getppid() != parent {
                libc::_exit(1);
            }
            Ok(())
        })
    }
}

/// A `nats-server` process of a test's own.
#[derive(Debug)]
pub struct Nats {
    pub port: u16,
    pub store: PathBuf,
    child: Option<Child>,
}

/// A port no one listens on now.
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free loopback port")
}

impl Nats {
    /// Starts a server with an empty store and waits until it answers.
    pub fn start(name: &str) -> Nats {
        let store = std::env::temp_dir().join(format!("wask-nats-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&store);
        std::fs::create_dir_all(&store).unwrap();
        let mut nats = Nats {
            port: free_port(),
            store,
            child: None,
        };
        nats.restart();
        nats
    }

    pub fn url(&self) -> String {
        format!("nats://127.0.0.1:{}", self.port)
    }

    /// (Re)starts the server on the same port and store.
    pub fn restart(&mut self) {
        let child = die_with_parent(&mut Command::new("nats-server"))
            .args(["-a", "127.0.0.1", "-p", &self.port.to_string(), "-js", "-sd"])
            .arg(&self.store)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect(
                "nats-server runs (it is installed by scripts/test-deps.sh: apt-get install nats-server)",
            );
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            assert!(Instant::now() < deadline, "nats-server did not start");
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Kills the server at once, as a crash would.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for Nats {
    fn drop(&mut self) {
        self.kill();
        let _ = std::fs::remove_dir_all(&self.store);
    }
}

/// A `host worker` process.
#[derive(Debug)]
pub struct Worker {
    child: Child,
}

impl Worker {
    /// Starts a worker of the cluster at `nats` with `slots` slots and extra flags.
    pub fn start(nats: &Nats, slots: usize, extra: &[&str]) -> Worker {
        let cache = nats.store.join(format!("cache-{}", free_port()));
        let child = die_with_parent(&mut Command::new(host_bin()))
            .args([
                "worker",
                "--nats",
                &nats.url(),
                "--slots",
                &slots.to_string(),
            ])
            .args(["--ack-wait", "2s", "--grace", "1s"])
            .arg("--cache-dir")
            .arg(cache)
            .args(extra)
            .env("WASK_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("host worker starts");
        Worker { child }
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Kills the worker with SIGKILL, as a crash would.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Stops the worker with SIGTERM and gives its exit code.
    pub fn terminate(mut self) -> Option<i32> {
        let pid = i32::try_from(self.child.id()).expect("a pid fits i32");
        // SAFETY: kill has no memory preconditions; the pid is our own child's.
        unsafe { libc::kill(pid, libc::SIGTERM) };
        self.child.wait().ok().and_then(|s| s.code())
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        self.kill();
    }
}

/// A cluster: a server and workers.
#[derive(Debug)]
pub struct Cluster {
    pub nats: Nats,
    pub workers: Vec<Worker>,
}

impl Cluster {
    /// A server and `n_workers` worker processes of `slots` slots each.
    pub fn start(name: &str, n_workers: usize, slots: usize) -> Cluster {
        let nats = Nats::start(name);
        let workers = (0..n_workers)
            .map(|_| Worker::start(&nats, slots, &[]))
            .collect();
        Cluster { nats, workers }
    }

    /// A runtime whose tasks run on this cluster.
    pub fn runtime(&self, config: wask::RuntimeConfig) -> wask::Runtime {
        runtime_at(&self.nats.url(), config)
    }
}

/// A runtime whose tasks run on the cluster at `url`, through a driver of its own.
pub fn runtime_at(url: &str, mut config: wask::RuntimeConfig) -> wask::Runtime {
    config.n_workers = 1;
    let mut options = wask_cluster::ClusterOptions::new(url);
    options.ack_wait = Duration::from_secs(2);
    let driver = wask_cluster::Driver::connect(options).expect("the driver connects");
    wask::Runtime::with_executor(config, driver as Arc<dyn wask::Executor>)
        .expect("the runtime starts")
}
