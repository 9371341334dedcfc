//! Unit tests of the scheduler, with plain closures.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Barrier};

use super::Scheduler;

#[test]
fn every_job_runs_exactly_once() {
    let scheduler = Scheduler::new(3);
    let count = Arc::new(AtomicUsize::new(0));
    let (done_tx, done_rx) = mpsc::channel();
    for _ in 0..1000 {
        let count = count.clone();
        let done_tx = done_tx.clone();
        scheduler.spawn(Box::new(move |_| {
            count.fetch_add(1, Ordering::SeqCst);
            done_tx.send(()).unwrap();
        }));
    }
    for _ in 0..1000 {
        done_rx.recv().unwrap();
    }
    assert_eq!(count.load(Ordering::SeqCst), 1000);
}

#[test]
fn jobs_run_on_distinct_workers_at_once() {
    // Two jobs that each wait for the other can finish only if two workers run them.
    let scheduler = Scheduler::new(2);
    let barrier = Arc::new(Barrier::new(2));
    let (tx, rx) = mpsc::channel();
    for _ in 0..2 {
        let barrier = barrier.clone();
        let tx = tx.clone();
        scheduler.spawn(Box::new(move |worker_idx| {
            barrier.wait();
            tx.send(worker_idx).unwrap();
        }));
    }
    let mut seen = [rx.recv().unwrap(), rx.recv().unwrap()];
    seen.sort();
    assert_eq!(seen, [0, 1]);
}

#[test]
fn a_panicking_job_leaves_its_worker_alive() {
    let scheduler = Scheduler::new(1);
    scheduler.spawn(Box::new(|_| panic!("job panics on purpose")));
    let (tx, rx) = mpsc::channel();
    scheduler.spawn(Box::new(move |_| tx.send(42).unwrap()));
    assert_eq!(rx.recv().unwrap(), 42);
}

/// Sends on its channel when dropped.
struct DropSignal(mpsc::Sender<()>);

impl Drop for DropSignal {
    fn drop(&mut self) {
        let _ = self.0.send(());
    }
}

#[test]
fn queued_jobs_are_dropped_unrun_at_shutdown() {
    let scheduler = Scheduler::new(1);
    let (started_tx, started_rx) = mpsc::channel();
    let (release_tx, release_rx) = mpsc::channel::<()>();
    // The only worker blocks until the queued job below is dropped.
    scheduler.spawn(Box::new(move |_| {
        started_tx.send(()).unwrap();
        release_rx.recv().unwrap();
    }));
    started_rx.recv().unwrap();
    let ran = Arc::new(AtomicUsize::new(0));
    let ran_in_job = ran.clone();
    let signal = DropSignal(release_tx);
    scheduler.spawn(Box::new(move |_| {
        let _signal = signal;
        ran_in_job.fetch_add(1, Ordering::SeqCst);
    }));
    drop(scheduler);
    assert_eq!(ran.load(Ordering::SeqCst), 0);
}
