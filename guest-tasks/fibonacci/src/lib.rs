//! Guest task for seed case 1: Fibonacci sequences with arbitrary-precision integers. A
//! thin wrapper around `wask_kernels::fibonacci`, the same code the host runs natively.

use wask_kernels::fibonacci;

wit_bindgen::generate!({
    path: "../../wit/fibonacci.wit",
    world: "fibonacci",
});

struct Fibonacci;

impl Guest for Fibonacci {
    fn generate_fibonacci(sequence_size: u32) -> u32 {
        fibonacci::generate_fibonacci(sequence_size)
    }

    fn fib(n: u32) -> String {
        fibonacci::fib(n)
    }
}

export!(Fibonacci);
