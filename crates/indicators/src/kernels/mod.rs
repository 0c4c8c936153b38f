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

use extremes::{Highest, Lowest, WindowExtremes, extremes_chunk};

/// A kernel's output and whether every input value it read was finite.
/// The cheapest kernels check their inputs in the pass that computes
/// them: a separate check would read the columns a second time, which
/// costs as much as their arithmetic.
#[derive(Debug, Clone, PartialEq)]
pub struct Checked {
    pub values: Vec<f64>,
    pub finite: bool,
}

fn nan(len: usize) -> Vec<f64> {
    vec![f64::NAN; len]
}

/// Runs a streaming indicator over a slice. Composite indicators (an EMA
/// of an EMA, an SMA of an SMA) are fastest as one plain loop over their
/// streaming parts: slicing them into stages costs full-length temporary
/// arrays that outweigh the arithmetic several times over.
///
/// The loop writes in place and keeps the indicator a local of this
/// function, so its state can live in registers; run through a closure in
/// `map(..).collect()`, it was stored and reloaded on every value.
fn streamed<I: crate::Indicator>(mut ind: I, x: &[f64]) -> Checked {
    let mut finite = true;
    let mut values = vec![f64::NAN; x.len()];
    for (out, &v) in values.iter_mut().zip(x) {
        finite &= v.is_finite();
        if let Some(y) = ind.update(v) {
            *out = y;
        }
    }
    Checked { values, finite }
}
