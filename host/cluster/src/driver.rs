//! The driver: a runtime's executor that hands its tasks to the cluster.
//!
//! Submitting publishes a task message on the tenant's subject (its component shipped
//! once before, by SHA-256) and keeps the task pending under its key; one watcher of
//! the results bucket, always polled and reopened with every key's latest entry after
//! any error or reconnect, resolves each pending task when its result appears.
//! Cancelling deletes a still-queued message from the stream, and writes a cancel entry
//! that the worker running the task watches.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_nats::jetstream;
use async_nats::jetstream::kv;
use futures::StreamExt;
use tokio::sync::{broadcast, mpsc};
use wask::{Executor, ObjectId, RemoteTask, RunInfo};
use wask_core::{TaskError, TaskOutput, TenantId};

use crate::message::{self, INLINE_MAX, ResultHeader, TaskHeader, VERSION};
use crate::setup::{self, Buckets, ConsumerSettings};
use crate::{ClusterError, ClusterOptions, names};

/// A task handed to the cluster and not yet resolved.
struct Pending {
    task: RemoteTask,
    /// Its message's sequence in the task stream, once published.
    seq: Option<u64>,
    /// Cancelled before its sequence was known: delete it when it is.
    cancel_when_published: bool,
}

/// What the driver's event loop is asked to do.
enum Command {
    Execute(Box<RemoteTask>),
    Cancel(u64),
}

/// State shared by the driver's tasks.
struct Shared {
    id: String,
    js: jetstream::Context,
    buckets: Buckets,
    options: ClusterOptions,
    pending: Mutex<HashMap<u64, Pending>>,
    /// Components known to be in the cluster's store, by SHA-256.
    shipped: tokio::sync::Mutex<HashSet<[u8; 32]>>,
    /// Tenants whose consumers exist.
    tenants: tokio::sync::Mutex<HashSet<String>>,
}

/// Hands a runtime's tasks to a NATS JetStream cluster; see the module docs.
pub struct Driver {
    shared: Arc<Shared>,
    commands: mpsc::UnboundedSender<Command>,
    /// The driver's own async runtime, when it made one (a CLI or library caller);
    /// none when it runs on a caller's (a worker's nested tasks).
    runtime: Mutex<Option<tokio::runtime::Runtime>>,
}

impl std::fmt::Debug for Driver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Driver")
            .field("id", &self.shared.id)
            .field("url", &self.shared.options.url)
            .finish_non_exhaustive()
    }
}

fn random_id() -> String {
    use std::hash::{BuildHasher, Hasher};
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u32(std::process::id());
    hasher.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos()),
    );
    format!("d{:016x}", hasher.finish())
}

impl Driver {
    /// Connects to the cluster on an async runtime of its own; for callers that are
    /// not async (the CLI, a library user).
    pub fn connect(options: ClusterOptions) -> Result<Arc<Driver>, ClusterError> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("wask-nats")
            .enable_all()
            .build()
            .map_err(ClusterError::Runtime)?;
        let driver = runtime.block_on(Self::connect_async(options))?;
        *driver
            .runtime
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(runtime);
        Ok(driver)
    }

    /// Connects on the caller's async runtime.
    pub async fn connect_async(options: ClusterOptions) -> Result<Arc<Driver>, ClusterError> {
        let id = random_id();
        let (events, _) = broadcast::channel(16);
        let client = crate::connect(&options, &format!("wask-driver-{id}"), events.clone()).await?;
        let js = jetstream::new(client.clone());
        let buckets = Box::pin(setup::buckets(&js)).await?;
        let shared = Arc::new(Shared {
            id,
            js,
            buckets,
            options,
            pending: Mutex::default(),
            shipped: tokio::sync::Mutex::default(),
            tenants: tokio::sync::Mutex::default(),
        });
        let (commands, receiver) = mpsc::unbounded_channel();
        // The watcher starts before anything is published, so no result is missed.
        let watcher = results_watcher(shared.clone(), events.subscribe()).await?;
        tokio::spawn(watcher);
        tokio::spawn(command_loop(shared.clone(), receiver));
        Ok(Arc::new(Driver {
            shared,
            commands,
            runtime: Mutex::new(None),
        }))
    }

    /// The driver's id: the prefix of its tasks' keys.
    pub fn id(&self) -> &str {
        &self.shared.id
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        // Unresolved tasks resolve as shut down when their pending entries go.
        self.shared
            .pending
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clear();
        let runtime = self
            .runtime
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .take();
        if let Some(runtime) = runtime {
            // Nobody will read what is still queued: take it off the queue.
            let shared = self.shared.clone();
            let purged = runtime.block_on(async move {
                tokio::time::timeout(Duration::from_secs(2), shared.purge_queued()).await
            });
            if !matches!(purged, Ok(Ok(()))) {
                tracing::warn!("could not take this driver's queued tasks off the queue");
            }
            runtime.shutdown_background();
        }
    }
}

