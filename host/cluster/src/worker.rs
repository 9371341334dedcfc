//! The worker: pulls tasks from its tenants' consumers, runs each in a fresh sandbox of
//! its own local runtime, writes the result and acknowledges the message.
//!
//! A worker pulls at most as many tasks as it has free slots: when idle it long-polls
//! for one task, and otherwise fetches what is queued now, up to its free slots.
//! Components arrive by SHA-256 from the component store, are hashed again on arrival
//! (the worker is the trust boundary), and go through the local compiled cache; two
//! tasks that miss the same component fetch it once. While a task runs its message
//! gets progress acks, so another worker takes it only if this one is lost. A result
//! is written create-only and then acknowledged; a redelivered task whose result exists
//! is only acknowledged. Nested tasks go back to the cluster through a driver of the
//! worker's own.

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use async_nats::jetstream::consumer::PullConsumer;
use async_nats::jetstream::{self, AckKind, kv};
use futures::StreamExt;
use sha2::Digest as _;
use tokio::sync::{OnceCell, Semaphore, broadcast};
use wask::{
    Capabilities, ObjectRef, Runtime, RuntimeConfig, TaskComponent, TaskOptions, Tenant,
    TenantConfig,
};
use wask_core::{TaskError, TaskOutput, Value};

use crate::driver::Driver;
use crate::message::{self, INLINE_MAX, ResultHeader, TaskHeader, VERSION};
use crate::setup::{self, Buckets};
use crate::{ClusterError, ClusterOptions, names};

/// How a worker runs.
#[derive(Debug, Clone)]
pub struct WorkerOptions {
    pub cluster: ClusterOptions,
    /// Tasks run at once: the local runtime's worker threads.
    pub slots: usize,
    /// Serve only these tenants (all when `None`).
    pub tenants: Option<Vec<String>>,
    /// The local runtime's settings (compiled cache, sandbox ceilings); its worker
    /// count is `slots`.
    pub runtime: RuntimeConfig,
    /// Folders tasks may be granted read access to; a task asking for another is
    /// refused.
    pub allow_read: Vec<PathBuf>,
    /// How long running tasks get to finish after a stop is asked for, before they
    /// are handed back to the queue.
    pub grace: Duration,
}

/// A worker's name in the cluster: its host and process.
fn worker_id() -> String {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map_or_else(|_| "host".to_owned(), |h| h.trim().to_owned());
    format!("{host}-{}", std::process::id())
}

/// Tasks a worker holds (running, or with a result on its way) per slot.
const INFLIGHT_PER_SLOT: usize = 4;
/// Places for nested tasks between pulled and acked: a count for a stopping worker to
/// wait on, far above any real tree of tasks, not a bound (see `Worker::nested_inflight`).
const NESTED_COUNT: u32 = 1 << 20;

/// A component being fetched and loaded once, for every task that asks for it.
type Loading = OnceCell<Result<TaskComponent, String>>;

/// What the worker's tasks share.
struct Worker {
    id: String,
    options: WorkerOptions,
    client: async_nats::Client,
    buckets: Buckets,
    runtime: Runtime,
    /// Sandbox slots: a task holds one while it runs.
    slots: Arc<Semaphore>,
    /// Tasks between pulled and acked: a task holds one of these from its pull until its
    /// result is written and acked, so a slot is free for the next task while the last
    /// one's result travels, and a stopping worker knows when every result is out.
    inflight: Arc<Semaphore>,
    /// Nested tasks between pulled and acked, counted but not bounded: a nested task
    /// whose parent holds a slot and an in-flight place must never wait for one, or a
    /// parent waiting on its children (or top-level tasks queued behind it for a slot)
    /// could keep them from ever starting.
    nested_inflight: Arc<Semaphore>,
    /// Set when the worker stops: a task cancelled because of that goes back to the
    /// queue instead of failing.
    stopping: std::sync::atomic::AtomicBool,
    /// Components by SHA-256 (hex), each fetched and loaded once.
    components: Mutex<HashMap<String, Arc<Loading>>>,
    /// Local tenants by id and capabilities.
    tenants: Mutex<HashMap<(String, String), Tenant>>,
    /// Running tasks by key, to cancel; and keys cancelled before they started.
    running: Mutex<HashMap<String, (Tenant, ObjectRef)>>,
    cancelled: Mutex<HashSet<String>>,
}

