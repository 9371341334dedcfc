//! The tracker: the runtime's task observer, which follows every task of the
//! service's tenants from submission to its end.
//!
//! It keeps what the runtime does not: which tasks are queued and which running, on
//! which worker slot, the latencies and counts behind `/metrics`, each tenant's tasks
//! per second over the last minutes, the spans of recent tasks for the dashboard's
//! timeline, and the stream of task events behind `GET /v1/events`. Its methods run on
//! the runtime's threads, so each takes a few short locks and never blocks.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, RwLock};
use std::time::{Instant, SystemTime};

use tokio::sync::broadcast;
use wask::{RunInfo, TaskEvent, TaskObserver};
use wask_core::{ObjectId, TaskError, TenantId};

use crate::metrics::TaskMetrics;
use crate::registry::TaskTable;

/// Shards of the map of live tasks, so worker threads rarely wait for each other.
const SHARDS: usize = 16;
/// Spans of finished tasks kept for the dashboard's timeline.
const MAX_SPANS: usize = 4096;
/// Seconds of per-tenant history kept for the dashboard's charts.
pub const HISTORY_SECONDS: usize = 600;
/// Events a slow reader of the event stream may fall behind by before it skips some.
const EVENT_BUFFER: usize = 4096;

/// Locks a mutex, taking its value even if a thread panicked while holding it (the
/// tracker's data stays consistent at every step, so it is still good).
pub fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// How a task ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Succeeded,
    Failed,
    Cancelled,
}

impl Outcome {
    pub fn of(error: Option<&TaskError>) -> Outcome {
        match error {
            None => Outcome::Succeeded,
            Some(TaskError::Cancelled) => Outcome::Cancelled,
            Some(_) => Outcome::Failed,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Succeeded => "succeeded",
            Outcome::Failed => "failed",
            Outcome::Cancelled => "cancelled",
        }
    }
}

/// A worker slot: the host that has it (`None` for this process) and its index.
pub type SlotKey = (Option<Arc<str>>, usize);

/// Where and since when a task has been running.
#[derive(Debug, Clone)]
pub struct Started {
    pub host: Option<Arc<str>>,
    pub slot: usize,
    pub at: Instant,
    pub wall: SystemTime,
}

/// A task that has not finished.
#[derive(Debug)]
struct Live {
    tenant: Arc<TenantTrack>,
    function: Arc<str>,
    submitted: Instant,
    started: Option<Started>,
}

/// A task running on a slot, as the dashboard shows it.
#[derive(Debug, Clone)]
pub struct Busy {
    pub tenant: Arc<str>,
    pub id: ObjectId,
    pub function: Arc<str>,
    pub since: SystemTime,
}

/// A finished task's time on its slot, for the timeline.
#[derive(Debug, Clone)]
pub struct Span {
    pub tenant: Arc<str>,
    pub id: ObjectId,
    pub function: Arc<str>,
    pub host: Option<Arc<str>>,
    pub slot: usize,
    pub started: SystemTime,
    pub finished: SystemTime,
    pub outcome: Outcome,
}

/// One second of a tenant's history.
#[derive(Debug, Clone, Copy, serde::Serialize)]
pub struct Sample {
    /// Seconds since the Unix epoch.
    pub t: u64,
    /// Tasks finished in that second.
    pub done: u64,
    pub queued: i64,
    pub running: i64,
}

/// An event of the stream `GET /v1/events` sends.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Event {
    pub seq: u64,
    /// `submitted`, `started` or `finished`.
    pub kind: &'static str,
    pub tenant: String,
    pub id: String,
    pub function: String,
    /// When it happened, in milliseconds since the Unix epoch.
    pub at_ms: u64,
    pub nested: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub host: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub slot: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub state: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// What the tracker keeps of one tenant.
#[derive(Debug)]
pub struct TenantTrack {
    pub id: Arc<str>,
    pub metrics: TaskMetrics,
    pub tasks: Mutex<TaskTable>,
    /// Finished entries kept in `tasks` (from the tenants file; reloads change it).
    pub max_tasks: AtomicUsize,
    history: Mutex<VecDeque<Sample>>,
    finished_at_last_sample: AtomicU64,
}

