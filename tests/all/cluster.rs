//! Cluster mode against a real `nats-server` and real `host worker` processes: the
//! library and the CLI behave as they do locally, and no task or result is lost when
//! a worker is killed or the server restarts.

use std::path::Path;
use std::time::Duration;

use wask::{
    GetError, Limit, RuntimeConfig, SubmitError, TaskError, TaskOptions, TenantConfig, Value,
};
use wask_tests::cluster::{Cluster, Worker};
use wask_tests::{check, guests, stdout};

/// A generous bound on any one wait, so a lost task fails the test instead of hanging.
const PATIENCE: Option<Duration> = Some(Duration::from_mins(2));

#[test]
fn submit_get_wait_put_and_refs_work_as_they_do_locally() {
    let cluster = Cluster::start("basics", 2, 2);
    let rt = cluster.runtime(RuntimeConfig::default());
    let fib = rt.load(Path::new(guests::FIBONACCI)).unwrap();
    let flow = rt.load(Path::new(guests::DATAFLOW)).unwrap();
    // submit, get
    let object = rt.submit(fib.parse_call("fib(100)").unwrap()).unwrap();
    assert_eq!(
        rt.get(&object, PATIENCE).unwrap(),
        Value::String("354224848179261915075".into())
    );
    // a list of refs, in order
    let refs: Vec<_> = (0..20)
        .map(|n| {
            rt.submit(fib.call("fib", vec![Value::U32(n)]).unwrap())
                .unwrap()
        })
        .collect();
    let values = rt.get_all(&refs, PATIENCE).unwrap();
    assert_eq!(values[10], Value::String("55".into()));
    // wait
    let (ready, pending) = rt.wait(&refs, 20, PATIENCE).unwrap();
    assert_eq!((ready.len(), pending.len()), (20, 0));
    // put and refs as arguments: the value flows from task to task
    let start = rt.put(Value::U64(41));
    let next = rt.task(&flow, "increment").arg(&start).submit().unwrap();
    let after = rt.task(&flow, "increment").arg(&next).submit().unwrap();
    assert_eq!(rt.get(&after, PATIENCE).unwrap(), Value::U64(43));
    // num_returns: one ref per tuple element
    let parts = rt
        .task(&flow, "split")
        .arg(Value::List((1..=6).map(Value::U64).collect()))
        .submit_returns()
        .unwrap();
    let sum_even = rt.task(&flow, "sum").arg(&parts[0]).submit().unwrap();
    assert_eq!(rt.get(&sum_even, PATIENCE).unwrap(), Value::U64(12));
    // a type mismatch is refused at submit, before anything is queued
    assert!(matches!(
        rt.task(&flow, "sum").arg(&next).submit(),
        Err(SubmitError::Call(_))
    ));
    // an upstream failure names the task that failed first
    let failing = rt
        .task(&flow, "check")
        .arg(Value::U64(1))
        .arg(Value::Bool(true))
        .submit()
        .unwrap();
    let downstream = rt.task(&flow, "increment").arg(&failing).submit().unwrap();
    match rt.get(&downstream, PATIENCE) {
        Err(GetError::Task {
            error: TaskError::Upstream { function, .. },
            ..
        }) => assert_eq!(function, "check"),
        other => panic!("expected an upstream failure, got {other:?}"),
    }
}

