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

fn nan(len: usize) -> Vec<f64> {
    vec![f64::NAN; len]
}

/// Simple moving average (see [`crate::Sma`]).
pub fn sma(x: &[f64], n: usize) -> Result<Vec<f64>, IndicatorError> {
    check_period("SMA", n, 1)?;
    let mut out = nan(x.len());
    let nf = n as f64;
    let mut sum = 0.0;
    let warm = x.len().min(n - 1);
    for &v in &x[..warm] {
        sum += v;
    }
    // The value leaving the window is always `n − 1` places behind.
    for ((o, &v), &leaving) in out[warm..].iter_mut().zip(&x[warm..]).zip(x) {
        let total = sum + v;
        sum = total - leaving;
        *o = total / nf;
    }
    Ok(out)
}

/// EMA seeded with the SMA of the first `n` values (see [`crate::Ema`]).
pub fn ema(x: &[f64], n: usize) -> Result<Vec<f64>, IndicatorError> {
    check_period("EMA", n, 1)?;
    let mut out = nan(x.len());
    if x.len() < n {
        return Ok(out);
    }
    let alpha = 2.0 / (n as f64 + 1.0);
    let mut v = 0.0;
    for &xi in &x[..n - 1] {
        v += xi;
    }
    v = (v + x[n - 1]) / n as f64;
    out[n - 1] = v;
    for (o, &xi) in out[n..].iter_mut().zip(&x[n..]) {
        v += alpha * (xi - v);
        *o = v;
    }
    Ok(out)
}

