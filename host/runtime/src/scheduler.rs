//! The scheduler: a pool of worker threads that run plain jobs, fairly across queues.
//!
//! A *job* is any `FnOnce` closure and a *queue* a key its jobs are filed under (the
//! runtime uses one per tenant); the scheduler knows nothing about wasm, refs or
//! values, so it can be tested with closures alone.
//!
//! **Invariant:** each job runs exactly once, or is dropped unrun if the scheduler shuts
//! down first. A job that panics does not take its worker down.

use std::cmp::Ordering;
use std::collections::{BinaryHeap, HashMap, VecDeque};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicU64, Ordering as AtomicOrdering};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

/// Index of a worker thread, from 0 to `n_workers - 1`.
pub type WorkerIdx = usize;

/// A unit of work; it is told which worker runs it.
pub type Job = Box<dyn FnOnce(WorkerIdx) + Send + 'static>;

/// Names a queue. Jobs of one queue run by priority, then first in, first out;
/// queues take turns.
pub type QueueKey = u64;

/// A job waiting in its queue: higher priority first, then the earlier one.
struct Queued {
    priority: i32,
    seq: u64,
    job: Job,
}

impl PartialEq for Queued {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Queued {}

impl PartialOrd for Queued {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Queued {
    fn cmp(&self, other: &Self) -> Ordering {
        self.priority
            .cmp(&other.priority)
            .then_with(|| other.seq.cmp(&self.seq))
    }
}

/// Runs jobs on a fixed pool of threads, fairly across queues: workers take one job
/// from each queue with work in turn (round robin), so a queue with 10,000 jobs
/// cannot starve one with 10. A queue can also be capped in how many of its jobs run
/// at once.
#[derive(Debug)]
pub struct Scheduler {
    shared: Arc<Shared>,
    workers: Vec<JoinHandle<()>>,
}

#[derive(Default)]
struct Shared {
    state: Mutex<State>,
    work_ready: Condvar,
    /// Bumped whenever a queue gets a turn, so a worker spinning for work (outside
    /// the lock) sees new work without being woken.
    turns_offered: AtomicU64,
    /// Threads started to stand in for blocked workers, joined at shutdown.
    extra: Mutex<Vec<JoinHandle<()>>>,
}

impl Shared {
    /// Tells spinning workers that a turn was offered; wakes a sleeping one if any.
    fn work_offered(&self, state: &State) {
        self.turns_offered.fetch_add(1, AtomicOrdering::Release);
        if state.n_idle > 0 {
            self.work_ready.notify_one();
        }
    }

    /// The scheduler's state. Jobs run outside the lock, so a poisoned lock (a panic
    /// in the scheduler itself) leaves consistent state and is taken over.
    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

impl std::fmt::Debug for Shared {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Shared")
    }
}

#[derive(Default)]
struct State {
    queues: HashMap<QueueKey, Queue>,
    /// Queues that have jobs and room to run one, in turn order; each at most once.
    turns: VecDeque<QueueKey>,
    shutting_down: bool,
    /// Workers wanted running jobs at once.
    n_target: usize,
    /// Worker threads alive, including stand-ins for blocked ones.
    n_threads: usize,
    /// Workers blocked inside a job (see [`Spawner::block_in_place`]).
    n_blocked: usize,
    /// Workers waiting for a job; only then is a wake-up worth a system call.
    n_idle: usize,
    next_worker_idx: WorkerIdx,
}

struct Queue {
    jobs: BinaryHeap<Queued>,
    /// Counts jobs in, so equal priorities run first in, first out.
    next_seq: u64,
    running: usize,
    max_running: usize,
    has_turn: bool,
}

impl Default for Queue {
    fn default() -> Self {
        Queue {
            jobs: BinaryHeap::new(),
            next_seq: 0,
            running: 0,
            max_running: usize::MAX,
            has_turn: false,
        }
    }
}

impl State {
    /// Gives `key` a turn if it has work, room to run it, and no turn yet.
    fn offer_turn(&mut self, key: QueueKey) -> bool {
        let queue = self.queues.get_mut(&key).expect("queue exists");
        if !queue.has_turn && !queue.jobs.is_empty() && queue.running < queue.max_running {
            queue.has_turn = true;
            self.turns.push_back(key);
            return true;
        }
        false
    }

