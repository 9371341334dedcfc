//! The tenants file: what it takes, and each problem named at its line.

use std::path::Path;
use std::time::Duration;

use super::*;

const HASH_A: &str = "sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
const HASH_B: &str = "sha256:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";

fn parse(text: &str) -> Result<TenantsFile, TenantsError> {
    TenantsFile::parse(Path::new("tenants.toml"), text)
}

/// The error message of a bad file.
fn error(text: &str) -> String {
    parse(text).unwrap_err().to_string()
}

#[test]
fn a_full_tenant() {
    let file = parse(&format!(
        r#"
admin-token = "{HASH_A}"

[tenants.alice]
token = "{HASH_B}"
max-concurrency = 2
object-quota = "512M"
priority = 3
allow-read = ["/tmp::/data"]
rate-limit = 100
max-pending = 50
max-tasks = 70
max-components = 4
max-retries = 1

[tenants.alice.limits]
timeout = "30s"
fuel = 1000
max-memory = "256M"
max-result = "1M"
max-output = 4096
"#
    ))
    .unwrap();
    assert_eq!(file.admin_token, Some(HASH_A.parse().unwrap()));
    assert!(file.needs_fuel);
    let alice = &file.tenants[0];
    assert_eq!(alice.id, "alice");
    assert_eq!(alice.max_concurrency, 2);
    assert_eq!(alice.object_quota_bytes, 512 << 20);
    assert_eq!(alice.priority, 3);
    assert_eq!(alice.rate_limit, Some((100.0, 200.0)));
    assert_eq!((alice.max_pending, alice.max_tasks), (50, 70));
    assert_eq!((alice.max_components, alice.max_retries), (4, 1));
    assert_eq!(alice.limits.deadline, Some(Duration::from_secs(30)));
    assert_eq!(alice.limits.fuel, Some(1000));
    assert_eq!(alice.limits.max_memory_bytes, 256 << 20);
    assert_eq!(alice.limits.max_result_bytes, 1 << 20);
    assert_eq!(alice.limits.max_stdout_bytes, 4096);
    assert_eq!(
        alice.capabilities.read_only_dirs,
        vec![("/tmp".into(), "/data".to_owned())]
    );
}

#[test]
fn defaults_of_a_bare_tenant() {
    let file = parse(&format!("[tenants.bob]\ntoken = \"{HASH_B}\"\n")).unwrap();
    let bob = &file.tenants[0];
    assert_eq!(file.admin_token, None);
    assert!(!file.needs_fuel);
    assert_eq!(bob.limits, Limits::default());
    assert_eq!(bob.rate_limit, None);
    assert_eq!(bob.max_pending, DEFAULT_MAX_PENDING);
    assert_eq!(bob.max_concurrency, usize::MAX);
}

#[test]
fn problems_are_named_at_their_line() {
    let cases = [
        (
            format!("[tenants.a]\ntoken = \"{HASH_A}\"\nmax-concurency = 2\n"),
            "tenants.toml:3:1: unknown field `max-concurency`",
        ),
        (
            "[tenants.a]\ntoken = \"hunter2\"\n".to_owned(),
            "tenants.toml:2:9: tenant `a`: token: expected `sha256:` and 64 hex digits",
        ),
        (
            format!(
                "[tenants.a]\ntoken = \"{HASH_A}\"\n[tenants.a.limits]\nmax-memory = \"lots\"\n"
            ),
            "tenants.toml:4:14: expected a size in bytes such as 65536, 64K, 16M or 2G, got `lots`",
        ),
        (
            format!("[tenants.a]\ntoken = \"{HASH_A}\"\n[tenants.b]\ntoken = \"{HASH_A}\"\n"),
            "tenants.toml:4:9: tenant `b` has the same token as tenant `a`",
        ),
        (
            format!("[tenants.\"a b\"]\ntoken = \"{HASH_A}\"\n"),
            "tenants.toml:1:10: tenant id `a b` is not allowed",
        ),
        (
            format!("[tenants.default]\ntoken = \"{HASH_A}\"\n"),
            "tenants.toml:1:10: tenant id `default` is reserved",
        ),
        (
            format!("[tenants.a]\ntoken = \"{HASH_A}\"\nallow-read = [\"/no/such/folder\"]\n"),
            "tenants.toml:3:15: tenant `a`: allow-read `/no/such/folder`: No such file or directory",
        ),
        (
            format!("[tenants.a]\ntoken = \"{HASH_A}\"\nrate-limit = -1\n"),
            "tenant `a`: rate-limit must be a positive number",
        ),
        (
            format!("[tenants.a]\ntoken = \"{HASH_A}\"\nmax-concurrency = 0\n"),
            "tenant `a`: max-concurrency must be at least 1",
        ),
        ("[tenants.a\ntoken = 1\n".to_owned(), "tenants.toml:1:"),
        (
            format!("admin-token = \"{HASH_A}\"\n[tenants.a]\ntoken = \"{HASH_A}\"\n"),
            "tenant `a` has the same token as the admin token",
        ),
    ];
    for (text, expected) in cases {
        let message = error(&text);
        assert!(
            message.contains(expected),
            "for\n{text}\nexpected the error to contain\n  {expected}\ngot\n  {message}"
        );
    }
}

#[test]
fn lines_and_columns() {
    assert_eq!(line_column("ab\ncd", 0), (1, 1));
    assert_eq!(line_column("ab\ncd", 4), (2, 2));
    assert_eq!(line_column("é\nx", 3), (2, 1));
    assert_eq!(line_column("abc", 99), (1, 4));
}
