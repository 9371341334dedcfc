//! Tests of reading the seed demo's table.

use super::{DemoRow, parse_demo_table};

#[test]
fn demo_table() {
    let out = "\
Wask seed demo: each case serially (1 worker), then in parallel (2 workers)

case            tasks                             serial s  parallel s  speedup  check
fibonacci       2 x generate-fibonacci(20000)        0.123       0.070    1.76x  ok: all 20000; serial == parallel
monte-carlo-pi  4 x sample(seed, 200000)             0.010       0.006    1.67x  FAILED: pi ~ 3.2 is off
image-filters   16 x grayscale-blur(image)           2.000       1.100    1.82x  ok: 16 grayscale PNGs, 1024x1024; serial == parallel

timelines: target/demo/<case>-serial.svg and -parallel.svg
";
    let rows = parse_demo_table(out);
    assert_eq!(rows.len(), 3);
    assert_eq!(
        rows[0],
        DemoRow {
            case: "fibonacci".into(),
            what: "2 x generate-fibonacci(20000)".into(),
            serial_s: 0.123,
            parallel_s: 0.070,
            check: "ok: all 20000; serial == parallel".into(),
            ok: true,
        }
    );
    assert!(!rows[1].ok);
    assert_eq!(rows[1].what, "4 x sample(seed, 200000)");
    assert!((rows[2].parallel_s - 1.1).abs() < 1e-12);
}

#[test]
fn demo_rows_need_the_rust_cases_and_keep_the_python_ones() {
    use std::os::unix::process::ExitStatusExt as _;
    let ok = std::process::ExitStatus::from_raw(0);
    let out = "\
fibonacci       2 x generate-fibonacci(20000)        0.123       0.070    1.76x  ok: all 20000; serial == parallel
monte-carlo-pi  4 x sample(seed, 200000)             0.010       0.006    1.67x  ok: pi ~ 3.14159 (off by 0.00001); serial == parallel
image-filters   16 x grayscale-blur(image)           2.000       1.100    1.82x  ok: 16 grayscale PNGs, 1024x1024; serial == parallel
fibonacci-py    2 x generate-fibonacci(20000)        1.500       0.800    1.88x  ok: all 20000; serial == parallel
monte-carlo-py  8 x sampling-task(200000, i)         4.000       2.100    1.90x  ok: pi ~ 3.14100 (off by 0.00059) in parallel, pi ~ 3.14206 (off by 0.00047) serially
";
    let rows = super::demo_rows(out, ok).unwrap();
    let cases: Vec<&str> = rows.iter().map(|r| r.case.as_str()).collect();
    assert_eq!(
        cases,
        [
            "fibonacci",
            "monte-carlo-pi",
            "image-filters",
            "fibonacci-py",
            "monte-carlo-py"
        ]
    );
    assert_eq!(rows[4].what, "8 x sampling-task(200000, i)");

    let without_images = out
        .lines()
        .filter(|l| !l.starts_with("image"))
        .collect::<Vec<_>>()
        .join("\n");
    let err = super::demo_rows(&without_images, ok).unwrap_err();
    assert_eq!(
        err.to_string(),
        "no row for image-filters in the seed demo's table (exit status: 0)"
    );
}
