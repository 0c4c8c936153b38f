//! Rolling statistics: regression slope, variance, standard deviation, Bollinger Bands, z-score, correlation, beta.

use super::*;

/// Least-squares slope over `n` values (see [`crate::LinRegSlope`]).
pub fn linreg_slope(y: &[f64], n: usize) -> Result<Vec<f64>, IndicatorError> {
    cpu_dispatch!(linreg_slope_impl(y, n))
}

#[inline(always)]
fn linreg_slope_impl(y: &[f64], n: usize) -> Result<Vec<f64>, IndicatorError> {
    check_period("LINEARREG_SLOPE", n, 2)?;
    let mut out = nan(y.len());
    let nf = n as f64;
    let sum_x = nf * (nf - 1.0) / 2.0;
    let sum_x2 = nf * (nf - 1.0) * (2.0 * nf - 1.0) / 6.0;
    let den = nf * sum_x2 - sum_x * sum_x;
    let (mut sy, mut sxy) = (0.0, 0.0);
    for i in 0..y.len() {
        let v = y[i];
        if i >= n {
            let old = y[i - n];
            sxy += (nf - 1.0) * v - (sy - old);
            sy += v - old;
        } else {
            sxy += i as f64 * v;
            sy += v;
        }
        if i + 1 >= n {
            out[i] = (nf * sxy - sum_x * sy) / den;
        }
    }
    Ok(out)
}

/// Bars per chunk of [`rolling_var`]'s output.
const VAR_CHUNK: usize = 64;

/// Calls `emit(first, sums, variances)` with the sum (the mean times
/// `n`: divide where the mean is needed) and the variance of each full
/// `n`-window, a chunk at a time: `sums[k]` is the window ending at bar
/// `first + k` (see [`crate::RollingStd`]). Returns whether every value
/// was finite.
///
/// The running sums are serial; the divisions that turn them into means
/// and variances, and whatever the consumer does with them (square roots,
/// bands), are not, so they run a chunk at a time in passes that
/// vectorise. Done bar by bar they cost three divisions and a square root
/// each, which was most of the time.
#[inline(always)]
fn rolling_var<const SUMS: bool>(x: &[f64], n: usize, mut emit: impl FnMut(usize, &[f64], &[f64])) -> bool {
    let (len, nf) = (x.len(), n as f64);
    // Inputs are checked for finiteness a chunk at a time, where the check
    // vectorises: the warm-up here, the rest as each chunk is emitted.
    let mut finite = x[..(n - 1).min(len)].iter().all(|v| v.is_finite());
    // The plain running sum of the last `n − 1` values (when `SUMS`: STDDEV
    // needs none, and skips its serial chain).
    let mut sum = 0.0;
    if SUMS {
        for &v in &x[..(n - 1).min(len)] {
            sum += v;
        }
    }
    // `RollingStd`'s deviation sums, in its arithmetic: recentred on the
    // newest value (a fold over the window) at bars n−1, 2n−1, …, and in
    // between moved by what enters and what leaves. Nothing before bar
    // n−1 survives its first recentring, so the warm-up skips them.
    let (mut reference, mut dev_sum, mut dev_sq, mut since) = (0.0, 0.0, 0.0, 0usize);
    // A chunk's window sums and deviation sums; the squares become
    // variances in place when the chunk is full.
    let (mut totals, mut devs, mut squares) = ([0.0; VAR_CHUNK], [0.0; VAR_CHUNK], [0.0; VAR_CHUNK]);
    let mut first = n - 1;
    while first < len {
        let filled = VAR_CHUNK.min(len - first);
        for k in 0..filled {
            let i = first + k;
            let v = x[i];
            if since == 0 {
                reference = v;
                (dev_sum, dev_sq) = x[i + 1 - n..=i].iter().fold((0.0, 0.0), |(s, q), w| {
                    let d = w - reference;
                    (s + d, q + d * d)
                });
            } else {
                let (d, e) = (v - reference, x[i - n] - reference);
                dev_sum += d - e;
                dev_sq += d.mul_add(d, -(e * e));
            }
            since = if since + 1 == n { 0 } else { since + 1 };
            if SUMS {
                let t1 = sum + v;
                sum = t1 - x[i + 1 - n];
                totals[k] = t1;
            }
            (devs[k], squares[k]) = (dev_sum, dev_sq);
        }
        let vars = &mut squares[..filled];
        for (var, &dev) in vars.iter_mut().zip(&devs[..filled]) {
            *var = crate::window::variance(nf, dev, *var);
        }
        finite &= x[first..first + filled].iter().fold(true, |ok, v| ok & v.is_finite());
        emit(first, &totals[..filled], vars);
        first += filled;
    }
    finite
}

/// TA-Lib's STDDEV times `k` (see [`crate::RollingStd::update_ta_lib`]).
pub fn stddev(x: &[f64], n: usize, k: f64) -> Result<Checked, IndicatorError> {
    cpu_dispatch!(stddev_impl(x, n, k))
}

