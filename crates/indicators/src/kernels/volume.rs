//! Volume indicators: A/D line, OBV, Chaikin oscillator, MFI.

use super::*;

/// Accumulation/distribution line (see [`crate::Ad`]).
pub fn ad(h: &[f64], l: &[f64], c: &[f64], v: &[f64]) -> Checked {
    cpu_dispatch!(ad_impl(h, l, c, v))
}

#[inline(always)]
fn ad_impl(h: &[f64], l: &[f64], c: &[f64], v: &[f64]) -> Checked {
    let (mut acc, mut finite) = (0.0, true);
    let values = h
        .iter()
        .zip(l)
        .zip(c)
        .zip(v)
        .map(|(((&hi, &lo), &cl), &vol)| {
            finite &= hi.is_finite() & lo.is_finite() & cl.is_finite() & vol.is_finite();
            let range = hi - lo;
            if range > 0.0 {
                acc += ((cl - lo) - (hi - cl)) / range * vol;
            }
            acc
        })
        .collect();
    Checked { values, finite }
}

/// On-balance volume (see [`crate::Obv`]).
pub fn obv(c: &[f64], v: &[f64]) -> Checked {
    cpu_dispatch!(obv_impl(c, v))
}

#[inline(always)]
fn obv_impl(c: &[f64], v: &[f64]) -> Checked {
    let (mut acc, mut finite) = (0.0, true);
    let values = (0..c.len())
        .map(|i| {
            finite &= c[i].is_finite() & v[i].is_finite();
            if i == 0 {
                acc = v[0];
            } else if c[i] > c[i - 1] {
                acc += v[i];
            } else if c[i] < c[i - 1] {
                acc -= v[i];
            }
            acc
        })
        .collect();
    Checked { values, finite }
}

/// Chaikin A/D oscillator (see [`crate::AdOsc`]).
pub fn adosc(h: &[f64], l: &[f64], c: &[f64], v: &[f64], fast: usize, slow: usize) -> Result<Checked, IndicatorError> {
    cpu_dispatch!(adosc_impl(h, l, c, v, fast, slow))
}

#[inline(always)]
fn adosc_impl(h: &[f64], l: &[f64], c: &[f64], v: &[f64], fast: usize, slow: usize) -> Result<Checked, IndicatorError> {
    check_period("ADOSC fast", fast, 2)?;
    check_period("ADOSC slow", slow, 2)?;
    let k = |n: usize| 2.0 / (n as f64 + 1.0);
    let (fk, sk) = (k(fast), k(slow));
    let lookback = fast.max(slow) - 1;
    let Checked { values: line, finite } = ad(h, l, c, v);
    let (mut f, mut s) = (0.0, 0.0);
    let values = line
        .iter()
        .enumerate()
        .map(|(i, &a)| {
            if i == 0 {
                (f, s) = (a, a);
            } else {
                f = (1.0 - fk).mul_add(f, fk * a);
                s = (1.0 - sk).mul_add(s, sk * a);
            }
            if i >= lookback { f - s } else { f64::NAN }
        })
        .collect();
    Ok(Checked { values, finite })
}

/// Money Flow Index (see [`crate::Mfi`]).
pub fn mfi(h: &[f64], l: &[f64], c: &[f64], v: &[f64], n: usize) -> Result<Vec<f64>, IndicatorError> {
    cpu_dispatch!(mfi_impl(h, l, c, v, n))
}

#[inline(always)]
fn mfi_impl(h: &[f64], l: &[f64], c: &[f64], v: &[f64], n: usize) -> Result<Vec<f64>, IndicatorError> {
    check_period("MFI", n, 2)?;
    let len = c.len();
    let tp: Vec<f64> = (0..len).map(|i| (h[i] + l[i] + c[i]) / 3.0).collect();
    let sign = |i: usize| {
        let change = tp[i] - tp[i - 1];
        if -1e-8 < change && change < 1e-8 {
            0
        } else if change > 0.0 {
            1
        } else {
            -1
        }
    };
    let mut out = nan(len);
    let (mut pos, mut neg) = (0.0, 0.0);
    for i in 1..len {
        if i > n {
            let old = tp[i - n] * v[i - n];
            match sign(i - n) {
                1 => pos -= old,
                -1 => neg -= old,
                _ => {}
            }
        }
        let flow = tp[i] * v[i];
        match sign(i) {
            1 => pos += flow,
            -1 => neg += flow,
            _ => {}
        }
        if i >= n {
            let total = pos + neg;
            out[i] = if total < 1.0 { 0.0 } else { 100.0 * pos / total };
        }
    }
    Ok(out)
}
