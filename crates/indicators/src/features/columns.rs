//! Whole columns at once: batch kernels where they exist, streaming code otherwise.

use super::*;

/// Whole columns of bars, for [`compute_columns`].
#[derive(Debug, Clone, Copy)]
pub struct Columns<'a> {
    /// The bars' timestamps, or empty when there are none: the bars are
    /// then all at time 0 (one session, for session VWAP). Research on
    /// plain arrays has no timestamps, and a column of zeros made up for
    /// them cost a tenth of a cheap indicator's time.
    pub ts: &'a [i64],
    pub open: &'a [f64],
    pub high: &'a [f64],
    pub low: &'a [f64],
    pub close: &'a [f64],
    pub volume: &'a [f64],
}

impl Columns<'_> {
    fn len(&self) -> usize {
        self.close.len()
    }

    fn source(&self, s: Source) -> std::borrow::Cow<'_, [f64]> {
        use std::borrow::Cow;
        match s {
            Source::Open => Cow::Borrowed(self.open),
            Source::High => Cow::Borrowed(self.high),
            Source::Low => Cow::Borrowed(self.low),
            Source::Close => Cow::Borrowed(self.close),
            Source::Volume => Cow::Borrowed(self.volume),
            derived => Cow::Owned((0..self.len()).map(|i| derived.of(&self.candle(i))).collect()),
        }
    }

    fn candle(&self, i: usize) -> Candle {
        Candle {
            ts: self.ts.get(i).copied().unwrap_or(0),
            open: self.open[i],
            high: self.high[i],
            low: self.low[i],
            close: self.close[i],
            volume: self.volume[i],
        }
    }
}

/// Computes every feature of `specs` over whole columns: with a batch
/// kernel where one exists ([`crate::kernels`]), with the streaming code
/// otherwise. The result equals what [`FeaturePipeline`] produces bar by
/// bar, to the bit; it is simply faster over history.
pub fn compute_columns(specs: &[FeatureSpec], cols: &Columns) -> Result<Vec<Vec<f64>>, SpecError> {
    check_total_window(specs)?;
    let n = cols.len();
    let fields =
        [("open", cols.open), ("high", cols.high), ("low", cols.low), ("close", cols.close), ("volume", cols.volume)];
    for (field, col) in fields {
        if col.len() != n {
            return Err(SpecError::BadArgument {
                token: field.into(),
                message: format!("column has {} values, close has {n}", col.len()),
            });
        }
    }
    if !(cols.ts.is_empty() || cols.ts.len() == n) {
        return Err(SpecError::BadArgument {
            token: "ts".into(),
            message: format!("{} timestamps, close has {n} values (give one a bar, or none)", cols.ts.len()),
        });
    }
    // Each column is checked once, when a feature first needs it; kernels
    // that check their own inputs in passing say so, and mark theirs
    // checked (a separate check reads a column about as fast as the
    // cheapest kernels compute).
    let mut checked = [false; 5];
    let check = |checked: &mut [bool; 5], read: &[usize]| {
        for &f in read {
            if !std::mem::replace(&mut checked[f], true) {
                // Branch-free per block (vectorises); find the culprit only on failure.
                let col = fields[f].1;
                if !col.chunks(1024).all(|b| b.iter().fold(true, |ok, v| ok & v.is_finite())) {
                    return Err(first_non_finite(cols, &[f]).expect("a non-finite value exists"));
                }
            }
        }
        Ok(())
    };
    let mut out = Vec::new();
    for spec in specs {
        let read = columns_read(spec);
        let lines = match kernel(spec, cols)? {
            Some(KernelLines { lines, finite: Some(true) }) => {
                read.iter().for_each(|&f| checked[f] = true);
                lines
            }
            Some(KernelLines { finite: Some(false), .. }) => {
                return Err(first_non_finite(cols, &read).expect("a kernel saw a non-finite input"));
            }
            Some(KernelLines { lines, finite: None }) => {
                check(&mut checked, &read)?;
                lines
            }
            None => {
                check(&mut checked, &read)?;
                let kind = KINDS.iter().find(|k| k.name == spec.name).expect("parsed names exist");
                let mut lines: Vec<Vec<f64>> = (0..kind.lines.len().max(1)).map(|_| Vec::with_capacity(n)).collect();
                let mut feature = build(spec)?;
                // Bars are assembled in a small reused buffer, not all at once.
                let mut chunk = Vec::with_capacity(4096);
                for start in (0..n).step_by(4096) {
                    chunk.clear();
                    chunk.extend((start..n.min(start + 4096)).map(|i| cols.candle(i)));
                    feature.batch(&chunk, &mut lines);
                }
                lines
            }
        };
        out.extend(if spec.lag > 0 { shift(lines, &mut VecDeque::new(), spec.lag, spec.diff) } else { lines });
    }
    Ok(out)
}