impl Shared {
    /// Removes this driver's tasks that no worker took yet.
    async fn purge_queued(&self) -> Result<(), String> {
        self.buckets
            .tasks
            .purge()
            .filter(names::driver_subjects(&self.id))
            .await
            .map(|_| ())
            .map_err(|e| e.to_string())
    }
}

impl Executor for Driver {
    fn execute(&self, task: RemoteTask) {
        // A send fails only when the event loop is gone: the task then resolves as
        // shut down when it is dropped here.
        let _ = self.commands.send(Command::Execute(Box::new(task)));
    }

    fn cancel(&self, _tenant: &TenantId, id: ObjectId) {
        let _ = self.commands.send(Command::Cancel(id.as_u64()));
    }
}

/// Publishes tasks in the order they come, and cancels.
async fn command_loop(shared: Arc<Shared>, mut commands: mpsc::UnboundedReceiver<Command>) {
    let mut acks = futures::stream::FuturesOrdered::new();
    loop {
        tokio::select! {
            command = commands.recv() => match command {
                None => break,
                Some(Command::Execute(task)) => {
                    if let Some(ack) = publish(&shared, *task).await {
                        acks.push_back(ack);
                    }
                }
                Some(Command::Cancel(index)) => cancel(&shared, index).await,
            },
            Some((index, seq)) = acks.next(), if !acks.is_empty() => {
                published(&shared, index, seq).await;
            }
        }
        // Stay below the context's cap on unanswered publishes.
        while acks.len() >= 4000 {
            if let Some((index, seq)) = acks.next().await {
                published(&shared, index, seq).await;
            }
        }
    }
}

type PublishAck = std::pin::Pin<Box<dyn std::future::Future<Output = (u64, Option<u64>)> + Send>>;

/// Ships the task's component and its tenant's consumers if needed, then publishes
/// it; gives a future of its sequence in the stream.
async fn publish(shared: &Arc<Shared>, task: RemoteTask) -> Option<PublishAck> {
    let index = task.id.as_u64();
    let key = names::task_key(&shared.id, index);
    if let Err(e) = prepare(shared, &task).await {
        task.resolve(Err(TaskError::Cluster(e.to_string())), 0, None);
        return None;
    }
    let envelope = match envelope(shared, &task, &key).await {
        Ok(envelope) => envelope,
        Err(e) => {
            task.resolve(Err(TaskError::Cluster(e.to_string())), 0, None);
            return None;
        }
    };
    let subject = names::task_subject(task.tenant.as_str(), task.nested, &shared.id);
    shared.pending_lock().insert(
        index,
        Pending {
            task,
            seq: None,
            cancel_when_published: false,
        },
    );
    let payload = bytes::Bytes::from(envelope);
    match shared
        .js
        .publish_with_headers(subject.clone(), msg_id(&key), payload.clone())
        .await
    {
        Ok(ack) => {
            let js = shared.js.clone();
            Some(Box::pin(async move {
                let seq = confirm(&js, ack, &subject, &key, payload).await;
                (index, seq)
            }))
        }
        Err(e) => {
            if let Some(p) = shared.pending_lock().remove(&index) {
                let error = format!("cannot queue the task in the cluster: {e}");
                p.task.resolve(Err(TaskError::Cluster(error)), 0, None);
            }
            None
        }
    }
}

/// Times a task is published again when its acknowledgement is lost.
const PUBLISH_TRIES: u32 = 20;

/// The header that lets JetStream drop a second copy of a task published again.
fn msg_id(key: &str) -> async_nats::HeaderMap {
    let mut headers = async_nats::HeaderMap::new();
    headers.insert("Nats-Msg-Id", key);
    headers
}

/// Waits for a publish's acknowledgement and gives the task's sequence. An ack lost
/// while the server restarts says nothing of whether the task was stored, so the task
/// is published again under the same message id, which JetStream deduplicates: stored
/// once either way. `None` only when every try failed.
async fn confirm(
    js: &jetstream::Context,
    first: jetstream::context::PublishAckFuture,
    subject: &str,
    key: &str,
    payload: bytes::Bytes,
) -> Option<u64> {
    let mut ack = Some(first);
    for attempt in 0..PUBLISH_TRIES {
        if let Some(pending) = ack.take() {
            match pending.await {
                Ok(ack) => return Some(ack.sequence),
                Err(e) => tracing::debug!("publish of {key} not confirmed: {e}; again"),
            }
        }
        tokio::time::sleep(Duration::from_millis(100 * u64::from(attempt + 1))).await;
        ack = js
            .publish_with_headers(subject.to_owned(), msg_id(key), payload.clone())
            .await
            .ok();
    }
    None
}