/// Runs a worker until `stop` resolves: then it stops pulling, lets running tasks
/// finish within the grace period, hands the rest back to the queue and returns.
pub async fn run_worker(
    options: WorkerOptions,
    stop: impl std::future::Future<Output = ()>,
) -> Result<(), ClusterError> {
    let id = worker_id();
    let (events, _) = broadcast::channel(16);
    let client = crate::connect(
        &options.cluster,
        &format!("wask-worker-{id}"),
        events.clone(),
    )
    .await?;
    let js = jetstream::new(client.clone());
    let buckets = Box::pin(setup::buckets(&js)).await?;
    let driver = Box::pin(Driver::connect_async(options.cluster.clone())).await?;
    let mut config = options.runtime.clone();
    config.n_workers = options.slots.max(1);
    let runtime = Runtime::with_executor(config, driver)?;
    let worker = Arc::new(Worker {
        id,
        slots: Arc::new(Semaphore::new(options.slots.max(1))),
        inflight: Arc::new(Semaphore::new(INFLIGHT_PER_SLOT * options.slots.max(1))),
        nested_inflight: Arc::new(Semaphore::new(NESTED_COUNT as usize)),
        stopping: std::sync::atomic::AtomicBool::new(false),
        options,
        client,
        buckets,
        runtime,
        components: Mutex::default(),
        tenants: Mutex::default(),
        running: Mutex::default(),
        cancelled: Mutex::default(),
    });
    tracing::info!(
        "worker {} serving with {} slots",
        worker.id,
        worker.options.slots
    );
    let (stopping, _) = broadcast::channel::<()>(1);
    let tasks = vec![
        tokio::spawn(tenants_loop(worker.clone(), stopping.subscribe())),
        tokio::spawn(cancel_loop(worker.clone(), events.subscribe())),
        tokio::spawn(heartbeat_loop(worker.clone())),
    ];
    stop.await;
    tracing::info!("worker {} stopping", worker.id);
    worker
        .stopping
        .store(true, std::sync::atomic::Ordering::SeqCst);
    let _ = stopping.send(());
    // Running tasks hold slots: all slots free means all finished.
    let all = u32::try_from(worker.options.slots.max(1)).unwrap_or(u32::MAX);
    let finished = tokio::time::timeout(worker.options.grace, worker.slots.acquire_many(all)).await;
    if finished.is_err() {
        let running: Vec<_> = worker.running_lock().drain().map(|(_, v)| v).collect();
        for (tenant, object) in running {
            let _ = tenant.cancel(&object);
        }
    }
    // Then every pulled task's result written and acked (or handed back).
    let all = u32::try_from(INFLIGHT_PER_SLOT * worker.options.slots.max(1)).unwrap_or(u32::MAX);
    let _ = tokio::time::timeout(worker.options.grace + Duration::from_secs(5), async {
        let _ = tokio::join!(
            worker.inflight.acquire_many(all),
            worker.nested_inflight.acquire_many(NESTED_COUNT),
        );
    })
    .await;
    for task in tasks {
        task.abort();
    }
    // Acks are only queued on the connection: flush them, or finished tasks come back.
    // Bounded: with the server gone, a flush waits for a reconnect that may never come,
    // and the tasks it would have acked are given to other workers anyway.
    let farewell = async {
        let _ = worker.buckets.workers.delete(&worker.id).await;
        let _ = worker.client.flush().await;
    };
    if tokio::time::timeout(Duration::from_secs(5), farewell)
        .await
        .is_err()
    {
        tracing::warn!("could not flush to the NATS server; unacked tasks go to other workers");
    }
    Ok(())
}

