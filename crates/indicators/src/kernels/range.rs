//! Indicators of the bar range: true range, ATR/NATR, Aroon, directional movement, SAR, CCI, ultimate oscillator.

use super::*;
use crate::candle::{higher, lower, sar_step};
use crate::wilder::{wilder_step, wilder_sum_step, wilder_weights};

/// Whether the values of the first bar and the last close, which the
/// range kernels' loops over bar pairs do not read, are finite.
#[inline(always)]
fn ends_finite(h: &[f64], l: &[f64], c: &[f64]) -> bool {
    h.first().is_none_or(|v| v.is_finite())
        & l.first().is_none_or(|v| v.is_finite())
        & c.last().is_none_or(|v| v.is_finite())
}

/// True range from the second bar (see [`crate::TrueRange`]).
pub fn trange(h: &[f64], l: &[f64], c: &[f64]) -> Checked {
    cpu_dispatch!(trange_impl(h, l, c))
}

#[inline(always)]
fn trange_impl(h: &[f64], l: &[f64], c: &[f64]) -> Checked {
    let n = c.len().min(h.len()).min(l.len());
    let mut finite = ends_finite(h, l, c);
    let mut values = Vec::with_capacity(c.len());
    values.push(f64::NAN);
    if n > 1 {
        values.extend(h[1..n].iter().zip(&l[1..n]).zip(&c[..n - 1]).map(|((&hi, &lo), &pc)| {
            finite &= hi.is_finite() & lo.is_finite() & pc.is_finite();
            hi.max(pc) - lo.min(pc)
        }));
    }
    values.resize(c.len(), f64::NAN);
    Checked { values, finite }
}

/// Wilder ATR (see [`crate::Atr`]).
pub fn atr(h: &[f64], l: &[f64], c: &[f64], n: usize) -> Result<Checked, IndicatorError> {
    cpu_dispatch!(atr_impl(h, l, c, n))
}

#[inline(always)]
fn atr_impl(h: &[f64], l: &[f64], c: &[f64], n: usize) -> Result<Checked, IndicatorError> {
    check_period("ATR", n, 1)?;
    Ok(wilder_range::<false>(h, l, c, n, |atr, _| atr))
}

/// Normalised ATR (see [`crate::Natr`]).
pub fn natr(h: &[f64], l: &[f64], c: &[f64], n: usize) -> Result<Checked, IndicatorError> {
    cpu_dispatch!(natr_impl(h, l, c, n))
}

#[inline(always)]
fn natr_impl(h: &[f64], l: &[f64], c: &[f64], n: usize) -> Result<Checked, IndicatorError> {
    check_period("ATR", n, 1)?;
    Ok(wilder_range::<true>(h, l, c, n, |atr, close| if close != 0.0 { atr / close * 100.0 } else { 0.0 }))
}

/// Bars per chunk of a mapped [`wilder_range`]: the smoothing walks a
/// chunk, then `out` maps it in a pass that vectorises (NATR's division;
/// a division in the loop costs more than the chain). Unmapped (ATR), a
/// plain loop is faster than the extra pass.
const RANGE_CHUNK: usize = 64;

