//! Memoised pure tasks: hits and misses by key, captured output, fixed clocks, impure
//! components refused, damaged entries run again, and `host run --memo`.

use std::path::{Path, PathBuf};

use wask::{
    Capabilities, Limits, MemoStats, ObjectRef, Runtime, RuntimeConfig, SubmitError, Tenant,
    TenantConfig, Value,
};
use wask_tests::{check, guests, stderr, stdout};

/// A fresh folder for one test, removed when dropped.
struct Scratch(PathBuf);

impl Scratch {
    fn new(name: &str) -> Self {
        let dir = std::env::temp_dir().join(format!("wask-memo-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Scratch(dir)
    }

    fn path(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A runtime (one worker) whose memo folder is `memo_dir`: each test makes a fresh
/// one per step, so a hit can only come from the folder.
fn runtime(memo_dir: &Path) -> Runtime {
    Runtime::new(RuntimeConfig {
        n_workers: 1,
        memo_dir: Some(memo_dir.to_owned()),
        ..RuntimeConfig::default()
    })
    .expect("the runtime starts")
}

/// A tenant whose tasks draw their random numbers from `seed`.
fn seeded(rt: &Runtime, seed: u64) -> Tenant {
    rt.add_tenant(
        &format!("seed-{seed}"),
        TenantConfig {
            capabilities: Capabilities {
                random_seed: Some(seed),
                ..Capabilities::default()
            },
            ..TenantConfig::default()
        },
    )
    .unwrap()
}

/// Runs `call` of `component` memoised for `tenant`: its value and whether it was a hit.
fn memo_call(tenant: &Tenant, component: &wask::TaskComponent, call: &str) -> (Value, bool) {
    let object = tenant
        .call(component.parse_call(call).unwrap())
        .memo()
        .submit()
        .unwrap();
    let value = tenant.get(&object, None).unwrap();
    (value, hit(&object))
}

fn hit(object: &ObjectRef) -> bool {
    object.run_info().expect("the task ran here").memo_hit
}

/// The `.memo` entries of a memo folder.
fn entries(dir: &Path) -> Vec<PathBuf> {
    let mut found: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "memo"))
        .collect();
    found.sort();
    found
}

#[test]
fn a_second_identical_call_is_answered_from_the_memo_folder() {
    let scratch = Scratch::new("hit");
    let dir = scratch.path("memo");
    let rt = runtime(&dir);
    let noop = rt.load(Path::new(guests::NOOP)).unwrap();
    assert_eq!(memo_call(&rt, &noop, "add(2, 3)"), (Value::U64(5), false));
    assert_eq!(
        rt.memo_stats(),
        MemoStats {
            hits: 0,
            misses: 1,
            stored: 1,
            damaged: 0
        }
    );
    assert_eq!(entries(&dir).len(), 1);
    assert_eq!(memo_call(&rt, &noop, "add(2, 3)"), (Value::U64(5), true));
    drop(rt);

    // Another runtime (another process, as far as the folder knows) hits too.
    let rt = runtime(&dir);
    let noop = rt.load(Path::new(guests::NOOP)).unwrap();
    assert_eq!(memo_call(&rt, &noop, "add(2, 3)"), (Value::U64(5), true));
    assert_eq!(rt.memo_stats().hits, 1);
    assert_eq!(rt.memo_stats().stored, 0);
    // Without the option, the call runs as ever.
    let object = rt.submit(noop.parse_call("add(2, 3)").unwrap()).unwrap();
    assert_eq!(rt.get(&object, None).unwrap(), Value::U64(5));
    assert!(!hit(&object));
}

#[test]
fn a_changed_argument_function_seed_limit_or_component_misses() {
    let scratch = Scratch::new("miss");
    let dir = scratch.path("memo");
    let rt = runtime(&dir);
    let noop = rt.load(Path::new(guests::NOOP)).unwrap();
    let pure = rt.load(Path::new(guests::PURE)).unwrap();
    let (one, two) = (seeded(&rt, 1), seeded(&rt, 2));
    assert_eq!(memo_call(&rt, &noop, "add(2, 3)"), (Value::U64(5), false));
    // A changed argument.
    assert_eq!(memo_call(&rt, &noop, "add(2, 4)"), (Value::U64(6), false));
    assert_eq!(memo_call(&rt, &noop, "add(3, 2)"), (Value::U64(5), false));
    // A changed function with the same (no) arguments.
    let (drawn, was_hit) = memo_call(&one, &pure, "random-u64()");
    assert!(!was_hit);
    assert!(!memo_call(&one, &pure, "clocks()").1);
    // A changed seed: a miss, and another number.
    let (drawn_2, was_hit) = memo_call(&two, &pure, "random-u64()");
    assert!(!was_hit);
    assert_ne!(drawn, drawn_2);
    assert_eq!(memo_call(&one, &pure, "random-u64()"), (drawn, true));
    // A changed limit that decides whether a run succeeds.
    let object = rt
        .call(noop.parse_call("add(2, 3)").unwrap())
        .memo()
        .limits(Limits {
            max_stdout_bytes: 10,
            ..Limits::default()
        })
        .submit()
        .unwrap();
    assert_eq!(rt.get(&object, None).unwrap(), Value::U64(5));
    assert!(!hit(&object));
    // A timeout is not part of the key: it does not change what a pure task computes.
    let object = rt
        .call(noop.parse_call("add(2, 3)").unwrap())
        .memo()
        .timeout(std::time::Duration::from_secs(77))
        .submit()
        .unwrap();
    assert_eq!(rt.get(&object, None).unwrap(), Value::U64(5));
    assert!(hit(&object));
    // A changed component: the same code with one more custom section.
    let mut bytes = std::fs::read(guests::NOOP).unwrap();
    bytes.extend_from_slice(&[0, 5, 4, b'n', b'o', b't', b'e']);
    let other = rt.load_bytes("noop-with-a-note.wasm", &bytes).unwrap();
    assert_ne!(other.digest(), noop.digest());
    assert_eq!(memo_call(&rt, &other, "add(2, 3)"), (Value::U64(5), false));
    assert_eq!(memo_call(&rt, &other, "add(2, 3)"), (Value::U64(5), true));
}

#[test]
fn captured_output_is_memoised_with_the_result() {
    let scratch = Scratch::new("output");
    let dir = scratch.path("memo");
    let outputs: Vec<_> = (0..2)
        .map(|_| {
            let rt = runtime(&dir);
            let pure = rt.load(Path::new(guests::PURE)).unwrap();
            let tenant = seeded(&rt, 7);
            let object = tenant
                .call(pure.parse_call(r#"greet("ada")"#).unwrap())
                .memo()
                .submit()
                .unwrap();
            let output = tenant.get_output(&object, None).unwrap();
            (
                hit(&object),
                output.value.clone(),
                output.stdout.clone(),
                output.stderr.clone(),
            )
        })
        .collect();
    let expected = |was_hit| {
        (
            was_hit,
            Value::String("hello, ada".into()),
            b"greeting ada\n".to_vec(),
            b"about to greet ada\n".to_vec(),
        )
    };
    assert_eq!(outputs, vec![expected(false), expected(true)]);
}

#[test]
fn memoised_tasks_see_fixed_clocks() {
    let scratch = Scratch::new("clocks");
    // Two folders, so both calls run.
    let readings: Vec<Value> = ["a", "b"]
        .iter()
        .map(|name| {
            let rt = runtime(&scratch.path(name));
            let pure = rt.load(Path::new(guests::PURE)).unwrap();
            let (value, was_hit) = memo_call(&seeded(&rt, 1), &pure, "clocks()");
            assert!(!was_hit);
            value
        })
        .collect();
    assert_eq!(readings[0], readings[1]);
    let Value::Tuple(parts) = &readings[0] else {
        panic!("expected a tuple, got {:?}", readings[0]);
    };
    // 2000-01-01 00:00:00 UTC, in nanoseconds.
    assert_eq!(parts[0], Value::U64(946_684_800_000_000_000));
    assert!(matches!(parts[1], Value::U64(n) if n > 0), "{parts:?}");
}

/// The message a memoised submission of `call` is refused with.
fn refusal(tenant: &Tenant, component: &wask::TaskComponent, call: &str) -> String {
    let refused = tenant
        .call(component.parse_call(call).unwrap())
        .memo()
        .submit()
        .expect_err("the submission is refused");
    assert!(
        matches!(
            refused,
            SubmitError::Impure { .. } | SubmitError::MemoUnavailable(_)
        ),
        "{refused:?}"
    );
    refused.to_string()
}

#[test]
fn impure_components_are_refused_naming_what_makes_them_impure() {
    let scratch = Scratch::new("impure");
    let rt = runtime(&scratch.path("memo"));
    let pure = rt.load(Path::new(guests::PURE)).unwrap();
    let message = refusal(&rt, &pure, "random-u64()");
    assert!(
        message.starts_with(
            "`random-u64` of pure.wasm cannot be memoised: it imports wasi:random/insecure-seed"
        ) && message.contains("no random seed is set")
            && message.contains("--random-seed"),
        "{message}"
    );
    let hostile = rt.load(Path::new(guests::HOSTILE)).unwrap();
    let message = refusal(&rt, &hostile, "add(1, 2)");
    assert!(message.contains("it imports wasi:sockets/"), "{message}");
    let dataflow = rt.load(Path::new(guests::DATAFLOW)).unwrap();
    let message = refusal(&seeded(&rt, 1), &dataflow, "increment(1)");
    assert!(
        message.contains("it imports wask:runtime/tasks (nested tasks)"),
        "{message}"
    );
    // A granted folder makes a component that imports the filesystem impure...
    let granted = scratch.path("granted");
    std::fs::create_dir_all(&granted).unwrap();
    let reader = rt
        .add_tenant(
            "reader",
            TenantConfig {
                capabilities: Capabilities {
                    read_only_dirs: vec![(granted.clone(), "/data".into())],
                    ..Capabilities::default()
                },
                ..TenantConfig::default()
            },
        )
        .unwrap();
    let fib = rt.load(Path::new(guests::FIBONACCI)).unwrap();
    let message = refusal(&reader, &fib, "fib(10)");
    assert!(
        message.contains("wasi:filesystem/")
            && message.contains(&granted.display().to_string())
            && message.contains("--allow-read"),
        "{message}"
    );
    // ... but not one that imports nothing.
    let noop = rt.load(Path::new(guests::NOOP)).unwrap();
    assert_eq!(
        memo_call(&reader, &noop, "add(1, 1)"),
        (Value::U64(2), false)
    );
    // And without it, the filesystem holds nothing to observe.
    assert!(!memo_call(&rt, &fib, "fib(10)").1);
    assert!(memo_call(&rt, &fib, "fib(10)").1);
    assert_eq!(std::fs::read_dir(&granted).unwrap().count(), 0);
}

#[test]
fn a_runtime_without_a_memo_folder_refuses_memoised_tasks() {
    let rt = Runtime::new(RuntimeConfig {
        n_workers: 1,
        memo_dir: None,
        ..RuntimeConfig::default()
    })
    .unwrap();
    let noop = rt.load(Path::new(guests::NOOP)).unwrap();
    assert_eq!(
        refusal(&rt, &noop, "add(1, 2)"),
        "memoisation is unavailable: this runtime has no memo folder (RuntimeConfig::memo_dir)"
    );
}

#[test]
fn failures_are_not_memoised() {
    let scratch = Scratch::new("failures");
    let rt = runtime(&scratch.path("memo"));
    let noop = rt.load(Path::new(guests::NOOP)).unwrap();
    for _ in 0..2 {
        let object = rt
            .call(noop.parse_call("echo([1, 2, 3, 4])").unwrap())
            .memo()
            .limits(Limits {
                max_result_bytes: 2,
                ..Limits::default()
            })
            .submit()
            .unwrap();
        assert!(rt.get(&object, None).is_err());
        assert!(!hit(&object));
    }
    assert_eq!(rt.memo_stats().stored, 0);
    assert_eq!(rt.memo_stats().misses, 2);
}

#[test]
fn a_damaged_or_truncated_entry_is_run_again_never_trusted() {
    let scratch = Scratch::new("damaged");
    let dir = scratch.path("memo");
    let run = || {
        let rt = runtime(&dir);
        let noop = rt.load(Path::new(guests::NOOP)).unwrap();
        let got = memo_call(&rt, &noop, "add(20, 22)");
        (got, rt.memo_stats())
    };
    assert_eq!(run().0, (Value::U64(42), false));
    let found = entries(&dir);
    let [entry] = found.as_slice() else {
        panic!("expected one memo entry, found {found:?}");
    };
    let sound = std::fs::read(entry).unwrap();
    // A flipped byte in the stored value, then an entry cut short.
    let mut flipped = sound.clone();
    *flipped.last_mut().unwrap() ^= 0xff;
    for damaged in [flipped, sound[..sound.len() - 3].to_vec()] {
        std::fs::write(entry, &damaged).unwrap();
        let ((value, was_hit), stats) = run();
        assert_eq!((value, was_hit), (Value::U64(42), false));
        assert_eq!((stats.damaged, stats.stored), (1, 1), "{stats:?}");
        // The entry was written again, whole.
        assert_eq!(std::fs::read(entry).unwrap(), sound);
    }
    assert_eq!(run().0, (Value::U64(42), true));
}

#[test]
fn host_run_memo_answers_the_second_run_from_the_memo_folder() {
    let scratch = Scratch::new("cli");
    let dir = scratch.path("memo").display().to_string();
    let args = [
        "run",
        guests::NOOP,
        "--memo",
        "--memo-dir",
        &dir,
        "--invoke",
        "add(2, 3)",
        "--invoke",
        "add(4, 5)",
    ];
    let first = check(&args, None, 0, "memo: 0 hits, 2 stored");
    assert_eq!(stdout(&first), "5\n9\n");
    let second = check(&args, None, 0, "memo: 2 hits, 0 stored");
    assert_eq!(stdout(&second), "5\n9\n");
    // An impure component is refused before anything runs, naming the import.
    let out = check(
        &[
            "run",
            guests::PURE,
            "--memo",
            "--memo-dir",
            &dir,
            "--invoke",
            "random-u64()",
        ],
        None,
        2,
        "it imports wasi:random/insecure-seed",
    );
    assert!(stdout(&out).is_empty(), "{}", stderr(&out));
}