impl TenantTrack {
    pub fn history(&self) -> Vec<Sample> {
        lock(&self.history).iter().copied().collect()
    }
}

/// The observer of the service's runtime.
#[derive(Debug)]
pub struct Tracker {
    live: Vec<Mutex<HashMap<ObjectId, Live>>>,
    tenants: RwLock<HashMap<TenantId, Arc<TenantTrack>>>,
    busy: Mutex<BTreeMap<SlotKey, Busy>>,
    spans: Mutex<VecDeque<Span>>,
    events: broadcast::Sender<Arc<Event>>,
    event_seq: AtomicU64,
}

impl Default for Tracker {
    fn default() -> Self {
        Tracker {
            live: (0..SHARDS).map(|_| Mutex::default()).collect(),
            tenants: RwLock::default(),
            busy: Mutex::default(),
            spans: Mutex::default(),
            events: broadcast::channel(EVENT_BUFFER).0,
            event_seq: AtomicU64::new(0),
        }
    }
}

/// Milliseconds since the Unix epoch.
pub fn unix_ms(t: SystemTime) -> u64 {
    t.duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

impl Tracker {
    /// Starts following the tasks of tenant `id` (again, after a reload).
    pub fn add_tenant(&self, id: &str, max_tasks: usize) -> Arc<TenantTrack> {
        let mut tenants = self.tenants.write().unwrap_or_else(PoisonError::into_inner);
        tenants
            .entry(TenantId::new(id))
            .or_insert_with(|| {
                Arc::new(TenantTrack {
                    id: id.into(),
                    metrics: TaskMetrics::default(),
                    tasks: Mutex::default(),
                    max_tasks: AtomicUsize::new(max_tasks),
                    history: Mutex::default(),
                    finished_at_last_sample: AtomicU64::new(0),
                })
            })
            .clone()
    }

    fn tenant(&self, id: &TenantId) -> Option<Arc<TenantTrack>> {
        self.tenants
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .get(id)
            .cloned()
    }

    /// Every tenant followed, by id.
    pub fn tenants(&self) -> Vec<Arc<TenantTrack>> {
        let mut all: Vec<_> = self
            .tenants
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .values()
            .cloned()
            .collect();
        all.sort_by(|a, b| a.id.cmp(&b.id));
        all
    }

    fn shard(&self, id: ObjectId) -> MutexGuard<'_, HashMap<ObjectId, Live>> {
        let index = usize::try_from(id.as_u64() % SHARDS as u64).unwrap_or(0);
        lock(&self.live[index])
    }

    /// Where a task runs, if it has started and not finished.
    pub fn started(&self, id: ObjectId) -> Option<Started> {
        self.shard(id)
            .get(&id)
            .and_then(|live| live.started.clone())
    }

    /// The slots running a task now.
    pub fn busy(&self) -> Vec<(SlotKey, Busy)> {
        lock(&self.busy)
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect()
    }

    /// The spans of recent tasks, oldest first.
    pub fn spans(&self) -> Vec<Span> {
        lock(&self.spans).iter().cloned().collect()
    }

    /// A new reader of the event stream.
    pub fn subscribe(&self) -> broadcast::Receiver<Arc<Event>> {
        self.events.subscribe()
    }

    /// Records one second of every tenant's history: called once a second.
    pub fn sample(&self, now: SystemTime) {
        let t = unix_ms(now) / 1000;
        for tenant in self.tenants() {
            let m = &tenant.metrics;
            let finished = m.finished();
            let before = tenant
                .finished_at_last_sample
                .swap(finished, Ordering::Relaxed);
            let mut history = lock(&tenant.history);
            history.push_back(Sample {
                t,
                done: finished.saturating_sub(before),
                queued: m.queued.load(Ordering::Relaxed).max(0),
                running: m.running.load(Ordering::Relaxed).max(0),
            });
            while history.len() > HISTORY_SECONDS {
                history.pop_front();
            }
        }
    }

    fn emit(&self, make: impl FnOnce(u64) -> Event) {
        if self.events.receiver_count() > 0 {
            let seq = self.event_seq.fetch_add(1, Ordering::Relaxed);
            let _ = self.events.send(Arc::new(make(seq)));
        }
    }
}