    fn next_job(&mut self) -> Option<(QueueKey, Job)> {
        let key = self.turns.pop_front()?;
        let queue = self
            .queues
            .get_mut(&key)
            .expect("a queue with a turn exists");
        queue.has_turn = false;
        let job = queue
            .jobs
            .pop()
            .map(|queued| queued.job)
            .expect("a queue with a turn has a job");
        queue.running += 1;
        self.offer_turn(key);
        Some((key, job))
    }
}

impl Scheduler {
    /// Starts `n_workers` threads (at least one). If the OS refuses a thread, the
    /// ones started stop again and the error is returned.
    pub fn new(n_workers: usize) -> std::io::Result<Self> {
        let n_workers = n_workers.max(1);
        let shared = Arc::new(Shared::default());
        {
            let mut state = shared.lock();
            state.n_target = n_workers;
            state.n_threads = n_workers;
            state.next_worker_idx = n_workers;
        }
        let mut scheduler = Scheduler {
            shared: shared.clone(),
            workers: Vec::with_capacity(n_workers),
        };
        for worker_idx in 0..n_workers {
            let shared = shared.clone();
            let worker = std::thread::Builder::new()
                .name(format!("wask-worker-{worker_idx}"))
                .spawn(move || worker_loop(&shared, worker_idx))?;
            // On an error above, dropping `scheduler` stops the workers started.
            scheduler.workers.push(worker);
        }
        Ok(scheduler)
    }

    pub fn n_workers(&self) -> usize {
        self.workers.len()
    }

    /// A handle that queues jobs from anywhere, such as a callback that runs when a
    /// job's inputs are ready. Jobs queued after shutdown are dropped unrun.
    pub fn spawner(&self) -> Spawner {
        Spawner(self.shared.clone())
    }

    /// Caps how many jobs of queue `key` run at once (at least one).
    pub fn set_max_running(&self, key: QueueKey, max_running: usize) {
        let mut state = self.shared.lock();
        state.queues.entry(key).or_default().max_running = max_running.max(1);
        if state.offer_turn(key) {
            self.shared.work_offered(&state);
        }
    }

    /// Queues a job on queue `key`; it runs when a worker is free and it is the
    /// queue's turn.
    #[cfg(test)]
    pub fn spawn(&self, key: QueueKey, job: Job) {
        self.spawner().spawn(key, 0, job);
    }
}

/// Queues jobs on a [`Scheduler`]; see [`Scheduler::spawner`].
#[derive(Clone)]
pub struct Spawner(Arc<Shared>);

impl std::fmt::Debug for Spawner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Spawner")
    }
}

impl Spawner {
    /// Runs `f`, which blocks (say, waiting for another task), and meanwhile lets
    /// another thread take this worker's place, as Ray gives a blocked task's CPU back.
    /// Call it only from inside a job. Stand-in threads retire once the blocked
    /// workers are back.
    ///
    /// The blocked job also stops counting against its queue's cap (`key`) while it
    /// waits, so a tenant capped at one task can still run the tasks it waits for.
    pub fn block_in_place<R>(&self, key: QueueKey, f: impl FnOnce() -> R) -> R {
        {
            let mut state = self.0.lock();
            state.n_blocked += 1;
            if let Some(queue) = state.queues.get_mut(&key) {
                queue.running = queue.running.saturating_sub(1);
                if state.offer_turn(key) {
                    self.0.work_offered(&state);
                }
            }
            if !state.shutting_down && state.n_threads - state.n_blocked < state.n_target {
                let worker_idx = state.next_worker_idx;
                let shared = self.0.clone();
                let thread = std::thread::Builder::new()
                    .name(format!("wask-worker-{worker_idx}"))
                    .spawn(move || worker_loop(&shared, worker_idx));
                // Without a stand-in the pool runs one worker short until this job
                // is back: slower, never stuck, as the blocked job's own slot is free.
                if let Ok(thread) = thread {
                    state.n_threads += 1;
                    state.next_worker_idx += 1;
                    self.0
                        .extra
                        .lock()
                        .unwrap_or_else(std::sync::PoisonError::into_inner)
                        .push(thread);
                }
            }
        }
        let result = f();
        {
            let mut state = self.0.lock();
            state.n_blocked -= 1;
            // Back to running: for a moment the queue may be over its cap by this job.
            if let Some(queue) = state.queues.get_mut(&key) {
                queue.running += 1;
            }
        }
        // A surplus thread retires when it next looks for work.
        self.0.work_ready.notify_all();
        result
    }

