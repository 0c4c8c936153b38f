//! Batch kernels: indicators over whole slices, for research.
//!
//! Each kernel performs exactly the floating-point operations of its
//! streaming twin, in the same order, so its output is identical to the
//! bit (a test holds every kernel to that). What it saves is everything
//! around the arithmetic: no ring buffer (the trailing value is read from
//! the input slice), no `Option` per value, contiguous input and output.
//! That is how TA-Lib's batch functions are built too.
//!
//! Outputs have the input's length, `NaN` during warm-up.

use crate::{IndicatorError, check_period};

/// Runs a kernel's code compiled for AVX2 and FMA when the CPU has them
/// (checked once, then a cached load), and for the baseline the crate is
/// built for otherwise.
///
/// The wider vectors halve the cost of the loops that vectorise (the
/// divisions of %R and the stochastics, input checks), and the fused
/// multiply-adds shorten the serial chains of the exponential averages
/// from three roundings to two. TA-Lib's wheel does the same with GCC's
/// function clones. The results are the same on every CPU: code asks for
/// fused operations explicitly (`mul_add`, which is exact everywhere), and
/// the compiler never fuses on its own, so only the speed differs.
///
/// `$imp` must be `#[inline(always)]` (so is every private helper it
/// calls on the hot path): that is what puts its code inside the
/// AVX2/FMA function rather than calling a baseline copy. The same goes
/// for a closure handed to a helper that calls it in a loop: LLVM may
/// leave it out of line, compiled for the baseline, where `mul_add` is a
/// library call (BBANDS ran at half speed so). Such closures carry
/// `#[inline(always)]`; `nm` on a release binary should list no
/// `kernels::…::{{closure}}` symbol.
macro_rules! cpu_dispatch {
    ($imp:ident($($arg:ident),*)) => {{
        #[cfg(target_arch = "x86_64")]
        if std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma") {
            #[target_feature(enable = "avx2,fma")]
            fn avx2_fma<R>(f: impl FnOnce() -> R) -> R {
                f()
            }
            // SAFETY: the CPU has the features `avx2_fma` is compiled for.
            return unsafe { avx2_fma(#[inline(always)] || $imp($($arg),*)) };
        }
        $imp($($arg),*)
    }};
}

mod average;
mod extremes;
mod oscillator;
mod range;
mod stats;
mod stochastic;
#[cfg(test)]
mod tests;
mod volume;

pub use average::*;
pub use oscillator::*;
pub use range::*;
pub use stats::*;
pub use stochastic::*;
pub use volume::*;

use extremes::{WindowArgExtremes, WindowExtremes, extremes_chunk};

/// A kernel's output and whether every input value it read was finite.
/// The cheapest kernels check their inputs in the pass that computes
/// them: a separate check would read the columns a second time, which
/// costs as much as their arithmetic.
#[derive(Debug, Clone, PartialEq)]
pub struct Checked {
    pub values: Vec<f64>,
    pub finite: bool,
}

/// [`Checked`] for kernels with `L` output lines.
#[derive(Debug, Clone, PartialEq)]
pub struct CheckedLines<const L: usize> {
    pub lines: [Vec<f64>; L],
    pub finite: bool,
}

#[inline(always)]
fn nan(len: usize) -> Vec<f64> {
    vec![f64::NAN; len]
}

/// `warm` NaNs, then one value from `rest` for every remaining bar up to
/// `len`, each written once. A serial kernel that fills its output with
/// NaN first and then overwrites it loses 5–7% to the extra pass; built
/// with `Vec::extend` instead, the state its closure updates was kept in
/// memory and the loop ran at half speed. This plain loop over the spare
/// capacity is as fast as writing in place.
///
/// Panics if `rest` ends early.
#[inline(always)]
fn front_to_back(len: usize, warm: usize, mut rest: impl Iterator<Item = f64>) -> Vec<f64> {
    let warm = warm.min(len);
    let mut values = warmed_up(len, warm);
    // One slot iterator, not `front_to_back_lines::<1>`'s indexing: KAMA's
    // loop measured 8% slower through the latter.
    for slot in &mut values.spare_capacity_mut()[..len - warm] {
        slot.write(rest.next().expect("one value for every bar after the warm-up"));
    }
    // SAFETY: the loop above initialised every slot from `warm` to `len`.
    unsafe { values.set_len(len) };
    values
}

/// An empty output of capacity `len` with its first `warm` values NaN.
#[inline(always)]
fn warmed_up(len: usize, warm: usize) -> Vec<f64> {
    let mut values = Vec::with_capacity(len);
    values.resize(warm, f64::NAN);
    values
}

/// [`front_to_back`] for kernels with `L` output lines: `rest` yields
/// one value for each line per bar.
#[inline(always)]
fn front_to_back_lines<const L: usize>(
    len: usize,
    warm: usize,
    mut rest: impl Iterator<Item = [f64; L]>,
) -> [Vec<f64>; L] {
    let warm = warm.min(len);
    let mut lines: [Vec<f64>; L] = std::array::from_fn(|_| warmed_up(len, warm));
    let m = len - warm;
    let mut slots = lines.each_mut().map(|line| &mut line.spare_capacity_mut()[..m]);
    for k in 0..m {
        let row = rest.next().expect("values for every bar after the warm-up");
        for (slot, v) in slots.iter_mut().zip(row) {
            slot[k].write(v);
        }
    }
    // SAFETY: the loop above initialised every slot from `warm` to `len`
    // of every line.
    for line in &mut lines {
        unsafe { line.set_len(len) };
    }
    lines
}

/// [`front_to_back`] for kernels that work a chunk at a time: `fill(first,
/// chunk)` computes bars `first..first + chunk.len()` into a small buffer
/// (in place, over as many passes as it likes), which is then copied out
/// once, from L1.
#[inline(always)]
fn front_to_back_chunks<const CHUNK: usize>(
    len: usize,
    warm: usize,
    mut fill: impl FnMut(usize, &mut [f64]),
) -> Vec<f64> {
    let warm = warm.min(len);
    let mut values = warmed_up(len, warm);
    let mut buffer = [0.0; CHUNK];
    for (k, slots) in values.spare_capacity_mut()[..len - warm].chunks_mut(CHUNK).enumerate() {
        let chunk = &mut buffer[..slots.len()];
        fill(warm + k * CHUNK, chunk);
        for (slot, &v) in slots.iter_mut().zip(chunk.iter()) {
            slot.write(v);
        }
    }
    // SAFETY: the loop above initialised every slot from `warm` to `len`.
    unsafe { values.set_len(len) };
    values
}
