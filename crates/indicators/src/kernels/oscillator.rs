//! Momentum oscillators on one series: RSI, MOM, ROC, MACD, TRIX, PPO.

use super::*;
use crate::average::ema_step;

/// Wilder RSI (see [`crate::Rsi`]).
pub fn rsi(x: &[f64], n: usize) -> Result<Checked, IndicatorError> {
    cpu_dispatch!(rsi_impl(x, n))
}

#[inline(always)]
fn rsi_impl(x: &[f64], n: usize) -> Result<Checked, IndicatorError> {
    check_period("RSI", n, 2)?;
    let mut finite = x.first().is_none_or(|v| v.is_finite());
    let nf = n as f64;
    let (mut g, mut l) = (0.0, 0.0);
    let value = |g: f64, l: f64| {
        let total = g + l;
        if -1e-8 < total && total < 1e-8 { 0.0 } else { 100.0 * (g / total) }
    };
    // Selects, not a branch: whether a bar gains is a coin flip.
    let split = |change: f64| if change > 0.0 { (change, 0.0) } else { (0.0, -change) };
    if x.len() <= n {
        finite &= x.iter().all(|v| v.is_finite());
        return Ok(Checked { values: nan(x.len()), finite });
    }
    // Warm-up: the first value averages `n` changes; then Wilder's step.
    for i in 1..=n {
        finite &= x[i].is_finite();
        let (gain, loss) = split(x[i] - x[i - 1]);
        g += gain;
        l += loss;
    }
    g /= nf;
    l /= nf;
    let first = value(g, l);
    let (keep, inv) = (nf - 1.0, 1.0 / nf);
    let steps = x[n + 1..].iter().zip(&x[n..]).map(|(&now, &prev)| {
        finite &= now.is_finite();
        let (gain, loss) = split(now - prev);
        g = (g * keep + gain) * inv;
        l = (l * keep + loss) * inv;
        value(g, l)
    });
    let values = front_to_back(x.len(), n, std::iter::once(first).chain(steps));
    Ok(Checked { values, finite })
}

/// `f(x, x[−n])` from bar `n` on, `NaN` before; one pass that also checks
/// every value is finite.
#[inline(always)]
fn lagged(x: &[f64], n: usize, f: impl Fn(f64, f64) -> f64) -> Checked {
    let warm = n.min(x.len());
    let mut finite = x[..warm].iter().fold(true, |ok, v| ok & v.is_finite());
    let mut values = warmed_up(x.len(), warm);
    values.extend(x[warm..].iter().zip(x).map(|(&now, &old)| {
        finite &= now.is_finite();
        f(now, old)
    }));
    Checked { values, finite }
}

/// `x − x[−n]` (see [`crate::Mom`]).
pub fn mom(x: &[f64], n: usize) -> Result<Checked, IndicatorError> {
    cpu_dispatch!(mom_impl(x, n))
}

#[inline(always)]
fn mom_impl(x: &[f64], n: usize) -> Result<Checked, IndicatorError> {
    check_period("MOM", n, 1)?;
    Ok(lagged(x, n, |now, old| now - old))
}

/// Rate of change in percent (see [`crate::Roc`]).
pub fn roc(x: &[f64], n: usize) -> Result<Checked, IndicatorError> {
    cpu_dispatch!(roc_impl(x, n))
}

#[inline(always)]
fn roc_impl(x: &[f64], n: usize) -> Result<Checked, IndicatorError> {
    check_period("ROC", n, 1)?;
    Ok(lagged(x, n, |now, old| if old != 0.0 { (now / old - 1.0) * 100.0 } else { 0.0 }))
}

/// MACD line, signal and histogram (see [`crate::Macd`]).
pub fn macd(x: &[f64], fast: usize, slow: usize, signal: usize) -> Result<CheckedLines<3>, IndicatorError> {
    cpu_dispatch!(macd_impl(x, fast, slow, signal))
}

