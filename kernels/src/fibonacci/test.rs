//! Unit tests of the Fibonacci kernel, against `num-bigint` as the reference.

use num_bigint::BigUint;

use super::{Natural, Sequence, fib, generate_fibonacci, limbs_bound};

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

fn limbs_reference(limbs: &[u64]) -> BigUint {
    reference(&Natural {
        limbs: limbs.to_vec(),
    })
}

#[test]
fn every_number_of_the_sequence_matches_num_bigint() {
    let sequence = Sequence::generate(3000);
    assert_eq!(sequence.len(), 3000);
    assert_eq!(sequence.get(3000), None);
    let (mut a, mut b) = (BigUint::from(0u32), BigUint::from(1u32));
    for i in 0..3000 {
        let limbs = sequence.get(i).unwrap();
        assert_eq!(limbs_reference(limbs), a, "F({i})");
        assert_ne!(limbs.last(), Some(&0), "F({i}) has a zero top limb");
        let next = &a + &b;
        a = std::mem::replace(&mut b, next);
    }
    assert!(Sequence::generate(0).is_empty());
}

#[test]
fn the_buffer_is_sized_once_for_the_whole_sequence() {
    for size in [0, 1, 2, 3, 94, 95, 1000, 5000] {
        let sequence = Sequence::generate(size);
        assert!(
            sequence.limbs.len() <= limbs_bound(size as usize),
            "size {size}"
        );
        assert_eq!(
            sequence.limbs.capacity(),
            limbs_bound(size as usize),
            "size {size}"
        );
    }
}

#[test]
fn decimal_matches_num_bigint() {
    let sequence = Sequence::generate(2500);
    for i in [0, 1, 92, 93, 94, 187, 1000, 2499] {
        let limbs = sequence.get(i).unwrap();
        let natural = Natural {
            limbs: limbs.to_vec(),
        };
        assert_eq!(
            natural.to_decimal(),
            limbs_reference(limbs).to_string(),
            "F({i})"
        );
    }
    assert_eq!(
        fib(2499),
        limbs_reference(sequence.get(2499).unwrap()).to_string()
    );
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
