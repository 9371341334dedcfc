//! Integration tests of the `wask` library against the fibonacci guest, on the test
//! backend (`WASK_TEST_BACKEND`): the local runtime or a cluster of worker processes.

use std::path::Path;
use std::time::Duration;

use wask::{CallError, GetError, LoadError, Runtime, RuntimeConfig, TaskError, Value};
use wask_tests::guests;

fn runtime(n_workers: usize) -> Runtime {
    wask_tests::backend::runtime(RuntimeConfig {
        n_workers,
        ..RuntimeConfig::default()
    })
}

#[test]
fn results_are_correct_and_in_submission_order() {
    let rt = runtime(4);
    let fib = rt.load(Path::new(guests::FIBONACCI)).unwrap();
    let ns = [100u32, 0, 1, 2, 10, 50, 93, 94];
    let refs: Vec<_> = ns
        .iter()
        .map(|n| {
            rt.submit(fib.call("fib", vec![Value::U32(*n)]).unwrap())
                .unwrap()
        })
        .collect();
    let got: Vec<Value> = rt.get_all(&refs, None).unwrap();
    let expected = [
        "354224848179261915075",
        "0",
        "1",
        "1",
        "55",
        "12586269025",
        "12200160415121876738",
        "19740274219868223167",
    ];
    let expected: Vec<Value> = expected
        .iter()
        .map(|s| Value::String(s.to_string()))
        .collect();
    assert_eq!(got, expected);
}

#[test]
fn generate_fibonacci_returns_the_sequence_length() {
    let rt = runtime(2);
    let fib = rt.load(Path::new(guests::FIBONACCI)).unwrap();
    let refs: Vec<_> = (0..4)
        .map(|_| {
            rt.submit(fib.parse_call("generate-fibonacci(20000)").unwrap())
                .unwrap()
        })
        .collect();
    assert_eq!(rt.get_all(&refs, None).unwrap(), vec![Value::U32(20000); 4]);
}

#[test]
fn a_trap_fails_only_its_own_ref_and_carries_the_panic_message() {
    let rt = runtime(2);
    let fib = rt.load(Path::new(guests::FIBONACCI)).unwrap();
    // Vec::with_capacity(u32::MAX) of big integers overflows wasm32's address space.
    let calls = ["fib(10)", "generate-fibonacci(4294967295)", "fib(11)"];
    let refs: Vec<_> = calls
        .iter()
        .map(|c| rt.submit(fib.parse_call(c).unwrap()).unwrap())
        .collect();
    assert_eq!(rt.get(&refs[0], None).unwrap(), Value::String("55".into()));
    assert_eq!(rt.get(&refs[2], None).unwrap(), Value::String("89".into()));
    match rt.get(&refs[1], None) {
        Err(GetError::Task {
            error: TaskError::Trap { panic, stderr, .. },
            ..
        }) => {
            let panic = panic.expect("the guest's panic message is read from its stderr");
            assert!(panic.contains("capacity overflow"), "{panic}");
            assert!(stderr.contains("panicked at"), "{stderr}");
        }
        other => panic!("expected a trap, got {other:?}"),
    }
    // The worker that ran the trap goes on working.
    let again = rt.submit(fib.parse_call("fib(12)").unwrap()).unwrap();
    assert_eq!(rt.get(&again, None).unwrap(), Value::String("144".into()));
}

#[test]
fn get_times_out_and_wait_splits_ready_from_pending() {
    let rt = runtime(1);
    let fib = rt.load(Path::new(guests::FIBONACCI)).unwrap();
    // One worker: the slow task holds it, so the one behind it stays queued. That one
    // is slow too, so it is still pending a millisecond later on a backend with more
    // than one worker (a cluster) as well.
    let slow = rt
        .submit(fib.parse_call("generate-fibonacci(100000)").unwrap())
        .unwrap();
    let queued = rt
        .submit(fib.parse_call("generate-fibonacci(100001)").unwrap())
        .unwrap();
    assert!(matches!(
        rt.get(&queued, Some(Duration::from_millis(1))),
        Err(GetError::Timeout { .. })
    ));
    let ready_now = rt.put(Value::U8(7));
    let refs = [slow.clone(), queued.clone(), ready_now.clone()];
    let (ready, pending) = rt.wait(&refs, 1, None).unwrap();
    assert_eq!(ready.len(), 1);
    assert_eq!(pending.len(), 2);
    let (ready, pending) = rt.wait(&refs, 3, None).unwrap();
    assert_eq!((ready.len(), pending.len()), (3, 0));
    assert_eq!(rt.get(&queued, None).unwrap(), Value::U32(100_001));
}

