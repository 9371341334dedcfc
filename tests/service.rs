//! Helpers of the service tests: a tenants file with two tenants and an admin, the
//! service run in-process (the `wask-service` library on a real socket) or as
//! `host serve` (the binary), and plain HTTP requests with any method, header and
//! body.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use serde_json::Value as Json;
use wask_service::{HttpConfig, Service, ServiceConfig, TenantsFile, TokenHash};

/// The tokens of the test tenants file.
pub const ADMIN: &str = "wask_test_admin_0000000000000000000000000000000000000000000000";
pub const ALICE: &str = "wask_test_alice_1111111111111111111111111111111111111111111111";
pub const BOB: &str = "wask_test_bob_222222222222222222222222222222222222222222222222";

/// A tenants file with the admin, `alice` and `bob`; `alice` and `bob` are lines
/// added to each tenant's table (write `[tenants.alice.limits]` lines after them).
pub fn tenants_toml(alice: &str, bob: &str) -> String {
    format!(
        "# Test tenants.\nadmin-token = \"{}\"\n\n[tenants.alice]\ntoken = \"{}\"\n{alice}\n\n[tenants.bob]\ntoken = \"{}\"\n{bob}\n",
        TokenHash::of(ADMIN),
        TokenHash::of(ALICE),
        TokenHash::of(BOB),
    )
}

/// An answer: status, headers (names lowercase) and body.
#[derive(Debug, Clone)]
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Reply {
    /// The body as JSON (panics, naming the body, if it is not).
    pub fn json(&self) -> Json {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| {
            panic!(
                "status {}: body is not JSON ({e}): {}",
                self.status,
                self.text()
            )
        })
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The error code of an error answer.
    pub fn code(&self) -> String {
        self.json()["error"]["code"]
            .as_str()
            .unwrap_or_else(|| panic!("not an error answer: {}", self.text()))
            .to_owned()
    }

    /// The error message of an error answer.
    pub fn message(&self) -> String {
        self.json()["error"]["message"]
            .as_str()
            .unwrap_or_else(|| panic!("not an error answer: {}", self.text()))
            .to_owned()
    }
}

/// One request: `token` goes as a bearer token, `body` as (content type, bytes).
pub fn http(method: &str, url: &str, token: Option<&str>, body: Option<(&str, &[u8])>) -> Reply {
    http_with(
        method,
        url,
        token.map(|t| format!("Bearer {t}")).as_deref(),
        body,
    )
}

/// One request with `authorization` as the whole Authorization header.
pub fn http_with(
    method: &str,
    url: &str,
    authorization: Option<&str>,
    body: Option<(&str, &[u8])>,
) -> Reply {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_mins(2)))
        .build()
        .into();
    let mut request = ureq::http::Request::builder().method(method).uri(url);
    if let Some(value) = authorization {
        request = request.header("authorization", value);
    }
    if let Some((content_type, _)) = body {
        request = request.header("content-type", content_type);
    }
    let request = request
        .body(body.map(|(_, b)| b.to_vec()).unwrap_or_default())
        .unwrap();
    let mut response = agent
        .run(request)
        .unwrap_or_else(|e| panic!("{method} {url}: {e}"));
    let headers = response
        .headers()
        .iter()
        .map(|(n, v)| (n.as_str().to_owned(), v.to_str().unwrap_or("").to_owned()))
        .collect();
    let status = response.status().as_u16();
    let body = response
        .body_mut()
        .with_config()
        .limit(1 << 30)
        .read_to_vec()
        .unwrap();
    Reply {
        status,
        headers,
        body,
    }
}

/// A JSON body.
pub fn json_body(value: &Json) -> Vec<u8> {
    value.to_string().into_bytes()
}

/// A service reached at `url`, with the calls the tests make of it.
pub trait Server {
    fn url(&self) -> &str;

    fn get(&self, path: &str, token: &str) -> Reply {
        http("GET", &format!("{}{path}", self.url()), Some(token), None)
    }

    fn post(&self, path: &str, token: &str, body: &Json) -> Reply {
        http(
            "POST",
            &format!("{}{path}", self.url()),
            Some(token),
            Some(("application/json", &json_body(body))),
        )
    }

