//! Volume indicators: A/D line, OBV, Chaikin oscillator, MFI.

use super::*;

/// Accumulation/distribution line (see [`crate::Ad`]).
pub fn ad(h: &[f64], l: &[f64], c: &[f64], v: &[f64]) -> Checked {
    let (mut acc, mut finite) = (0.0, true);
    let mut values = nan(c.len());
    // Plain loops over preallocated output keep the running sums in
    // registers (see `streamed`).
    for (out, (((&hi, &lo), &cl), &vol)) in values.iter_mut().zip(h.iter().zip(l).zip(c).zip(v)) {
        finite &= hi.is_finite() & lo.is_finite() & cl.is_finite() & vol.is_finite();
        let range = hi - lo;
        if range > 0.0 {
            acc += ((cl - lo) - (hi - cl)) / range * vol;
        }
        *out = acc;
    }
    Checked { values, finite }
}

/// On-balance volume (see [`crate::Obv`]).
pub fn obv(c: &[f64], v: &[f64]) -> Checked {
    let mut values = nan(c.len());
    let (Some(&c0), Some(&v0)) = (c.first(), v.first()) else { return Checked { values, finite: true } };
    let (mut acc, mut finite) = (v0, c0.is_finite() & v0.is_finite());
    values[0] = acc;
    let inputs = c[1..].iter().zip(c).zip(&v[1..]);
    for (out, ((&now, &before), &vol)) in values[1..].iter_mut().zip(inputs) {
        finite &= now.is_finite() & vol.is_finite();
        if now > before {
            acc += vol;
        } else if now < before {
            acc -= vol;
        }
        *out = acc;
    }
    Checked { values, finite }
}

/// Chaikin A/D oscillator (see [`crate::AdOsc`]).
pub fn adosc(h: &[f64], l: &[f64], c: &[f64], v: &[f64], fast: usize, slow: usize) -> Result<Checked, IndicatorError> {
    check_period("ADOSC fast", fast, 2)?;
    check_period("ADOSC slow", slow, 2)?;
    let k = |n: usize| 2.0 / (n as f64 + 1.0);
    let (fk, sk) = (k(fast), k(slow));
    let lookback = fast.max(slow) - 1;
    let Checked { values: line, finite } = ad(h, l, c, v);
    let mut values = nan(line.len());
    let Some(&first) = line.first() else { return Ok(Checked { values, finite }) };
    let (mut f, mut s) = (first, first);
    if lookback == 0 {
        values[0] = f - s;
    }
    for (i, (out, &a)) in values.iter_mut().zip(&line).enumerate().skip(1) {
        f = fk * a + (1.0 - fk) * f;
        s = sk * a + (1.0 - sk) * s;
        if i >= lookback {
            *out = f - s;
        }
    }
    Ok(Checked { values, finite })
}

/// Money Flow Index (see [`crate::Mfi`]).
pub fn mfi(h: &[f64], l: &[f64], c: &[f64], v: &[f64], n: usize) -> Result<Vec<f64>, IndicatorError> {
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