#[test]
fn a_task_past_its_deadline_is_interrupted() {
    let rt = runtime(1);
    let fib = rt.load(Path::new(guests::FIBONACCI)).unwrap();
    let options = wask::TaskOptions {
        timeout: Some(Duration::from_millis(20)),
        ..Default::default()
    };
    let slow = rt
        .call(fib.parse_call("fib(5000000)").unwrap())
        .options(options)
        .submit()
        .unwrap();
    match rt.get(&slow, None) {
        Err(GetError::Task {
            error: TaskError::LimitExceeded(hit),
            ..
        }) => {
            assert_eq!(hit.limit, wask::Limit::Deadline);
            assert_eq!(hit.to_string(), "deadline of 0.020 s");
        }
        other => panic!("expected the deadline to interrupt the task, got {other:?}"),
    }
}

#[test]
fn calls_that_do_not_fit_the_signature_are_rejected_before_running() {
    let rt = runtime(1);
    let fib = rt.load(Path::new(guests::FIBONACCI)).unwrap();
    let check = |text: &str, expected: &str| {
        let err = fib.parse_call(text).unwrap_err();
        assert_eq!(err.to_string(), expected, "for `{text}`");
    };
    check(
        "fib(1, 2)",
        "`fib` takes 1 argument (fib: func(n: u32) -> string), but 2 were given",
    );
    check(
        "generate-fibonacci()",
        "`generate-fibonacci` takes 1 argument (generate-fibonacci: func(sequence-size: u32) -> u32), but 0 were given",
    );
    check(
        "nope(1)",
        "unknown function `nope`; fibonacci.wasm exports: generate-fibonacci: func(sequence-size: u32) -> u32, fib: func(n: u32) -> string",
    );
    assert!(matches!(
        fib.parse_call("fib(\"x\")"),
        Err(CallError::WrongType { position: 1, ref expected, .. }) if expected == "u32"
    ));
    assert!(matches!(
        fib.parse_call("fib(5"),
        Err(CallError::Syntax { .. })
    ));
    // Values given directly are checked the same way.
    assert_eq!(
        fib.call("fib", vec![Value::String("5".into())])
            .unwrap_err()
            .to_string(),
        "argument 1 (`n`) of `fib`: expected u32, got a string"
    );
}

#[test]
fn files_that_are_not_components_get_clear_load_errors() {
    let rt = runtime(1);
    let dir = std::env::temp_dir().join(format!("wask-load-errors-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let text = dir.join("notes.txt");
    std::fs::write(&text, "not wasm at all").unwrap();
    let core = dir.join("core.wasm");
    std::fs::write(&core, b"\0asm\x01\0\0\0").unwrap();
    let truncated = dir.join("truncated.wasm");
    let bytes = std::fs::read(guests::FIBONACCI).unwrap();
    std::fs::write(&truncated, &bytes[..bytes.len() / 2]).unwrap();

    assert!(matches!(
        rt.load(&dir.join("missing.wasm")),
        Err(LoadError::Read { .. })
    ));
    assert!(matches!(rt.load(&text), Err(LoadError::NotWasm { .. })));
    assert!(matches!(rt.load(&core), Err(LoadError::CoreModule { .. })));
    assert!(matches!(
        rt.load(&truncated),
        Err(LoadError::Compile { .. })
    ));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn the_compiled_component_cache_is_filled_and_reused() {
    let dir = std::env::temp_dir().join(format!("wask-cache-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let config = || {
        let mut config = RuntimeConfig {
            n_workers: 1,
            ..RuntimeConfig::default()
        };
        config.sandbox.cache_dir = Some(dir.clone());
        config
    };
    let bytes = std::fs::read(guests::FIBONACCI).unwrap();
    let rt = wask_tests::backend::runtime(config());
    assert!(!rt.is_cached(&bytes));
    rt.load(Path::new(guests::FIBONACCI)).unwrap();
    assert!(rt.is_cached(&bytes));
    drop(rt);
    // A second runtime loads the artifact and it runs.
    let rt = wask_tests::backend::runtime(config());
    assert!(rt.is_cached(&bytes));
    let fib = rt.load(Path::new(guests::FIBONACCI)).unwrap();
    let object = rt.submit(fib.parse_call("fib(20)").unwrap()).unwrap();
    assert_eq!(rt.get(&object, None).unwrap(), Value::String("6765".into()));
    std::fs::remove_dir_all(&dir).unwrap();
}
