//! The stochastic family: fast %K, Williams %R, STOCH, STOCHF, StochRSI.

use super::*;

/// Runs `f(first, highest, lowest)` over the bars from the first full
/// `n`-window on, a chunk at a time: `highest[k]` and `lowest[k]` are the
/// extremes of the window ending at bar `first + k`. Handing over whole
/// chunks lets the kernel's arithmetic loop vectorise.
/// Returns whether every value of `h` and `l`, and every `f` call, was
/// finite.
#[inline(always)]
fn over_window_extremes(h: &[f64], l: &[f64], n: usize, mut f: impl FnMut(usize, &[f64], &[f64]) -> bool) -> bool {
    let len = h.len().min(l.len());
    let chunk = extremes_chunk(n);
    let (mut hi, mut lo) = (WindowExtremes::<true>::new(n), WindowExtremes::<false>::new(n));
    let (mut hs, mut ls) = (vec![0.0; chunk.min(len)], vec![0.0; chunk.min(len)]);
    let mut finite = true;
    for start in (0..len).step_by(chunk) {
        let m = chunk.min(len - start);
        let (hs, ls) = (&mut hs[..m], &mut ls[..m]);
        finite &= hi.fill(h, start, hs) & lo.fill(l, start, ls);
        let skip = (n - 1).saturating_sub(start).min(m);
        finite &= f(start + skip, &hs[skip..], &ls[skip..]);
    }
    finite
}

/// Whether every value of `x` is finite, branch-free per block so it
/// vectorises.
#[inline(always)]
fn all_finite(x: &[f64]) -> bool {
    x.iter().fold(true, |ok, v| ok & v.is_finite())
}

/// Fast %K over `n` bars (see the stochastics in [`crate::candle`]).
#[inline(always)]
fn fast_k(h: &[f64], l: &[f64], c: &[f64], n: usize) -> Checked {
    let mut values = nan(c.len());
    let warm = all_finite(&c[..(n - 1).min(c.len())]);
    let finite = over_window_extremes(h, l, n, |first, hs, ls| {
        let (out, c) = (&mut values[first..first + hs.len()], &c[first..first + hs.len()]);
        let mut finite = true;
        for (((o, &hh), &ll), &c) in out.iter_mut().zip(hs).zip(ls).zip(c) {
            finite &= c.is_finite();
            let diff = (hh - ll) / 100.0;
            let r = (c - ll) / diff;
            *o = if (-1e-8 < diff) & (diff < 1e-8) { 0.0 } else { r };
        }
        finite
    });
    Checked { values, finite: warm & finite }
}

/// Williams %R (see [`crate::WillR`]).
pub fn willr(h: &[f64], l: &[f64], c: &[f64], n: usize) -> Result<Checked, IndicatorError> {
    cpu_dispatch!(willr_impl(h, l, c, n))
}

#[inline(always)]
fn willr_impl(h: &[f64], l: &[f64], c: &[f64], n: usize) -> Result<Checked, IndicatorError> {
    check_period("WILLR", n, 2)?;
    // Written once, in order: prefilling with NaN would write every value twice.
    let mut values = Vec::with_capacity(c.len());
    values.resize((n - 1).min(c.len()), f64::NAN);
    let warm = all_finite(&c[..values.len()]);
    let finite = over_window_extremes(h, l, n, |first, hs, ls| {
        let c = &c[first..first + hs.len()];
        values.extend(hs.iter().zip(ls).zip(c).map(|((&hh, &ll), &c)| {
            let diff = (hh - ll) / -100.0;
            // Divided unconditionally, then selected: a branch would
            // keep the loop from vectorising.
            let r = (hh - c) / diff;
            if diff != 0.0 { r } else { 0.0 }
        }));
        all_finite(c)
    });
    Ok(Checked { values, finite: warm & finite })
}

/// %K and its SMA %D from fast %K values, both published once %D is warm.
#[inline(always)]
fn smooth_k(fk: &[f64], k_smooth: Option<usize>, d: usize) -> Result<[Vec<f64>; 2], IndicatorError> {
    use crate::Indicator;
    let mut ks = k_smooth.map(crate::Sma::new).transpose()?;
    let mut ds = crate::Sma::new(d)?;
    let (mut kout, mut dout) = (nan(fk.len()), nan(fk.len()));
    for (i, &f) in fk.iter().enumerate() {
        let k = if f.is_nan() {
            None
        } else {
            match &mut ks {
                Some(s) => s.update(f),
                None => Some(f),
            }
        };
        if let Some((k, d)) = k.and_then(|k| ds.update(k).map(|d| (k, d))) {
            (kout[i], dout[i]) = (k, d);
        }
    }
    Ok([kout, dout])
}

/// Fast stochastic %K and %D (see [`crate::StochF`]).
pub fn stochf(h: &[f64], l: &[f64], c: &[f64], k: usize, d: usize) -> Result<[Vec<f64>; 2], IndicatorError> {
    cpu_dispatch!(stochf_impl(h, l, c, k, d))
}

#[inline(always)]
fn stochf_impl(h: &[f64], l: &[f64], c: &[f64], k: usize, d: usize) -> Result<[Vec<f64>; 2], IndicatorError> {
    check_period("STOCHF fastk", k, 1)?;
    smooth_k(&fast_k(h, l, c, k).values, None, d)
}

/// Slow stochastic %K and %D (see [`crate::Stoch`]).
pub fn stoch(
    h: &[f64],
    l: &[f64],
    c: &[f64],
    fast: usize,
    slow_k: usize,
    slow_d: usize,
) -> Result<[Vec<f64>; 2], IndicatorError> {
    cpu_dispatch!(stoch_impl(h, l, c, fast, slow_k, slow_d))
}

#[inline(always)]
fn stoch_impl(
    h: &[f64],
    l: &[f64],
    c: &[f64],
    fast: usize,
    slow_k: usize,
    slow_d: usize,
) -> Result<[Vec<f64>; 2], IndicatorError> {
    check_period("STOCH fastk", fast, 1)?;
    smooth_k(&fast_k(h, l, c, fast).values, Some(slow_k), slow_d)
}

/// Stochastic RSI %K and %D (see [`crate::StochRsi`]).
pub fn stochrsi(x: &[f64], n: usize, k: usize, d: usize) -> Result<[Vec<f64>; 2], IndicatorError> {
    cpu_dispatch!(stochrsi_impl(x, n, k, d))
}

#[inline(always)]
fn stochrsi_impl(x: &[f64], n: usize, k: usize, d: usize) -> Result<[Vec<f64>; 2], IndicatorError> {
    check_period("STOCHRSI fastk", k, 1)?;
    let r = rsi(x, n)?.values;
    let start = r.iter().position(|v| !v.is_nan()).unwrap_or(r.len());
    let tail = &r[start..];
    let mut fk = nan(start);
    fk.extend(fast_k(tail, tail, tail, k).values);
    smooth_k(&fk, None, d)
}