    fn delete(&self, path: &str, token: &str) -> Reply {
        http(
            "DELETE",
            &format!("{}{path}", self.url()),
            Some(token),
            None,
        )
    }

    /// Uploads a guest component for `token`'s tenant; gives its content id.
    fn upload(&self, token: &str, guest: &str) -> String {
        let bytes = std::fs::read(guest).unwrap();
        let reply = http(
            "POST",
            &format!("{}/v1/components", self.url()),
            Some(token),
            Some(("application/wasm", &bytes)),
        );
        assert!(
            reply.status == 200 || reply.status == 201,
            "upload of {guest}: {} {}",
            reply.status,
            reply.text()
        );
        reply.json()["id"].as_str().unwrap().to_owned()
    }

    /// Submits one task (a JSON request body); gives its id.
    fn submit(&self, token: &str, task: &Json) -> String {
        let reply = self.post("/v1/tasks", token, task);
        assert_eq!(reply.status, 201, "submit {task}: {}", reply.text());
        reply.json()["id"].as_str().unwrap().to_owned()
    }

    /// The task once it has finished (long polls).
    fn finished(&self, token: &str, id: &str) -> Json {
        let deadline = Instant::now() + Duration::from_mins(2);
        loop {
            let reply = self.get(&format!("/v1/tasks/{id}?wait=10s"), token);
            assert_eq!(reply.status, 200, "task {id}: {}", reply.text());
            let task = reply.json();
            if !matches!(task["state"].as_str(), Some("queued" | "running")) {
                return task;
            }
            assert!(
                Instant::now() < deadline,
                "task {id} never finished: {task}"
            );
        }
    }

