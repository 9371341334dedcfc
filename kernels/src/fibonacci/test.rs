//! Unit tests of the Fibonacci kernel, against `num-bigint` as the reference.

use num_bigint::BigUint;

use super::{Natural, fib, generate_fibonacci, sequence};

fn reference(natural: &Natural) -> BigUint {
    let bytes: Vec<u8> = natural
        .limbs()
        .iter()
        .flat_map(|limb| limb.to_le_bytes())
        .collect();
    BigUint::from_bytes_le(&bytes)
}

#[test]
fn fib_matches_known_values() {
    assert_eq!(fib(0), "0");
    assert_eq!(fib(1), "1");
    assert_eq!(fib(2), "1");
    assert_eq!(fib(10), "55");
    assert_eq!(fib(93), "12200160415121876738");
    assert_eq!(fib(94), "19740274219868223167");
    assert_eq!(fib(100), "354224848179261915075");
}

#[test]
fn generate_fibonacci_returns_the_sequence_length() {
    for size in [0, 1, 2, 3, 1000] {
        assert_eq!(generate_fibonacci(size), size);
    }
}

#[test]
fn every_number_of_the_sequence_matches_num_bigint() {
    let (mut a, mut b) = (BigUint::from(0u32), BigUint::from(1u32));
    for (i, natural) in sequence(3000).iter().enumerate() {
        assert_eq!(reference(natural), a, "F({i})");
        assert_ne!(
            natural.limbs().last(),
            Some(&0),
            "F({i}) has a zero top limb"
        );
        let next = &a + &b;
        a = std::mem::replace(&mut b, next);
    }
}

#[test]
fn decimal_matches_num_bigint() {
    let numbers = sequence(2500);
    for i in [0, 1, 92, 93, 94, 187, 1000, 2499] {
        assert_eq!(
            numbers[i].to_decimal(),
            reference(&numbers[i]).to_string(),
            "F({i})"
        );
    }
    assert_eq!(fib(2499), reference(&numbers[2499]).to_string());
    assert_eq!(
        Natural::from_u64(u64::MAX).to_string(),
        u64::MAX.to_string()
    );
}

#[test]
fn add_carries_across_limbs() {
    let max = Natural::from_u64(u64::MAX);
    let sum = max.add(&Natural::from_u64(1));
    assert_eq!(sum.limbs(), [0, 1]);
    assert_eq!(sum.add(&max).limbs(), [u64::MAX, 1]);
    assert_eq!(
        Natural::default().add(&Natural::default()).limbs(),
        [] as [u64; 0]
    );
}
