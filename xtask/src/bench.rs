//! `cargo xtask bench`: the benchmark suite that writes docs/BENCHMARKS.md.

/// Runs the benchmarks; `args` are the flags after `bench`.
pub fn run(args: &[String]) -> anyhow::Result<()> {
    anyhow::bail!("cargo xtask bench is not written yet (args: {args:?})")
}