/// The first non-finite value of columns `which` (in that order).
fn first_non_finite(cols: &Columns, which: &[usize]) -> Option<SpecError> {
    let fields =
        [("open", cols.open), ("high", cols.high), ("low", cols.low), ("close", cols.close), ("volume", cols.volume)];
    which.iter().find_map(|&f| {
        let (field, col) = fields[f];
        col.iter().position(|v| !v.is_finite()).map(|i| SpecError::NonFinite { index: i as u64, field, value: col[i] })
    })
}

/// A kernel's lines and, when it checked its inputs in passing, whether
/// every one was finite.
pub(super) struct KernelLines {
    lines: Vec<Vec<f64>>,
    finite: Option<bool>,
}

/// Indices (open, high, low, close, volume) of the columns `spec` reads.
pub(super) fn columns_read(spec: &FeatureSpec) -> Vec<usize> {
    let kind = KINDS.iter().find(|k| k.name == spec.name).expect("parsed names exist");
    if kind.series == 0 {
        return bar_inputs(spec.name).to_vec();
    }
    let of = |s: Source| match s {
        Source::Open => vec![0],
        Source::High => vec![1],
        Source::Low => vec![2],
        Source::Close => vec![3],
        Source::Volume => vec![4],
        Source::Hl2 => vec![1, 2],
        Source::Hlc3 => vec![1, 2, 3],
        Source::Ohlc4 => vec![0, 1, 2, 3],
    };
    let mut v = of(spec.source.unwrap_or(Source::Close));
    if let Some(s2) = spec.source2 {
        v.extend(of(s2));
    }
    v
}

/// The columns a whole-bar indicator reads, so only those are checked
/// (reading a 1M-bar column costs about as much as a cheap indicator).
/// A test puts a NaN in every column of every bar indicator: the ones
/// listed must be refused, the others must not change the output.
fn bar_inputs(name: &str) -> &'static [usize] {
    const O: usize = 0;
    const H: usize = 1;
    const L: usize = 2;
    const C: usize = 3;
    const V: usize = 4;
    match name {
        "trange" | "atr" | "natr" | "willr" | "cci" | "stoch" | "stochf" | "adx" | "plus_di" | "minus_di" | "dx"
        | "ultosc" | "keltner" | "hl_range" | "hh_dist" | "ll_dist" => &[H, L, C],
        "aroon" | "aroonosc" | "sar" | "donchian" | "parkinson" => &[H, L],
        "gap" => &[O, C],
        "clv" | "body" | "upper_shadow" | "lower_shadow" | "garman_klass" => &[O, H, L, C],
        "dow" | "dom" | "month" | "hour" | "minute" | "tod" => &[],
        "obv" => &[C, V],
        "volume_ratio" => &[V],
        "mfi" | "ad" | "adosc" | "vwap" | "rvwap" => &[H, L, C, V],
        _ => &[O, H, L, C, V],
    }
}