/// Notes a published task's sequence; deletes it at once if it was cancelled meanwhile.
async fn published(shared: &Arc<Shared>, index: u64, seq: Option<u64>) {
    let Some(seq) = seq else {
        if let Some(p) = shared.pending_lock().remove(&index) {
            let error = "the cluster did not confirm it queued the task".to_owned();
            p.task.resolve(Err(TaskError::Cluster(error)), 0, None);
        }
        return;
    };
    let cancel = {
        let mut pending = shared.pending_lock();
        match pending.get_mut(&index) {
            Some(p) => {
                p.seq = Some(seq);
                p.cancel_when_published
            }
            None => false,
        }
    };
    if cancel {
        cancel_queued(shared, index, seq).await;
    }
}

impl Shared {
    fn pending_lock(&self) -> std::sync::MutexGuard<'_, HashMap<u64, Pending>> {
        self.pending
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// Makes sure the cluster has the task's component and its tenant's consumers.
async fn prepare(shared: &Arc<Shared>, task: &RemoteTask) -> Result<(), ClusterError> {
    let digest = task.component.digest();
    {
        let mut shipped = shared.shipped.lock().await;
        if !shipped.contains(&digest) {
            let name = names::component_object(&digest);
            if shared.buckets.components.info(&name).await.is_err() {
                let bytes = task.component.bytes().clone();
                shared
                    .buckets
                    .components
                    .put(name.as_str(), &mut &bytes[..])
                    .await
                    .map_err(|e| ClusterError::Nats {
                        what: format!("the component {}", task.component.name()),
                        message: e.to_string(),
                    })?;
            }
            shipped.insert(digest);
        }
    }
    let tenant = task.tenant.as_str();
    let mut tenants = shared.tenants.lock().await;
    if !tenants.contains(tenant) {
        let settings = ConsumerSettings {
            max_concurrency: i64::try_from(task.max_concurrency).unwrap_or(-1),
            ack_wait: shared.options.ack_wait,
        };
        for nested in [false, true] {
            setup::consumer(&shared.buckets.tasks, tenant, nested, settings).await?;
        }
        let entry = serde_json::json!({ "max_concurrency": settings.max_concurrency });
        shared
            .buckets
            .tenants
            .put(tenant, entry.to_string().into())
            .await
            .map_err(|e| ClusterError::Nats {
                what: format!("the tenant {tenant}"),
                message: e.to_string(),
            })?;
        tenants.insert(tenant.to_owned());
    }
    Ok(())
}

/// The task's message: its header, and its arguments inline or in the value store.
async fn envelope(
    shared: &Arc<Shared>,
    task: &RemoteTask,
    key: &str,
) -> Result<Vec<u8>, ClusterError> {
    let args = message::encode_args(&task.args)?;
    let mut header = TaskHeader {
        v: VERSION,
        key: key.to_owned(),
        tenant: task.tenant.as_str().to_owned(),
        component: names::hex(&task.component.digest()),
        component_name: task.component.name().to_owned(),
        function: task.function_name().to_owned(),
        limits: task.limits,
        read_only_dirs: task.capabilities.read_only_dirs.clone(),
        random_seed: task.capabilities.random_seed,
        max_retries: task.max_retries,
        priority: task.priority,
        nested: task.nested,
        args_object: None,
    };
    if args.len() <= INLINE_MAX {
        return Ok(message::seal(b'T', &header, &[&args]));
    }
    let object = names::args_object(key);
    shared
        .buckets
        .values
        .put(object.as_str(), &mut &args[..])
        .await
        .map_err(|e| ClusterError::Nats {
            what: "the task's arguments".into(),
            message: e.to_string(),
        })?;
    header.args_object = Some(object);
    Ok(message::seal(b'T', &header, &[]))
}

/// Cancels a task: a queued one is deleted from the stream and resolved as cancelled
/// here; a running one is asked to stop through its cancel entry.
async fn cancel(shared: &Arc<Shared>, index: u64) {
    let seq = {
        let mut pending = shared.pending_lock();
        let Some(p) = pending.get_mut(&index) else {
            return;
        };
        if p.seq.is_none() {
            p.cancel_when_published = true;
        }
        p.seq
    };
    if let Some(seq) = seq {
        cancel_queued(shared, index, seq).await;
    }
    let key = names::cancel_key(&names::task_key(&shared.id, index));
    let _ = shared.buckets.state.put(key, "1".into()).await;
}

async fn cancel_queued(shared: &Arc<Shared>, index: u64, seq: u64) {
    // A message a worker took already may still be deleted; that worker then sees
    // the cancel entry, and its result finds no pending task here.
    if let Ok(true) = shared.buckets.tasks.delete_message(seq).await
        && let Some(p) = shared.pending_lock().remove(&index)
    {
        p.task.resolve(Err(TaskError::Cancelled), 0, None);
    }
}

/// The always-polled watcher of this driver's results: it reopens from the last
/// revision it saw after any error, end or reconnect.
async fn results_watcher(
    shared: Arc<Shared>,
    mut events: broadcast::Receiver<async_nats::Event>,
) -> Result<impl std::future::Future<Output = ()>, ClusterError> {
    let filter = format!("{}.>", shared.id);
    let first = shared
        .buckets
        .results
        .watch(&filter)
        .await
        .map_err(|e| ClusterError::Nats {
            what: "the results watcher".into(),
            message: e.to_string(),
        })?;
    Ok(async move {
        let mut watch = Some(first);
        loop {
            let mut current = match watch.take() {
                Some(w) => w,
                // Reopened with every key's latest entry, not from the last revision
                // seen: a server killed before it flushed can come back with fewer
                // entries and reuse their revisions for new results. Entries already
                // delivered find no pending task and are skipped.
                None => match shared.buckets.results.watch_with_history(&filter).await {
                    Ok(w) => w,
                    Err(e) => {
                        tracing::debug!("reopening the results watcher: {e}");
                        tokio::time::sleep(Duration::from_millis(250)).await;
                        continue;
                    }
                },
            };
            loop {
                tokio::select! {
                    event = events.recv() => {
                        if matches!(event, Ok(async_nats::Event::Connected)) {
                            break;
                        }
                    }
                    entry = current.next() => match entry {
                        Some(Ok(entry)) => {
                            if entry.operation == kv::Operation::Put {
                                let shared = shared.clone();
                                tokio::spawn(async move { deliver(&shared, entry).await });
                            }
                        }
                        Some(Err(e)) => {
                            tracing::debug!("results watcher: {e}");
                            break;
                        }
                        None => break,
                    }
                }
            }
        }
    })
}

/// Resolves the pending task a result entry belongs to.
async fn deliver(shared: &Arc<Shared>, entry: kv::Entry) {
    let Some(index) = entry
        .key
        .rsplit('.')
        .next()
        .and_then(|i| i.parse::<u64>().ok())
    else {
        return;
    };
    let Some(pending) = shared.pending_lock().remove(&index) else {
        // Cancelled here already, or a result this driver resolved before a reconnect.
        return;
    };
    match read_result(shared, &entry.key, &entry.value).await {
        Ok((outcome, attempts, info)) => pending.task.resolve(outcome, attempts, Some(&info)),
        Err(e) => pending
            .task
            .resolve(Err(TaskError::Cluster(e.to_string())), 0, None),
    }
}

type ReadResult = (Result<TaskOutput, TaskError>, u32, RunInfo);

/// A result entry's outcome, attempts and run info, its value fetched if it is large.
async fn read_result(
    shared: &Arc<Shared>,
    key: &str,
    bytes: &[u8],
) -> Result<ReadResult, ClusterError> {
    let (header, payload): (ResultHeader, &[u8]) = message::open(b'R', bytes)?;
    let info = RunInfo {
        host: Some(header.worker.as_str().into()),
        worker_idx: header.slot,
        started: message::from_unix_ns(header.started_ns),
        instantiated: header.instantiated_ns.map(message::from_unix_ns),
        returned: header.returned_ns.map(message::from_unix_ns),
        finished: message::from_unix_ns(header.finished_ns),
        memo_hit: false,
    };
    if let Some(error) = header.error {
        return Ok((Err(error), header.attempts, info));
    }
    let output_len = header.stdout_len + header.stderr_len;
    let bad = |problem: &str| ClusterError::Message {
        what: "result".into(),
        problem: problem.to_owned(),
    };
    let value_len = payload
        .len()
        .checked_sub(output_len)
        .ok_or_else(|| bad("its output is cut short"))?;
    let (value_bytes, output) = payload.split_at(value_len);
    let value = match &header.value_object {
        None => message::decode("result value", value_bytes)?,
        Some(object) => {
            let mut reader =
                shared
                    .buckets
                    .values
                    .get(object)
                    .await
                    .map_err(|e| ClusterError::Nats {
                        what: format!("the result of {key}"),
                        message: e.to_string(),
                    })?;
            let mut bytes = Vec::new();
            tokio::io::AsyncReadExt::read_to_end(&mut reader, &mut bytes)
                .await
                .map_err(|e| ClusterError::Nats {
                    what: format!("the result of {key}"),
                    message: e.to_string(),
                })?;
            let _ = shared.buckets.values.delete(object).await;
            message::decode("result value", &bytes)?
        }
    };
    let (stdout, stderr) = output.split_at(header.stdout_len);
    Ok((
        Ok(TaskOutput {
            value,
            stdout: stdout.to_vec(),
            stderr: stderr.to_vec(),
        }),
        header.attempts,
        info,
    ))
}
