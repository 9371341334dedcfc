//! The hostile guest suite: every attack ends with a typed error on its own ref, within
//! its limit, while benign tasks beside it all succeed; host memory returns after.

use std::path::Path;
use std::time::Duration;

use wask::{
    Capabilities, GetError, Limit, Limits, Runtime, RuntimeConfig, TaskError, TaskOptions,
    TenantConfig, Value,
};
use wask_tests::guests;

/// The resident set size of this process, from /proc.
fn rss_bytes() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status.lines().find(|l| l.starts_with("VmRSS:")).unwrap();
    let kib: u64 = line.split_whitespace().nth(1).unwrap().parse().unwrap();
    kib * 1024
}

fn limit_of(result: Result<Value, GetError>) -> Limit {
    match result {
        Err(GetError::Task {
            error: TaskError::LimitExceeded(hit),
            ..
        }) => hit.limit,
        other => panic!("expected a limit to stop the task, got {other:?}"),
    }
}

fn err_text(result: Result<Value, GetError>) -> String {
    match result {
        Ok(Value::Result(Err(Some(message)))) => match *message {
            Value::String(text) => text,
            other => panic!("expected an error string, got {other:?}"),
        },
        other => panic!("expected the guest's typed err(..), got {other:?}"),
    }
}

/// Runs the test named `name` (a path under the test binary) alone in a child
/// process, so what it measures of the process (its resident memory) is its own and
/// not that of tests running beside it; true in that child.
fn alone_in_a_process(name: &str) -> bool {
    const CHILD: &str = "WASK_TEST_ALONE";
    if std::env::var_os(CHILD).is_some() {
        return true;
    }
    let out = std::process::Command::new(std::env::current_exe().unwrap())
        .args([name, "--exact", "--test-threads=1", "--nocapture"])
        .env(CHILD, "1")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && text.contains("1 passed"),
        "{name} failed alone in its process:\n{text}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    false
}

