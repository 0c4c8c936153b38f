//! Highest and lowest values of sliding windows, the core of Williams
//! %R, the stochastics and Aroon.
//!
//! Two methods, for two questions:
//!
//! - [`WindowExtremes`] gives only the extreme *value* of every window,
//!   by van Herk and Gil-Werman's method: cut the series into blocks of
//!   `n`; a window then spans the tail of one block and the head of the
//!   next, so its extreme is the better of a suffix extreme of the first
//!   block and a prefix extreme of the second. That is three comparisons
//!   per value whatever the data, without a branch. The rescanning
//!   method below spends most of its time in mispredicted branches and in
//!   the serial chain of its rescans (on 1-minute bars a 14-bar high
//!   leaves its window on one bar in eight).
//! - [`Extreme`] also knows *where* the extreme is (Aroon counts bars
//!   since it), so it keeps TA-Lib's method: remember the extreme and its
//!   index, rescan the window only when it leaves.
//!
//! Both pick the same values: the extreme of a set does not depend on how
//! it is found, and kernels get finite inputs (compute_columns checks
//! them first).

/// The highest (`max`) or lowest value of a sliding `n`-window and its
/// index, ties to the newest. Rescans only when the extreme leaves the
/// window, as TA-Lib does: O(1) amortised on market data.
/// `MAX` is a type parameter so each side compiles to its own branch-free
/// comparison and inlines into the kernel loop.
pub(super) struct Extreme<const MAX: bool> {
    n: usize,
    best: f64,
    at: usize,
}

/// The window's highest value.
pub(super) type Highest = Extreme<true>;
/// The window's lowest value.
pub(super) type Lowest = Extreme<false>;

impl<const MAX: bool> Extreme<MAX> {
    pub(super) fn new(n: usize) -> Self {
        Self { n, best: f64::NAN, at: usize::MAX }
    }

    #[inline(always)]
    fn better(&self, a: f64, b: f64) -> bool {
        if MAX { a >= b } else { a <= b }
    }

    /// Advances to bar `i` of `x`; returns `(extreme, its index)`.
    #[inline(always)]
    pub(super) fn at_bar(&mut self, x: &[f64], i: usize) -> (f64, usize) {
        let trailing = (i + 1).saturating_sub(self.n);
        if self.at == usize::MAX || self.at < trailing {
            (self.best, self.at) = (x[trailing], trailing);
            for (j, &v) in x[..=i].iter().enumerate().skip(trailing + 1) {
                if self.better(v, self.best) {
                    (self.best, self.at) = (v, j);
                }
            }
        } else if self.better(x[i], self.best) {
            (self.best, self.at) = (x[i], i);
        }
        (self.best, self.at)
    }
}

/// The extreme value of every sliding `n`-window (van Herk/Gil-Werman;
/// see the module docs). `MAX` picks highest or lowest.
pub(super) struct WindowExtremes<const MAX: bool> {
    n: usize,
    /// Suffix extremes of the block before the current one; the last slot
    /// holds the identity, for the window that is exactly one block.
    suffix: Vec<f64>,
}

impl<const MAX: bool> WindowExtremes<MAX> {
    const IDENTITY: f64 = if MAX { f64::NEG_INFINITY } else { f64::INFINITY };

    pub(super) fn new(n: usize) -> Self {
        Self { n, suffix: vec![Self::IDENTITY; n + 1] }
    }

    /// The better of two values, as one `maxsd`/`minsd`.
    #[inline(always)]
    fn pick(a: f64, b: f64) -> f64 {
        if MAX {
            if a > b { a } else { b }
        } else if a < b {
            a
        } else {
            b
        }
    }

    /// Writes to `out[k]` the extreme of the window ending at bar
    /// `start + k` of `x` (of the bars so far, before the first full
    /// window). Calls must cover `x` in order, each `start` a multiple of
    /// `n`. Returns whether every value of `x` it covered was finite
    /// (checked in passing: a separate check would read `x` again).
    #[inline(always)]
    pub(super) fn fill(&mut self, x: &[f64], start: usize, out: &mut [f64]) -> bool {
        let n = self.n;
        debug_assert!(start.is_multiple_of(n) && start + out.len() <= x.len());
        // A separate pass over the chunk (in cache by then) vectorises; the
        // same check inside the scan below would not.
        let finite = x[start..start + out.len()].iter().fold(true, |ok, v| ok & v.is_finite());
        for (b, block_out) in out.chunks_mut(n).enumerate() {
            let at = start + b * n;
            if at >= n {
                let mut s = Self::IDENTITY;
                for (slot, &v) in self.suffix[..n].iter_mut().zip(&x[at - n..at]).rev() {
                    s = Self::pick(v, s);
                    *slot = s;
                }
            }
            let mut run = Self::IDENTITY;
            for ((o, &v), &tail) in block_out.iter_mut().zip(&x[at..]).zip(&self.suffix[1..]) {
                run = Self::pick(v, run);
                *o = Self::pick(tail, run);
            }
        }
        finite
    }
}

/// Chunk length for kernels that stage window extremes: a multiple of
/// `n` (as [`WindowExtremes::fill`] needs) near 4096 bars, so the staged
/// values stay in L1/L2 instead of full-length temporaries.
pub(super) fn extremes_chunk(n: usize) -> usize {
    n * 4096usize.div_ceil(n)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// Every window's extreme equals the naive one, ties and flat
        /// stretches included, for any chunking.
        #[test]
        fn window_extremes_equal_a_naive_scan(
            x in prop::collection::vec(prop_oneof![Just(1.0), Just(2.0), 0.0f64..100.0], 0..300),
            n in 1usize..20,
            blocks_per_call in 1usize..5,
        ) {
            let (mut hi, mut lo) = (WindowExtremes::<true>::new(n), WindowExtremes::<false>::new(n));
            let (mut hs, mut ls) = (vec![0.0; x.len()], vec![0.0; x.len()]);
            let step = n * blocks_per_call;
            for start in (0..x.len()).step_by(step) {
                let end = (start + step).min(x.len());
                prop_assert!(hi.fill(&x, start, &mut hs[start..end]));
                prop_assert!(lo.fill(&x, start, &mut ls[start..end]));
            }
            for i in 0..x.len() {
                let w = &x[(i + 1).saturating_sub(n)..=i];
                prop_assert_eq!(hs[i], w.iter().copied().fold(f64::NEG_INFINITY, f64::max), "high at {}", i);
                prop_assert_eq!(ls[i], w.iter().copied().fold(f64::INFINITY, f64::min), "low at {}", i);
            }
        }

        /// A non-finite value anywhere is reported by the call covering it.
        #[test]
        fn fill_reports_a_non_finite_value(len in 1usize..100, n in 1usize..10, at in 0usize..100, bad in prop_oneof![Just(f64::NAN), Just(f64::INFINITY), Just(f64::NEG_INFINITY)]) {
            let at = at % len;
            let mut x = vec![1.0; len];
            x[at] = bad;
            let mut w = WindowExtremes::<true>::new(n);
            let mut out = vec![0.0; len];
            let step = n * 3;
            for start in (0..len).step_by(step) {
                let end = (start + step).min(len);
                prop_assert_eq!(w.fill(&x, start, &mut out[start..end]), !(start..end).contains(&at));
            }
        }
    }
}
