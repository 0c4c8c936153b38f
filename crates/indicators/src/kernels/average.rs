//! Moving averages: SMA, EMA, WMA, DEMA, TEMA, TRIMA, KAMA, T3.

use super::*;

/// Simple moving average (see [`crate::Sma`]).
pub fn sma(x: &[f64], n: usize) -> Result<Checked, IndicatorError> {
    cpu_dispatch!(sma_impl(x, n))
}

#[inline(always)]
fn sma_impl(x: &[f64], n: usize) -> Result<Checked, IndicatorError> {
    check_period("SMA", n, 1)?;
    let nf = n as f64;
    let (mut sum, mut finite) = (0.0, true);
    let warm = x.len().min(n - 1);
    for &v in &x[..warm] {
        finite &= v.is_finite();
        sum += v;
    }
    let mut values = warmed_up(x.len(), warm);
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
    cpu_dispatch!(ema_impl(x, n))
}

#[inline(always)]
fn ema_impl(x: &[f64], n: usize) -> Result<Checked, IndicatorError> {
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
    let mut values = warmed_up(x.len(), n - 1);
    values.push(v);
    values.extend(x[n..].iter().map(|&xi| {
        finite &= xi.is_finite();
        v = crate::average::ema_step(v, xi, alpha);
        v
    }));
    Ok(Checked { values, finite })
}

/// Weighted moving average (see [`crate::Wma`]).
pub fn wma(x: &[f64], n: usize) -> Result<Vec<f64>, IndicatorError> {
    cpu_dispatch!(wma_impl(x, n))
}

#[inline(always)]
fn wma_impl(x: &[f64], n: usize) -> Result<Vec<f64>, IndicatorError> {
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
    cpu_dispatch!(dema_impl(x, n))
}

#[inline(always)]
fn dema_impl(x: &[f64], n: usize) -> Result<Checked, IndicatorError> {
    check_period("DEMA", n, 1)?;
    ema_cascade(x, n, |&[a, b]| 2.0 * a - b)
}

/// `D` EMAs of period `n`, each over the one before, in one loop: the
/// streaming structs run the warm-up (up to the last stage's first value,
/// at bar `D·(n − 1)`), then only the steps, which is all the streaming
/// code does from there on, with no `Option` or seed branch per stage.
/// Each bar's output is `value(stages)` from that first value on (NaN
/// before); the flag says whether every input was finite.
///
/// The output is built front to back, each value written once: filling
/// it with NaN first cost 7% of this chain-bound loop.
#[inline(always)]
pub(super) fn ema_cascade<const D: usize>(
    x: &[f64],
    n: usize,
    mut value: impl FnMut(&[f64; D]) -> f64,
) -> Result<Checked, IndicatorError> {
    use crate::Indicator;
    let first = crate::Ema::new(n)?;
    let mut stages: [crate::Ema; D] = std::array::from_fn(|_| first.clone());
    let mut finite = true;
    let warm = (D * (n - 1) + 1).min(x.len());
    let mut e = [0.0; D];
    let mut values = Vec::with_capacity(x.len());
    for &xi in &x[..warm] {
        finite &= xi.is_finite();
        let mut v = Some(xi);
        for (slot, stage) in e.iter_mut().zip(&mut stages) {
            v = v.and_then(|v| stage.update(v));
            *slot = v.unwrap_or(f64::NAN);
        }
        values.push(if v.is_some() { value(&e) } else { f64::NAN });
    }
    let alpha = first.state().0;
    values.extend(x[warm..].iter().map(|&xi| {
        let mut v = xi;
        for slot in &mut e {
            *slot = crate::average::ema_step(*slot, v, alpha);
            v = *slot;
        }
        value(&e)
    }));
    // No check inside the loop: a NaN or infinity that enters the first
    // stage never leaves it (`inf` turns to NaN at the next finite input),
    // so a finite first stage at the end vouches for every input. Only when
    // it is not (a bad input, or an overflow) are the inputs scanned.
    let finite = finite && (e[0].is_finite() || x[warm..].iter().all(|v| v.is_finite()));
    Ok(Checked { values, finite })
}

/// `3·EMA − 3·EMA² + EMA³` (see [`crate::Tema`]).
pub fn tema(x: &[f64], n: usize) -> Result<Checked, IndicatorError> {
    cpu_dispatch!(tema_impl(x, n))
}

#[inline(always)]
fn tema_impl(x: &[f64], n: usize) -> Result<Checked, IndicatorError> {
    check_period("TEMA", n, 1)?;
    ema_cascade(x, n, |&[a, b, c]| 3.0 * a - 3.0 * b + c)
}

/// SMA of an SMA (see [`crate::Trima`]).
pub fn trima(x: &[f64], n: usize) -> Result<Checked, IndicatorError> {
    cpu_dispatch!(trima_impl(x, n))
}

#[inline(always)]
fn trima_impl(x: &[f64], n: usize) -> Result<Checked, IndicatorError> {
    let ([a, b], scale) = crate::Trima::new(n)?.parts();
    let len = x.len();
    let mut values = nan(len);
    let finite = x.iter().fold(true, |ok, v| ok & v.is_finite());
    // `Trima::update` in phases instead of per-bar branches: the inner
    // window's warm-up, then both sums, the outer one publishing once
    // full. The inner sums the outer still needs wait in a ring of `b`
    // (no full-length temporary).
    let mut sum1 = 0.0;
    for &v in &x[..(a - 1).min(len)] {
        sum1 += v;
    }
    let mut ring = vec![0.0; b];
    let (mut sum2, mut at) = (0.0, 0);
    for i in a - 1..len {
        let t1 = sum1 + x[i];
        sum1 = t1 - x[i + 1 - a];
        let t2 = sum2 + t1;
        ring[at] = t1;
        at = if at + 1 == b { 0 } else { at + 1 };
        if i + 1 < a + b - 1 {
            sum2 = t2;
            continue;
        }
        // `ring[at]` is now the oldest inner sum in the window.
        sum2 = t2 - ring[at];
        values[i] = t2 * scale;
    }
    Ok(Checked { values, finite })
}

