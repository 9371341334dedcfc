//! Compute kernels of the seed's tasks, in plain Rust that builds both natively and for
//! `wasm32-wasip2`, so a benchmark can run the very same code on both sides.
//!
//! - [`fibonacci`]: case 1, Fibonacci sequences with arbitrary-precision integers (64-bit limbs).
//! - [`monte_carlo`]: case 2, estimating π by sampling points in the unit square.
//! - [`image_filters`]: case 3, decode → filter → encode PNG.
//! - [`sample_images`]: the deterministic test pictures case 3 runs on.
//!
//! Nothing here knows about wasm, WIT or the host: the guests in `guest-tasks/` are thin
//! wrappers around these functions.

// Pixel and sample arithmetic narrows values whose range the code bounds first (a
// clamp, a modulus, a mask), and the hot helpers are forced inline because these loops
// are what the wasm-against-native benchmark measures.
#![allow(
    clippy::cast_possible_truncation,
    clippy::cast_possible_wrap,
    clippy::cast_sign_loss,
    clippy::inline_always,
    reason = "bounded pixel arithmetic in measured hot loops"
)]

pub mod fibonacci;
pub mod image_filters;
pub mod monte_carlo;
pub mod sample_images;