/// Wilder's smoothing of the true range (the ATR), each value passed
/// through `out(atr, close)` before it is stored: one loop, as TA-Lib's,
/// bound by the fused multiply-add of the smoothing (4 cycles a bar).
///
/// The input check rides on that chain too. Each bar adds
/// `(high − low + previous close) · 0` to its true range: zero for finite
/// inputs, NaN if any of the three is NaN or infinite, and a NaN never
/// leaves the average. So a finite last value vouches for every bar
/// (only when it is not are the inputs scanned), and the true range can
/// use plain `maxsd`/`minsd` instead of `f64::max`'s NaN handling.
#[inline(always)]
fn wilder_range<const MAPPED: bool>(
    h: &[f64],
    l: &[f64],
    c: &[f64],
    n: usize,
    out: impl Fn(f64, f64) -> f64,
) -> Checked {
    let mut finite = ends_finite(h, l, c);
    let len = c.len();
    if len <= n {
        let finite = (1..len).fold(finite, |ok, i| ok & h[i].is_finite() & l[i].is_finite() & c[i - 1].is_finite());
        return Checked { values: vec![f64::NAN; len], finite };
    }
    let tr = |i: usize| h[i].max(c[i - 1]) - l[i].min(c[i - 1]);
    // Warm-up: the first value is the mean of `n` true ranges.
    let mut v = 0.0;
    for i in 1..=n {
        finite &= h[i].is_finite() & l[i].is_finite() & c[i - 1].is_finite();
        v += tr(i);
    }
    v /= n as f64;
    let first = out(v, c[n]);
    let weights = wilder_weights(n);
    #[inline(always)]
    fn step(v: &mut f64, weights: (f64, f64), hi: f64, lo: f64, prev: f64) -> f64 {
        let probe = (hi - lo + prev) * 0.0;
        *v = wilder_step(*v, (higher(hi, prev) - lower(lo, prev)) + probe, weights);
        *v
    }
    let values = if MAPPED {
        let mut values = front_to_back_chunks::<RANGE_CHUNK>(
            len,
            n + 1,
            #[inline(always)]
            |start, chunk| {
                let end = start + chunk.len();
                let bars = h[start..end].iter().zip(&l[start..end]).zip(&c[start - 1..end - 1]);
                for (o, ((&hi, &lo), &prev)) in chunk.iter_mut().zip(bars) {
                    *o = step(&mut v, weights, hi, lo, prev);
                }
                for (o, &close) in chunk.iter_mut().zip(&c[start..end]) {
                    *o = out(*o, close);
                }
            },
        );
        values[n] = first;
        values
    } else {
        let bars = h[n + 1..len].iter().zip(&l[n + 1..len]).zip(&c[n..len - 1]);
        let steps = bars.map(
            #[inline(always)]
            |((&hi, &lo), &prev)| step(&mut v, weights, hi, lo, prev),
        );
        front_to_back(len, n, std::iter::once(first).chain(steps))
    };
    let scan = || (n + 1..len).all(|i| h[i].is_finite() & l[i].is_finite() & c[i - 1].is_finite());
    Checked { values, finite: finite && (v.is_finite() || scan()) }
}

/// Aroon down and up over `n` bars (see [`crate::Aroon`]).
pub fn aroon(h: &[f64], l: &[f64], n: usize) -> Result<[Vec<f64>; 2], IndicatorError> {
    cpu_dispatch!(aroon_impl(h, l, n))
}

#[inline(always)]
fn aroon_impl(h: &[f64], l: &[f64], n: usize) -> Result<[Vec<f64>; 2], IndicatorError> {
    check_period("AROON", n, 2)?;
    let (mut down, mut up) = (nan(h.len()), nan(h.len()));
    aroon_lines(h, l, n, |i, d, u| (down[i], up[i]) = (d, u));
    Ok([down, up])
}

/// Aroon oscillator, up − down (see [`crate::AroonOsc`]).
pub fn aroonosc(h: &[f64], l: &[f64], n: usize) -> Result<Vec<f64>, IndicatorError> {
    cpu_dispatch!(aroonosc_impl(h, l, n))
}

#[inline(always)]
fn aroonosc_impl(h: &[f64], l: &[f64], n: usize) -> Result<Vec<f64>, IndicatorError> {
    check_period("AROON", n, 2)?;
    let mut out = nan(h.len());
    aroon_lines(h, l, n, |i, down, up| out[i] = up - down);
    Ok(out)
}

/// Calls `emit(i, down, up)` for every bar with a full window of `n + 1`
/// bars. Where the window's high and low are comes a chunk at a time
/// from [`WindowArgExtremes`].
#[inline(always)]
fn aroon_lines(h: &[f64], l: &[f64], n: usize, mut emit: impl FnMut(usize, f64, f64)) {
    let len = h.len().min(l.len());
    let (f, nf) = (100.0 / n as f64, n as f64);
    let w = n + 1;
    let chunk = extremes_chunk(w);
    let (mut hi, mut lo) = (WindowArgExtremes::<true>::new(w), WindowArgExtremes::<false>::new(w));
    let (mut hi_at, mut lo_at) = (vec![0; chunk.min(len)], vec![0; chunk.min(len)]);
    for start in (0..len).step_by(chunk) {
        let m = chunk.min(len - start);
        hi.fill(h, start, &mut hi_at[..m]);
        lo.fill(l, start, &mut lo_at[..m]);
        for (k, (&ha, &la)) in hi_at[..m].iter().zip(&lo_at[..m]).enumerate().skip(n.saturating_sub(start)) {
            let i = start + k;
            // Through i64: one conversion instruction (u64 has none before
            // AVX-512), the same value for any distance a window can hold.
            let since = |at: usize| (i - at) as i64 as f64;
            emit(i, f * (nf - since(la)), f * (nf - since(ha)));
        }
    }
}

