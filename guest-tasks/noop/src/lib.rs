//! Benchmark task: `noop`, `echo` and `add`, built `no_std` so the component imports
//! nothing at all (no WASI), the cheapest kind of task to instantiate.

#![no_std]

extern crate alloc;

use alloc::alloc::{Layout, alloc, realloc};
use alloc::vec::Vec;

wit_bindgen::generate!({
    path: "../../wit/noop.wit",
    world: "noop",
});

#[global_allocator]
static ALLOCATOR: dlmalloc::GlobalDlmalloc = dlmalloc::GlobalDlmalloc;

/// With `panic = "abort"` and no std there is nothing to print a message to: trap.
#[panic_handler]
fn panic(_: &core::panic::PanicInfo) -> ! {
    core::arch::wasm32::unreachable()
}

/// The canonical ABI's allocator, which the host calls to pass `echo` its bytes. On
/// wasm32-wasip2, wit-bindgen leaves it to wasi-libc, which a `no_std` guest does not
/// link, so it is defined here, as wit-bindgen's own runtime does on other targets.
///
/// # Safety
///
/// Called only by the host, with the canonical ABI's arguments: `old_ptr` and
/// `old_len` from an earlier call with the same `align`, or `old_len == 0`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn cabi_realloc(
    old_ptr: *mut u8,
    old_len: usize,
    align: usize,
    new_len: usize,
) -> *mut u8 {
    let ptr = if old_len == 0 {
        if new_len == 0 {
            return align as *mut u8;
        }
        // SAFETY: the canonical ABI passes a power-of-two alignment and a size > 0.
        unsafe { alloc(Layout::from_size_align_unchecked(new_len, align)) }
    } else {
        // SAFETY: `old_ptr` came from this allocator with this size and alignment.
        unsafe {
            realloc(
                old_ptr,
                Layout::from_size_align_unchecked(old_len, align),
                new_len,
            )
        }
    };
    if ptr.is_null() {
        core::arch::wasm32::unreachable();
    }
    ptr
}

struct Noop;

impl Guest for Noop {
    fn noop() {}

    fn echo(data: Vec<u8>) -> Vec<u8> {
        data
    }

    fn add(a: u64, b: u64) -> u64 {
        a.wrapping_add(b)
    }
}

export!(Noop);
