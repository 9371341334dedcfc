//! Seed case 1: Fibonacci numbers with arbitrary-precision integers (`num-bigint`).

use num_bigint::BigUint;

#[cfg(test)]
mod test;

/// Builds the first `size` Fibonacci numbers (F(0), F(1), …), keeping every one of them
/// in memory as the seed's Python does, and returns how many there are (`size`).
///
/// The memory the whole sequence takes is part of the workload: `size = 100_000` holds
/// about 434 MB of big integers.
pub fn generate_fibonacci(size: u32) -> u32 {
    let mut fibonacci: Vec<BigUint> = Vec::with_capacity(size as usize);
    for i in 0..size as usize {
        if i < 2 {
            fibonacci.push(BigUint::from(i));
            continue;
        }
        let next = &fibonacci[i - 1] + &fibonacci[i - 2];
        fibonacci.push(next);
    }
    u32::try_from(fibonacci.len()).expect("the length fits the requested u32 size")
}

/// Returns F(n) in decimal, with F(0) = 0 and F(1) = 1.
pub fn fib(n: u32) -> String {
    let (mut a, mut b) = (BigUint::from(0u32), BigUint::from(1u32));
    for _ in 0..n {
        let next = &a + &b;
        a = std::mem::replace(&mut b, next);
    }
    a.to_string()
}
