//! The stochastic family: fast %K, Williams %R, STOCH, STOCHF, StochRSI.

use super::*;

/// Fast %K over `n` bars (see the stochastics in [`crate::candle`]).
fn fast_k(h: &[f64], l: &[f64], c: &[f64], n: usize) -> Vec<f64> {
    let (mut hi, mut lo) = (Highest::new(n), Lowest::new(n));
    let mut out = nan(c.len());
    for (i, o) in out.iter_mut().enumerate() {
        let ((hh, _), (ll, _)) = (hi.at_bar(h, i), lo.at_bar(l, i));
        if i + 1 >= n {
            let diff = (hh - ll) / 100.0;
            *o = if -1e-8 < diff && diff < 1e-8 { 0.0 } else { (c[i] - ll) / diff };
        }
    }
    out
}

/// Williams %R (see [`crate::WillR`]).
pub fn willr(h: &[f64], l: &[f64], c: &[f64], n: usize) -> Result<Vec<f64>, IndicatorError> {
    check_period("WILLR", n, 2)?;
    let (mut hi, mut lo) = (Highest::new(n), Lowest::new(n));
    let mut out = nan(c.len());
    for (i, o) in out.iter_mut().enumerate() {
        let ((hh, _), (ll, _)) = (hi.at_bar(h, i), lo.at_bar(l, i));
        if i + 1 >= n {
            let diff = (hh - ll) / -100.0;
            *o = if diff != 0.0 { (hh - c[i]) / diff } else { 0.0 };
        }
    }
    Ok(out)
}

/// %K and its SMA %D from fast %K values, both published once %D is warm.
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
    check_period("STOCHF fastk", k, 1)?;
    smooth_k(&fast_k(h, l, c, k), None, d)
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
    check_period("STOCH fastk", fast, 1)?;
    smooth_k(&fast_k(h, l, c, fast), Some(slow_k), slow_d)
}

/// Stochastic RSI %K and %D (see [`crate::StochRsi`]).
pub fn stochrsi(x: &[f64], n: usize, k: usize, d: usize) -> Result<[Vec<f64>; 2], IndicatorError> {
    check_period("STOCHRSI fastk", k, 1)?;
    let r = rsi(x, n)?.values;
    let start = r.iter().position(|v| !v.is_nan()).unwrap_or(r.len());
    let tail = &r[start..];
    let mut fk = nan(start);
    fk.extend(fast_k(tail, tail, tail, k));
    smooth_k(&fk, None, d)
}
