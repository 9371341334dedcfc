//! The scheduler: a pool of worker threads that run plain jobs in FIFO order.
//!
//! A *job* is any `FnOnce` closure; the scheduler knows nothing about wasm, refs or
//! values, so it can be tested with closures alone.
//!
//! **Invariant:** each job runs exactly once, or is dropped unrun if the scheduler shuts
//! down first. A job that panics does not take its worker down.

use std::collections::VecDeque;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;

/// Index of a worker thread, from 0 to `n_workers - 1`.
pub type WorkerIdx = usize;

/// A unit of work; it is told which worker runs it.
pub type Job = Box<dyn FnOnce(WorkerIdx) + Send + 'static>;

#[derive(Debug)]
pub struct Scheduler {
    shared: Arc<Shared>,
    workers: Vec<JoinHandle<()>>,
}

#[derive(Default)]
struct Shared {
    queue: Mutex<Queue>,
    work_ready: Condvar,
}

impl std::fmt::Debug for Shared {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Shared")
    }
}

#[derive(Default)]
struct Queue {
    jobs: VecDeque<Job>,
    shutting_down: bool,
}

impl Scheduler {
    /// Starts `n_workers` threads (at least one).
    pub fn new(n_workers: usize) -> Self {
        let shared = Arc::new(Shared::default());
        let workers = (0..n_workers.max(1))
            .map(|worker_idx| {
                let shared = shared.clone();
                std::thread::Builder::new()
                    .name(format!("wask-worker-{worker_idx}"))
                    .spawn(move || worker_loop(&shared, worker_idx))
                    .expect("the OS can start a worker thread")
            })
            .collect();
        Scheduler { shared, workers }
    }

    pub fn n_workers(&self) -> usize {
        self.workers.len()
    }

    /// Queues a job; it runs on the first free worker.
    pub fn spawn(&self, job: Job) {
        let mut queue = self.shared.queue.lock().expect("scheduler queue lock");
        queue.jobs.push_back(job);
        drop(queue);
        self.shared.work_ready.notify_one();
    }
}

fn worker_loop(shared: &Shared, worker_idx: WorkerIdx) {
    loop {
        let job = {
            let mut queue = shared.queue.lock().expect("scheduler queue lock");
            loop {
                if queue.shutting_down {
                    return;
                }
                if let Some(job) = queue.jobs.pop_front() {
                    break job;
                }
                queue = shared.work_ready.wait(queue).expect("scheduler queue lock");
            }
        };
        // A job reports its own failures; this only keeps the worker alive.
        let _ = catch_unwind(AssertUnwindSafe(|| job(worker_idx)));
    }
}

impl Drop for Scheduler {
    /// Stops the workers after their current jobs; queued jobs are dropped unrun.
    fn drop(&mut self) {
        let unrun = {
            let mut queue = self.shared.queue.lock().expect("scheduler queue lock");
            queue.shutting_down = true;
            std::mem::take(&mut queue.jobs)
        };
        drop(unrun);
        self.shared.work_ready.notify_all();
        for worker in self.workers.drain(..) {
            let _ = worker.join();
        }
    }
}

#[cfg(test)]
mod test;