impl Worker {
    fn running_lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, (Tenant, ObjectRef)>> {
        self.running
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn serves(&self, tenant: &str) -> bool {
        self.options
            .tenants
            .as_ref()
            .is_none_or(|list| list.iter().any(|t| t == tenant))
    }
}

/// Watches the tenants registry and starts a pull loop for each new tenant's consumers.
async fn tenants_loop(worker: Arc<Worker>, stopping: broadcast::Receiver<()>) {
    let mut started: HashSet<String> = HashSet::new();
    loop {
        let Ok(mut watch) = worker.buckets.tenants.watch_with_history(">").await else {
            tokio::time::sleep(Duration::from_millis(500)).await;
            continue;
        };
        while let Some(entry) = watch.next().await {
            let Ok(entry) = entry else { break };
            let tenant = entry.key;
            if entry.operation != kv::Operation::Put
                || !worker.serves(&tenant)
                || !started.insert(tenant.clone())
            {
                continue;
            }
            for nested in [false, true] {
                let stream = worker.buckets.tasks.clone();
                let name = names::consumer_name(&tenant, nested);
                let (worker, stopping) = (worker.clone(), stopping.resubscribe());
                tokio::spawn(async move {
                    loop {
                        match stream
                            .get_consumer::<jetstream::consumer::pull::Config>(&name)
                            .await
                        {
                            Ok(consumer) => {
                                return pull_loop(worker, consumer, nested, stopping).await;
                            }
                            Err(_) => tokio::time::sleep(Duration::from_millis(500)).await,
                        }
                    }
                });
            }
        }
    }
}

/// Pulls one consumer's tasks, at most as many at a time as there are free slots.
///
/// Nested tasks take no slot: their parents wait for them without running (the local
/// runtime gives a waiting parent's thread to a stand-in), so holding slots for them
/// could leave a tree of tasks waiting on children that can never start.
async fn pull_loop(
    worker: Arc<Worker>,
    consumer: PullConsumer,
    nested: bool,
    mut stopping: broadcast::Receiver<()>,
) {
    let slots = worker.options.slots.max(1);
    loop {
        if !matches!(
            stopping.try_recv(),
            Err(broadcast::error::TryRecvError::Empty)
        ) {
            return;
        }
        let free = if nested {
            slots
        } else {
            worker.slots.available_permits()
        };
        if free == 0 {
            // Wait for a free slot before pulling anything.
            let permit = worker.slots.clone().acquire_owned().await;
            drop(permit);
            continue;
        }
        // What is queued now, up to the free slots.
        let got = match consumer.fetch().max_messages(free).messages().await {
            Ok(batch) => drain(&worker, batch, nested, PULL_PATIENCE).await,
            Err(e) => {
                // The server is away (restarting, say): the client reconnects itself.
                tracing::debug!("pull: {e}");
                tokio::time::sleep(Duration::from_millis(200)).await;
                continue;
            }
        };
        if got > 0 {
            continue;
        }
        // Nothing queued: wait for the next task, then go on.
        let next = tokio::select! {
            next = consumer.batch().max_messages(1).expires(LONG_POLL).messages() => next,
            _ = stopping.recv() => return,
        };
        if let Ok(batch) = next {
            drain(&worker, batch, nested, LONG_POLL + PULL_PATIENCE).await;
        }
    }
}

/// How long a worker long-polls for a task when none is queued.
const LONG_POLL: Duration = Duration::from_secs(2);
/// How long a pull's answer may take beyond its own expiry. A pull request sent as the
/// connection drops is never answered: without a bound, its stream would wait forever
/// and the loop with it. A message that arrives after it is given back after its ack
/// wait.
const PULL_PATIENCE: Duration = Duration::from_secs(3);

/// Dispatches a pull's messages as they come, for at most `limit`; how many came.
async fn drain(
    worker: &Arc<Worker>,
    mut batch: impl futures::Stream<Item = Result<jetstream::Message, impl std::fmt::Display>> + Unpin,
    nested: bool,
    limit: Duration,
) -> usize {
    let mut got = 0;
    let deadline = tokio::time::Instant::now() + limit;
    loop {
        match tokio::time::timeout_at(deadline, batch.next()).await {
            Ok(Some(Ok(msg))) => {
                got += 1;
                dispatch(worker, msg, nested).await;
            }
            Ok(Some(Err(e))) => {
                tracing::debug!("pull: {e}");
                return got;
            }
            Ok(None) => return got,
            Err(_) => {
                tracing::debug!("pull: no answer within {limit:?}; pulling again");
                return got;
            }
        }
    }
}

/// Runs a task on a slot of its own (waiting if another loop took the last one); a
/// nested task runs without one.
async fn dispatch(worker: &Arc<Worker>, msg: jetstream::Message, nested: bool) {
    let inflight = if nested {
        worker.nested_inflight.clone().try_acquire_owned()
    } else {
        worker
            .inflight
            .clone()
            .acquire_owned()
            .await
            .map_err(|_| tokio::sync::TryAcquireError::Closed)
    };
    let Ok(inflight) = inflight else {
        return;
    };
    let slot = if nested {
        None
    } else {
        match worker.slots.clone().acquire_owned().await {
            Ok(permit) => Some(permit),
            Err(_) => return,
        }
    };
    let worker = worker.clone();
    tokio::spawn(async move {
        handle(&worker, msg, slot).await;
        drop(inflight);
    });
}

/// The result entry for `key`, and what to ack: written create-only.
async fn write_result(
    worker: &Worker,
    key: &str,
    header: &ResultHeader,
    payload: &[&[u8]],
) -> Result<(), String> {
    let sealed = message::seal(b'R', header, payload);
    match worker.buckets.results.create(key, sealed.into()).await {
        Ok(_) => Ok(()),
        // Another worker finished it first: the first completion is the one seen.
        Err(e) if e.kind() == kv::CreateErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(e.to_string()),
    }
}

fn failure(worker: &Worker, attempts: u32, error: TaskError) -> ResultHeader {
    let now = message::unix_ns(SystemTime::now());
    ResultHeader {
        v: VERSION,
        worker: worker.id.clone(),
        slot: 0,
        attempts,
        started_ns: now,
        instantiated_ns: None,
        returned_ns: None,
        finished_ns: now,
        error: Some(error),
        value_object: None,
        stdout_len: 0,
        stderr_len: 0,
    }
}

/// Runs one task message to its result, then acks it.
async fn handle(
    worker: &Arc<Worker>,
    msg: jetstream::Message,
    slot: Option<tokio::sync::OwnedSemaphorePermit>,
) {
    let delivered = msg
        .info()
        .map_or(1, |i| u32::try_from(i.delivered).unwrap_or(u32::MAX));
    let (header, payload): (TaskHeader, &[u8]) = match message::open(b'T', &msg.payload) {
        Ok(read) => read,
        Err(e) => {
            // Not a task this build can read: nothing to answer, so it is dropped.
            tracing::warn!("dropping an unreadable task message: {e}");
            let _ = msg.ack_with(AckKind::Term).await;
            return;
        }
    };
    let key = header.key.clone();
    if delivered > 1 && matches!(worker.buckets.results.get(&key).await, Ok(Some(_))) {
        // It ran to its end before, and only the ack was lost.
        let _ = msg.ack().await;
        return;
    }
    if delivered > 1 + worker.options.cluster.lost_worker_retries {
        let lost = previous_worker(worker, &key).await;
        let error = TaskError::WorkerLost {
            worker: lost,
            attempts: delivered - 1,
        };
        if write_result(worker, &key, &failure(worker, delivered - 1, error), &[])
            .await
            .is_ok()
        {
            let _ = msg.ack().await;
        }
        return;
    }
    // Who runs it, for the error if this worker is lost (no reply awaited).
    let run_subject = format!("$KV.{}.{}", names::STATE_BUCKET, names::run_key(&key));
    let _ = worker
        .client
        .publish(run_subject, worker.id.clone().into())
        .await;
    let progress = tokio::spawn(progress_acks(msg.clone(), worker.options.cluster.ack_wait));
    let (result, payload) = run(worker, &header, payload, delivered).await;
    // The sandbox is done: the slot takes the next task while this result is written.
    drop(slot);
    let by_caller = worker
        .cancelled
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .remove(&key);
    if worker.stopping.load(std::sync::atomic::Ordering::SeqCst)
        && matches!(result.error, Some(TaskError::Cancelled))
        && !by_caller
    {
        // Cancelled by the worker's own stop, not by its caller: back to the queue.
        progress.abort();
        let _ = msg.ack_with(AckKind::Nak(None)).await;
        return;
    }
    progress.abort();
    let parts: Vec<&[u8]> = payload.iter().map(Vec::as_slice).collect();
    match write_result(worker, &key, &result, &parts).await {
        Ok(()) => {
            let _ = msg.ack().await;
        }
        Err(e) => {
            // Not acked: the task comes back after its ack wait.
            tracing::warn!("cannot write the result of {key}: {e}");
        }
    }
}

/// Signs of life while a task runs, so its message is not given to another worker.
async fn progress_acks(msg: jetstream::Message, ack_wait: Duration) {
    let every = (ack_wait / 3).max(Duration::from_millis(100));
    loop {
        tokio::time::sleep(every).await;
        let _ = msg.ack_with(AckKind::Progress).await;
    }
}

/// The worker that last ran a task, from its run entry.
async fn previous_worker(worker: &Worker, key: &str) -> String {
    match worker.buckets.state.get(names::run_key(key)).await {
        Ok(Some(bytes)) => String::from_utf8_lossy(&bytes).into_owned(),
        _ => "unknown".to_owned(),
    }
}

/// Runs a task and gives its result header and payload parts.
async fn run(
    worker: &Arc<Worker>,
    header: &TaskHeader,
    payload: &[u8],
    delivered: u32,
) -> (ResultHeader, Vec<Vec<u8>>) {
    let lost = delivered - 1;
    let prepared = prepare(worker, header, payload).await;
    let (tenant, component, args) = match prepared {
        Ok(prepared) => prepared,
        Err(error) => return (failure(worker, lost, error), Vec::new()),
    };
    if worker
        .cancelled
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .remove(&header.key)
    {
        return (failure(worker, lost, TaskError::Cancelled), Vec::new());
    }
    let options = TaskOptions {
        limits: Some(header.limits),
        timeout: None,
        max_retries: header.max_retries,
        priority: header.priority,
        memo: false,
    };
    let submitted = tenant
        .task(&component, &header.function)
        .args(args.into_iter().map(wask::Arg::Value))
        .options(options)
        .local()
        .submit();
    let object = match submitted {
        Ok(object) => object,
        Err(e) => {
            return (
                failure(worker, lost, TaskError::Cluster(e.to_string())),
                Vec::new(),
            );
        }
    };
    worker
        .running_lock()
        .insert(header.key.clone(), (tenant.clone(), object.clone()));
    // A cancel entry that came after the check above but before the task was listed
    // as running found nothing to interrupt; it is in `cancelled` now (the cancel loop
    // notes a key before it looks for the running task, so one of the two sees the
    // other).
    if worker
        .cancelled
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .contains(&header.key)
    {
        let _ = tenant.cancel(&object);
    }
    let outcome = object.output().await;
    worker.running_lock().remove(&header.key);
    let info = object.run_info();
    let now = SystemTime::now();
    let mut result = ResultHeader {
        v: VERSION,
        worker: worker.id.clone(),
        slot: info.as_ref().map_or(0, |i| i.worker_idx),
        attempts: object.attempts() + lost,
        started_ns: message::unix_ns(info.as_ref().map_or(now, |i| i.started)),
        instantiated_ns: info
            .as_ref()
            .and_then(|i| i.instantiated)
            .map(message::unix_ns),
        returned_ns: info.as_ref().and_then(|i| i.returned).map(message::unix_ns),
        finished_ns: message::unix_ns(info.as_ref().map_or(now, |i| i.finished)),
        error: None,
        value_object: None,
        stdout_len: 0,
        stderr_len: 0,
    };
    match outcome {
        Err(wask::GetError::Task { error, .. }) => {
            result.error = Some(error);
            (result, Vec::new())
        }
        Err(other) => {
            result.error = Some(TaskError::Cluster(other.to_string()));
            (result, Vec::new())
        }
        Ok(output) => match output_parts(worker, &header.key, &output).await {
            Ok((object, parts)) => {
                result.value_object = object;
                result.stdout_len = output.stdout.len();
                result.stderr_len = output.stderr.len();
                (result, parts)
            }
            Err(error) => {
                result.error = Some(error);
                (result, Vec::new())
            }
        },
    }
}

/// A result's payload: its value inline (or its object's name, the value stored), then
/// stdout and stderr.
async fn output_parts(
    worker: &Worker,
    key: &str,
    output: &TaskOutput,
) -> Result<(Option<String>, Vec<Vec<u8>>), TaskError> {
    let cluster = |e: &dyn std::fmt::Display| TaskError::Cluster(e.to_string());
    let value = message::encode("result value", &output.value).map_err(|e| cluster(&e))?;
    let mut parts = Vec::with_capacity(3);
    let mut object = None;
    if value.len() <= INLINE_MAX {
        parts.push(value);
    } else {
        let name = names::result_object(key);
        worker
            .buckets
            .values
            .put(name.as_str(), &mut &value[..])
            .await
            .map_err(|e| cluster(&format!("cannot store the result of {key}: {e}")))?;
        object = Some(name);
    }
    parts.push(output.stdout.clone());
    parts.push(output.stderr.clone());
    Ok((object, parts))
}

/// The tenant, component and arguments of a task, each checked here: the worker
/// trusts nothing it received.
async fn prepare(
    worker: &Arc<Worker>,
    header: &TaskHeader,
    payload: &[u8],
) -> Result<(Tenant, TaskComponent, Vec<Value>), TaskError> {
    let component = component(worker, &header.component, &header.component_name).await?;
    let args = match &header.args_object {
        None => message::decode_args(payload),
        Some(object) => {
            let bytes = fetch(&worker.buckets.values, object)
                .await
                .map_err(|e| TaskError::Cluster(format!("cannot fetch the arguments: {e}")))?;
            message::decode_args(&bytes)
        }
    }
    .map_err(|e| TaskError::Cluster(e.to_string()))?;
    let tenant = tenant(worker, header)?;
    Ok((tenant, component, args))
}

/// The local tenant for a task's tenant and capabilities, made on first use.
fn tenant(worker: &Worker, header: &TaskHeader) -> Result<Tenant, TaskError> {
    for (host, _) in &header.read_only_dirs {
        if !worker
            .options
            .allow_read
            .iter()
            .any(|a| host.starts_with(a))
        {
            return Err(TaskError::Cluster(format!(
                "worker {} does not allow tasks to read {}; start it with --allow-read for that folder",
                worker.id,
                host.display()
            )));
        }
    }
    let capabilities = Capabilities {
        read_only_dirs: header.read_only_dirs.clone(),
        random_seed: header.random_seed,
    };
    let key = (header.tenant.clone(), format!("{capabilities:?}"));
    let mut tenants = worker
        .tenants
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    if let Some(tenant) = tenants.get(&key) {
        return Ok(tenant.clone());
    }
    let local_id = format!("{}-{}", header.tenant, tenants.len());
    let tenant = worker
        .runtime
        .add_tenant(
            &local_id,
            TenantConfig {
                limits: header.limits,
                capabilities,
                ..TenantConfig::default()
            },
        )
        .map_err(|e| TaskError::Cluster(e.to_string()))?;
    tenants.insert(key, tenant.clone());
    Ok(tenant)
}

/// Reads a whole object.
async fn fetch(
    store: &jetstream::object_store::ObjectStore,
    name: &str,
) -> Result<Vec<u8>, String> {
    let mut reader = store.get(name).await.map_err(|e| e.to_string())?;
    let mut bytes = Vec::new();
    tokio::io::AsyncReadExt::read_to_end(&mut reader, &mut bytes)
        .await
        .map_err(|e| e.to_string())?;
    Ok(bytes)
}

/// A component by its SHA-256: fetched once (however many tasks ask at once), hashed
/// again to check it is what was asked for, and loaded through the compiled cache.
async fn component(
    worker: &Arc<Worker>,
    digest: &str,
    name: &str,
) -> Result<TaskComponent, TaskError> {
    let cell = worker
        .components
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .entry(digest.to_owned())
        .or_default()
        .clone();
    let loaded = cell
        .get_or_init(|| async {
            let bytes = fetch(&worker.buckets.components, digest)
                .await
                .map_err(|e| format!("cannot fetch component {name} (sha256:{digest}): {e}"))?;
            let actual = names::hex(&sha2::Sha256::digest(&bytes));
            if actual != digest {
                return Err(format!(
                    "component {name} arrived with SHA-256 {actual}, not the sha256:{digest} asked for"
                ));
            }
            let worker = worker.clone();
            let name = name.to_owned();
            tokio::task::spawn_blocking(move || worker.runtime.load_bytes(&name, &bytes))
                .await
                .map_err(|e| e.to_string())?
                .map_err(|e| format!("worker cannot load the component: {e}"))
        })
        .await;
    loaded
        .clone()
        .map_err(|e| TaskError::Cluster(format!("worker {}: {e}", worker.id)))
}

/// Interrupts running tasks whose cancel entry appears; remembers the ones not
/// started yet.
async fn cancel_loop(worker: Arc<Worker>, mut events: broadcast::Receiver<async_nats::Event>) {
    loop {
        let Ok(mut watch) = worker.buckets.state.watch(names::CANCEL_KEYS).await else {
            tokio::time::sleep(Duration::from_millis(500)).await;
            continue;
        };
        loop {
            tokio::select! {
                event = events.recv() => {
                    if matches!(event, Ok(async_nats::Event::Connected)) { break; }
                }
                entry = watch.next() => {
                    let Some(Ok(entry)) = entry else { break };
                    let Some(key) = entry.key.strip_prefix("cancel.") else { continue };
                    // Noted either way, and before looking for the running task
                    // (see `run`): a task not started yet is failed when it starts,
                    // and a running one's end is the caller's cancel.
                    worker.cancelled.lock().unwrap_or_else(std::sync::PoisonError::into_inner).insert(key.to_owned());
                    let running = worker.running_lock().get(key).cloned();
                    if let Some((tenant, object)) = running {
                        let _ = tenant.cancel(&object);
                    }
                }
            }
        }
    }
}

/// Renews this worker's entry in the workers bucket: its slots and what it holds.
async fn heartbeat_loop(worker: Arc<Worker>) {
    loop {
        let entry = serde_json::json!({
            "id": worker.id,
            "slots": worker.options.slots,
            "free": worker.slots.available_permits(),
            "components": worker.components.lock().unwrap_or_else(std::sync::PoisonError::into_inner).len(),
            "tenants": worker.options.tenants,
            "pid": std::process::id(),
        });
        let _ = worker
            .buckets
            .workers
            .put(&worker.id, entry.to_string().into())
            .await;
        tokio::time::sleep(setup::HEARTBEAT_TTL / 3).await;
    }
}