fn event(seq: u64, kind: &'static str, task: &TaskEvent<'_>, at: SystemTime) -> Event {
    Event {
        seq,
        kind,
        tenant: task.tenant.to_string(),
        id: crate::ids::object_id(task.id),
        function: task.function.to_owned(),
        at_ms: unix_ms(at),
        nested: task.nested,
        host: None,
        slot: None,
        state: None,
        error: None,
    }
}

impl TaskObserver for Tracker {
    fn on_submitted(&self, task: &TaskEvent<'_>) {
        let Some(tenant) = self.tenant(task.tenant) else {
            return;
        };
        tenant.metrics.submitted.fetch_add(1, Ordering::Relaxed);
        tenant.metrics.queued.fetch_add(1, Ordering::Relaxed);
        self.shard(task.id).insert(
            task.id,
            Live {
                tenant,
                function: task.function.into(),
                submitted: Instant::now(),
                started: None,
            },
        );
        self.emit(|seq| event(seq, "submitted", task, SystemTime::now()));
    }

    fn on_started(&self, task: &TaskEvent<'_>, host: Option<&str>, worker_idx: usize) {
        let now = Instant::now();
        let wall = SystemTime::now();
        let host: Option<Arc<str>> = host.map(Into::into);
        let (tenant, function) = {
            let mut shard = self.shard(task.id);
            let Some(live) = shard.get_mut(&task.id) else {
                return;
            };
            if live.started.is_some() {
                return;
            }
            let m = &live.tenant.metrics;
            m.queued.fetch_sub(1, Ordering::Relaxed);
            m.running.fetch_add(1, Ordering::Relaxed);
            m.queue_wait.observe(now.duration_since(live.submitted));
            live.started = Some(Started {
                host: host.clone(),
                slot: worker_idx,
                at: now,
                wall,
            });
            (live.tenant.id.clone(), live.function.clone())
        };
        lock(&self.busy).insert(
            (host.clone(), worker_idx),
            Busy {
                tenant,
                id: task.id,
                function,
                since: wall,
            },
        );
        self.emit(|seq| Event {
            host: host.as_deref().map(str::to_owned),
            slot: Some(worker_idx),
            ..event(seq, "started", task, wall)
        });
    }

    fn on_finished(
        &self,
        task: &TaskEvent<'_>,
        error: Option<&TaskError>,
        run_info: Option<&RunInfo>,
    ) {
        let now = Instant::now();
        let Some(live) = self.shard(task.id).remove(&task.id) else {
            return;
        };
        let outcome = Outcome::of(error);
        let m = &live.tenant.metrics;
        match outcome {
            Outcome::Succeeded => &m.succeeded,
            Outcome::Failed => &m.failed,
            Outcome::Cancelled => &m.cancelled,
        }
        .fetch_add(1, Ordering::Relaxed);
        if let Some(started) = &live.started {
            m.running.fetch_sub(1, Ordering::Relaxed);
            m.run_time.observe(now.duration_since(started.at));
            let key = (started.host.clone(), started.slot);
            let mut busy = lock(&self.busy);
            if busy.get(&key).is_some_and(|b| b.id == task.id) {
                busy.remove(&key);
            }
        } else {
            m.queued.fetch_sub(1, Ordering::Relaxed);
        }
        if let Some(info) = run_info {
            let mut spans = lock(&self.spans);
            if spans.len() >= MAX_SPANS {
                spans.pop_front();
            }
            spans.push_back(Span {
                tenant: live.tenant.id.clone(),
                id: task.id,
                function: live.function.clone(),
                host: info.host.clone(),
                slot: info.worker_idx,
                started: info.started,
                finished: info.finished,
                outcome,
            });
        }
        let max_tasks = live.tenant.max_tasks.load(Ordering::Relaxed);
        lock(&live.tenant.tasks).finish(task.id, outcome, max_tasks);
        self.emit(|seq| Event {
            state: Some(outcome.as_str()),
            error: error.map(ToString::to_string),
            host: run_info.and_then(|i| i.host.as_deref().map(str::to_owned)),
            slot: run_info.map(|i| i.worker_idx),
            ..event(seq, "finished", task, SystemTime::now())
        });
    }
}
