//! Large Rust allocations on transparent huge pages, as numpy's own.
//!
//! numpy asks the kernel for huge pages (`madvise(MADV_HUGEPAGE)`) on every
//! array of 4 MiB or more. Indicator outputs are allocated by Rust and
//! handed to numpy without a copy, so they used to be faulted in 4 KiB at
//! a time: measured on 1M bars, `py_rt.ta.sma` spent 6.1 ns a bar, 3.7 of
//! them in page faults, and 2.4 with huge pages. This allocator is the
//! system one, plus the same advice for allocations of 4 MiB or more on
//! Linux. The advice is only a hint: when the kernel declines (huge pages
//! off, or not `madvise` mode), nothing changes.

use std::alloc::{GlobalAlloc, Layout, System};

/// numpy's threshold for the advice.
const HUGE: usize = 4 << 20;

pub struct HugePageAlloc;

// SAFETY: every call is forwarded unchanged to `System`; the only addition
// is `madvise` on memory the allocation owns, which never moves or frees it.
unsafe impl GlobalAlloc for HugePageAlloc {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: the caller's contract for `alloc`, passed on.
        let p = unsafe { System.alloc(layout) };
        advise(p, layout.size());
        p
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: as for `alloc`.
        let p = unsafe { System.alloc_zeroed(layout) };
        advise(p, layout.size());
        p
    }

    unsafe fn dealloc(&self, p: *mut u8, layout: Layout) {
        // SAFETY: `p` came from `System` through this allocator.
        unsafe { System.dealloc(p, layout) }
    }

    unsafe fn realloc(&self, p: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: `p` came from `System` through this allocator.
        let q = unsafe { System.realloc(p, layout, new_size) };
        advise(q, new_size);
        q
    }
}

/// Asks for huge pages over the whole pages inside `[p, p + len)`.
fn advise(p: *mut u8, len: usize) {
    #[cfg(target_os = "linux")]
    if len >= HUGE && !p.is_null() {
        const PAGE: usize = 4096;
        let start = (p as usize).next_multiple_of(PAGE);
        let end = (p as usize + len) & !(PAGE - 1);
        if end > start {
            // SAFETY: the range lies inside an allocation we own; `madvise`
            // with MADV_HUGEPAGE only changes how it is backed, and its
            // result (an error where huge pages are unavailable) is ignored.
            unsafe {
                libc::madvise(start as *mut libc::c_void, end - start, libc::MADV_HUGEPAGE);
            }
        }
    }
    #[cfg(not(target_os = "linux"))]
    let _ = (p, len);
}
