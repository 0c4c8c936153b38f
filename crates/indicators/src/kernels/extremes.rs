//! Highest and lowest values of sliding windows, the core of Williams
//! %R, the stochastics and Aroon.
//!
//! Both use van Herk and Gil-Werman's method: cut the series into blocks
//! of `n`; a window then spans the tail of one block and the head of the
//! next, so its extreme is the better of a suffix extreme of the first
//! block and a prefix extreme of the second. That is three comparisons
//! per value whatever the data, and no branch.
//!
//! TA-Lib instead remembers the extreme and rescans the window when it
//! leaves; on 1-minute bars a 14-bar high leaves on one bar in eight, and
//! the rescans' mispredicted branches and serial comparisons made that
//! method 3–4 times slower here.
//!
//! - [`WindowExtremes`] gives the extreme *value* (Williams %R, the
//!   stochastics).
//! - [`WindowArgExtremes`] gives *where* it is, ties to the newest bar
//!   (Aroon counts bars since it).
//!
//! Kernels get finite inputs (compute_columns checks them first); the
//! extreme of a set of finite values does not depend on how it is found.

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

/// Where the extreme of every sliding `n`-window is (its bar index, ties
/// to the newest), by the same block method as [`WindowExtremes`]: each
/// pick carries the index along and, between equal values, keeps the
/// newer one. Aroon needs only this index.
pub(super) struct WindowArgExtremes<const MAX: bool> {
    n: usize,
    /// Suffix extremes of the previous block and where they are; the last
    /// slot holds the identity.
    suffix: Vec<f64>,
    suffix_at: Vec<usize>,
}

impl<const MAX: bool> WindowArgExtremes<MAX> {
    pub(super) fn new(n: usize) -> Self {
        Self { n, suffix: vec![WindowExtremes::<MAX>::IDENTITY; n + 1], suffix_at: vec![0; n + 1] }
    }

    /// Whether `a` beats `b` outright.
    #[inline(always)]
    fn beats(a: f64, b: f64) -> bool {
        if MAX { a > b } else { a < b }
    }

    /// Writes to `out[k]` the index of the extreme of the window ending at
    /// bar `start + k` of `x`; the contract of [`WindowExtremes::fill`].
    #[inline(always)]
    pub(super) fn fill(&mut self, x: &[f64], start: usize, out: &mut [usize]) {
        let n = self.n;
        debug_assert!(start.is_multiple_of(n) && start + out.len() <= x.len());
        for (b, block_out) in out.chunks_mut(n).enumerate() {
            let at = start + b * n;
            if at >= n {
                // Backwards: the value met now is older than the run, so it
                // takes over only when strictly better.
                let (mut best, mut best_at) = (WindowExtremes::<MAX>::IDENTITY, 0);
                for j in (0..n).rev() {
                    let v = x[at - n + j];
                    let take = Self::beats(v, best);
                    (best, best_at) = (if take { v } else { best }, if take { at - n + j } else { best_at });
                    (self.suffix[j], self.suffix_at[j]) = (best, best_at);
                }
            }
            let (mut run, mut run_at) = (WindowExtremes::<MAX>::IDENTITY, 0);
            let tails = self.suffix[1..].iter().zip(&self.suffix_at[1..]);
            for (j, ((o, &v), (&tail, &tail_at))) in block_out.iter_mut().zip(&x[at..]).zip(tails).enumerate() {
                // Forwards the value met is the newest: it wins ties, and
                // so does the prefix over the older suffix.
                let take = !Self::beats(run, v);
                (run, run_at) = (if take { v } else { run }, if take { at + j } else { run_at });
                *o = if Self::beats(tail, run) { tail_at } else { run_at };
            }
        }
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
            let (mut hi_at, mut lo_at) = (WindowArgExtremes::<true>::new(n), WindowArgExtremes::<false>::new(n));
            let (mut ha, mut la) = (vec![0; x.len()], vec![0; x.len()]);
            for start in (0..x.len()).step_by(step) {
                let end = (start + step).min(x.len());
                hi_at.fill(&x, start, &mut ha[start..end]);
                lo_at.fill(&x, start, &mut la[start..end]);
            }
            for i in 0..x.len() {
                let from = (i + 1).saturating_sub(n);
                let w = &x[from..=i];
                // The newest bar holding the extreme.
                let newest = |m: f64| from + w.iter().rposition(|&v| v == m).expect("the extreme is in the window");
                prop_assert_eq!(ha[i], newest(hs[i]), "where the high is, at {}", i);
                prop_assert_eq!(la[i], newest(ls[i]), "where the low is, at {}", i);
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
