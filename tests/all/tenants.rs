//! Tenants side by side: ownership of refs, quotas, concurrency caps, fair turns, cancel,
//! on the test backend (`WASK_TEST_BACKEND`): the local runtime or a cluster.

use std::path::Path;
use std::time::Duration;

use wask::{GetError, Limit, Runtime, RuntimeConfig, SubmitError, TaskError, TenantConfig, Value};
use wask_tests::guests;

fn runtime(n_workers: usize) -> Runtime {
    wask_tests::backend::runtime(RuntimeConfig {
        n_workers,
        ..RuntimeConfig::default()
    })
}

#[test]
fn a_ref_used_by_another_tenant_is_rejected() {
    let rt = runtime(1);
    let fib = rt.load(Path::new(guests::FIBONACCI)).unwrap();
    let acme = rt.add_tenant("acme", TenantConfig::default()).unwrap();
    let globex = rt.add_tenant("globex", TenantConfig::default()).unwrap();
    let object = acme.submit(fib.parse_call("fib(30)").unwrap()).unwrap();
    let err = globex.get(&object, None).unwrap_err();
    assert!(matches!(err, GetError::ForeignRef { .. }));
    assert_eq!(
        err.to_string(),
        format!(
            "{} belongs to tenant `acme`, not to tenant `globex`",
            object.id()
        )
    );
    assert!(globex.cancel(&object).is_err());
    assert!(globex.wait(std::slice::from_ref(&object), 1, None).is_err());
    assert!(
        rt.get(&object, None).is_err(),
        "the default tenant is another tenant too"
    );
    // The owner still gets its value: nothing was lost or changed.
    assert_eq!(
        acme.get(&object, None).unwrap(),
        Value::String("832040".into())
    );
    assert!(matches!(
        rt.add_tenant("acme", TenantConfig::default()),
        Err(SubmitError::DuplicateTenant(_))
    ));
    assert!(matches!(
        rt.tenant("nobody"),
        Err(SubmitError::UnknownTenant(_))
    ));
}

#[test]
fn each_tenant_has_its_own_object_quota() {
    let rt = runtime(2);
    let fib = rt.load(Path::new(guests::FIBONACCI)).unwrap();
    let small = rt
        .add_tenant(
            "small",
            TenantConfig {
                object_quota_bytes: 100,
                ..TenantConfig::default()
            },
        )
        .unwrap();
    // fib(1000) has 209 digits: over the 100-byte quota.
    let big = small.submit(fib.parse_call("fib(1000)").unwrap()).unwrap();
    match small.get(&big, None) {
        Err(GetError::Task {
            error:
                TaskError::QuotaExceeded {
                    needed: 209,
                    quota: 100,
                    ..
                },
            ..
        }) => {}
        other => panic!("expected the quota to refuse the result, got {other:?}"),
    }
    let fits = small.submit(fib.parse_call("fib(100)").unwrap()).unwrap();
    assert_eq!(
        small.get(&fits, None).unwrap(),
        Value::String("354224848179261915075".into())
    );
    assert_eq!(small.object_bytes(), 21);
    drop(fits);
    assert_eq!(small.object_bytes(), 0, "a dropped ref returns its bytes");
    // The default tenant's quota is untouched.
    let other = rt.submit(fib.parse_call("fib(1000)").unwrap()).unwrap();
    assert!(rt.get(&other, None).is_ok());
}

#[test]
fn a_concurrency_cap_keeps_a_tenants_tasks_one_at_a_time() {
    let rt = runtime(3);
    let fib = rt.load(Path::new(guests::FIBONACCI)).unwrap();
    let capped = rt
        .add_tenant(
            "capped",
            TenantConfig {
                max_concurrency: 1,
                ..TenantConfig::default()
            },
        )
        .unwrap();
    rt.start_timeline();
    let refs: Vec<_> = (0..6)
        .map(|_| {
            capped
                .submit(fib.parse_call("generate-fibonacci(5000)").unwrap())
                .unwrap()
        })
        .collect();
    assert_eq!(
        capped.get_all(&refs, None).unwrap(),
        vec![Value::U32(5000); 6]
    );
    let mut spans = rt.take_timeline().spans;
    spans.sort_by_key(|s| s.started);
    for pair in spans.windows(2) {
        assert!(
            pair[1].started >= pair[0].resolved,
            "two capped tasks overlapped"
        );
    }
}

