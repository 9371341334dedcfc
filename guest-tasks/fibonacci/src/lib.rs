//! Guest task for seed case 1: Fibonacci sequences with arbitrary-precision integers.

use num_bigint::BigUint;

wit_bindgen::generate!({
    path: "../../wit/fibonacci.wit",
    world: "fibonacci",
});

struct Fibonacci;

impl Guest for Fibonacci {
    fn generate_fibonacci(sequence_size: u32) -> u32 {
        // Keep the whole sequence, as the seed's Python does: the memory it takes
        // is part of the workload.
        let mut fibonacci: Vec<BigUint> = Vec::with_capacity(sequence_size as usize);
        for i in 0..sequence_size as usize {
            if i < 2 {
                fibonacci.push(BigUint::from(i));
                continue;
            }
            let next = &fibonacci[i - 1] + &fibonacci[i - 2];
            fibonacci.push(next);
        }
        u32::try_from(fibonacci.len()).expect("the length fits the requested u32 size")
    }

    fn fib(n: u32) -> String {
        let (mut a, mut b) = (BigUint::from(0u32), BigUint::from(1u32));
        for _ in 0..n {
            let next = &a + &b;
            a = std::mem::replace(&mut b, next);
        }
        a.to_string()
    }
}

export!(Fibonacci);
