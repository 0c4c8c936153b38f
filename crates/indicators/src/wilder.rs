//! Wilder's smoothing after its seed, defined once for the streaming ATR
//! and its batch kernel, which must agree to the bit.
//!
//! TA-Lib writes the step as `(prev·(n−1) + x)/n`: three operations that
//! each wait for the one before, so a long series runs at the speed of
//! that chain. `prev·((n−1)/n) + x·(1/n)`, with the multiply-add fused,
//! leaves one in the chain (the input's product does not wait for
//! `prev`), and differs from TA-Lib's in the last bits only. RSI keeps TA-Lib's exact form: over a flat stretch
//! its last bit decides whether StochRSI reads 0 or 100.
//!
//! The directional movement sums use Wilder's other spelling,
//! `s − s/n + x`; multiplying by `1/n` instead of dividing takes the
//! division (the slowest operation) out of that chain too.

/// The weights of the step: the old value keeps `(n−1)/n`, the input
/// gets `1/n`.
#[inline]
pub(crate) fn wilder_weights(n: usize) -> (f64, f64) {
    let nf = n as f64;
    ((nf - 1.0) / nf, 1.0 / nf)
}

/// One step of Wilder's running sum `s − s/n + x`, with `inv = 1/n`.
#[inline]
pub(crate) fn wilder_sum_step(s: f64, x: f64, inv: f64) -> f64 {
    s - s * inv + x
}

/// One step of Wilder's smoothing with the [`wilder_weights`] of its
/// period (computed once by the caller: they cost two divisions).
#[inline]
pub(crate) fn wilder_step(prev: f64, x: f64, (keep, weight): (f64, f64)) -> f64 {
    prev.mul_add(keep, x * weight)
}
