//! The bulk path for strings and lists: the same value as the generic path for every
//! shape, and byte arguments and results far past what the generic path holds.

use std::path::Path;

use wask::{GetError, Runtime, RuntimeConfig, SandboxConfig, TaskComponent, Value};
use wask_tests::guests;

fn runtime(bulk_path: bool) -> Runtime {
    Runtime::new(RuntimeConfig {
        n_workers: 1,
        sandbox: SandboxConfig {
            bulk_path,
            ..SandboxConfig::default()
        },
        ..RuntimeConfig::default()
    })
    .unwrap()
}

fn run(rt: &Runtime, component: &TaskComponent, call: &str) -> Result<Value, GetError> {
    let call = component
        .parse_call(call)
        .unwrap_or_else(|e| panic!("{call}: {e}"));
    rt.get(&rt.submit(call).unwrap(), None)
}

/// Runs each call on both paths and checks they answer alike (values, or errors
/// printed alike).
fn check_same(guest: &str, calls: &[&str]) {
    let (bulk, generic) = (runtime(true), runtime(false));
    let on_bulk = bulk.load(Path::new(guest)).unwrap();
    let on_generic = generic.load(Path::new(guest)).unwrap();
    for call in calls {
        let a = run(&bulk, &on_bulk, call);
        let b = run(&generic, &on_generic, call);
        match (&a, &b) {
            (Ok(a), Ok(b)) => assert_eq!(a, b, "{call}"),
            (Err(a), Err(b)) => assert_eq!(a.to_string(), b.to_string(), "{call}"),
            _ => panic!("{call}: the bulk path gave {a:?}, the generic path {b:?}"),
        }
    }
}

#[test]
fn both_paths_give_the_same_value_for_every_shape() {
    check_same(
        guests::SHAPES,
        &[
            r#"echo-point({x: -3, y: 4, label: some("a label")})"#,
            "echo-point({x: 1, y: 2, label: none})",
            "echo-shape(circle(2.5))",
            r#"echo-shape(rect({x: 1, y: -1, label: some("r")}))"#,
            "echo-shape(empty)",
            "echo-color(blue)",
            "echo-perms({read, exec})",
            "echo-perms({})",
            "echo-f32(-0.0)",
            "echo-f64(1.5e300)",
            "echo-char('ß')",
            r#"echo-string("héllo, wörld \u{1f600}")"#,
            r#"echo-string("")"#,
            "echo-u64(18446744073709551615)",
            "echo-option(some(7))",
            "echo-option(none)",
            "echo-result(ok(1))",
            r#"echo-result(err("no"))"#,
            r#"echo-blob({name: "b", data: [0, 1, 255]})"#,
            r#"echo-blob({name: "", data: []})"#,
            r#"echo-strings(["a", "", "ccc"])"#,
            "echo-strings([])",
            "byte-count([1, 2, 3])",
            "byte-count([])",
            r#"tagged-count("tag", [9, 9], 40)"#,
            "make-bytes(1000)",
            "make-bytes(0)",
            r#"string-len("four")"#,
            "make-string(300)",
            r#"blob-size({name: "abc", data: [1, 2]})"#,
            r#"concat("ab", [99, 100])"#,
            r#"strip-prefix([1, 2, 3], "")"#,
            r#"strip-prefix([104, 105, 33], "hi")"#,
            r#"strip-prefix([1, 2], "hi")"#,
            "chunks([1, 2, 3, 4, 5], 2)",
            "chunks([], 3)",
            "join([[1], [], [2, 3]])",
            "join([])",
            r#"describe(rect({x: 1, y: 2, label: some("l")}), some("t"), {write})"#,
            "describe(circle(1.0), none, {read, write, exec})",
            "describe(empty, none, {})",
            r#"print-scalars(true, -5, -300, -1.5, 'x', green, some(7), "s")"#,
            r#"print-scalars(false, 127, 32767, nan, '\u{10ffff}', red, none, "")"#,
            "make-scalars(-7)",
            "make-scalars(0)",
            "make-scalars(1234567)",
            r#"four-points({x: 1, y: 2, label: some("ab")}, {x: 3, y: 4, label: none}, {x: 5, y: 6, label: none}, {x: 7, y: 8, label: some("c")})"#,
        ],
    );
}

#[test]
fn both_paths_give_the_same_answer_for_the_hostile_guest() {
    check_same(
        guests::HOSTILE,
        &[
            "add(1, 2)",
            r#"read-file("/etc/passwd")"#,
            r#"read-env("HOME")"#,
            r#"panic("boom")"#,
            "giant-result(1)",
        ],
    );
}

#[test]
fn bytes_of_fifty_megabytes_cross_both_ways_on_the_bulk_path() {
    const N: usize = 50_000_000;
    let rt = runtime(true);
    let shapes = rt.load(Path::new(guests::SHAPES)).unwrap();
    let made = run(&rt, &shapes, &format!("make-bytes({N})")).unwrap();
    let Value::Bytes(bytes) = made.clone() else {
        panic!("expected bytes, got another value");
    };
    assert_eq!(bytes.len(), N);
    assert!(
        bytes
            .iter()
            .enumerate()
            .all(|(i, b)| usize::from(*b) == i % 251)
    );
    let call = shapes.call("byte-count", vec![made.clone()]).unwrap();
    assert_eq!(
        rt.get(&rt.submit(call).unwrap(), None).unwrap(),
        Value::U64(N as u64)
    );
    let call = shapes
        .call("concat", vec![Value::String("head".into()), made])
        .unwrap();
    let Value::Bytes(joined) = rt.get(&rt.submit(call).unwrap(), None).unwrap() else {
        panic!("expected bytes");
    };
    assert_eq!(joined.len(), N + 4);
    assert_eq!(&joined[..4], b"head");
    assert_eq!(&joined[4..], &bytes[..]);
}
