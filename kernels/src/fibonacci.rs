//! Seed case 1: Fibonacci numbers with arbitrary-precision integers.
//!
//! A *natural* here is an arbitrary-precision unsigned integer stored as 64-bit limbs,
//! least significant first ([`Natural`]). The kernel needs only addition and, for
//! [`fib`], a decimal conversion, so it carries its own instead of a general bigint
//! library: `num-bigint` uses 32-bit limbs on 32-bit targets such as `wasm32`, which
//! doubles the adds of a wasm guest although wasm has native 64-bit arithmetic. With
//! 64-bit limbs everywhere, the guest and the native build run the very same loop.

use std::fmt::Write as _;

#[cfg(test)]
mod test;

/// An arbitrary-precision unsigned integer: 64-bit limbs, least significant first, with
/// no zero limb at the top (zero has no limbs).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Natural {
    limbs: Vec<u64>,
}

impl Natural {
    /// The natural equal to `value`.
    pub fn from_u64(value: u64) -> Self {
        Natural {
            limbs: if value == 0 { Vec::new() } else { vec![value] },
        }
    }

    /// Its limbs, least significant first; empty for zero.
    pub fn limbs(&self) -> &[u64] {
        &self.limbs
    }

    /// `self + other`, in one exactly sized allocation (one limb more than the longer
    /// operand, for the carry).
    #[must_use]
    pub fn add(&self, other: &Natural) -> Natural {
        let (short, long) = if self.limbs.len() <= other.limbs.len() {
            (&self.limbs, &other.limbs)
        } else {
            (&other.limbs, &self.limbs)
        };
        let mut sum = Vec::with_capacity(long.len() + 1);
        add_into(short, long, &mut sum);
        Natural { limbs: sum }
    }

    /// The number in decimal, by repeated division by 10¹⁹ (quadratic in its length:
    /// for checks and small results, not for the hot loop).
    pub fn to_decimal(&self) -> String {
        const CHUNK: u64 = 10_000_000_000_000_000_000;
        let mut rest = self.limbs.clone();
        let mut chunks = Vec::new();
        while !rest.is_empty() {
            let mut remainder = 0u128;
            for limb in rest.iter_mut().rev() {
                let value = (remainder << 64) | u128::from(*limb);
                *limb = (value / u128::from(CHUNK)) as u64;
                remainder = value % u128::from(CHUNK);
            }
            chunks.push(remainder as u64);
            while rest.last() == Some(&0) {
                rest.pop();
            }
        }
        let Some((top, lower)) = chunks.split_last() else {
            return "0".to_owned();
        };
        let mut text = top.to_string();
        for chunk in lower.iter().rev() {
            // Writing to a String cannot fail.
            let _ = write!(text, "{chunk:019}");
        }
        text
    }
}

impl std::fmt::Display for Natural {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.to_decimal())
    }
}

/// The first Fibonacci numbers (F(0), F(1), …), every one kept in memory as the seed's
/// Python keeps its list, laid out back to back in one buffer of limbs.
///
/// One buffer, sized up front from a bound on the numbers' lengths, rather than one
/// allocation per number: in a wasm guest that is one `memory.grow` instead of
/// thousands, and a memory grown in one step can be backed by huge pages.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Sequence {
    /// The limbs of every number, least significant first, one number after another.
    limbs: Vec<u64>,
    /// Where each number's limbs end in `limbs`.
    ends: Vec<usize>,
}

impl Sequence {
    /// The first `size` Fibonacci numbers.
    pub fn generate(size: u32) -> Self {
        let size = size as usize;
        let mut sequence = Sequence {
            limbs: Vec::new(),
            ends: Vec::with_capacity(size),
        };
        // A hint only: if it cannot be had, the buffer grows as it fills.
        let _ = sequence.limbs.try_reserve_exact(limbs_bound(size));
        // The two latest numbers, also kept apart in buffers that stay in cache: the
        // next is added there and then copied once into the sequence.
        let (mut older, mut newer, mut next) = (Vec::new(), Vec::new(), Vec::new());
        for i in 0..size {
            if i < 2 {
                next.clear();
                if i == 1 {
                    next.push(1);
                }
            } else {
                add_into(&older, &newer, &mut next);
            }
            sequence.limbs.extend_from_slice(&next);
            sequence.ends.push(sequence.limbs.len());
            std::mem::swap(&mut older, &mut newer);
            std::mem::swap(&mut newer, &mut next);
        }
        sequence
    }

    /// How many numbers it holds.
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    /// Whether it holds no number.
    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    /// F(`i`)'s limbs, least significant first (empty for zero), if it holds F(`i`).
    pub fn get(&self, i: usize) -> Option<&[u64]> {
        let end = *self.ends.get(i)?;
        let start = if i == 0 { 0 } else { self.ends[i - 1] };
        Some(&self.limbs[start..end])
    }
}

/// An upper bound on the limbs of F(0) … F(`size` − 1): F(i) < φⁱ, so it has at most
/// ⌊i·0.6943⌋ + 1 bits (log₂ φ = 0.69424…).
fn limbs_bound(size: usize) -> usize {
    (0..size)
        .map(|i| (i.saturating_mul(6943) / 10_000 + 1).div_ceil(64))
        .fold(0, usize::saturating_add)
}

/// `sum = a + b`, where `a` is no longer than `b`.
fn add_into(a: &[u64], b: &[u64], sum: &mut Vec<u64>) {
    debug_assert!(a.len() <= b.len());
    sum.clear();
    let mut carry = false;
    sum.extend(a.iter().zip(&b[..a.len()]).map(|(&x, &y)| {
        let (partial, first) = x.overflowing_add(y);
        let (limb, second) = partial.overflowing_add(u64::from(carry));
        carry = first | second;
        limb
    }));
    sum.extend(b[a.len()..].iter().map(|&y| {
        let (limb, overflow) = y.overflowing_add(u64::from(carry));
        carry = overflow;
        limb
    }));
    if carry {
        sum.push(1);
    }
}

/// Builds the first `size` Fibonacci numbers (see [`Sequence`]) and returns how many
/// there are (`size`).
///
/// The memory the whole sequence takes is part of the workload: `size = 100_000` holds
/// about 434 MB of big integers.
pub fn generate_fibonacci(size: u32) -> u32 {
    let fibonacci = Sequence::generate(size);
    // The caller sees only the length: keep the optimiser from dropping the work.
    let fibonacci = std::hint::black_box(fibonacci);
    u32::try_from(fibonacci.len()).expect("the length fits the requested u32 size")
}

/// Returns F(n) in decimal, with F(0) = 0 and F(1) = 1.
pub fn fib(n: u32) -> String {
    let (mut a, mut b) = (Natural::from_u64(0), Natural::from_u64(1));
    for _ in 0..n {
        let next = a.add(&b);
        a = std::mem::replace(&mut b, next);
    }
    a.to_decimal()
}
