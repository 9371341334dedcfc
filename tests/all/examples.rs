//! The examples that follow the seed's Ray code run and print what they promise.

use std::process::Command;

use wask_tests::{example_bin, guests};

#[test]
fn the_ray_tasks_example_walks_through_the_seed_step_by_step() {
    let out = Command::new(example_bin("ray_tasks"))
        .args([guests::FIBONACCI, guests::DATAFLOW])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 5, "{stdout}");
    assert!(lines[0].starts_with("1. remote call returned ObjectRef("));
    assert_eq!(lines[1], "2. get: U32(20000)");
    assert!(lines[2].contains("U32(20000)"));
    assert!(lines[3].starts_with("4. wait in a loop"));
    for n in ["U32(1000)", "U32(10000)", "U32(30000)"] {
        assert!(lines[3].contains(n), "{}", lines[3]);
    }
    assert_eq!(
        lines[4],
        "5. put + refs as arguments: increment(put(41)) = U64(42), sum([1, 2]) = U64(3), \
split(1..=6) = List([U64(2), U64(4), U64(6)]) and List([U64(1), U64(3), U64(5)])"
    );
}