/// +DI, −DI, DX and ADX (see [`crate::Directional`]).
pub fn directional(h: &[f64], l: &[f64], c: &[f64], n: usize) -> Result<[Vec<f64>; 4], IndicatorError> {
    cpu_dispatch!(directional_all(h, l, c, n))
}

/// A line of [`directional`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DirectionalLine {
    PlusDi,
    MinusDi,
    Dx,
    Adx,
}

/// One line of [`directional`]. Computing one line skips the divisions
/// and the output of the others (+DI alone needs neither −DI nor DX).
pub fn directional_line(
    h: &[f64],
    l: &[f64],
    c: &[f64],
    n: usize,
    line: DirectionalLine,
) -> Result<Vec<f64>, IndicatorError> {
    cpu_dispatch!(directional_one(h, l, c, n, line))
}

#[inline(always)]
fn directional_all(h: &[f64], l: &[f64], c: &[f64], n: usize) -> Result<[Vec<f64>; 4], IndicatorError> {
    directional_impl::<{ ALL_LINES }>(h, l, c, n)
}

#[inline(always)]
fn directional_one(
    h: &[f64],
    l: &[f64],
    c: &[f64],
    n: usize,
    line: DirectionalLine,
) -> Result<Vec<f64>, IndicatorError> {
    use DirectionalLine::*;
    Ok(match line {
        PlusDi => directional_impl::<PLUS_DI>(h, l, c, n)?[0].split_off(0),
        MinusDi => directional_impl::<MINUS_DI>(h, l, c, n)?[1].split_off(0),
        Dx => directional_impl::<DX>(h, l, c, n)?[2].split_off(0),
        Adx => directional_impl::<ADX>(h, l, c, n)?[3].split_off(0),
    })
}

/// Bits of `directional_impl`'s `LINES`: which lines it computes.
const PLUS_DI: u8 = 1;
const MINUS_DI: u8 = 2;
const DX: u8 = 4;
const ADX: u8 = 8;
const ALL_LINES: u8 = PLUS_DI | MINUS_DI | DX | ADX;

/// The lines of `LINES`, the others empty. A line not asked for costs
/// nothing: the constant conditions below remove its arithmetic.
#[inline(always)]
fn directional_impl<const LINES: u8>(
    h: &[f64],
    l: &[f64],
    c: &[f64],
    n: usize,
) -> Result<[Vec<f64>; 4], IndicatorError> {
    check_period("ADX", n, 2)?;
    let want = |line: u8| LINES & line != 0;
    // DX needs both lines; ADX needs DX.
    let (need_dx, need_p, need_m) = (want(DX | ADX), want(PLUS_DI | DX | ADX), want(MINUS_DI | DX | ADX));
    let len = c.len();
    let out = |line: u8| if want(line) { nan(len) } else { Vec::new() };
    let [mut pdi, mut mdi, mut dxs, mut adxs] = [out(PLUS_DI), out(MINUS_DI), out(DX), out(ADX)];
    let nf = n as f64;
    let (inv, weights) = (1.0 / nf, wilder_weights(n));
    let is_zero = |x: f64| -1e-8 < x && x < 1e-8;
    let (mut plus_dm, mut minus_dm, mut tr_s) = (0.0, 0.0, 0.0);
    let (mut dx_seen, mut dx_sum, mut adx): (usize, f64, Option<f64>) = (0, 0.0, None);
    for i in 1..len {
        let diff_p = h[i] - h[i - 1];
        let diff_m = l[i - 1] - l[i];
        // The streaming rule's two branches as selects: on market data
        // they go either way at random, and a mispredicted branch costs
        // more than both comparisons.
        let takes_minus = (diff_m > 0.0) & (diff_p < diff_m);
        let takes_plus = !takes_minus & (diff_p > 0.0) & (diff_p > diff_m);
        let minus = if takes_minus { diff_m } else { 0.0 };
        let plus = if takes_plus { diff_p } else { 0.0 };
        let tr = h[i].max(c[i - 1]) - l[i].min(c[i - 1]);
        if i < n {
            plus_dm += plus;
            minus_dm += minus;
            tr_s += tr;
            continue;
        }
        plus_dm = wilder_sum_step(plus_dm, plus, inv);
        minus_dm = wilder_sum_step(minus_dm, minus, inv);
        tr_s = wilder_sum_step(tr_s, tr, inv);
        let (mut p, mut m, mut dx) = (0.0, 0.0, None);
        if !is_zero(tr_s) {
            if need_p {
                p = 100.0 * (plus_dm / tr_s);
            }
            if need_m {
                m = 100.0 * (minus_dm / tr_s);
            }
            let sum = p + m;
            if need_dx && !is_zero(sum) {
                dx = Some(100.0 * ((m - p).abs() / sum));
            }
        }
        if want(ADX) {
            dx_seen += 1;
            match (adx, dx) {
                (None, _) if dx_seen < n => dx_sum += dx.unwrap_or(0.0),
                (None, _) => adx = Some((dx_sum + dx.unwrap_or(0.0)) / nf),
                (Some(prev), Some(d)) => adx = Some(wilder_step(prev, d, weights)),
                (Some(_), None) => {}
            }
            adxs[i] = adx.unwrap_or(f64::NAN);
        }
        if want(PLUS_DI) {
            pdi[i] = p;
        }
        if want(MINUS_DI) {
            mdi[i] = m;
        }
        if want(DX) {
            dxs[i] = dx.unwrap_or(0.0);
        }
    }
    Ok([pdi, mdi, dxs, adxs])
}

