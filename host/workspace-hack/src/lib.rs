//! No code: this crate only turns on dependency features (see its Cargo.toml), so that
//! `cargo xtask demo` and `cargo xtask test` share one optimised build.