/// Kaufman's adaptive moving average (see [`crate::Kama`]).
pub fn kama(x: &[f64], n: usize) -> Result<Checked, IndicatorError> {
    cpu_dispatch!(kama_impl(x, n))
}

#[inline(always)]
fn kama_impl(x: &[f64], n: usize) -> Result<Checked, IndicatorError> {
    check_period("KAMA", n, 2)?;
    const MAX: f64 = 2.0 / (30.0 + 1.0);
    const DIFF: f64 = 2.0 / (2.0 + 1.0) - MAX;
    if x.len() <= n {
        let finite = x.iter().all(|v| v.is_finite());
        return Ok(Checked { values: nan(x.len()), finite });
    }
    // The smoothing constant from the window's net change and path length.
    let smoothing = |period_roc: f64, sum: f64| {
        let er = if sum <= period_roc || sum <= 0.0 { 1.0 } else { (period_roc / sum).abs() };
        let sc = er.mul_add(DIFF, MAX);
        sc * sc
    };
    // Warm-up: the first `n` changes, then the first value from the
    // previous close; after that, a change leaves as one enters. Phases
    // rather than branches in one loop. `Kama` counts the window's zero
    // changes to zero its path length exactly when all are zero; here the
    // same test is "the last non-zero change is `n` or more bars back",
    // one compare and move a bar instead of two counts.
    let (mut sum, mut last_nonzero) = (0.0, 0usize);
    for i in 1..=n {
        let change = (x[i] - x[i - 1]).abs();
        sum += change;
        if change != 0.0 {
            last_nonzero = i;
        }
    }
    if last_nonzero == 0 {
        sum = 0.0;
    }
    let mut v = crate::average::ema_step(x[n - 1], x[n], smoothing(x[n] - x[0], sum));
    let first = v;
    // Bar `i` reads x[i], x[i−1] (entering change) and x[i−n], x[i−n−1]
    // (leaving change): four offset slices zipped, so no bounds checks.
    let bars = x[n + 1..].iter().zip(&x[n..]).zip(x[1..].iter().zip(x));
    let steps = bars.zip(n + 1..).map(
        #[inline(always)]
        |(((&now, &prev), (&start, &before)), i)| {
            let change = (now - prev).abs();
            sum -= (start - before).abs();
            sum += change;
            last_nonzero = if change != 0.0 { i } else { last_nonzero };
            if i - last_nonzero >= n {
                sum = 0.0;
            }
            v = crate::average::ema_step(v, now, smoothing(now - start, sum));
            v
        },
    );
    let out = front_to_back(x.len(), n, std::iter::once(first).chain(steps));
    // No check inside the loop: every input from bar `n` on enters `v`,
    // where a NaN stays and an infinity turns to NaN at the next bar, so a
    // finite end vouches for them; the first `n + 1` (which can reach only
    // the path length, where `inf` drives the ratio to 0) are scanned.
    let finite = x[..=n].iter().all(|v| v.is_finite()) && (v.is_finite() || x[n + 1..].iter().all(|v| v.is_finite()));
    Ok(Checked { values: out, finite })
}

/// Tillson's T3 (see [`crate::T3`]).
pub fn t3(x: &[f64], n: usize, vfactor: f64) -> Result<Checked, IndicatorError> {
    cpu_dispatch!(t3_impl(x, n, vfactor))
}

#[inline(always)]
fn t3_impl(x: &[f64], n: usize, vfactor: f64) -> Result<Checked, IndicatorError> {
    use crate::Indicator;
    use crate::adaptive::{t3_combine, t3_step};
    let mut t3 = crate::T3::new(n, vfactor)?;
    if n == 1 {
        return Ok(Checked { values: x.to_vec(), finite: x.iter().all(|v| v.is_finite()) });
    }
    // The streaming struct runs the warm-up (its seeds are plain averages)
    // up to the first value; from there on every stage is one step.
    let warm = (6 * (n - 1) + 1).min(x.len());
    let mut finite = true;
    let mut last = f64::NAN;
    for &xi in &x[..warm] {
        finite &= xi.is_finite();
        last = t3.update(xi).unwrap_or(f64::NAN);
    }
    let Some((mut e, k, c)) = t3.steady_state() else {
        return Ok(Checked { values: nan(x.len()), finite });
    };
    // Only the warm-up's last bar has a value.
    let steps = x[warm..].iter().map(|&xi| {
        let mut v = xi;
        for stage in &mut e {
            *stage = t3_step(*stage, v, k);
            v = *stage;
        }
        t3_combine(&c, &e)
    });
    let values = front_to_back(x.len(), warm - 1, std::iter::once(last).chain(steps));
    // A NaN or infinity that reaches the first stage stays there (an
    // infinity only meets weights in (0, 1)), so a finite first stage at
    // the end vouches for every input after the warm-up.
    Ok(Checked { values, finite: finite && (e[0].is_finite() || x[warm..].iter().all(|v| v.is_finite())) })
}