/// Parabolic SAR (see [`crate::Sar`]).
pub fn sar(h: &[f64], l: &[f64], acceleration: f64, maximum: f64) -> Result<Checked, IndicatorError> {
    cpu_dispatch!(sar_impl(h, l, acceleration, maximum))
}

#[inline(always)]
fn sar_impl(h: &[f64], l: &[f64], acceleration: f64, maximum: f64) -> Result<Checked, IndicatorError> {
    crate::Sar::new(acceleration, maximum)?; // the same parameter checks
    let acc = acceleration.min(maximum);
    let len = h.len().min(l.len());
    let mut out = nan(len);
    let scan = || h[..len].iter().zip(&l[..len]).all(|(a, b)| a.is_finite() & b.is_finite());
    if len < 2 {
        return Ok(Checked { values: out, finite: scan() });
    }
    // The input check beside the walk, off its chain: `(high − low) · 0`
    // is NaN exactly when either is not finite (or their difference
    // overflows: then the inputs are scanned), and a NaN stays in the sum.
    let mut probe = (h[0] - l[0]) * 0.0;
    let (diff_p, diff_m) = (h[1] - h[0], l[0] - l[1]);
    let falling = diff_m > 0.0 && diff_p < diff_m;
    let (mut long, mut af) = (!falling, acc);
    let (mut ep, mut s) = if falling { (l[1], h[0]) } else { (h[1], l[0]) };
    let (mut prev_high, mut prev_low) = (h[1], l[1]);
    // Whether a bar makes a new extreme is a coin flip: a branch on it
    // mispredicted often enough to cost more than computing both sides.
    // The step grows by `acc · 1` or `acc · 0` (exactly `af` then, which
    // never exceeds `maximum`), all in vector registers: a bit-mask select
    // through integer registers put 10 cycles a bar on `af`'s chain.
    #[inline(always)]
    fn flag(condition: bool) -> f64 {
        if condition { 1.0 } else { 0.0 }
    }
    for i in 1..len {
        let (high, low) = (h[i], l[i]);
        probe += (high - low) * 0.0;
        if long {
            if low <= s {
                long = false;
                s = higher(higher(ep, prev_high), high);
                out[i] = s;
                af = acc;
                ep = low;
                s = higher(higher(sar_step(s, af, ep), prev_high), high);
            } else {
                out[i] = s;
                af = lower(af + acc * flag(high > ep), maximum);
                ep = higher(high, ep);
                s = lower(lower(sar_step(s, af, ep), prev_low), low);
            }
        } else if high >= s {
            long = true;
            s = lower(lower(ep, prev_low), low);
            out[i] = s;
            af = acc;
            ep = high;
            s = lower(lower(sar_step(s, af, ep), prev_low), low);
        } else {
            out[i] = s;
            af = lower(af + acc * flag(low < ep), maximum);
            ep = lower(low, ep);
            s = higher(higher(sar_step(s, af, ep), prev_high), high);
        }
        (prev_high, prev_low) = (high, low);
    }
    Ok(Checked { values: out, finite: probe.is_finite() || scan() })
}

