//! The one integration-test binary: a module per area, all against guests built from source.
//!
//! `library`, `cli`, `dataflow` and `tenants` run against the backend that
//! `WASK_TEST_BACKEND` names (`local`, the default, or `cluster`; see `tests/backend.rs`);
//! `cargo xtask test` runs `library` and `cli` against both.

/// The library API: submit, get, wait, put, typed calls and load errors; on either backend.
mod library;

/// The real `host` binary: output, exit codes and error messages; `host run` on either
/// backend.
mod cli;

/// Timelines: the Chrome trace and the SVG drawing of a run.
mod timeline;

/// Seed cases 2 and 3 against their native kernels.
mod seed_cases;

/// Tenants: ownership, quotas, concurrency caps, fair turns, cancel.
mod tenants;

/// The bulk path for strings and lists against the generic path, and large bytes.
mod bulk;

/// Dataflow: refs as arguments, upstream failures, several returns, retries, nesting.
mod dataflow;

/// The hostile guest suite, capabilities, seeded randomness and fuel.
mod hostile;

/// The object store: awaiting refs, ids, foreign and freed refs, spilling.
mod objects;

/// The examples that follow the seed's Ray code.
mod examples;

/// Writing tasks: `host new` and `host build` in Rust, Python and JavaScript, and what
/// an author sees (generated WIT, guest errors, `host inspect`).
mod authoring;

/// The host against hostile input that is not a task: the compiled cache, special
/// files, sizes, outputs, values, terminal escapes and signals.
mod hardening;

/// Memoised pure tasks: hits and misses by key, captured output, fixed clocks,
/// impure components refused, damaged entries, `host run --memo`.
mod memo;

/// Cluster mode: a real nats-server and host worker processes; faults lose nothing.
mod cluster;

/// The HTTP service over real sockets: endpoints, tenant isolation, tokens, errors,
/// hostile clients, reload and graceful stop, and `host serve` / `host submit`.
mod service;

/// The service's dashboard in headless Chromium.
mod dashboard;
