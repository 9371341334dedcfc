//! Unit tests of the Fibonacci kernel.

use super::{fib, generate_fibonacci};

#[test]
fn fib_matches_known_values() {
    assert_eq!(fib(0), "0");
    assert_eq!(fib(1), "1");
    assert_eq!(fib(2), "1");
    assert_eq!(fib(10), "55");
    assert_eq!(fib(100), "354224848179261915075");
}

#[test]
fn generate_fibonacci_returns_the_sequence_length() {
    for size in [0, 1, 2, 3, 1000] {
        assert_eq!(generate_fibonacci(size), size);
    }
}
