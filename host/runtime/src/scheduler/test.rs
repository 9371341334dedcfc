//! Unit tests of the scheduler, with plain closures.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Barrier};

use super::Scheduler;

#[test]
fn every_job_runs_exactly_once() {
    let scheduler = Scheduler::new(3).unwrap();
    let count = Arc::new(AtomicUsize::new(0));
    let (done_tx, done_rx) = mpsc::channel();
    for _ in 0..1000 {
        let count = count.clone();
        let done_tx = done_tx.clone();
        scheduler.spawn(
            0,
            Box::new(move |_| {
                count.fetch_add(1, Ordering::SeqCst);
                done_tx.send(()).unwrap();
            }),
        );
    }
    for _ in 0..1000 {
        done_rx.recv().unwrap();
    }
    assert_eq!(count.load(Ordering::SeqCst), 1000);
}

#[test]
fn jobs_run_on_distinct_workers_at_once() {
    // Two jobs that each wait for the other can finish only if two workers run them.
    // The workers are asleep before the jobs come, so each must be woken.
    let scheduler = Scheduler::new(2).unwrap();
    std::thread::sleep(std::time::Duration::from_millis(50));
    let barrier = Arc::new(Barrier::new(2));
    let (tx, rx) = mpsc::channel();
    for _ in 0..2 {
        let barrier = barrier.clone();
        let tx = tx.clone();
        scheduler.spawn(
            0,
            Box::new(move |worker_idx| {
                barrier.wait();
                tx.send(worker_idx).unwrap();
            }),
        );
    }
    let mut seen = [rx.recv().unwrap(), rx.recv().unwrap()];
    seen.sort_unstable();
    assert_eq!(seen, [0, 1]);
}

#[test]
fn a_panicking_job_leaves_its_worker_alive() {
    let scheduler = Scheduler::new(1).unwrap();
    scheduler.spawn(0, Box::new(|_| panic!("job panics on purpose")));
    let (tx, rx) = mpsc::channel();
    scheduler.spawn(0, Box::new(move |_| tx.send(42).unwrap()));
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
    let scheduler = Scheduler::new(1).unwrap();
    let (started_tx, started_rx) = mpsc::channel();
    let (release_tx, release_rx) = mpsc::channel::<()>();
    // The only worker blocks until the queued job below is dropped.
    scheduler.spawn(
        0,
        Box::new(move |_| {
            started_tx.send(()).unwrap();
            release_rx.recv().unwrap();
        }),
    );
    started_rx.recv().unwrap();
    let ran = Arc::new(AtomicUsize::new(0));
    let ran_in_job = ran.clone();
    let signal = DropSignal(release_tx);
    scheduler.spawn(
        0,
        Box::new(move |_| {
            let _signal = signal;
            ran_in_job.fetch_add(1, Ordering::SeqCst);
        }),
    );
    drop(scheduler);
    assert_eq!(ran.load(Ordering::SeqCst), 0);
}

#[test]
fn a_large_queue_does_not_starve_a_small_one() {
    // One worker, blocked while both queues fill: 1,000 jobs on queue 1, then 10 on
    // queue 2. Round robin must start all of queue 2's jobs within its first 20 turns.
    let scheduler = Scheduler::new(1).unwrap();
    let (started_tx, started_rx) = mpsc::channel();
    let (release_tx, release_rx) = mpsc::channel::<()>();
    scheduler.spawn(
        0,
        Box::new(move |_| {
            started_tx.send(()).unwrap();
            release_rx.recv().unwrap();
        }),
    );
    started_rx.recv().unwrap();
    let order = Arc::new(std::sync::Mutex::new(Vec::new()));
    let (done_tx, done_rx) = mpsc::channel();
    for (queue, n) in [(1u64, 1000), (2, 10)] {
        for _ in 0..n {
            let order = order.clone();
            let done_tx = done_tx.clone();
            scheduler.spawn(
                queue,
                Box::new(move |_| {
                    order.lock().unwrap().push(queue);
                    done_tx.send(()).unwrap();
                }),
            );
        }
    }
    release_tx.send(()).unwrap();
    for _ in 0..1010 {
        done_rx.recv().unwrap();
    }
    let order = order.lock().unwrap();
    let last_small = order.iter().rposition(|q| *q == 2).unwrap();
    assert!(
        last_small < 20,
        "queue 2 finished starting at position {last_small}"
    );
    assert_eq!(order.iter().filter(|q| **q == 2).count(), 10);
}

