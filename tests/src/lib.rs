//! Tests for kiln live in `tests/` and `ui/`; this library holds what several
//! test binaries share: the counting global allocator.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::sync::atomic::{AtomicIsize, AtomicUsize, Ordering};

/// A global allocator that forwards to [`System`] and counts calls that
/// allocate (`alloc` and `realloc`): in the whole process, always, and on the
/// current thread between [`start_thread`] and [`stop_thread`]; it also keeps
/// the bytes the process holds ([`live_bytes`]).
///
/// Install it in a test binary with
/// `#[global_allocator] static GLOBAL: kiln_tests::Counting = kiln_tests::Counting;`.
pub struct Counting;

static PROCESS: AtomicUsize = AtomicUsize::new(0);
static LIVE: AtomicIsize = AtomicIsize::new(0);

/// Adds `bytes` (negative: freed) to the bytes held.
fn hold(bytes: usize, sign: isize) {
    // No allocation is near `isize::MAX` bytes.
    LIVE.fetch_add(sign * bytes.cast_signed(), Ordering::Relaxed);
}

thread_local! {
    static ON: Cell<bool> = const { Cell::new(false) };
    static THREAD: Cell<usize> = const { Cell::new(0) };
}

fn count() {
    PROCESS.fetch_add(1, Ordering::Relaxed);
    // `try_with`: the thread-local may already be gone while a thread exits.
    if ON.try_with(Cell::get).unwrap_or(false) {
        let _ = THREAD.try_with(|c| c.set(c.get() + 1));
    }
}

// The one `unsafe` in the workspace's tests: a global allocator must be an
// `unsafe impl`. Every method forwards unchanged to the system allocator.
#[allow(unsafe_code)]
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        count();
        hold(layout.size(), 1);
        // SAFETY: forwarded unchanged to the system allocator.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        hold(layout.size(), -1);
        // SAFETY: forwarded unchanged to the system allocator.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        count();
        hold(layout.size(), -1);
        hold(new_size, 1);
        // SAFETY: forwarded unchanged to the system allocator.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

/// Starts counting this thread's allocations from zero.
pub fn start_thread() {
    THREAD.with(|c| c.set(0));
    ON.with(|o| o.set(true));
}

/// Stops counting this thread's allocations and returns how many there were.
pub fn stop_thread() -> usize {
    ON.with(|o| o.set(false));
    THREAD.with(Cell::get)
}

/// Allocations in the whole process so far.
pub fn process_total() -> usize {
    PROCESS.load(Ordering::Relaxed)
}

/// Bytes the process holds from this allocator (allocated and not freed).
pub fn live_bytes() -> isize {
    LIVE.load(Ordering::Relaxed)
}