#[test]
fn a_tenant_with_many_queued_tasks_does_not_starve_one_with_few() {
    // One worker. Tenant `bulk` queues 300 tasks, then tenant `small` queues 10.
    // Counting start order, not time: all of `small`'s tasks start within the first
    // 2 x 10 + 1 starts, while a plain FIFO would start them last.
    if wask_tests::backend::skip_on_cluster(
        "counts starts on one worker thread held by a gate; the cluster's 4 slots start bulk tasks while they are queued",
    ) {
        return;
    }
    let rt = runtime(1);
    let fib = rt.load(Path::new(guests::FIBONACCI)).unwrap();
    let bulk = rt.add_tenant("bulk", TenantConfig::default()).unwrap();
    let small = rt.add_tenant("small", TenantConfig::default()).unwrap();
    // Hold the only worker until both tenants have queued everything.
    let gate = rt
        .submit(fib.parse_call("generate-fibonacci(60000)").unwrap())
        .unwrap();
    rt.start_timeline();
    let call = fib.parse_call("fib(10)").unwrap();
    let bulk_refs: Vec<_> = (0..300)
        .map(|_| bulk.submit(call.clone()).unwrap())
        .collect();
    let small_refs: Vec<_> = (0..10)
        .map(|_| small.submit(call.clone()).unwrap())
        .collect();
    assert!(!gate.is_ready(), "the gate task must still hold the worker");
    rt.get(&gate, None).unwrap();
    bulk.get_all(&bulk_refs, None).unwrap();
    small.get_all(&small_refs, None).unwrap();
    let mut spans = rt.take_timeline().spans;
    spans.sort_by_key(|s| s.started);
    let small_ids: Vec<_> = small_refs.iter().map(wask::ObjectRef::id).collect();
    let positions: Vec<usize> = spans
        .iter()
        .enumerate()
        .filter(|(_, s)| small_ids.contains(&s.object))
        .map(|(i, _)| i)
        .collect();
    assert_eq!(positions.len(), 10);
    assert!(
        *positions.last().unwrap() <= 21,
        "the small tenant's tasks started at positions {positions:?}"
    );
}

#[test]
fn cancel_stops_a_queued_task_and_interrupts_a_running_one() {
    if wask_tests::backend::skip_on_cluster(
        "needs one worker thread to keep a task queued; cluster::retries_timeouts_limits_and_cancel_reach_the_workers cancels queued and running tasks there",
    ) {
        return;
    }
    let rt = runtime(1);
    let fib = rt.load(Path::new(guests::FIBONACCI)).unwrap();
    rt.start_timeline();
    let running = rt.submit(fib.parse_call("fib(5000000)").unwrap()).unwrap();
    let queued = rt.submit(fib.parse_call("fib(10)").unwrap()).unwrap();
    rt.cancel(&queued).unwrap();
    // Give the long task time to start, then cancel it too.
    std::thread::sleep(Duration::from_millis(100));
    rt.cancel(&running).unwrap();
    for object in [&running, &queued] {
        assert!(matches!(
            rt.get(object, Some(Duration::from_mins(1))),
            Err(GetError::Task {
                error: TaskError::Cancelled,
                ..
            })
        ));
    }
    let spans = rt.take_timeline().spans;
    let span = |id| spans.iter().find(|s| s.object == id).unwrap();
    assert!(
        span(running.id()).instantiated.is_some(),
        "the long task was running when it was interrupted"
    );
    assert!(
        span(queued.id()).instantiated.is_none(),
        "the queued task never ran"
    );
    // A finished task keeps its value when cancelled late.
    let done = rt.submit(fib.parse_call("fib(11)").unwrap()).unwrap();
    assert_eq!(rt.get(&done, None).unwrap(), Value::String("89".into()));
    rt.cancel(&done).unwrap();
    assert_eq!(rt.get(&done, None).unwrap(), Value::String("89".into()));
}

#[test]
fn per_tenant_limits_apply_and_a_submission_can_override_them() {
    let rt = runtime(2);
    let fib = rt.load(Path::new(guests::FIBONACCI)).unwrap();
    let limits = wask::Limits {
        max_memory_bytes: 32 << 20,
        ..Default::default()
    };
    let tight = rt
        .add_tenant(
            "tight",
            TenantConfig {
                limits,
                ..TenantConfig::default()
            },
        )
        .unwrap();
    let call = fib.parse_call("generate-fibonacci(100000)").unwrap();
    let object = tight.submit(call.clone()).unwrap();
    match tight.get(&object, None) {
        Err(GetError::Task {
            error: TaskError::LimitExceeded(hit),
            ..
        }) => {
            assert_eq!(hit.limit, Limit::Memory);
            assert_eq!(hit.to_string(), "memory limit of 32 MiB");
        }
        other => panic!("expected the memory limit, got {other:?}"),
    }
    // A submission may raise its own limit.
    let roomy = wask::TaskOptions {
        limits: Some(wask::Limits::default()),
        ..Default::default()
    };
    let object = tight.call(call).options(roomy).submit().unwrap();
    assert_eq!(tight.get(&object, None).unwrap(), Value::U32(100_000));
}