#[test]
fn max_running_caps_a_queue() {
    let scheduler = Scheduler::new(3).unwrap();
    scheduler.set_max_running(7, 1);
    let running = Arc::new(AtomicUsize::new(0));
    let peak = Arc::new(AtomicUsize::new(0));
    let (done_tx, done_rx) = mpsc::channel();
    for _ in 0..20 {
        let (running, peak, done_tx) = (running.clone(), peak.clone(), done_tx.clone());
        scheduler.spawn(
            7,
            Box::new(move |_| {
                let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                peak.fetch_max(now, Ordering::SeqCst);
                std::thread::sleep(std::time::Duration::from_millis(1));
                running.fetch_sub(1, Ordering::SeqCst);
                done_tx.send(()).unwrap();
            }),
        );
    }
    for _ in 0..20 {
        done_rx.recv().unwrap();
    }
    assert_eq!(peak.load(Ordering::SeqCst), 1);
}

#[test]
fn a_blocked_worker_gives_its_place_to_another_thread() {
    // One worker runs a job that blocks until a second job has run: without a
    // stand-in thread this would never finish.
    let scheduler = Scheduler::new(1).unwrap();
    let spawner = scheduler.spawner();
    let (inner_tx, inner_rx) = mpsc::channel();
    let (outer_tx, outer_rx) = mpsc::channel();
    let inner_spawner = spawner.clone();
    scheduler.spawn(
        0,
        Box::new(move |_| {
            inner_spawner.spawn(0, 0, Box::new(move |_| inner_tx.send(()).unwrap()));
            inner_spawner.block_in_place(0, || inner_rx.recv().unwrap());
            outer_tx.send(()).unwrap();
        }),
    );
    outer_rx
        .recv_timeout(std::time::Duration::from_secs(30))
        .expect("the blocked job finished");
}

#[test]
fn a_burst_of_jobs_wakes_every_sleeping_worker() {
    // Both workers are asleep; 200 jobs arrive faster than one worker runs them. The
    // queue keeps its turn all along, so each wake-up must be passed on.
    let scheduler = Scheduler::new(2).unwrap();
    std::thread::sleep(std::time::Duration::from_millis(50));
    let (tx, rx) = mpsc::channel();
    for _ in 0..200 {
        let tx = tx.clone();
        scheduler.spawn(
            0,
            Box::new(move |worker_idx| {
                std::thread::sleep(std::time::Duration::from_millis(1));
                tx.send(worker_idx).unwrap();
            }),
        );
    }
    let workers: std::collections::HashSet<_> = (0..200).map(|_| rx.recv().unwrap()).collect();
    assert_eq!(workers.len(), 2, "only workers {workers:?} ran jobs");
}

#[test]
fn within_a_queue_higher_priority_runs_first() {
    let scheduler = Scheduler::new(1).unwrap();
    let spawner = scheduler.spawner();
    let (started_tx, started_rx) = mpsc::channel();
    let (release_tx, release_rx) = mpsc::channel::<()>();
    spawner.spawn(
        0,
        0,
        Box::new(move |_| {
            started_tx.send(()).unwrap();
            release_rx.recv().unwrap();
        }),
    );
    started_rx.recv().unwrap();
    let (order_tx, order_rx) = mpsc::channel();
    for (name, priority) in [
        ("low a", -1),
        ("mid a", 0),
        ("high", 5),
        ("mid b", 0),
        ("low b", -1),
    ] {
        let order_tx = order_tx.clone();
        spawner.spawn(0, priority, Box::new(move |_| order_tx.send(name).unwrap()));
    }
    release_tx.send(()).unwrap();
    let order: Vec<_> = (0..5).map(|_| order_rx.recv().unwrap()).collect();
    assert_eq!(order, ["high", "mid a", "mid b", "low a", "low b"]);
}