#[inline(always)]
fn stddev_impl(x: &[f64], n: usize, k: f64) -> Result<Checked, IndicatorError> {
    check_period("STDDEV", n, 1)?;
    let mut values = nan(x.len());
    let finite = rolling_var::<false>(x, n, |first, _, vars| {
        for (o, &v) in values[first..first + vars.len()].iter_mut().zip(vars) {
            let sd = v.sqrt() * k;
            *o = if v.is_nan() {
                v
            } else if v < 1e-8 {
                0.0 * k
            } else {
                sd
            };
        }
    });
    Ok(Checked { values, finite })
}

/// Bollinger upper, middle and lower (see [`crate::Bollinger`]).
pub fn bbands(x: &[f64], n: usize, k: f64) -> Result<CheckedLines<3>, IndicatorError> {
    cpu_dispatch!(bbands_impl(x, n, k))
}

#[inline(always)]
fn bbands_impl(x: &[f64], n: usize, k: f64) -> Result<CheckedLines<3>, IndicatorError> {
    check_period("BBANDS", n, 2)?;
    let (len, nf) = (x.len(), n as f64);
    let warm = (n - 1).min(len);
    // The lines are written once each, chunk by chunk, into their spare
    // capacity: three NaN fills first cost a tenth of the time.
    let mut lines: [Vec<f64>; 3] = std::array::from_fn(|_| warmed_up(len, warm));
    let mut written = 0;
    let finite = {
        let [up, means, lo] = lines.each_mut().map(|line| &mut line.spare_capacity_mut()[..len - warm]);
        rolling_var::<true>(
            x,
            n,
            #[inline(always)]
            |first, sums, vars| {
                // Chunks arrive in order and back to back; the count below
                // relies on it.
                assert_eq!(first, warm + written, "rolling_var emits contiguous chunks");
                let end = written + sums.len();
                let outs = up[written..end].iter_mut().zip(&mut means[written..end]).zip(&mut lo[written..end]);
                for (((u, m), l), (&sum, &var)) in outs.zip(sums.iter().zip(vars)) {
                    let mean = sum / nf;
                    m.write(mean);
                    let root = var.sqrt();
                    let sd = if var < 1e-8 { 0.0 } else { root };
                    // A NaN variance keeps its bands NaN, as before.
                    let (upper, lower) =
                        if var.is_nan() { (f64::NAN, f64::NAN) } else { (mean + k * sd, mean - k * sd) };
                    u.write(upper);
                    l.write(lower);
                }
                written = end;
            },
        )
    };
    assert_eq!(written, len - warm, "every bar after the warm-up was emitted");
    for line in &mut lines {
        // SAFETY: the chunks, contiguous from `warm` (asserted in turn),
        // wrote every slot up to `len` of every line (asserted above).
        unsafe { line.set_len(len) };
    }
    Ok(CheckedLines { lines, finite })
}

/// Rolling z-score (see [`crate::ZScore`]).
pub fn zscore(x: &[f64], n: usize) -> Result<Checked, IndicatorError> {
    cpu_dispatch!(zscore_impl(x, n))
}

#[inline(always)]
fn zscore_impl(x: &[f64], n: usize) -> Result<Checked, IndicatorError> {
    check_period("ZSCORE", n, 2)?;
    let mut values = nan(x.len());
    let nf = n as f64;
    let finite = rolling_var::<true>(x, n, |first, sums, vars| {
        let end = first + sums.len();
        for ((o, &xi), (&sum, &var)) in values[first..end].iter_mut().zip(&x[first..end]).zip(sums.iter().zip(vars)) {
            let (mean, sd) = (sum / nf, var.max(0.0).sqrt());
            let z = (xi - mean) / sd;
            *o = if var.is_nan() {
                f64::NAN
            } else if sd > 0.0 {
                z
            } else {
                0.0
            };
        }
    });
    Ok(Checked { values, finite })
}

/// Pearson correlation (see [`crate::Correl`]).
pub fn correl(x: &[f64], y: &[f64], n: usize) -> Result<Checked, IndicatorError> {
    cpu_dispatch!(correl_impl(x, y, n))
}