/// Runs a streaming indicator over a slice. Composite indicators (an EMA
/// of an EMA, an SMA of an SMA) are fastest as one plain loop over their
/// streaming parts: slicing them into stages costs full-length temporary
/// arrays that outweigh the arithmetic several times over.
fn streamed<I: crate::Indicator>(ind: I, x: &[f64]) -> Vec<f64> {
    crate::batch(ind, x)
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
pub fn dema(x: &[f64], n: usize) -> Result<Vec<f64>, IndicatorError> {
    Ok(streamed(crate::Dema::new(n)?, x))
}

/// `3·EMA − 3·EMA² + EMA³` (see [`crate::Tema`]).
pub fn tema(x: &[f64], n: usize) -> Result<Vec<f64>, IndicatorError> {
    Ok(streamed(crate::Tema::new(n)?, x))
}

/// SMA of an SMA (see [`crate::Trima`]).
pub fn trima(x: &[f64], n: usize) -> Result<Vec<f64>, IndicatorError> {
    Ok(streamed(crate::Trima::new(n)?, x))
}

/// Wilder RSI (see [`crate::Rsi`]).
pub fn rsi(x: &[f64], n: usize) -> Result<Vec<f64>, IndicatorError> {
    check_period("RSI", n, 2)?;
    let mut out = nan(x.len());
    let nf = n as f64;
    let (mut g, mut l) = (0.0, 0.0);
    let value = |g: f64, l: f64| {
        let total = g + l;
        if -1e-8 < total && total < 1e-8 { 0.0 } else { 100.0 * (g / total) }
    };
    for i in 1..x.len() {
        let change = x[i] - x[i - 1];
        let (gain, loss) = if change > 0.0 { (change, 0.0) } else { (0.0, -change) };
        if i <= n {
            g += gain;
            l += loss;
            if i < n {
                continue;
            }
            g /= nf;
            l /= nf;
        } else {
            let inv = 1.0 / nf;
            g = (g * (nf - 1.0) + gain) * inv;
            l = (l * (nf - 1.0) + loss) * inv;
        }
        out[i] = value(g, l);
    }
    Ok(out)
}

/// `x − x[−n]` (see [`crate::Mom`]).
pub fn mom(x: &[f64], n: usize) -> Result<Vec<f64>, IndicatorError> {
    check_period("MOM", n, 1)?;
    Ok((0..x.len()).map(|i| if i >= n { x[i] - x[i - n] } else { f64::NAN }).collect())
}

/// Rate of change in percent (see [`crate::Roc`]).
pub fn roc(x: &[f64], n: usize) -> Result<Vec<f64>, IndicatorError> {
    check_period("ROC", n, 1)?;
    Ok((0..x.len())
        .map(|i| {
            if i < n {
                return f64::NAN;
            }
            let old = x[i - n];
            if old != 0.0 { (x[i] / old - 1.0) * 100.0 } else { 0.0 }
        })
        .collect())
}

/// MACD line, signal and histogram (see [`crate::Macd`]).
pub fn macd(x: &[f64], fast: usize, slow: usize, signal: usize) -> Result<[Vec<f64>; 3], IndicatorError> {
    let mut m = crate::Macd::new(fast, slow, signal)?;
    let [mut line, mut sig, mut hist] =
        [Vec::with_capacity(x.len()), Vec::with_capacity(x.len()), Vec::with_capacity(x.len())];
    for &v in x {
        let (a, b, c) = m.update(v).map_or((f64::NAN, f64::NAN, f64::NAN), |o| (o.macd, o.signal, o.hist));
        line.push(a);
        sig.push(b);
        hist.push(c);
    }
    Ok([line, sig, hist])
}

/// One-bar rate of change of a triple EMA (see [`crate::Trix`]).
pub fn trix(x: &[f64], n: usize) -> Result<Vec<f64>, IndicatorError> {
    Ok(streamed(crate::Trix::new(n)?, x))
}

/// Percentage price oscillator with SMAs (see [`crate::Ppo`]).
pub fn ppo(x: &[f64], fast: usize, slow: usize) -> Result<Vec<f64>, IndicatorError> {
    Ok(streamed(crate::Ppo::new(fast, slow)?, x))
}

/// Least-squares slope over `n` values (see [`crate::LinRegSlope`]).
pub fn linreg_slope(y: &[f64], n: usize) -> Result<Vec<f64>, IndicatorError> {
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

/// True range from the second bar (see [`crate::TrueRange`]).
pub fn trange(h: &[f64], l: &[f64], c: &[f64]) -> Vec<f64> {
    let mut out = nan(c.len());
    let n = c.len().min(h.len()).min(l.len());
    if n > 1 {
        for (((o, &hi), &lo), &pc) in out[1..n].iter_mut().zip(&h[1..n]).zip(&l[1..n]).zip(&c[..n - 1]) {
            *o = hi.max(pc) - lo.min(pc);
        }
    }
    out
}

/// Wilder ATR (see [`crate::Atr`]).
pub fn atr(h: &[f64], l: &[f64], c: &[f64], n: usize) -> Result<Vec<f64>, IndicatorError> {
    check_period("ATR", n, 1)?;
    let mut out = nan(c.len());
    let nf = n as f64;
    let (keep, inv) = (nf - 1.0, 1.0 / nf);
    let mut v = 0.0;
    for i in 1..c.len() {
        let tr = h[i].max(c[i - 1]) - l[i].min(c[i - 1]);
        if i < n {
            v += tr;
        } else {
            v = if i == n { (v + tr) / nf } else { (v * keep + tr) * inv };
            out[i] = v;
        }
    }
    Ok(out)
}

/// ATR in percent of the close (see [`crate::Natr`]).
pub fn natr(h: &[f64], l: &[f64], c: &[f64], n: usize) -> Result<Vec<f64>, IndicatorError> {
    let a = atr(h, l, c, n)?;
    Ok(a.iter()
        .zip(c)
        .map(|(a, c)| {
            if a.is_nan() {
                f64::NAN
            } else if *c != 0.0 {
                a / c * 100.0
            } else {
                0.0
            }
        })
        .collect())
}

/// Accumulation/distribution line (see [`crate::Ad`]).
pub fn ad(h: &[f64], l: &[f64], c: &[f64], v: &[f64]) -> Vec<f64> {
    let mut acc = 0.0;
    h.iter()
        .zip(l)
        .zip(c)
        .zip(v)
        .map(|(((&hi, &lo), &cl), &vol)| {
            let range = hi - lo;
            if range > 0.0 {
                acc += ((cl - lo) - (hi - cl)) / range * vol;
            }
            acc
        })
        .collect()
}

/// On-balance volume (see [`crate::Obv`]).
pub fn obv(c: &[f64], v: &[f64]) -> Vec<f64> {
    let mut acc = 0.0;
    (0..c.len())
        .map(|i| {
            if i == 0 {
                acc = v[0];
            } else if c[i] > c[i - 1] {
                acc += v[i];
            } else if c[i] < c[i - 1] {
                acc -= v[i];
            }
            acc
        })
        .collect()
}

/// Chaikin A/D oscillator (see [`crate::AdOsc`]).
pub fn adosc(h: &[f64], l: &[f64], c: &[f64], v: &[f64], fast: usize, slow: usize) -> Result<Vec<f64>, IndicatorError> {
    check_period("ADOSC fast", fast, 2)?;
    check_period("ADOSC slow", slow, 2)?;
    let k = |n: usize| 2.0 / (n as f64 + 1.0);
    let (fk, sk) = (k(fast), k(slow));
    let lookback = fast.max(slow) - 1;
    let line = ad(h, l, c, v);
    let (mut f, mut s) = (0.0, 0.0);
    Ok(line
        .iter()
        .enumerate()
        .map(|(i, &a)| {
            if i == 0 {
                (f, s) = (a, a);
            } else {
                f = fk * a + (1.0 - fk) * f;
                s = sk * a + (1.0 - sk) * s;
            }
            if i >= lookback { f - s } else { f64::NAN }
        })
        .collect())
}

/// The highest (`max`) or lowest value of a sliding `n`-window and its
/// index, ties to the newest. Rescans only when the extreme leaves the
/// window, as TA-Lib does: O(1) amortised on market data.
struct Extreme {
    max: bool,
    n: usize,
    best: f64,
    at: usize,
}

impl Extreme {
    fn new(n: usize, max: bool) -> Self {
        Self { max, n, best: f64::NAN, at: usize::MAX }
    }

    #[inline]
    fn better(&self, a: f64, b: f64) -> bool {
        if self.max { a >= b } else { a <= b }
    }

    /// Advances to bar `i` of `x`; returns `(extreme, its index)`.
    #[inline]
    fn at_bar(&mut self, x: &[f64], i: usize) -> (f64, usize) {
        let trailing = (i + 1).saturating_sub(self.n);
        if self.at == usize::MAX || self.at < trailing {
            (self.best, self.at) = (x[trailing], trailing);
            for (j, &v) in x[..=i].iter().enumerate().skip(trailing + 1) {
                if self.better(v, self.best) {
                    (self.best, self.at) = (v, j);
                }
            }
        } else if self.better(x[i], self.best) {
            (self.best, self.at) = (x[i], i);
        }
        (self.best, self.at)
    }
}

/// Fast %K over `n` bars (see the stochastics in [`crate::candle`]).
fn fast_k(h: &[f64], l: &[f64], c: &[f64], n: usize) -> Vec<f64> {
    let (mut hi, mut lo) = (Extreme::new(n, true), Extreme::new(n, false));
    (0..c.len())
        .map(|i| {
            let ((hh, _), (ll, _)) = (hi.at_bar(h, i), lo.at_bar(l, i));
            if i + 1 < n {
                return f64::NAN;
            }
            let diff = (hh - ll) / 100.0;
            if -1e-8 < diff && diff < 1e-8 { 0.0 } else { (c[i] - ll) / diff }
        })
        .collect()
}

/// Williams %R (see [`crate::WillR`]).
pub fn willr(h: &[f64], l: &[f64], c: &[f64], n: usize) -> Result<Vec<f64>, IndicatorError> {
    check_period("WILLR", n, 2)?;
    let (mut hi, mut lo) = (Extreme::new(n, true), Extreme::new(n, false));
    Ok((0..c.len())
        .map(|i| {
            let ((hh, _), (ll, _)) = (hi.at_bar(h, i), lo.at_bar(l, i));
            if i + 1 < n {
                return f64::NAN;
            }
            let diff = (hh - ll) / -100.0;
            if diff != 0.0 { (hh - c[i]) / diff } else { 0.0 }
        })
        .collect())
}

/// %K and its SMA %D from fast %K values, both published once %D is warm.
fn smooth_k(fk: &[f64], k_smooth: Option<usize>, d: usize) -> Result<[Vec<f64>; 2], IndicatorError> {
    use crate::Indicator;
    let mut ks = k_smooth.map(crate::Sma::new).transpose()?;
    let mut ds = crate::Sma::new(d)?;
    let (mut kout, mut dout) = (Vec::with_capacity(fk.len()), Vec::with_capacity(fk.len()));
    for &f in fk {
        let k = if f.is_nan() {
            None
        } else {
            match &mut ks {
                Some(s) => s.update(f),
                None => Some(f),
            }
        };
        match k.and_then(|k| ds.update(k).map(|d| (k, d))) {
            Some((k, d)) => {
                kout.push(k);
                dout.push(d);
            }
            None => {
                kout.push(f64::NAN);
                dout.push(f64::NAN);
            }
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
    let r = rsi(x, n)?;
    let start = r.iter().position(|v| !v.is_nan()).unwrap_or(r.len());
    let tail = &r[start..];
    let mut fk = nan(start);
    fk.extend(fast_k(tail, tail, tail, k));
    smooth_k(&fk, None, d)
}

/// Aroon down and up over `n` bars (see [`crate::Aroon`]).
pub fn aroon(h: &[f64], l: &[f64], n: usize) -> Result<[Vec<f64>; 2], IndicatorError> {
    check_period("AROON", n, 2)?;
    let (mut hi, mut lo) = (Extreme::new(n + 1, true), Extreme::new(n + 1, false));
    let (f, nf) = (100.0 / n as f64, n as f64);
    let (mut down, mut up) = (nan(h.len()), nan(h.len()));
    for i in 0..h.len() {
        let ((_, hi_at), (_, lo_at)) = (hi.at_bar(h, i), lo.at_bar(l, i));
        if i >= n {
            down[i] = f * (nf - (i - lo_at) as f64);
            up[i] = f * (nf - (i - hi_at) as f64);
        }
    }
    Ok([down, up])
}

/// +DI, −DI, DX and ADX (see [`crate::Directional`]).
pub fn directional(h: &[f64], l: &[f64], c: &[f64], n: usize) -> Result<[Vec<f64>; 4], IndicatorError> {
    check_period("ADX", n, 2)?;
    let len = c.len();
    let [mut pdi, mut mdi, mut dxs, mut adxs] = [nan(len), nan(len), nan(len), nan(len)];
    let nf = n as f64;
    let is_zero = |x: f64| -1e-8 < x && x < 1e-8;
    let (mut plus_dm, mut minus_dm, mut tr_s) = (0.0, 0.0, 0.0);
    let (mut dx_seen, mut dx_sum, mut adx): (usize, f64, Option<f64>) = (0, 0.0, None);
    for i in 1..len {
        let diff_p = h[i] - h[i - 1];
        let diff_m = l[i - 1] - l[i];
        let (mut plus, mut minus) = (0.0, 0.0);
        if diff_m > 0.0 && diff_p < diff_m {
            minus = diff_m;
        } else if diff_p > 0.0 && diff_p > diff_m {
            plus = diff_p;
        }
        let tr = h[i].max(c[i - 1]) - l[i].min(c[i - 1]);
        if i < n {
            plus_dm += plus;
            minus_dm += minus;
            tr_s += tr;
            continue;
        }
        plus_dm = plus_dm - plus_dm / nf + plus;
        minus_dm = minus_dm - minus_dm / nf + minus;
        tr_s = tr_s - tr_s / nf + tr;
        let (mut p, mut m, mut dx) = (0.0, 0.0, None);
        if !is_zero(tr_s) {
            p = 100.0 * (plus_dm / tr_s);
            m = 100.0 * (minus_dm / tr_s);
            let sum = p + m;
            if !is_zero(sum) {
                dx = Some(100.0 * ((m - p).abs() / sum));
            }
        }
        dx_seen += 1;
        match (adx, dx) {
            (None, _) if dx_seen < n => dx_sum += dx.unwrap_or(0.0),
            (None, _) => adx = Some((dx_sum + dx.unwrap_or(0.0)) / nf),
            (Some(prev), Some(d)) => adx = Some((prev * (nf - 1.0) + d) / nf),
            (Some(_), None) => {}
        }
        (pdi[i], mdi[i], dxs[i]) = (p, m, dx.unwrap_or(0.0));
        adxs[i] = adx.unwrap_or(f64::NAN);
    }
    Ok([pdi, mdi, dxs, adxs])
}

/// Parabolic SAR (see [`crate::Sar`]).
pub fn sar(h: &[f64], l: &[f64], acceleration: f64, maximum: f64) -> Result<Vec<f64>, IndicatorError> {
    crate::Sar::new(acceleration, maximum)?; // the same parameter checks
    let acc = acceleration.min(maximum);
    let mut out = nan(h.len());
    if h.len() < 2 {
        return Ok(out);
    }
    let (diff_p, diff_m) = (h[1] - h[0], l[0] - l[1]);
    let falling = diff_m > 0.0 && diff_p < diff_m;
    let (mut long, mut af) = (!falling, acc);
    let (mut ep, mut s) = if falling { (l[1], h[0]) } else { (h[1], l[0]) };
    let (mut prev_high, mut prev_low) = (h[1], l[1]);
    for i in 1..h.len() {
        let (high, low) = (h[i], l[i]);
        if long {
            if low <= s {
                long = false;
                s = ep.max(prev_high).max(high);
                out[i] = s;
                af = acc;
                ep = low;
                s = (s + af * (ep - s)).max(prev_high).max(high);
            } else {
                out[i] = s;
                if high > ep {
                    ep = high;
                    af = (af + acc).min(maximum);
                }
                s = (s + af * (ep - s)).min(prev_low).min(low);
            }
        } else if high >= s {
            long = true;
            s = ep.min(prev_low).min(low);
            out[i] = s;
            af = acc;
            ep = high;
            s = (s + af * (ep - s)).min(prev_low).min(low);
        } else {
            out[i] = s;
            if low < ep {
                ep = low;
                af = (af + acc).min(maximum);
            }
            s = (s + af * (ep - s)).max(prev_high).max(high);
        }
        (prev_high, prev_low) = (high, low);
    }
    Ok(out)
}

/// `(mean, variance)` of each `n`-window (see [`crate::RollingStd`]).
fn rolling_var(x: &[f64], n: usize) -> (Vec<f64>, Vec<f64>) {
    let (mut means, mut vars) = (nan(x.len()), nan(x.len()));
    let nf = n as f64;
    let (mut sum, mut reference, mut dev_sum, mut dev_sq, mut since) = (0.0, f64::NAN, 0.0, 0.0, 0usize);
    for i in 0..x.len() {
        let v = x[i];
        if reference.is_nan() {
            reference = v;
        }
        let t1 = sum + v;
        let d = v - reference;
        dev_sum += d;
        dev_sq += d * d;
        if i >= n {
            let e = x[i - n] - reference;
            dev_sum -= e;
            dev_sq -= e * e;
        }
        since += 1;
        if since >= n {
            reference = v;
            since = 0;
            (dev_sum, dev_sq) = x[(i + 1).saturating_sub(n)..=i].iter().fold((0.0, 0.0), |(s, q), w| {
                let d = w - reference;
                (s + d, q + d * d)
            });
        }
        if i + 1 < n {
            sum = t1;
            continue;
        }
        sum = t1 - x[i + 1 - n];
        let mean = t1 / nf;
        let m = dev_sum / nf;
        (means[i], vars[i]) = (mean, dev_sq / nf - m * m);
    }
    (means, vars)
}

/// TA-Lib's STDDEV times `k` (see [`crate::RollingStd::update_ta_lib`]).
pub fn stddev(x: &[f64], n: usize, k: f64) -> Result<Vec<f64>, IndicatorError> {
    check_period("STDDEV", n, 1)?;
    let (_, vars) = rolling_var(x, n);
    Ok(vars
        .into_iter()
        .map(|v| {
            if v.is_nan() {
                v
            } else if v < 1e-8 {
                0.0 * k
            } else {
                v.sqrt() * k
            }
        })
        .collect())
}

/// Bollinger upper, middle and lower (see [`crate::Bollinger`]).
pub fn bbands(x: &[f64], n: usize, k: f64) -> Result<[Vec<f64>; 3], IndicatorError> {
    check_period("BBANDS", n, 2)?;
    let (means, vars) = rolling_var(x, n);
    let (mut up, mut lo) = (nan(x.len()), nan(x.len()));
    for i in 0..x.len() {
        if vars[i].is_nan() {
            continue;
        }
        let sd = if vars[i] < 1e-8 { 0.0 } else { vars[i].sqrt() };
        (up[i], lo[i]) = (means[i] + k * sd, means[i] - k * sd);
    }
    Ok([up, means, lo])
}

/// Rolling z-score (see [`crate::ZScore`]).
pub fn zscore(x: &[f64], n: usize) -> Result<Vec<f64>, IndicatorError> {
    check_period("ZSCORE", n, 2)?;
    let (means, vars) = rolling_var(x, n);
    Ok((0..x.len())
        .map(|i| {
            if vars[i].is_nan() {
                return f64::NAN;
            }
            let sd = vars[i].max(0.0).sqrt();
            if sd > 0.0 { (x[i] - means[i]) / sd } else { 0.0 }
        })
        .collect())
}

/// Pearson correlation (see [`crate::Correl`]).
pub fn correl(x: &[f64], y: &[f64], n: usize) -> Result<Vec<f64>, IndicatorError> {
    check_period("CORREL", n, 2)?;
    let len = x.len().min(y.len());
    let mut out = nan(len);
    let nf = n as f64;
    let (mut kx, mut ky) = (f64::NAN, f64::NAN);
    let (mut sx, mut sy, mut sxx, mut syy, mut sxy, mut since) = (0.0, 0.0, 0.0, 0.0, 0.0, 0usize);
    for i in 0..len {
        if kx.is_nan() {
            (kx, ky) = (x[i], y[i]);
        }
        let mut add = |a: f64, b: f64, sign: f64, kx: f64, ky: f64| {
            let (dx, dy) = (a - kx, b - ky);
            sx += sign * dx;
            sy += sign * dy;
            sxx += sign * dx * dx;
            syy += sign * dy * dy;
            sxy += sign * dx * dy;
        };
        add(x[i], y[i], 1.0, kx, ky);
        if i >= n {
            add(x[i - n], y[i - n], -1.0, kx, ky);
        }
        since += 1;
        if since >= n {
            let w = (i + 1).min(n) as f64;
            (kx, ky) = (kx + sx / w, ky + sy / w);
            (sx, sy, sxx, syy, sxy) = (0.0, 0.0, 0.0, 0.0, 0.0);
            for j in (i + 1).saturating_sub(n)..=i {
                let (dx, dy) = (x[j] - kx, y[j] - ky);
                sx += 1.0 * dx;
                sy += 1.0 * dy;
                sxx += 1.0 * dx * dx;
                syy += 1.0 * dy * dy;
                sxy += 1.0 * dx * dy;
            }
            since = 0;
        }
        if i + 1 < n {
            continue;
        }
        let (mx, my) = (sx / nf, sy / nf);
        let (vx, vy, cov) = (sxx / nf - mx * mx, syy / nf - my * my, sxy / nf - mx * my);
        let den = vx * vy;
        out[i] = if den > 0.0 { cov / den.sqrt() } else { 0.0 };
    }
    Ok(out)
}

/// Beta of y's returns on x's (see [`crate::Beta`]).
pub fn beta(x: &[f64], y: &[f64], n: usize) -> Result<Vec<f64>, IndicatorError> {
    check_period("BETA", n, 1)?;
    let len = x.len().min(y.len());
    let ret = |p: f64, last: f64| if -1e-8 < last && last < 1e-8 { 0.0 } else { (p - last) / last };
    let rx: Vec<f64> = (1..len).map(|i| ret(x[i], x[i - 1])).collect();
    let ry: Vec<f64> = (1..len).map(|i| ret(y[i], y[i - 1])).collect();
    let mut out = nan(len);
    let nf = n as f64;
    for j in n.saturating_sub(1)..rx.len() {
        let (wx, wy) = (&rx[j + 1 - n..=j], &ry[j + 1 - n..=j]);
        let mx = wx.iter().fold(0.0, |s, v| s + v) / nf;
        let my = wy.iter().fold(0.0, |s, v| s + v) / nf;
        let (mut sxy, mut sxx) = (0.0, 0.0);
        for (a, b) in wx.iter().zip(wy) {
            sxy += (a - mx) * (b - my);
            sxx += (a - mx) * (a - mx);
        }
        out[j + 1] = if sxx > 0.0 { sxy / sxx } else { 0.0 };
    }
    Ok(out)
}

/// Kaufman's adaptive moving average (see [`crate::Kama`]).
pub fn kama(x: &[f64], n: usize) -> Result<Vec<f64>, IndicatorError> {
    check_period("KAMA", n, 2)?;
    const MAX: f64 = 2.0 / (30.0 + 1.0);
    const DIFF: f64 = 2.0 / (2.0 + 1.0) - MAX;
    let mut out = nan(x.len());
    let (mut sum, mut zeros, mut value): (f64, usize, Option<f64>) = (0.0, 0, None);
    for i in 1..x.len() {
        let change = (x[i] - x[i - 1]).abs();
        if i > n {
            let old = (x[i - n] - x[i - n - 1]).abs();
            sum -= old;
            zeros -= (old == 0.0) as usize;
        }
        sum += change;
        zeros += (change == 0.0) as usize;
        if i < n {
            continue;
        }
        if zeros >= n {
            sum = 0.0;
        }
        let period_roc = x[i] - x[i - n];
        let er = if sum <= period_roc || sum <= 0.0 { 1.0 } else { (period_roc / sum).abs() };
        let sc = er * DIFF + MAX;
        let sc = sc * sc;
        let base = value.unwrap_or(x[i - 1]);
        let v = (x[i] - base) * sc + base;
        value = Some(v);
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

/// Commodity Channel Index (see [`crate::Cci`]).
pub fn cci(h: &[f64], l: &[f64], c: &[f64], n: usize) -> Result<Vec<f64>, IndicatorError> {
    check_period("CCI", n, 2)?;
    let tp: Vec<f64> = (0..c.len()).map(|i| (h[i] + l[i] + c[i]) / 3.0).collect();
    let nf = n as f64;
    let mut out = nan(c.len());
    let mut sum = 0.0;
    for i in 0..tp.len() {
        if i >= n {
            sum -= tp[i - n];
        }
        sum += tp[i];
        if i + 1 < n {
            continue;
        }
        let mean = sum / nf;
        let dev = tp[i + 1 - n..=i].iter().map(|v| (v - mean).abs()).sum::<f64>() / nf;
        out[i] = if dev != 0.0 { (tp[i] - mean) / (0.015 * dev) } else { 0.0 };
    }
    Ok(out)
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

/// Ultimate oscillator (see [`crate::UltOsc`]).
pub fn ultosc(h: &[f64], l: &[f64], c: &[f64], p1: usize, p2: usize, p3: usize) -> Result<Vec<f64>, IndicatorError> {
    let mut ps = [p1, p2, p3];
    for p in ps {
        check_period("ULTOSC", p, 1)?;
    }
    ps.sort_unstable();
    let len = c.len();
    let mut bp = vec![0.0; len];
    let mut tr = vec![0.0; len];
    for i in 1..len {
        let low = l[i].min(c[i - 1]);
        bp[i] = c[i] - low;
        tr[i] = h[i].max(c[i - 1]) - low;
    }
    let mut sums = [(0.0f64, 0.0f64); 3];
    let mut out = nan(len);
    for i in 1..len {
        let mut avg = [0.0; 3];
        for (k, &p) in ps.iter().enumerate() {
            let (bsum, tsum) = &mut sums[k];
            if i > p {
                *bsum -= bp[i - p];
                *tsum -= tr[i - p];
            }
            *bsum += bp[i];
            *tsum += tr[i];
            avg[k] = if *tsum != 0.0 { *bsum / *tsum } else { 0.0 };
        }
        if i >= ps[2] {
            out[i] = 100.0 * (4.0 * avg[0] + 2.0 * avg[1] + avg[2]) / 7.0;
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::batch;
    use crate::candle::{Candle, CandleIndicator, batch_candles};

    /// A price path with flat stretches, gaps and a trend, to exercise
    /// every branch.
    fn series(n: usize) -> (Vec<f64>, Vec<f64>, Vec<f64>, Vec<f64>) {
        let mut c = Vec::with_capacity(n);
        let mut p = 100.0f64;
        for i in 0..n {
            let step = ((i as f64 * 0.731).sin() * 1.7 + (i as f64 * 0.117).cos()) * if i % 17 < 3 { 0.0 } else { 1.0 };
            p = (p + step).max(1.0);
            c.push((p * 100.0).round() / 100.0);
        }
        let h: Vec<f64> = c.iter().enumerate().map(|(i, x)| x + (i % 5) as f64 * 0.1).collect();
        let l: Vec<f64> = c.iter().enumerate().map(|(i, x)| x - (i % 3) as f64 * 0.1).collect();
        let v: Vec<f64> = (0..n).map(|i| 1000.0 + (i % 11) as f64 * 37.0).collect();
        (h, l, c, v)
    }

    fn same(a: &[f64], b: &[f64], what: &str) {
        assert_eq!(a.len(), b.len(), "{what}");
        for (i, (x, y)) in a.iter().zip(b).enumerate() {
            assert!(x.to_bits() == y.to_bits(), "{what} differs at {i}: kernel {x} vs streaming {y}");
        }
    }

    fn candles(h: &[f64], l: &[f64], c: &[f64], v: &[f64]) -> Vec<Candle> {
        (0..c.len()).map(|i| Candle { ts: 0, open: c[i], high: h[i], low: l[i], close: c[i], volume: v[i] }).collect()
    }

    fn stream_bars<I: CandleIndicator<Output = f64>>(ind: I, cs: &[Candle]) -> Vec<f64> {
        batch_candles(ind, cs).into_iter().map(|o| o.unwrap_or(f64::NAN)).collect()
    }

    #[test]
    fn every_kernel_equals_its_streaming_twin_to_the_bit() {
        let (h, l, c, v) = series(700);
        for n in [1, 2, 5, 14, 30] {
            same(&sma(&c, n).unwrap(), &batch(crate::Sma::new(n).unwrap(), &c), "sma");
            same(&ema(&c, n).unwrap(), &batch(crate::Ema::new(n).unwrap(), &c), "ema");
            same(&wma(&c, n).unwrap(), &batch(crate::Wma::new(n).unwrap(), &c), "wma");
            same(&dema(&c, n).unwrap(), &batch(crate::Dema::new(n).unwrap(), &c), "dema");
            same(&tema(&c, n).unwrap(), &batch(crate::Tema::new(n).unwrap(), &c), "tema");
            same(&trima(&c, n).unwrap(), &batch(crate::Trima::new(n).unwrap(), &c), "trima");
            same(&mom(&c, n).unwrap(), &batch(crate::Mom::new(n).unwrap(), &c), "mom");
            same(&roc(&c, n).unwrap(), &batch(crate::Roc::new(n).unwrap(), &c), "roc");
            same(&trix(&c, n).unwrap(), &batch(crate::Trix::new(n).unwrap(), &c), "trix");
            same(
                &atr(&h, &l, &c, n).unwrap(),
                &stream_bars(crate::Atr::new(n).unwrap(), &candles(&h, &l, &c, &v)),
                "atr",
            );
            same(
                &natr(&h, &l, &c, n).unwrap(),
                &stream_bars(crate::Natr::new(n).unwrap(), &candles(&h, &l, &c, &v)),
                "natr",
            );
        }
        for n in [2, 5, 14] {
            same(&rsi(&c, n).unwrap(), &batch(crate::Rsi::new(n).unwrap(), &c), "rsi");
            same(&linreg_slope(&c, n).unwrap(), &batch(crate::LinRegSlope::new(n).unwrap(), &c), "linreg");
            same(&ppo(&c, n, n * 2).unwrap(), &batch(crate::Ppo::new(n, n * 2).unwrap(), &c), "ppo");
        }
        let cs = candles(&h, &l, &c, &v);
        same(&trange(&h, &l, &c), &stream_bars(crate::TrueRange::new(), &cs), "trange");
        same(&ad(&h, &l, &c, &v), &stream_bars(crate::Ad::new(), &cs), "ad");
        same(&obv(&c, &v), &stream_bars(crate::Obv::new(), &cs), "obv");
        same(&adosc(&h, &l, &c, &v, 3, 10).unwrap(), &stream_bars(crate::AdOsc::new(3, 10).unwrap(), &cs), "adosc");
        for n in [2, 5, 14] {
            same(&willr(&h, &l, &c, n).unwrap(), &stream_bars(crate::WillR::new(n).unwrap(), &cs), "willr");
            let two = |o: &[Option<(f64, f64)>], pick: usize| -> Vec<f64> {
                o.iter().map(|v| v.map_or(f64::NAN, |(a, b)| if pick == 0 { a } else { b })).collect()
            };
            let streamed: Vec<_> = batch_candles(crate::StochF::new(n, 3).unwrap(), &cs)
                .into_iter()
                .map(|o| o.map(|v| (v.k, v.d)))
                .collect();
            let [k, d] = stochf(&h, &l, &c, n, 3).unwrap();
            same(&k, &two(&streamed, 0), "stochf k");
            same(&d, &two(&streamed, 1), "stochf d");
            let streamed: Vec<_> = batch_candles(crate::Stoch::new(n, 3, 2).unwrap(), &cs)
                .into_iter()
                .map(|o| o.map(|v| (v.k, v.d)))
                .collect();
            let [k, d] = stoch(&h, &l, &c, n, 3, 2).unwrap();
            same(&k, &two(&streamed, 0), "stoch k");
            same(&d, &two(&streamed, 1), "stoch d");
            let streamed: Vec<_> = batch_candles(crate::Aroon::new(n).unwrap(), &cs)
                .into_iter()
                .map(|o| o.map(|v| (v.down, v.up)))
                .collect();
            let [down, up] = aroon(&h, &l, n).unwrap();
            same(&down, &two(&streamed, 0), "aroon down");
            same(&up, &two(&streamed, 1), "aroon up");
            let mut sr = crate::StochRsi::new(n, 5, 3).unwrap();
            let streamed: Vec<_> = c.iter().map(|x| sr.update(*x).map(|v| (v.k, v.d))).collect();
            let [k, d] = stochrsi(&c, n, 5, 3).unwrap();
            same(&k, &two(&streamed, 0), "stochrsi k");
            same(&d, &two(&streamed, 1), "stochrsi d");
        }
        for n in [2, 5, 14] {
            let mut d = crate::Directional::new(n).unwrap();
            let streamed: Vec<_> = cs.iter().map(|x| d.update(x)).collect();
            let [p, m, dx, adx] = directional(&h, &l, &c, n).unwrap();
            let pick = |f: fn(&crate::DirectionalValue) -> Option<f64>| -> Vec<f64> {
                streamed.iter().map(|o| o.as_ref().and_then(f).unwrap_or(f64::NAN)).collect()
            };
            same(&p, &pick(|v| Some(v.plus_di)), "+di");
            same(&m, &pick(|v| Some(v.minus_di)), "-di");
            same(&dx, &pick(|v| Some(v.dx)), "dx");
            same(&adx, &pick(|v| v.adx), "adx");
            same(
                &stddev(&c, n, 1.5).unwrap(),
                &{
                    let mut sd = crate::RollingStd::new(n).unwrap();
                    c.iter().map(|x| sd.update_ta_lib(*x).map_or(f64::NAN, |v| v * 1.5)).collect::<Vec<_>>()
                },
                "stddev",
            );
            same(&zscore(&c, n).unwrap(), &batch(crate::ZScore::new(n).unwrap(), &c), "zscore");
            let mut bb = crate::Bollinger::new(n, 2.0).unwrap();
            let streamed: Vec<_> = c.iter().map(|x| bb.update(*x)).collect();
            let [up, mid, lo] = bbands(&c, n, 2.0).unwrap();
            let pick = |f: fn(&crate::BollingerValue) -> f64| {
                streamed.iter().map(|o| o.as_ref().map_or(f64::NAN, f)).collect::<Vec<_>>()
            };
            same(&up, &pick(|v| v.upper), "bb upper");
            same(&mid, &pick(|v| v.middle), "bb middle");
            same(&lo, &pick(|v| v.lower), "bb lower");
            let mut cr = crate::Correl::new(n).unwrap();
            let streamed: Vec<f64> = h.iter().zip(&l).map(|(a, b)| cr.update(*a, *b).unwrap_or(f64::NAN)).collect();
            same(&correl(&h, &l, n).unwrap(), &streamed, "correl");
            let mut be = crate::Beta::new(n).unwrap();
            let streamed: Vec<f64> = h.iter().zip(&l).map(|(a, b)| be.update(*a, *b).unwrap_or(f64::NAN)).collect();
            same(&beta(&h, &l, n).unwrap(), &streamed, "beta");
        }
        same(&sar(&h, &l, 0.02, 0.2).unwrap(), &stream_bars(crate::Sar::new(0.02, 0.2).unwrap(), &cs), "sar");
        for n in [2, 5, 14, 30] {
            same(&kama(&c, n).unwrap(), &batch(crate::Kama::new(n).unwrap(), &c), "kama");
            same(&t3(&c, n, 0.7).unwrap(), &batch(crate::T3::new(n, 0.7).unwrap(), &c), "t3");
            same(&cci(&h, &l, &c, n).unwrap(), &stream_bars(crate::Cci::new(n).unwrap(), &cs), "cci");
            same(&mfi(&h, &l, &c, &v, n).unwrap(), &stream_bars(crate::Mfi::new(n).unwrap(), &cs), "mfi");
        }
        same(&t3(&c, 1, 0.7).unwrap(), &batch(crate::T3::new(1, 0.7).unwrap(), &c), "t3 period 1");
        same(
            &ultosc(&h, &l, &c, 7, 14, 28).unwrap(),
            &stream_bars(crate::UltOsc::new(7, 14, 28).unwrap(), &cs),
            "ultosc",
        );
        same(
            &ultosc(&h, &l, &c, 28, 3, 9).unwrap(),
            &stream_bars(crate::UltOsc::new(28, 3, 9).unwrap(), &cs),
            "ultosc unsorted",
        );
        let mut m = crate::Macd::new(12, 26, 9).unwrap();
        let streamed: Vec<_> = c.iter().map(|x| m.update(*x)).collect();
        let [line, sig, hist] = macd(&c, 12, 26, 9).unwrap();
        let pick = |f: fn(&crate::MacdValue) -> f64| {
            streamed.iter().map(|o| o.as_ref().map_or(f64::NAN, f)).collect::<Vec<_>>()
        };
        same(&line, &pick(|v| v.macd), "macd");
        same(&sig, &pick(|v| v.signal), "macd signal");
        same(&hist, &pick(|v| v.hist), "macd hist");
    }

    #[test]
    fn short_inputs_give_all_warm_up() {
        assert!(ema(&[1.0, 2.0], 5).unwrap().iter().all(|v| v.is_nan()));
        assert!(macd(&[1.0; 10], 12, 26, 9).unwrap()[0].iter().all(|v| v.is_nan()));
        assert!(sma(&[], 3).unwrap().is_empty());
        assert!(sma(&[1.0], 0).is_err());
    }
}
