//! Seed case 1: Fibonacci numbers with arbitrary-precision integers.
//!
//! A *natural* here is an arbitrary-precision unsigned integer stored as 64-bit limbs,
//! least significant first ([`Natural`]). The kernel needs only addition and, for
//! [`fib`], a decimal conversion, so it carries its own instead of a general bigint
//! library: `num-bigint` uses 32-bit limbs on 32-bit targets such as `wasm32`, which
//! doubles the adds of a wasm guest although wasm has native 64-bit arithmetic. With
//! 64-bit limbs everywhere, the guest and the native build run the very same loop.

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
    pub fn add(&self, other: &Natural) -> Natural {
        let (short, long) = if self.limbs.len() <= other.limbs.len() {
            (&self.limbs, &other.limbs)
        } else {
            (&other.limbs, &self.limbs)
        };
        let mut sum = Vec::with_capacity(long.len() + 1);
        let mut carry = false;
        // Slices and zips of known length: `extend` writes without a capacity check
        // per limb, and the loop has no bounds checks.
        sum.extend(short.iter().zip(&long[..short.len()]).map(|(&a, &b)| {
            let (partial, first) = a.overflowing_add(b);
            let (limb, second) = partial.overflowing_add(u64::from(carry));
            carry = first | second;
            limb
        }));
        sum.extend(long[short.len()..].iter().map(|&b| {
            let (limb, overflow) = b.overflowing_add(u64::from(carry));
            carry = overflow;
            limb
        }));
        if carry {
            sum.push(1);
        }
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
            text.push_str(&format!("{chunk:019}"));
        }
        text
    }
}

impl std::fmt::Display for Natural {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.to_decimal())
    }
}

/// The first `size` Fibonacci numbers (F(0), F(1), …), every one kept in memory as the
/// seed's Python keeps its list.
pub fn sequence(size: u32) -> Vec<Natural> {
    let mut fibonacci: Vec<Natural> = Vec::with_capacity(size as usize);
    for i in 0..size as usize {
        let next = if i < 2 {
            Natural::from_u64(i as u64)
        } else {
            fibonacci[i - 2].add(&fibonacci[i - 1])
        };
        fibonacci.push(next);
    }
    fibonacci
}

/// Builds the first `size` Fibonacci numbers (see [`sequence`]) and returns how many
/// there are (`size`).
///
/// The memory the whole sequence takes is part of the workload: `size = 100_000` holds
/// about 434 MB of big integers.
pub fn generate_fibonacci(size: u32) -> u32 {
    let fibonacci = sequence(size);
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
