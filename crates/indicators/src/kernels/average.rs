//! Moving averages: SMA, EMA, WMA, DEMA, TEMA, TRIMA, KAMA, T3.

use super::*;

/// Simple moving average (see [`crate::Sma`]).
pub fn sma(x: &[f64], n: usize) -> Result<Checked, IndicatorError> {
    check_period("SMA", n, 1)?;
    let nf = n as f64;
    let (mut sum, mut finite) = (0.0, true);
    let warm = x.len().min(n - 1);
    for &v in &x[..warm] {
        finite &= v.is_finite();
        sum += v;
    }
    let mut values = Vec::with_capacity(x.len());
    values.resize(warm, f64::NAN);
    // The value leaving the window is always `n − 1` places behind.
    values.extend(x[warm..].iter().zip(x).map(|(&v, &leaving)| {
        finite &= v.is_finite();
        let total = sum + v;
        sum = total - leaving;
        total / nf
    }));
    Ok(Checked { values, finite })
}

/// EMA seeded with the SMA of the first `n` values (see [`crate::Ema`]).
pub fn ema(x: &[f64], n: usize) -> Result<Checked, IndicatorError> {
    check_period("EMA", n, 1)?;
    let mut finite = x.iter().take(n).fold(true, |ok, v| ok & v.is_finite());
    if x.len() < n {
        return Ok(Checked { values: nan(x.len()), finite });
    }
    let alpha = 2.0 / (n as f64 + 1.0);
    let mut v = 0.0;
    for &xi in &x[..n - 1] {
        v += xi;
    }
    v = (v + x[n - 1]) / n as f64;
    let mut values = Vec::with_capacity(x.len());
    values.resize(n - 1, f64::NAN);
    values.push(v);
    values.extend(x[n..].iter().map(|&xi| {
        finite &= xi.is_finite();
        v += alpha * (xi - v);
        v
    }));
    Ok(Checked { values, finite })
}

/// Weighted moving average (see [`crate::Wma`]).
pub fn wma(x: &[f64], n: usize) -> Result<Vec<f64>, IndicatorError> {
    check_period("WMA", n, 1)?;
    let mut out = nan(x.len());
    let nf = n as f64;
    let denom = nf * (nf + 1.0) / 2.0;
    let (mut sum, mut weighted) = (0.0, 0.0);
    for i in 0..x.len() {
        let v = x[i];
        if i >= n {
            weighted += nf * v - sum;
            sum += v - x[i - n];
        } else {
            weighted += (i + 1) as f64 * v;
            sum += v;
        }
        if i + 1 >= n {
            out[i] = weighted / denom;
        }
    }
    Ok(out)
}

/// `2·EMA − EMA(EMA)` (see [`crate::Dema`]).
pub fn dema(x: &[f64], n: usize) -> Result<Checked, IndicatorError> {
    Ok(streamed(crate::Dema::new(n)?, x))
}

/// `3·EMA − 3·EMA² + EMA³` (see [`crate::Tema`]).
pub fn tema(x: &[f64], n: usize) -> Result<Checked, IndicatorError> {
    Ok(streamed(crate::Tema::new(n)?, x))
}

/// SMA of an SMA (see [`crate::Trima`]).
pub fn trima(x: &[f64], n: usize) -> Result<Checked, IndicatorError> {
    Ok(streamed(crate::Trima::new(n)?, x))
}

/// Kaufman's adaptive moving average (see [`crate::Kama`]).
pub fn kama(x: &[f64], n: usize) -> Result<Vec<f64>, IndicatorError> {
    check_period("KAMA", n, 2)?;
    const MAX: f64 = 2.0 / (30.0 + 1.0);
    const DIFF: f64 = 2.0 / (2.0 + 1.0) - MAX;
    let mut out = nan(x.len());
    if x.len() <= n {
        return Ok(out);
    }
    // The smoothing constant of bar `i` from the window's path length.
    let step = |i: usize, sum: f64, base: f64| {
        let period_roc = x[i] - x[i - n];
        let er = if sum <= period_roc || sum <= 0.0 { 1.0 } else { (period_roc / sum).abs() };
        let sc = er * DIFF + MAX;
        let sc = sc * sc;
        (x[i] - base) * sc + base
    };
    // Warm-up: the first `n` changes, then the first value from the
    // previous close; after that, a change leaves as one enters. Phases
    // rather than branches in one loop.
    let (mut sum, mut zeros) = (0.0, 0usize);
    for i in 1..=n {
        let change = (x[i] - x[i - 1]).abs();
        sum += change;
        zeros += (change == 0.0) as usize;
    }
    if zeros >= n {
        sum = 0.0;
    }
    let mut v = step(n, sum, x[n - 1]);
    out[n] = v;
    for i in n + 1..x.len() {
        let change = (x[i] - x[i - 1]).abs();
        let old = (x[i - n] - x[i - n - 1]).abs();
        sum -= old;
        zeros -= (old == 0.0) as usize;
        sum += change;
        zeros += (change == 0.0) as usize;
        if zeros >= n {
            sum = 0.0;
        }
        v = step(i, sum, v);
        out[i] = v;
    }
    Ok(out)
}

/// Tillson's T3 (see [`crate::T3`]).
pub fn t3(x: &[f64], n: usize, vfactor: f64) -> Result<Vec<f64>, IndicatorError> {
    check_period("T3", n, 1)?;
    if n == 1 {
        return Ok(x.to_vec());
    }
    let v2 = vfactor * vfactor;
    let c1 = -v2 * vfactor;
    let c2 = 3.0 * (v2 - c1);
    let c3 = -6.0 * v2 - 3.0 * (vfactor - c1);
    let c4 = 1.0 + 3.0 * vfactor - c1 + 3.0 * v2;
    let k = 2.0 / (n as f64 + 1.0);
    let (mut seen, mut e) = ([0usize; 6], [0.0f64; 6]);
    let mut out = nan(x.len());
    'bars: for (o, &xi) in out.iter_mut().zip(x) {
        let mut v = xi;
        for s in 0..6 {
            seen[s] += 1;
            if seen[s] <= n {
                e[s] += v;
                if seen[s] < n {
                    continue 'bars;
                }
                e[s] /= n as f64;
            } else {
                e[s] = k * v + (1.0 - k) * e[s];
            }
            v = e[s];
        }
        *o = c1 * e[5] + c2 * e[4] + c3 * e[3] + c4 * e[2];
    }
    Ok(out)
}