    /// Waits until `GET /v1/tasks?{query}` lists `n` tasks (polls it).
    fn listed(&self, token: &str, query: &str, n: usize) {
        let deadline = Instant::now() + Duration::from_mins(1);
        loop {
            let list = self.get(&format!("/v1/tasks?{query}"), token).json();
            let found = list["tasks"].as_array().map_or(0, Vec::len);
            if found >= n {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "`{query}` never listed {n} tasks: {list}"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Waits until the task is running (polls its state).
    fn running(&self, token: &str, id: &str) {
        let deadline = Instant::now() + Duration::from_mins(1);
        loop {
            let task = self.get(&format!("/v1/tasks/{id}"), token).json();
            if task["state"] == "running" {
                return;
            }
            assert!(
                Instant::now() < deadline && task["state"] == "queued",
                "task {id} never started: {task}"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

/// The service run in-process on a socket, stopped (at once) when dropped.
#[derive(Debug)]
pub struct InProcess {
    pub url: String,
    pub service: Service,
    stop: tokio::sync::watch::Sender<u32>,
    thread: Option<JoinHandle<()>>,
}

impl Server for InProcess {
    fn url(&self) -> &str {
        &self.url
    }
}

impl InProcess {
    /// Serves `tenants` (a tenants file's text) with 2 workers and test settings.
    pub fn start(tenants: &str) -> InProcess {
        Self::start_with(tenants, |_| {})
    }

    /// As [`InProcess::start`], after `configure` changed the settings.
    pub fn start_with(tenants: &str, configure: impl FnOnce(&mut ServiceConfig)) -> InProcess {
        let file = TenantsFile::parse(Path::new("tenants.toml"), tenants).unwrap();
        let mut config = ServiceConfig {
            http: HttpConfig {
                grace: Duration::from_secs(5),
                ..HttpConfig::default()
            },
            ..ServiceConfig::default()
        };
        config.runtime.n_workers = 2;
        configure(&mut config);
        let service = Service::new(config, &file).unwrap();
        let (stop, stopped) = tokio::sync::watch::channel(0u32);
        let (addr_tx, addr_rx) = std::sync::mpsc::channel();
        let serving = service.clone();
        let thread = std::thread::spawn(move || {
            let io = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .unwrap();
            io.block_on(async move {
                let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
                addr_tx.send(listener.local_addr().unwrap()).unwrap();
                serving.serve(listener, stopped).await;
            });
        });
        let addr = addr_rx.recv().unwrap();
        InProcess {
            url: format!("http://{addr}"),
            service,
            stop,
            thread: Some(thread),
        }
    }

    /// Stops as SIGTERM would (with the grace period), and waits until it has.
    pub fn stop(mut self) {
        self.stop.send_modify(|n| *n += 1);
        if let Some(thread) = self.thread.take() {
            thread.join().unwrap();
        }
    }
}

impl Drop for InProcess {
    fn drop(&mut self) {
        self.stop.send_modify(|n| *n += 2);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// `host serve` run as a process, killed if still running when dropped.
#[derive(Debug)]
pub struct Served {
    pub url: String,
    pub tenants_path: PathBuf,
    child: Child,
    stderr: Arc<Mutex<Vec<String>>>,
}

impl Server for Served {
    fn url(&self) -> &str {
        &self.url
    }
}

impl Served {
    /// Writes `tenants` to a file of its own (`name` tells tests apart) and starts
    /// `host serve` on a free port with `args` added.
    pub fn start(name: &str, tenants: &str, args: &[&str]) -> Served {
        let dir = std::env::temp_dir().join(format!("wask-serve-{name}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let tenants_path = dir.join("tenants.toml");
        std::fs::write(&tenants_path, tenants).unwrap();
        let mut child = Command::new(crate::host_bin())
            .args(["serve", "--listen", "127.0.0.1:0", "--tenants"])
            .arg(&tenants_path)
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let stderr = Arc::new(Mutex::new(Vec::new()));
        let lines = stderr.clone();
        let pipe = child.stderr.take().unwrap();
        let (addr_tx, addr_rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(pipe).lines() {
                let Ok(line) = line else { break };
                if let Some((_, url)) = line.split_once(" tenants on ") {
                    let _ = addr_tx.send(url.to_owned());
                }
                lines.lock().unwrap().push(line);
            }
        });
        let Ok(url) = addr_rx.recv_timeout(Duration::from_mins(2)) else {
            let _ = child.kill();
            panic!(
                "host serve did not start:\n{}",
                stderr.lock().unwrap().join("\n")
            );
        };
        Served {
            url,
            tenants_path,
            child,
            stderr,
        }
    }

    /// Sends the process a signal.
    pub fn signal(&self, signal: i32) {
        let pid = i32::try_from(self.child.id()).unwrap();
        // SAFETY: kill(2) with our own child's pid and a signal number.
        let rc = unsafe { libc::kill(pid, signal) };
        assert_eq!(rc, 0, "kill({pid}, {signal})");
    }

    /// Waits for the process to exit (at most `timeout`).
    pub fn wait(&mut self, timeout: Duration) -> Option<ExitStatus> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return Some(status);
            }
            if Instant::now() > deadline {
                return None;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// What the process wrote to stderr so far.
    pub fn stderr(&self) -> String {
        self.stderr.lock().unwrap().join("\n")
    }

    /// Waits until stderr has a line containing `text` (at most a minute).
    pub fn wait_for_log(&self, text: &str) {
        let deadline = Instant::now() + Duration::from_mins(1);
        while !self.stderr().contains(text) {
            assert!(
                Instant::now() < deadline,
                "host serve never logged {text:?}:\n{}",
                self.stderr()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        if self.child.try_wait().ok().flatten().is_none() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// The Chromium to test the dashboard with: `chromium` on the PATH
/// (`scripts/test-deps.sh` installs Debian's).
pub fn chromium() -> PathBuf {
    for dir in std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default()) {
        for name in ["chromium", "chromium-browser"] {
            let path = dir.join(name);
            if path.is_file() {
                return path;
            }
        }
    }
    panic!(
        "no chromium on the PATH: run `bash scripts/test-deps.sh` (it installs Debian's chromium)"
    )
}

/// The DOM of `url` after its scripts ran for a while, from headless Chromium.
pub fn dump_dom(url: &str) -> String {
    static RUNS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let run = RUNS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let profile = std::env::temp_dir().join(format!("wask-chromium-{}-{run}", std::process::id()));
    let out = Command::new(chromium())
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--virtual-time-budget=3000",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg("--dump-dom")
        .arg(url)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let _ = std::fs::remove_dir_all(&profile);
    assert!(
        out.status.success(),
        "chromium failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}
