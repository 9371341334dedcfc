//! Brief spinning before sleeping: a hand-off between threads that completes within
//! microseconds then costs no wake-up (a system call on one side and a context switch
//! on the other, most of a no-op task's round trip).

use std::time::{Duration, Instant};

/// Spins until `done` holds or `limit` passes, yielding the core every few dozen
/// checks so a spinning thread never holds back the one it waits for on a machine
/// with few cores. Returns whether `done` held.
pub(crate) fn spin_until(limit: Duration, mut done: impl FnMut() -> bool) -> bool {
    let until = Instant::now() + limit;
    let mut checks = 0u32;
    while !done() {
        checks = checks.wrapping_add(1);
        if checks.is_multiple_of(64) {
            if Instant::now() >= until {
                return false;
            }
            std::thread::yield_now();
        } else {
            std::hint::spin_loop();
        }
    }
    true
}