    /// Queues a job on queue `key` with a priority: within its queue, a job of
    /// higher priority runs before one of lower priority (see [`Scheduler::spawn`]).
    pub fn spawn(&self, key: QueueKey, priority: i32, job: Job) {
        let mut state = self.0.lock();
        if state.shutting_down {
            return;
        }
        let queue = state.queues.entry(key).or_default();
        let seq = queue.next_seq;
        queue.next_seq += 1;
        queue.jobs.push(Queued { priority, seq, job });
        state.offer_turn(key);
        // Tell the workers whenever there is a turn to take: the queue may have had
        // its turn already, with the worker that took the last job still busy.
        if !state.turns.is_empty() {
            self.0.work_offered(&state);
        }
    }
}

/// How long a worker that found no work watches for some before it sleeps: a task
/// queued meanwhile then starts without a wake-up (a system call on the submitting
/// side and a context switch on this one).
const WORKER_SPIN: Duration = Duration::from_micros(50);

fn worker_loop(shared: &Shared, worker_idx: WorkerIdx) {
    // The queue of the job this worker just ran, accounted for with the next lock.
    let mut finished: Option<QueueKey> = None;
    loop {
        let (key, job) = {
            let mut state = shared.lock();
            if let Some(key) = finished.take() {
                state.queues.get_mut(&key).expect("queue exists").running -= 1;
                if state.offer_turn(key) {
                    shared.turns_offered.fetch_add(1, AtomicOrdering::Release);
                }
            }
            let mut spun = false;
            loop {
                if state.shutting_down {
                    return;
                }
                if state.n_threads - state.n_blocked > state.n_target {
                    state.n_threads -= 1;
                    return;
                }
                if let Some(next) = state.next_job() {
                    // More turns waiting: pass the wake-up on to another sleeper.
                    if !state.turns.is_empty() && state.n_idle > 0 {
                        shared.work_ready.notify_one();
                    }
                    break next;
                }
                if !spun {
                    spun = true;
                    let seen = shared.turns_offered.load(AtomicOrdering::Acquire);
                    drop(state);
                    spin_for_work(shared, seen);
                    state = shared.lock();
                    continue;
                }
                state.n_idle += 1;
                state = shared
                    .work_ready
                    .wait(state)
                    .unwrap_or_else(std::sync::PoisonError::into_inner);
                state.n_idle -= 1;
                spun = false;
            }
        };
        // A job reports its own failures; this only keeps the worker alive.
        let _ = catch_unwind(AssertUnwindSafe(|| job(worker_idx)));
        finished = Some(key);
    }
}

/// Watches for a turn offered after `seen`, for at most [`WORKER_SPIN`].
fn spin_for_work(shared: &Shared, seen: u64) {
    crate::spin::spin_until(WORKER_SPIN, || {
        shared.turns_offered.load(AtomicOrdering::Acquire) != seen
    });
}

impl Drop for Scheduler {
    /// Stops the workers after their current jobs; queued jobs are dropped unrun.
    fn drop(&mut self) {
        let unrun: Vec<BinaryHeap<Queued>> = {
            let mut state = self.shared.lock();
            state.shutting_down = true;
            state.turns.clear();
            state
                .queues
                .values_mut()
                .map(|q| std::mem::take(&mut q.jobs))
                .collect()
        };
        drop(unrun);
        self.shared.work_ready.notify_all();
        for worker in self.workers.drain(..) {
            let _ = worker.join();
        }
        let extra = std::mem::take(
            &mut *self
                .shared
                .extra
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner),
        );
        for worker in extra {
            let _ = worker.join();
        }
    }
}

#[cfg(test)]
mod test;