#[inline(always)]
fn correl_impl(x: &[f64], y: &[f64], n: usize) -> Result<Checked, IndicatorError> {
    use crate::stats::{correlation, pair_sums_add, pair_sums_recentre, pair_sums_step};
    check_period("CORREL", n, 2)?;
    let len = x.len().min(y.len());
    let nf = n as f64;
    let pair_finite = |r: std::ops::Range<usize>| {
        x[r.clone()].iter().zip(&y[r]).fold(true, |ok, (a, b)| ok & a.is_finite() & b.is_finite())
    };
    // `Correl`'s arithmetic, phase by phase: the warm-up only adds (its
    // reference is the first pair, or the next after a NaN one); from bar
    // n−1 on, values arrive in chunks whose sums are staged and turned
    // into correlations in a pass that vectorises.
    let warm = (n - 1).min(len);
    let mut finite = pair_finite(0..warm);
    let (mut reference, mut sums, mut since) = ((f64::NAN, f64::NAN), [0.0; 5], 0usize);
    for i in 0..warm {
        if reference.0.is_nan() {
            reference = (x[i], y[i]);
        }
        pair_sums_add(&mut sums, reference, (x[i], y[i]));
        since += 1;
    }
    const CHUNK: usize = 64;
    let mut staged = [[0.0; 5]; CHUNK];
    let values = front_to_back_chunks::<CHUNK>(
        len,
        warm,
        #[inline(always)]
        |first, chunk| {
            for (k, stage) in staged[..chunk.len()].iter_mut().enumerate() {
                let i = first + k;
                if reference.0.is_nan() {
                    reference = (x[i], y[i]);
                }
                if i >= n {
                    pair_sums_step(&mut sums, reference, (x[i], y[i]), (x[i - n], y[i - n]));
                } else {
                    pair_sums_add(&mut sums, reference, (x[i], y[i]));
                }
                since += 1;
                if since >= n {
                    let pairs = x[i + 1 - n..=i].iter().copied().zip(y[i + 1 - n..=i].iter().copied());
                    pair_sums_recentre(&mut sums, &mut reference, pairs, nf);
                    since = 0;
                }
                *stage = sums;
            }
            finite &= pair_finite(first..first + chunk.len());
            for (o, &stage) in chunk.iter_mut().zip(&staged) {
                *o = correlation(nf, stage);
            }
        },
    );
    Ok(Checked { values, finite })
}

/// Beta of y's returns on x's (see [`crate::Beta`]).
pub fn beta(x: &[f64], y: &[f64], n: usize) -> Result<Vec<f64>, IndicatorError> {
    cpu_dispatch!(beta_impl(x, y, n))
}

#[inline(always)]
fn beta_impl(x: &[f64], y: &[f64], n: usize) -> Result<Vec<f64>, IndicatorError> {
    check_period("BETA", n, 1)?;
    let len = x.len().min(y.len());
    let ret = |p: f64, last: f64| {
        let r = (p - last) / last;
        if -1e-8 < last && last < 1e-8 { 0.0 } else { r }
    };
    let mut out = nan(len);
    if len <= n {
        return Ok(out);
    }
    let rx: Vec<f64> = x[1..len].iter().zip(&x[..len - 1]).map(|(&p, &l)| ret(p, l)).collect();
    let ry: Vec<f64> = y[1..len].iter().zip(&y[..len - 1]).map(|(&p, &l)| ret(p, l)).collect();
    let nf = n as f64;
    // Every window is summed exactly as `Beta::update` sums it, oldest
    // first, two passes. The loops run across windows instead of along
    // each: window `j`'s `k`-th step sits beside window `j + 1`'s, so one
    // vector instruction takes a step of four windows at once, each in
    // its own order.
    const CHUNK: usize = 256;
    let (mut mx, mut my, mut sxy, mut sxx) = ([0.0; CHUNK], [0.0; CHUNK], [0.0; CHUNK], [0.0; CHUNK]);
    let first = n - 1;
    for start in (first..rx.len()).step_by(CHUNK) {
        let m = CHUNK.min(rx.len() - start);
        let (mx, my, sxy, sxx) = (&mut mx[..m], &mut my[..m], &mut sxy[..m], &mut sxx[..m]);
        // Window ending at return `start + j` starts at `start + j + 1 − n`.
        let from = start + 1 - n;
        mx.fill(0.0);
        my.fill(0.0);
        for k in 0..n {
            let (xs, ys) = (&rx[from + k..from + k + m], &ry[from + k..from + k + m]);
            for ((a, b), (&xv, &yv)) in mx.iter_mut().zip(my.iter_mut()).zip(xs.iter().zip(ys)) {
                (*a, *b) = (*a + xv, *b + yv);
            }
        }
        for (a, b) in mx.iter_mut().zip(my.iter_mut()) {
            (*a, *b) = (*a / nf, *b / nf);
        }
        sxy.fill(0.0);
        sxx.fill(0.0);
        for k in 0..n {
            let (xs, ys) = (&rx[from + k..from + k + m], &ry[from + k..from + k + m]);
            let sums = sxy.iter_mut().zip(sxx.iter_mut());
            for ((q, r), ((&xv, &yv), (&a, &b))) in sums.zip(xs.iter().zip(ys).zip(mx.iter().zip(my.iter()))) {
                (*q, *r) = (*q + (xv - a) * (yv - b), *r + (xv - a) * (xv - a));
            }
        }
        // Return `j` is bar `j + 1`'s.
        for (o, (&q, &r)) in out[start + 1..start + 1 + m].iter_mut().zip(sxy.iter().zip(sxx.iter())) {
            let slope = q / r;
            *o = if r > 0.0 { slope } else { 0.0 };
        }
    }
    Ok(out)
}
