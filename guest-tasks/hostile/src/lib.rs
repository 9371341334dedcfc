//! A hostile guest task: untrusted code that tries to break out of or exhaust the
//! sandbox, one export per attack (see `wit/hostile.wit`), for the host's sandbox tests.
//! Every attack is done for real; `add` is the one benign export.

mod socket;

use std::alloc::Layout;
use std::hint::black_box;
use std::io::Write;
use std::sync::atomic::{AtomicU64, Ordering};

wit_bindgen::generate!({
    path: ["../../wit/hostile.wit", "wit"],
    world: "wask:hostile-guest/guest",
    // The wasi:sockets and wasi:io subsets in wit/deps are ours: generate their bindings.
    generate_all,
});

/// One mebibyte.
const MIB: usize = 1 << 20;

/// The size of each allocation `memory-bomb` makes and keeps.
const BOMB_CHUNK: usize = 16 * MIB;

/// The stride at which `memory-bomb` touches its memory: smaller than any page size.
const TOUCH_STRIDE: usize = 4096;

/// The size of each write `stdout-flood` makes.
const FLOOD_WRITE: usize = 64 * 1024;

/// The size of the heap block `leftover` reads and marks.
const LEFTOVER_BLOCK: usize = 4 * MIB;

/// The words of the stack array each `recurse` frame keeps live across its call.
const FRAME_WORDS: usize = 16;

struct Hostile;

impl Guest for Hostile {
    fn spin() -> u64 {
        let mut counter: u64 = 0;
        loop {
            // black_box hides the counter from the optimizer, so the loop stays a loop.
            counter = black_box(counter.wrapping_add(1));
        }
    }

    fn memory_bomb() -> u64 {
        let mut chunks: Vec<Vec<u8>> = Vec::new();
        let mut held: u64 = 0;
        loop {
            // try_reserve, so that a refused allocation (memory.grow failing at the
            // host's limit) ends the attack with the bytes held instead of aborting.
            let mut chunk = Vec::new();
            if chunks.try_reserve(1).is_err() || chunk.try_reserve_exact(BOMB_CHUNK).is_err() {
                return held;
            }
            chunk.resize(BOMB_CHUNK, 0);
            // Write a non-zero byte to every page so that each one is really committed.
            for offset in (0..BOMB_CHUNK).step_by(TOUCH_STRIDE) {
                chunk[offset] = (offset / TOUCH_STRIDE) as u8 | 1;
            }
            black_box(chunk.as_mut_slice());
            chunks.push(chunk);
            held += BOMB_CHUNK as u64;
        }
    }

    fn recurse(depth: u64) -> u64 {
        recurse_frame(depth)
    }

    fn panic(message: String) {
        panic!("{message}");
    }

    fn giant_result(megabytes: u32) -> Vec<u8> {
        let len = (megabytes as usize)
            .checked_mul(MIB)
            .unwrap_or_else(|| panic!("giant-result: {megabytes} MiB do not fit in wasm32 memory"));
        (0..len).map(|i| (i % 251) as u8).collect()
    }

    fn stdout_flood(megabytes: u32) -> u64 {
        let total = u64::from(megabytes) * MIB as u64;
        eprintln!("stdout-flood: writing {megabytes} MiB to stdout");
        let mut line = vec![b'x'; FLOOD_WRITE];
        line[FLOOD_WRITE - 1] = b'\n';
        let mut out = std::io::stdout().lock();
        let mut written: u64 = 0;
        while written < total {
            let n = (total - written).min(FLOOD_WRITE as u64) as usize;
            if let Err(e) = out.write_all(&line[FLOOD_WRITE - n..]) {
                eprintln!("stdout-flood: stopped after {written} bytes: {e}");
                return written;
            }
            written += n as u64;
        }
        if let Err(e) = out.flush() {
            eprintln!("stdout-flood: flush failed after {written} bytes: {e}");
        }
        written
    }

    fn read_file(path: String) -> Result<String, String> {
        std::fs::read_to_string(&path).map_err(|e| e.to_string())
    }

    fn read_env(name: String) -> Result<String, String> {
        let visible = std::env::vars().count();
        match std::env::var(&name) {
            Ok(value) => Ok(value),
            Err(std::env::VarError::NotPresent) => Err(format!(
                "environment variable {name} is not set ({visible} variables visible)"
            )),
            Err(std::env::VarError::NotUnicode(_)) => Err(format!(
                "environment variable {name} is not valid unicode ({visible} variables visible)"
            )),
        }
    }

    fn open_socket(host: String, port: u16) -> Result<String, String> {
        socket::connect_tcp(&host, port)
    }

    fn leftover(mark: u64) -> (u64, u64) {
        // A static in the data segment, near the stack: the part of memory the host
        // may reset in place rather than unmap.
        static STASH: AtomicU64 = AtomicU64::new(0);
        let found_static = STASH.swap(mark, Ordering::Relaxed);
        // A heap block, read before it is written; `alloc` (not `alloc_zeroed`) hands
        // back memory as the sandbox has it.
        let layout = Layout::from_size_align(LEFTOVER_BLOCK, 8).expect("a valid layout");
        // SAFETY: the layout is non-zero in size; the block is only read as words
        // after the null check and never freed, so the next task (if the memory were
        // kept) would find it at the same address.
        let found_heap = unsafe {
            let block = std::alloc::alloc(layout).cast::<u64>();
            if block.is_null() {
                return (found_static, u64::MAX);
            }
            let last = block.add(LEFTOVER_BLOCK / 8 - 1);
            let found = black_box(last.read_volatile());
            last.write_volatile(mark);
            found
        };
        (found_static, found_heap)
    }

    fn scribble(megabytes: u32) -> u64 {
        let mut heap = vec![0u8; megabytes as usize * MIB];
        heap.fill(0xa5);
        black_box(heap.as_mut_slice());
        heap.len() as u64
    }

    fn leftovers(megabytes: u32) -> u64 {
        const WASM_PAGE: usize = 64 * 1024;
        let pages = megabytes as usize * MIB / WASM_PAGE;
        let old = core::arch::wasm32::memory_grow(0, pages);
        if old == usize::MAX {
            return u64::MAX;
        }
        let (start, end) = (old * WASM_PAGE, (old + pages) * WASM_PAGE);
        (start..end)
            // SAFETY: memory.grow just made these addresses part of linear memory and
            // nothing else uses them; reading them is what this attack is for.
            .filter(|&addr| unsafe {
                core::ptr::read_volatile(core::ptr::with_exposed_provenance::<u8>(addr)) != 0
            })
            .count() as u64
    }

    fn add(a: u64, b: u64) -> u64 {
        a.wrapping_add(b)
    }
}

/// One frame of `recurse`: keeps a stack array live across the recursive call and uses
/// it afterwards, so the call is not a tail call and cannot become a loop.
#[inline(never)]
fn recurse_frame(depth: u64) -> u64 {
    let mut frame = [depth; FRAME_WORDS];
    // Taking the array's address through black_box puts it on the stack in memory.
    black_box(&mut frame);
    if depth == 0 {
        return frame.iter().fold(0, |sum, w| sum.wrapping_add(*w));
    }
    let below = recurse_frame(black_box(depth - 1));
    below
        .wrapping_mul(31)
        .wrapping_add(frame[(depth as usize) % FRAME_WORDS])
}

export!(Hostile);