#[test]
fn retries_timeouts_limits_and_cancel_reach_the_workers() {
    let cluster = Cluster::start("limits", 2, 2);
    let rt = cluster.runtime(RuntimeConfig::default());
    let flow = rt.load(Path::new(guests::DATAFLOW)).unwrap();
    let hostile = rt.load(Path::new(guests::HOSTILE)).unwrap();
    // retries: a task that traps runs 1 + retries times
    let object = rt
        .task(&flow, "check")
        .arg(Value::U64(5))
        .arg(Value::Bool(true))
        .max_retries(2)
        .submit()
        .unwrap();
    assert!(matches!(
        rt.get(&object, PATIENCE),
        Err(GetError::Task {
            error: TaskError::Trap { .. },
            ..
        })
    ));
    assert_eq!(object.attempts(), 3);
    // a deadline interrupts a spinning task on its worker
    let spin = rt
        .call(hostile.parse_call("spin()").unwrap())
        .timeout(Duration::from_millis(500))
        .submit()
        .unwrap();
    match rt.get(&spin, PATIENCE) {
        Err(GetError::Task {
            error: TaskError::LimitExceeded(hit),
            ..
        }) => assert_eq!(hit.limit, Limit::Deadline),
        other => panic!("expected the deadline, got {other:?}"),
    }
    // memory limits travel with the task
    let bomb = rt
        .call(hostile.parse_call("memory-bomb()").unwrap())
        .options(TaskOptions {
            limits: Some(wask::Limits {
                max_memory_bytes: 32 << 20,
                ..wask::Limits::default()
            }),
            ..TaskOptions::default()
        })
        .submit()
        .unwrap();
    match rt.get(&bomb, PATIENCE) {
        Err(GetError::Task {
            error: TaskError::LimitExceeded(hit),
            ..
        }) => assert_eq!(hit.limit, Limit::Memory),
        other => panic!("expected the memory limit, got {other:?}"),
    }
    // cancel: running tasks are interrupted, queued ones never run
    let running: Vec<_> = (0..8)
        .map(|_| rt.submit(hostile.parse_call("spin()").unwrap()).unwrap())
        .collect();
    std::thread::sleep(Duration::from_millis(500));
    for object in &running {
        rt.cancel(object).unwrap();
    }
    for object in &running {
        assert!(matches!(
            rt.get(object, PATIENCE),
            Err(GetError::Task {
                error: TaskError::Cancelled,
                ..
            })
        ));
    }
}

#[test]
fn nested_tasks_run_on_the_cluster_even_with_a_tenant_capped_at_one() {
    let cluster = Cluster::start("nested", 2, 1);
    let rt = cluster.runtime(RuntimeConfig::default());
    let capped = rt
        .add_tenant(
            "capped",
            TenantConfig {
                max_concurrency: 1,
                ..TenantConfig::default()
            },
        )
        .unwrap();
    let flow = rt.load(Path::new(guests::DATAFLOW)).unwrap();
    let tree = capped
        .submit(flow.parse_call("count-tree(3)").unwrap())
        .unwrap();
    assert_eq!(capped.get(&tree, PATIENCE).unwrap(), Value::U64(15));
}

#[test]
fn tenants_are_kept_apart_on_the_cluster() {
    let cluster = Cluster::start("tenants", 1, 2);
    let rt = cluster.runtime(RuntimeConfig::default());
    let fib = rt.load(Path::new(guests::FIBONACCI)).unwrap();
    let acme = rt.add_tenant("acme", TenantConfig::default()).unwrap();
    let globex = rt.add_tenant("globex", TenantConfig::default()).unwrap();
    let mine = acme.submit(fib.parse_call("fib(30)").unwrap()).unwrap();
    assert_eq!(
        acme.get(&mine, PATIENCE).unwrap(),
        Value::String("832040".into())
    );
    assert!(matches!(
        globex.get(&mine, PATIENCE),
        Err(GetError::ForeignRef { .. })
    ));
    assert!(globex.cancel(&mine).is_err());
    assert!(matches!(
        globex.task(&fib, "fib").arg(&mine).submit(),
        Err(SubmitError::ForeignRef { .. } | SubmitError::Call(_))
    ));
}

#[test]
fn host_run_takes_the_same_flags_against_the_cluster() {
    let cluster = Cluster::start("cli", 2, 2);
    let url = cluster.nats.url();
    let out = check(
        &[
            "run",
            guests::FIBONACCI,
            "--nats",
            &url,
            "--invoke",
            "fib(100)",
            "--invoke",
            "generate-fibonacci(1000)",
            "--repeat",
            "3",
        ],
        None,
        0,
        "tasks: 6, ok: 6",
    );
    assert_eq!(stdout(&out), "\"354224848179261915075\"\n1000\n".repeat(3));
    let out = check(
        &[
            "run",
            guests::HOSTILE,
            "--nats",
            &url,
            "--timeout",
            "300ms",
            "--invoke",
            "spin()",
        ],
        None,
        1,
        "failed: 1",
    );
    assert!(
        stdout(&out).contains("deadline of 0.300 s"),
        "{}",
        stdout(&out)
    );
}