#[test]
fn every_attack_ends_with_its_own_typed_error_while_benign_tasks_succeed() {
    if !alone_in_a_process(
        "hostile::every_attack_ends_with_its_own_typed_error_while_benign_tasks_succeed",
    ) {
        return;
    }
    let limits = Limits {
        deadline: Some(Duration::from_secs(20)),
        max_memory_bytes: 256 << 20,
        max_result_bytes: 1 << 20,
        max_stdout_bytes: 1 << 20,
        ..Limits::default()
    };
    let rt = Runtime::new(RuntimeConfig {
        n_workers: 2,
        default_tenant: TenantConfig {
            limits,
            ..TenantConfig::default()
        },
        ..RuntimeConfig::default()
    })
    .unwrap();
    let hostile = rt.load(Path::new(guests::HOSTILE)).unwrap();
    let call = |text: &str| hostile.parse_call(text).unwrap();
    // Warm up, then measure the baseline.
    rt.get(&rt.submit(call("add(1, 1)")).unwrap(), None)
        .unwrap();
    let baseline = rss_bytes();

    let short = TaskOptions {
        timeout: Some(Duration::from_millis(300)),
        ..TaskOptions::default()
    };
    let spin = rt.call(call("spin()")).options(short).submit().unwrap();
    let bomb = rt.submit(call("memory-bomb()")).unwrap();
    let deep = rt.submit(call("recurse(100000000)")).unwrap();
    let panic = rt.submit(call(r#"panic("boom")"#)).unwrap();
    let giant = rt.submit(call("giant-result(2)")).unwrap();
    let flood = rt.submit(call("stdout-flood(4)")).unwrap();
    let file = rt.submit(call(r#"read-file("/etc/passwd")"#)).unwrap();
    let env = rt.submit(call(r#"read-env("HOME")"#)).unwrap();
    let socket = rt.submit(call(r#"open-socket("127.0.0.1", 9)"#)).unwrap();
    let benign: Vec<_> = (0..20u64)
        .map(|i| {
            rt.submit(
                hostile
                    .call("add", vec![Value::U64(i), Value::U64(i)])
                    .unwrap(),
            )
            .unwrap()
        })
        .collect();

    assert_eq!(limit_of(rt.get(&spin, None)), Limit::Deadline);
    assert_eq!(limit_of(rt.get(&bomb, None)), Limit::Memory);
    assert_eq!(limit_of(rt.get(&deep, None)), Limit::Stack);
    match rt.get(&panic, None) {
        Err(GetError::Task {
            error: TaskError::Trap { panic: Some(p), .. },
            ..
        }) => assert!(p.ends_with(": boom"), "{p}"),
        other => panic!("expected a trap with the panic message, got {other:?}"),
    }
    assert_eq!(limit_of(rt.get(&giant, None)), Limit::ResultSize);
    assert_eq!(limit_of(rt.get(&flood, None)), Limit::Stdout);
    assert!(err_text(rt.get(&file, None)).contains("Capabilities insufficient"));
    assert!(err_text(rt.get(&env, None)).contains("HOME is not set (0 variables visible)"));
    assert_eq!(
        err_text(rt.get(&socket, None)),
        "create-tcp-socket: access-denied"
    );
    for (i, object) in benign.iter().enumerate() {
        assert_eq!(rt.get(object, None).unwrap(), Value::U64(2 * i as u64));
    }
    // The memory bomb alone touched 256 MiB; fresh stores give it all back. A worker
    // drops a task's store just after resolving its ref, so the last store may still be
    // going when the last `get` returns: wait for it (bounded), then check.
    drop((
        spin, bomb, deep, panic, giant, flood, file, env, socket, benign,
    ));
    let mut grown = rss_bytes().saturating_sub(baseline);
    for _ in 0..100 {
        if grown < 128 << 20 {
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
        grown = rss_bytes().saturating_sub(baseline);
    }
    assert!(grown < 128 << 20, "host RSS grew by {} MiB", grown >> 20);
}

#[test]
fn a_granted_folder_is_readable_and_only_that() {
    let dir = std::env::temp_dir().join(format!("wask-grant-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("note.txt"), "granted").unwrap();
    let rt = Runtime::new(RuntimeConfig {
        n_workers: 1,
        ..RuntimeConfig::default()
    })
    .unwrap();
    let hostile = rt.load(Path::new(guests::HOSTILE)).unwrap();
    let reader = rt
        .add_tenant(
            "reader",
            TenantConfig {
                capabilities: Capabilities {
                    read_only_dirs: vec![(dir.clone(), "/data".into())],
                    ..Capabilities::default()
                },
                ..TenantConfig::default()
            },
        )
        .unwrap();
    let read = |tenant: &wask::Tenant, path: &str| {
        let object = tenant
            .submit(hostile.parse_call(&format!("read-file({path:?})")).unwrap())
            .unwrap();
        tenant.get(&object, None).unwrap()
    };
    let granted = read(&reader, "/data/note.txt");
    assert_eq!(
        granted,
        Value::Result(Ok(Some(Box::new(Value::String("granted".into())))))
    );
    assert!(matches!(
        read(&reader, "/etc/passwd"),
        Value::Result(Err(_))
    ));
    // The default tenant was granted nothing.
    assert!(matches!(
        read(rt.default_tenant(), "/data/note.txt"),
        Value::Result(Err(_))
    ));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn seeded_randomness_repeats_and_fresh_randomness_does_not() {
    let rt = Runtime::new(RuntimeConfig {
        n_workers: 1,
        ..RuntimeConfig::default()
    })
    .unwrap();
    let flow = rt.load(Path::new(guests::DATAFLOW)).unwrap();
    let seeded = rt
        .add_tenant(
            "seeded",
            TenantConfig {
                capabilities: Capabilities {
                    random_seed: Some(42),
                    ..Capabilities::default()
                },
                ..TenantConfig::default()
            },
        )
        .unwrap();
    let draw = |tenant: &wask::Tenant| {
        let object = tenant
            .submit(flow.parse_call("random-u64()").unwrap())
            .unwrap();
        tenant.get(&object, None).unwrap()
    };
    assert_eq!(draw(&seeded), draw(&seeded));
    let fresh = rt.default_tenant();
    let draws: std::collections::HashSet<_> = (0..4)
        .map(|_| match draw(fresh) {
            Value::U64(n) => n,
            other => panic!("{other:?}"),
        })
        .collect();
    assert!(draws.len() > 1, "fresh randomness repeated: {draws:?}");
}

#[test]
fn fuel_meters_a_task_when_turned_on() {
    let mut config = RuntimeConfig {
        n_workers: 1,
        ..RuntimeConfig::default()
    };
    config.sandbox.fuel = true;
    let rt = Runtime::new(config).unwrap();
    let fib = rt.load(Path::new(guests::FIBONACCI)).unwrap();
    let tight = TaskOptions {
        limits: Some(Limits {
            fuel: Some(10_000),
            ..Limits::default()
        }),
        ..TaskOptions::default()
    };
    let object = rt
        .call(fib.parse_call("generate-fibonacci(100000)").unwrap())
        .options(tight)
        .submit()
        .unwrap();
    assert_eq!(limit_of(rt.get(&object, None)), Limit::Fuel);
    // Unlimited fuel by default, even with metering on.
    let object = rt.submit(fib.parse_call("fib(90)").unwrap()).unwrap();
    assert!(rt.get(&object, None).is_ok());
    // Without metering, asking for fuel is refused at submit.
    let plain = Runtime::new(RuntimeConfig {
        n_workers: 1,
        ..RuntimeConfig::default()
    })
    .unwrap();
    let fib = plain.load(Path::new(guests::FIBONACCI)).unwrap();
    let asks_fuel = TaskOptions {
        limits: Some(Limits {
            fuel: Some(1),
            ..Limits::default()
        }),
        ..TaskOptions::default()
    };
    assert_eq!(
        plain
            .call(fib.parse_call("fib(1)").unwrap())
            .options(asks_fuel)
            .submit()
            .unwrap_err(),
        wask::SubmitError::FuelOff
    );
}

#[test]
fn a_fuel_limit_without_metering_is_refused_when_made_not_at_submit() {
    let mut config = RuntimeConfig {
        n_workers: 1,
        ..RuntimeConfig::default()
    };
    config.default_tenant.limits.fuel = Some(1_000);
    let err = Runtime::new(config).unwrap_err();
    assert!(matches!(err, wask::SetupError::FuelOff { .. }), "{err:?}");
    assert!(err.to_string().contains("meters no fuel"), "{err}");
    let rt = Runtime::new(RuntimeConfig {
        n_workers: 1,
        ..RuntimeConfig::default()
    })
    .unwrap();
    let mut fuelled = TenantConfig::default();
    fuelled.limits.fuel = Some(1_000);
    assert_eq!(
        rt.add_tenant("fuelled", fuelled).unwrap_err(),
        wask::SubmitError::FuelOff
    );
    assert!(matches!(
        rt.add_tenant("bad id!", TenantConfig::default()),
        Err(wask::SubmitError::BadTenantId(_))
    ));
}

#[test]
fn the_instance_limit_is_named_and_an_import_free_component_needs_no_wasi() {
    let rt = Runtime::new(RuntimeConfig {
        n_workers: 1,
        ..RuntimeConfig::default()
    })
    .unwrap();
    let fib = rt.load(Path::new(guests::FIBONACCI)).unwrap();
    let one_instance = TaskOptions {
        limits: Some(Limits {
            max_instances: 1,
            ..Limits::default()
        }),
        ..TaskOptions::default()
    };
    // A wasip2 component holds several core instances (program, adapter, shims).
    let object = rt
        .call(fib.parse_call("fib(3)").unwrap())
        .options(one_instance.clone())
        .submit()
        .unwrap();
    assert_eq!(limit_of(rt.get(&object, None)), Limit::Instances);
    assert!(fib.imports().iter().any(|i| i.starts_with("wasi:cli/")));
    // The noop component imports nothing at all, so it runs with no WASI context.
    let noop = rt.load(Path::new(guests::NOOP)).unwrap();
    assert_eq!(noop.imports(), &[] as &[String]);
    let object = rt.submit(noop.parse_call("add(2, 40)").unwrap()).unwrap();
    assert_eq!(rt.get(&object, None).unwrap(), Value::U64(42));
}

/// A memory slot is reused by the next task only after it is set back to its initial
/// contents, whether the host reset it in place (its dirty pages up to the pool's
/// keep-resident size, where the kernel allows) or unmapped it: one worker runs
/// `leftover` again and again in the same slots, and no task finds the mark the one
/// before it left in a static variable or on the heap.
#[test]
fn a_task_never_sees_what_the_task_before_it_left_in_memory() {
    let rt = Runtime::new(RuntimeConfig {
        n_workers: 1,
        ..RuntimeConfig::default()
    })
    .unwrap();
    let hostile = rt.load(Path::new(guests::HOSTILE)).unwrap();
    for mark in 1..=40u64 {
        let call = hostile.call("leftover", vec![Value::U64(mark)]).unwrap();
        let found = rt.get(&rt.submit(call).unwrap(), None).unwrap();
        assert_eq!(
            found,
            Value::Tuple(vec![Value::U64(0), Value::U64(0)]),
            "task {mark} found what an earlier task left (static, heap)"
        );
    }
}

#[test]
fn a_task_never_sees_the_memory_an_earlier_task_left() {
    // One worker, so each task gets the slot (and the memory) the one before it used.
    // Its dirty pages are zeroed in place up to the pool's keep-resident size and given
    // back to the kernel past it: 48 MiB covers both ways.
    let rt = Runtime::new(RuntimeConfig {
        n_workers: 1,
        ..RuntimeConfig::default()
    })
    .unwrap();
    let hostile = rt.load(Path::new(guests::HOSTILE)).unwrap();
    let run = |text: &str| {
        rt.get(&rt.submit(hostile.parse_call(text).unwrap()).unwrap(), None)
            .unwrap()
    };
    for _ in 0..3 {
        assert_eq!(run("scribble(48)"), Value::U64(48 << 20));
        assert_eq!(run("leftovers(64)"), Value::U64(0));
    }
}
