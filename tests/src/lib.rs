//! Tests for kiln live in `tests/` and `ui/`; this library holds what several
//! test binaries share: the counting global allocator.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::sync::atomic::{AtomicUsize, Ordering};

/// A global allocator that forwards to [`System`] and counts calls that
/// allocate (`alloc` and `realloc`): in the whole process, always, and on the
/// current thread between [`start_thread`] and [`stop_thread`].
///
/// Install it in a test binary with
/// `#[global_allocator] static GLOBAL: kiln_tests::Counting = kiln_tests::Counting;`.
pub struct Counting;

static PROCESS: AtomicUsize = AtomicUsize::new(0);

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
        // SAFETY: forwarded unchanged to the system allocator.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: forwarded unchanged to the system allocator.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        count();
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