/// Submits `n` `increment(i)` tasks and gives their refs.
fn increments(rt: &wask::Runtime, flow: &wask::TaskComponent, n: u64) -> Vec<wask::ObjectRef> {
    (0..n)
        .map(|i| {
            rt.task(flow, "increment")
                .arg(Value::U64(i))
                .submit()
                .unwrap()
        })
        .collect()
}

/// Waits until `count` of `refs` are ready.
fn wait_for(rt: &wask::Runtime, refs: &[wask::ObjectRef], count: usize) {
    let (ready, _) = rt.wait(refs, count, PATIENCE).unwrap();
    assert_eq!(ready.len(), count, "tasks stopped coming back");
}

/// Every ref holds `i + 1`: every task completed, once, with the right result.
fn all_correct(rt: &wask::Runtime, refs: &[wask::ObjectRef]) {
    for (i, object) in refs.iter().enumerate() {
        assert_eq!(
            rt.get(object, PATIENCE).unwrap(),
            Value::U64(i as u64 + 1),
            "task {i}"
        );
    }
}

#[test]
fn a_worker_killed_mid_batch_loses_no_task() {
    let mut cluster = Cluster::start("kill", 2, 2);
    let rt = cluster.runtime(RuntimeConfig::default());
    let flow = rt.load(Path::new(guests::DATAFLOW)).unwrap();
    let refs = increments(&rt, &flow, 1000);
    wait_for(&rt, &refs, 100);
    cluster.workers[0].kill();
    all_correct(&rt, &refs);
}

#[test]
fn a_server_restart_mid_batch_loses_no_task_or_result() {
    let mut cluster = Cluster::start("restart", 2, 2);
    let rt = cluster.runtime(RuntimeConfig::default());
    let flow = rt.load(Path::new(guests::DATAFLOW)).unwrap();
    let first = increments(&rt, &flow, 300);
    wait_for(&rt, &first, 50);
    cluster.nats.kill();
    std::thread::sleep(Duration::from_secs(1));
    cluster.nats.restart();
    all_correct(&rt, &first);
    // Tasks submitted after the restart run too.
    let second = increments(&rt, &flow, 50);
    all_correct(&rt, &second);
}

#[test]
fn a_worker_that_cannot_load_a_component_fails_its_tasks_clearly() {
    let cluster = Cluster::start("badload", 0, 1);
    let _worker = Worker::start(&cluster.nats, 1, &["--max-component-size", "1K"]);
    let rt = cluster.runtime(RuntimeConfig::default());
    let fib = rt.load(Path::new(guests::FIBONACCI)).unwrap();
    let object = rt.submit(fib.parse_call("fib(10)").unwrap()).unwrap();
    match rt.get(&object, PATIENCE) {
        Err(GetError::Task {
            error: TaskError::Cluster(message),
            ..
        }) => assert!(
            message.contains("cannot load the component") && message.contains("1 KiB"),
            "{message}"
        ),
        other => panic!("expected a clear cluster error, got {other:?}"),
    }
}

#[test]
fn a_worker_stopped_with_sigterm_exits_cleanly() {
    let cluster = Cluster::start("sigterm", 0, 1);
    let worker = Worker::start(&cluster.nats, 1, &[]);
    let rt = cluster.runtime(RuntimeConfig::default());
    let fib = rt.load(Path::new(guests::FIBONACCI)).unwrap();
    let object = rt.submit(fib.parse_call("fib(10)").unwrap()).unwrap();
    assert_eq!(
        rt.get(&object, PATIENCE).unwrap(),
        Value::String("55".into())
    );
    assert!(worker.pid() > 0);
    assert_eq!(worker.terminate(), Some(0));
}