/// Commodity Channel Index (see [`crate::Cci`]).
pub fn cci(h: &[f64], l: &[f64], c: &[f64], n: usize) -> Result<Vec<f64>, IndicatorError> {
    cpu_dispatch!(cci_impl(h, l, c, n))
}

#[inline(always)]
fn cci_impl(h: &[f64], l: &[f64], c: &[f64], n: usize) -> Result<Vec<f64>, IndicatorError> {
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

/// Ultimate oscillator (see [`crate::UltOsc`]).
pub fn ultosc(h: &[f64], l: &[f64], c: &[f64], p1: usize, p2: usize, p3: usize) -> Result<Checked, IndicatorError> {
    cpu_dispatch!(ultosc_impl(h, l, c, p1, p2, p3))
}

#[inline(always)]
fn ultosc_impl(h: &[f64], l: &[f64], c: &[f64], p1: usize, p2: usize, p3: usize) -> Result<Checked, IndicatorError> {
    let mut ps = [p1, p2, p3];
    for p in ps {
        check_period("ULTOSC", p, 1)?;
    }
    ps.sort_unstable();
    let len = c.len();
    // Buying pressure and true range per bar (bar 0: zeros), each array
    // written once: no zero-fill first.
    // Inputs are checked block by block on the way, while the block is in
    // cache (bar 0's high and low count too, though only its close is used).
    let (mut bp, mut tr) = (Vec::with_capacity(len), Vec::with_capacity(len));
    let mut finite = true;
    if len > 0 {
        bp.push(0.0);
        tr.push(0.0);
        for start in (0..len).step_by(4096) {
            let end = (start + 4096).min(len);
            let block = h[start..end].iter().zip(&l[start..end]).zip(&c[start..end]);
            finite &= block.fold(true, |ok, ((a, b), d)| ok & a.is_finite() & b.is_finite() & d.is_finite());
            let from = start.max(1);
            let bars = || h[from..end].iter().zip(&l[from..end]).zip(&c[from..end]).zip(&c[from - 1..end - 1]);
            bp.extend(bars().map(|(((_, &lo), &cl), &prev)| cl - lo.min(prev)));
            tr.extend(bars().map(|(((&hi, &lo), _), &prev)| hi.max(prev) - lo.min(prev)));
        }
    }
    // The running sums are serial; the three ratios and the weighting are
    // not, so they run a chunk at a time in a pass that vectorises (done
    // bar by bar, four divisions a bar were most of the time).
    const CHUNK: usize = 64;
    let mut sums = [(0.0f64, 0.0f64); 3];
    let mut staged = [[[0.0f64; CHUNK]; 2]; 3];
    let mut out = nan(len);
    let mut start = ps[2].min(len);
    for i in 1..start {
        for (k, &p) in ps.iter().enumerate() {
            let (bsum, tsum) = &mut sums[k];
            if i > p {
                *bsum -= bp[i - p];
                *tsum -= tr[i - p];
            }
            *bsum += bp[i];
            *tsum += tr[i];
        }
    }
    while start < len {
        let m = CHUNK.min(len - start);
        // `j` indexes the six staged arrays at once.
        #[allow(clippy::needless_range_loop)]
        for j in 0..m {
            let i = start + j;
            for (k, &p) in ps.iter().enumerate() {
                let (bsum, tsum) = &mut sums[k];
                // From here on `i ≥ p` for every window; at `i == p` this
                // takes bar 0's zeros away, which changes nothing, so no
                // branch is needed.
                *bsum -= bp[i - p];
                *tsum -= tr[i - p];
                *bsum += bp[i];
                *tsum += tr[i];
                (staged[k][0][j], staged[k][1][j]) = (*bsum, *tsum);
            }
        }
        let avg = |k: usize, j: usize| {
            let (b, t) = (staged[k][0][j], staged[k][1][j]);
            let r = b / t;
            if t != 0.0 { r } else { 0.0 }
        };
        for (j, o) in out[start..start + m].iter_mut().enumerate() {
            *o = 100.0 * (4.0 * avg(0, j) + 2.0 * avg(1, j) + avg(2, j)) / 7.0;
        }
        start += m;
    }
    Ok(Checked { values: out, finite })
}