/// The batch kernel for `spec`, if it has one.
pub(super) fn kernel(spec: &FeatureSpec, c: &Columns) -> Result<Option<KernelLines>, SpecError> {
    use crate::kernels as k;
    let ind = |e: IndicatorError| SpecError::BadArgument { token: spec.text.clone(), message: e.to_string() };
    let p = |i: usize| period_arg(spec, i);
    let x = || c.source(spec.source.unwrap_or(Source::Close));
    let unchecked = |lines: Vec<Vec<f64>>| Some(KernelLines { lines, finite: None });
    let one = |r: Result<Vec<f64>, IndicatorError>| r.map(|v| unchecked(vec![v])).map_err(ind);
    // A kernel's own check covers the columns it reads only when it reads
    // them plain: a derived source (`hl2`) can overflow where no column
    // is non-finite, so those columns are checked separately.
    let derived = |s: Option<Source>| matches!(s, Some(Source::Hl2 | Source::Hlc3 | Source::Ohlc4));
    let raw = !derived(spec.source) && !derived(spec.source2);
    let checked = |lines: Vec<Vec<f64>>, finite: bool| Some(KernelLines { lines, finite: raw.then_some(finite) });
    let fused = |r: Result<k::Checked, IndicatorError>| r.map(|k| checked(vec![k.values], k.finite)).map_err(ind);
    let fused3 =
        |r: Result<k::CheckedLines<3>, IndicatorError>| r.map(|k| checked(Vec::from(k.lines), k.finite)).map_err(ind);
    match spec.name {
        "sma" => fused(k::sma(&x(), p(0)?)),
        "ema" => fused(k::ema(&x(), p(0)?)),
        "wma" => one(k::wma(&x(), p(0)?)),
        "dema" => fused(k::dema(&x(), p(0)?)),
        "tema" => fused(k::tema(&x(), p(0)?)),
        "trima" => fused(k::trima(&x(), p(0)?)),
        "rsi" => fused(k::rsi(&x(), p(0)?)),
        "mom" => fused(k::mom(&x(), p(0)?)),
        "roc" => fused(k::roc(&x(), p(0)?)),
        "trix" => fused(k::trix(&x(), p(0)?)),
        "ppo" => fused(k::ppo(&x(), p(0)?, p(1)?)),
        "linreg_slope" => one(k::linreg_slope(&x(), p(0)?)),
        "macd" => fused3(k::macd(&x(), p(0)?, p(1)?, p(2)?)),
        "willr" => fused(k::willr(c.high, c.low, c.close, p(0)?)),
        "stoch" => k::stoch(c.high, c.low, c.close, p(0)?, p(1)?, p(2)?).map(|v| unchecked(Vec::from(v))).map_err(ind),
        "stochf" => k::stochf(c.high, c.low, c.close, p(0)?, p(1)?).map(|v| unchecked(Vec::from(v))).map_err(ind),
        "stochrsi" => k::stochrsi(&x(), p(0)?, p(1)?, p(2)?).map(|v| unchecked(Vec::from(v))).map_err(ind),
        "aroon" => k::aroon(c.high, c.low, p(0)?).map(|v| unchecked(Vec::from(v))).map_err(ind),
        "aroonosc" => one(k::aroonosc(c.high, c.low, p(0)?)),
        "adx" | "plus_di" | "minus_di" | "dx" => {
            let line = match spec.name {
                "adx" => k::DirectionalLine::Adx,
                "plus_di" => k::DirectionalLine::PlusDi,
                "minus_di" => k::DirectionalLine::MinusDi,
                _ => k::DirectionalLine::Dx,
            };
            one(k::directional_line(c.high, c.low, c.close, p(0)?, line))
        }
        "sar" => fused(k::sar(c.high, c.low, spec.args[0], spec.args[1])),
        "stddev" => fused(k::stddev(&x(), p(0)?, spec.args[1])),
        "zscore" => fused(k::zscore(&x(), p(0)?)),
        "bbands" => fused3(k::bbands(&x(), p(0)?, spec.args[1])),
        "bb_pct" | "bb_width" => {
            let xs = x();
            let [up, mid, lo] = k::bbands(&xs, p(0)?, spec.args[1]).map_err(ind)?.lines;
            let line = (0..xs.len())
                .map(|i| match (spec.name, up[i].is_nan()) {
                    (_, true) => f64::NAN,
                    ("bb_pct", _) => {
                        let w = up[i] - lo[i];
                        if w != 0.0 { (xs[i] - lo[i]) / w } else { 0.5 }
                    }
                    _ => {
                        if mid[i] != 0.0 {
                            (up[i] - lo[i]) / mid[i]
                        } else {
                            0.0
                        }
                    }
                })
                .collect();
            Ok(unchecked(vec![line]))
        }
        "correl" => fused(k::correl(&x(), &c.source(spec.source2.unwrap_or(Source::Low)), p(0)?)),
        "beta" => one(k::beta(&x(), &c.source(spec.source2.unwrap_or(Source::Low)), p(0)?)),
        "kama" => fused(k::kama(&x(), p(0)?)),
        "t3" => fused(k::t3(&x(), p(0)?, spec.args[1])),
        "cci" => one(k::cci(c.high, c.low, c.close, p(0)?)),
        "mfi" => one(k::mfi(c.high, c.low, c.close, c.volume, p(0)?)),
        "ultosc" => fused(k::ultosc(c.high, c.low, c.close, p(0)?, p(1)?, p(2)?)),
        "trange" => fused(Ok(k::trange(c.high, c.low, c.close))),
        "atr" => fused(k::atr(c.high, c.low, c.close, p(0)?)),
        "natr" => fused(k::natr(c.high, c.low, c.close, p(0)?)),
        "ad" => fused(Ok(k::ad(c.high, c.low, c.close, c.volume))),
        "obv" => fused(Ok(k::obv(c.close, c.volume))),
        "adosc" => fused(k::adosc(c.high, c.low, c.close, c.volume, p(0)?, p(1)?)),
        _ => Ok(None),
    }
}
