//! Test task for memoisation: what a memoised task may observe of the world (its
//! random source and its clocks) and the output it writes beside its result.

use std::time::{Instant, SystemTime};

wit_bindgen::generate!({
    path: "../../wit/pure.wit",
    world: "pure",
});

struct Pure;

impl Guest for Pure {
    fn random_u64() -> u64 {
        use std::hash::BuildHasher;
        std::collections::hash_map::RandomState::new().hash_one(0u8)
    }

    fn clocks() -> (u64, u64) {
        let wall = SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .map_or(0, |d| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX));
        let start = Instant::now();
        let mut x = 0u64;
        for i in 0..10_000u64 {
            x = x.wrapping_mul(31).wrapping_add(i);
        }
        std::hint::black_box(x);
        let elapsed = u64::try_from(start.elapsed().as_nanos()).unwrap_or(u64::MAX);
        (wall, elapsed)
    }

    fn greet(name: String) -> String {
        println!("greeting {name}");
        eprintln!("about to greet {name}");
        format!("hello, {name}")
    }
}

export!(Pure);