#[inline(always)]
fn macd_impl(x: &[f64], fast: usize, slow: usize, signal: usize) -> Result<CheckedLines<3>, IndicatorError> {
    let ([fast_n, slow_n, signal_n], (kf, ks, kg)) = crate::Macd::new(fast, slow, signal)?.parts();
    let len = x.len();
    // `Macd::update`'s arithmetic, phase by phase so no loop branches: the
    // SMA seeds at bar `slow_n − 1`, the signal's seed sum, then all three
    // EMAs. The bit-for-bit test holds it to the streaming struct.
    let first = slow_n - 1;
    let out_from = first + signal_n - 1;
    if len <= out_from {
        let finite = x.iter().all(|v| v.is_finite());
        return Ok(CheckedLines { lines: [nan(len), nan(len), nan(len)], finite });
    }
    let warm = &x[..slow_n];
    let mut slow_v = warm.iter().sum::<f64>() / slow_n as f64;
    let mut fast_v = warm[slow_n - fast_n..].iter().sum::<f64>() / fast_n as f64;
    let mut signal_v = 0.0;
    let mut macd = fast_v - slow_v;
    for &xi in &x[first + 1..=out_from] {
        signal_v += macd;
        fast_v = ema_step(fast_v, xi, kf);
        slow_v = ema_step(slow_v, xi, ks);
        macd = fast_v - slow_v;
    }
    signal_v = (signal_v + macd) / signal_n as f64;
    let seed = [macd, signal_v, macd - signal_v];
    let steps = x[out_from + 1..].iter().map(
        #[inline(always)]
        |&xi| {
            fast_v = ema_step(fast_v, xi, kf);
            slow_v = ema_step(slow_v, xi, ks);
            let macd = fast_v - slow_v;
            signal_v = ema_step(signal_v, macd, kg);
            [macd, signal_v, macd - signal_v]
        },
    );
    let mut lines = front_to_back_lines(len, out_from + 1, steps);
    for (line, v) in lines.iter_mut().zip(seed) {
        line[out_from] = v;
    }
    // No check in the loop: every input reaches the slow EMA (the first
    // `slow_n` through its seed), where a NaN stays and an infinity turns
    // to NaN at the next bar; only a non-finite end scans the inputs.
    let finite = slow_v.is_finite() || x.iter().all(|v| v.is_finite());
    Ok(CheckedLines { lines, finite })
}

/// One-bar rate of change of a triple EMA (see [`crate::Trix`]).
pub fn trix(x: &[f64], n: usize) -> Result<Checked, IndicatorError> {
    cpu_dispatch!(trix_impl(x, n))
}

#[inline(always)]
fn trix_impl(x: &[f64], n: usize) -> Result<Checked, IndicatorError> {
    check_period("TRIX", n, 1)?;
    // The first triple EMA has no previous one: NaN in, NaN out.
    let mut prev = f64::NAN;
    ema_cascade(x, n, |&[_, _, c]| {
        let p = std::mem::replace(&mut prev, c);
        if p != 0.0 { (c / p - 1.0) * 100.0 } else { 0.0 }
    })
}

/// Percentage price oscillator with SMAs (see [`crate::Ppo`]).
pub fn ppo(x: &[f64], fast: usize, slow: usize) -> Result<Checked, IndicatorError> {
    cpu_dispatch!(ppo_impl(x, fast, slow))
}

#[inline(always)]
fn ppo_impl(x: &[f64], fast: usize, slow: usize) -> Result<Checked, IndicatorError> {
    crate::Ppo::new(fast, slow)?; // the same parameter checks
    let (fast, slow) = (fast.min(slow), fast.max(slow));
    let (len, ff, sf) = (x.len(), fast as f64, slow as f64);
    // `Ppo::update`'s two window sums (each `Sma`'s: the last `n − 1`
    // values, the bar's total, then the oldest taken away), phase by phase:
    // the fast one alone fills first, then both run until the slow window
    // is full. From there, the serial sums of a chunk are staged and its
    // three divisions a bar run in a pass that vectorises.
    let warm = (slow - 1).min(len);
    let mut finite = x[..warm].iter().fold(true, |ok, v| ok & v.is_finite());
    let (mut fast_sum, mut slow_sum) = (0.0, 0.0);
    for &v in &x[..(fast - 1).min(len)] {
        fast_sum += v;
    }
    for i in fast - 1..warm {
        let total = fast_sum + x[i];
        fast_sum = total - x[i + 1 - fast];
    }
    for &v in &x[..warm] {
        slow_sum += v;
    }
    const CHUNK: usize = 64;
    let mut totals = [[0.0; 2]; CHUNK];
    let values = front_to_back_chunks::<CHUNK>(
        len,
        warm,
        #[inline(always)]
        |first, chunk| {
            let (mut fs, mut ss) = (fast_sum, slow_sum);
            for (k, staged) in totals[..chunk.len()].iter_mut().enumerate() {
                let i = first + k;
                let (f, s) = (fs + x[i], ss + x[i]);
                fs = f - x[i + 1 - fast];
                ss = s - x[i + 1 - slow];
                *staged = [f, s];
            }
            (fast_sum, slow_sum) = (fs, ss);
            finite &= x[first..first + chunk.len()].iter().fold(true, |ok, v| ok & v.is_finite());
            for (o, &[f, s]) in chunk.iter_mut().zip(&totals) {
                let (f, s) = (f / ff, s / sf);
                let ppo = (f - s) / s * 100.0;
                *o = if s != 0.0 { ppo } else { 0.0 };
            }
        },
    );
    Ok(Checked { values, finite })
}
