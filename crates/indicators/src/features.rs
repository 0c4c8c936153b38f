//! The feature engine: a declarative list of indicators compiled into a
//! pipeline that turns each bar into one row of numbers.
//!
//! A spec is a comma-separated list of `name[:arg…][@lagN]`:
//!
//! ```text
//! sma:20, rsi:14, macd:12:26:9, bbands:20:2, bb_pct:20:2, sma:volume:20,
//! zscore:close:50, volume_ratio:20, ret:1, rsi:14@lag3
//! ```
//!
//! * Arguments are numbers; missing ones take TA-Lib's defaults.
//! * Single-series indicators take an optional source first
//!   (`open`, `high`, `low`, `close`, `volume`, `hl2`, `hlc3`, `ohlc4`);
//!   the default is `close`. Two-series ones (`correl`, `beta`) take two
//!   (default `high`, `low`, as TA-Lib's examples).
//! * `@lagN` shifts the feature N bars into the past (the value it had N
//!   bars ago), for models that must not see the current bar.
//! * Multi-line indicators give several columns named `spec.line`
//!   (`macd:12:26:9.signal`).
//!
//! Streaming ([`FeaturePipeline::update`]) and batch
//! ([`FeaturePipeline::batch`]) run the same code, so a feature computed
//! live equals the one computed in research, to the bit. Warm-up values
//! are `NaN`.

use std::collections::VecDeque;
use std::fmt;

use crate::candle::{Candle, CandleIndicator};
use crate::*;

/// Why a spec was refused.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SpecError {
    #[error("empty feature spec: give a comma-separated list such as `sma:20,rsi:14`")]
    Empty,
    #[error("unknown feature `{name}` in `{token}`; valid names: {valid}")]
    UnknownName { token: String, name: String, valid: String },
    #[error("feature `{token}`: {message}")]
    BadArgument { token: String, message: String },
    #[error("input bar {index}: field `{field}` is {value}; features need finite numbers")]
    NonFinite { index: u64, field: &'static str, value: f64 },
}

/// Where a single-series indicator reads from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    Open,
    High,
    Low,
    Close,
    Volume,
    Hl2,
    Hlc3,
    Ohlc4,
}

impl Source {
    fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "open" => Source::Open,
            "high" => Source::High,
            "low" => Source::Low,
            "close" => Source::Close,
            "volume" => Source::Volume,
            "hl2" => Source::Hl2,
            "hlc3" => Source::Hlc3,
            "ohlc4" => Source::Ohlc4,
            _ => return None,
        })
    }
    fn of(self, c: &Candle) -> f64 {
        match self {
            Source::Open => c.open,
            Source::High => c.high,
            Source::Low => c.low,
            Source::Close => c.close,
            Source::Volume => c.volume,
            Source::Hl2 => (c.high + c.low) / 2.0,
            Source::Hlc3 => (c.high + c.low + c.close) / 3.0,
            Source::Ohlc4 => (c.open + c.high + c.low + c.close) / 4.0,
        }
    }
}

/// One parsed spec token.
#[derive(Debug, Clone, PartialEq)]
pub struct FeatureSpec {
    pub name: &'static str,
    pub source: Option<Source>,
    /// The second series of a two-series feature.
    pub source2: Option<Source>,
    pub args: Vec<f64>,
    pub lag: usize,
    /// The token as written (trimmed), which names the columns.
    pub text: String,
}

impl fmt::Display for FeatureSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

/// A feature's name, its default arguments, how many series it reads
/// (0: whole bars), and its line names when it has several.
struct Kind {
    name: &'static str,
    defaults: &'static [f64],
    series: usize,
    lines: &'static [&'static str],
}

const fn kind(
    name: &'static str,
    defaults: &'static [f64],
    single_series: bool,
    lines: &'static [&'static str],
) -> Kind {
    Kind { name, defaults, series: single_series as usize, lines }
}

const fn pair(name: &'static str, defaults: &'static [f64]) -> Kind {
    Kind { name, defaults, series: 2, lines: &[] }
}

/// Every feature the engine knows, with TA-Lib's default arguments.
const KINDS: &[Kind] = &[
    kind("sma", &[30.0], true, &[]),
    kind("ema", &[30.0], true, &[]),
    kind("wma", &[30.0], true, &[]),
    kind("dema", &[30.0], true, &[]),
    kind("tema", &[30.0], true, &[]),
    kind("trima", &[30.0], true, &[]),
    kind("rsi", &[14.0], true, &[]),
    kind("mom", &[10.0], true, &[]),
    kind("roc", &[10.0], true, &[]),
    kind("ppo", &[12.0, 26.0], true, &[]),
    kind("trix", &[30.0], true, &[]),
    kind("macd", &[12.0, 26.0, 9.0], true, &["macd", "signal", "hist"]),
    kind("stddev", &[5.0, 1.0], true, &[]),
    kind("bbands", &[5.0, 2.0], true, &["upper", "middle", "lower"]),
    kind("bb_pct", &[20.0, 2.0], true, &[]),
    kind("bb_width", &[20.0, 2.0], true, &[]),
    kind("stochrsi", &[14.0, 5.0, 3.0], true, &["k", "d"]),
    kind("zscore", &[20.0], true, &[]),
    kind("linreg_slope", &[14.0], true, &[]),
    kind("ret", &[1.0], true, &[]),
    kind("rvol", &[20.0], true, &[]),
    kind("trange", &[], false, &[]),
    kind("atr", &[14.0], false, &[]),
    kind("natr", &[14.0], false, &[]),
    kind("willr", &[14.0], false, &[]),
    kind("cci", &[14.0], false, &[]),
    kind("mfi", &[14.0], false, &[]),
    kind("stoch", &[5.0, 3.0, 3.0], false, &["k", "d"]),
    kind("stochf", &[5.0, 3.0], false, &["k", "d"]),
    kind("aroon", &[14.0], false, &["down", "up"]),
    kind("aroonosc", &[14.0], false, &[]),
    kind("adx", &[14.0], false, &[]),
    kind("plus_di", &[14.0], false, &[]),
    kind("minus_di", &[14.0], false, &[]),
    kind("dx", &[14.0], false, &[]),
    kind("obv", &[], false, &[]),
    kind("ad", &[], false, &[]),
    kind("adosc", &[3.0, 10.0], false, &[]),
    kind("ultosc", &[7.0, 14.0, 28.0], false, &[]),
    kind("volume_ratio", &[20.0], false, &[]),
    kind("kama", &[30.0], true, &[]),
    kind("t3", &[5.0, 0.7], true, &[]),
    kind("sar", &[0.02, 0.2], false, &[]),
    kind("keltner", &[20.0, 2.0], false, &["upper", "middle", "lower"]),
    kind("donchian", &[20.0], false, &["upper", "middle", "lower"]),
    kind("vwap", &[], false, &[]),
    kind("rvwap", &[20.0], false, &[]),
    pair("correl", &[30.0]),
    pair("beta", &[5.0]),
];

/// The names [`parse`] accepts.
pub fn feature_names() -> Vec<&'static str> {
    KINDS.iter().map(|k| k.name).collect()
}

/// Parses a comma-separated spec list.
pub fn parse(text: &str) -> Result<Vec<FeatureSpec>, SpecError> {
    let specs: Vec<_> =
        text.split(',').map(str::trim).filter(|t| !t.is_empty()).map(parse_one).collect::<Result<_, _>>()?;
    if specs.is_empty() {
        return Err(SpecError::Empty);
    }
    Ok(specs)
}

fn parse_one(token: &str) -> Result<FeatureSpec, SpecError> {
    let bad = |message: String| SpecError::BadArgument { token: token.to_string(), message };
    let (body, lag) = match token.split_once('@') {
        Some((body, lag)) => {
            let n = lag
                .strip_prefix("lag")
                .and_then(|n| n.parse::<usize>().ok())
                .ok_or_else(|| bad(format!("`@{lag}` is not a lag; write `@lagN` with N a whole number")))?;
            (body, n)
        }
        None => (token, 0),
    };
    let mut parts = body.split(':');
    let name = parts.next().unwrap_or_default().to_ascii_lowercase();
    let kind = KINDS.iter().find(|k| k.name == name).ok_or_else(|| SpecError::UnknownName {
        token: token.to_string(),
        name: name.clone(),
        valid: feature_names().join(", "),
    })?;
    let mut rest: Vec<&str> = parts.collect();
    let mut sources = Vec::new();
    while let Some(src) = rest.first().and_then(|f| Source::parse(&f.to_ascii_lowercase())) {
        sources.push(src);
        rest.remove(0);
    }
    match (kind.series, sources.len()) {
        (0, n) if n > 0 => return Err(bad(format!("{} reads whole bars; it takes no source", kind.name))),
        (1, n) if n > 1 => return Err(bad(format!("{} reads one series; give at most one source", kind.name))),
        (2, 1) | (2, 3..) => return Err(bad(format!("{} compares two series; give two sources or none", kind.name))),
        _ => {}
    }
    let (source, source2) = match (kind.series, sources.as_slice()) {
        (2, []) => (Some(Source::High), Some(Source::Low)),
        (_, [a, b]) => (Some(*a), Some(*b)),
        (_, [a]) => (Some(*a), None),
        _ => (None, None),
    };
    if rest.len() > kind.defaults.len() {
        return Err(bad(format!(
            "{} takes at most {} argument(s), got {}",
            kind.name,
            kind.defaults.len(),
            rest.len()
        )));
    }
    let mut args = kind.defaults.to_vec();
    for (i, a) in rest.iter().enumerate() {
        let v: f64 = a
            .parse()
            .ok()
            .filter(|v: &f64| v.is_finite())
            .ok_or_else(|| bad(format!("argument {} `{a}` is not a number", i + 1)))?;
        args[i] = v;
    }
    Ok(FeatureSpec { name: kind.name, source, source2, args, lag, text: token.to_string() })
}

/// A compiled feature: writes its lines for each bar.
trait Feature {
    fn update(&mut self, c: &Candle, out: &mut [f64]);

    /// Runs over `candles`, appending to one column per line. The default
    /// body is instantiated for each feature type, so its loop calls
    /// `update` statically (inlined): one dynamic call per feature per
    /// batch instead of one per bar, and the same arithmetic as streaming.
    fn batch(&mut self, candles: &[Candle], cols: &mut [Vec<f64>]) {
        let mut out = [0.0; 3];
        let out = &mut out[..cols.len()];
        for c in candles {
            self.update(c, out);
            for (col, v) in cols.iter_mut().zip(out.iter()) {
                col.push(*v);
            }
        }
    }
}

struct Single<I> {
    source: Source,
    ind: I,
}
impl<I: Indicator> Feature for Single<I> {
    fn update(&mut self, c: &Candle, out: &mut [f64]) {
        out[0] = self.ind.update(self.source.of(c)).unwrap_or(f64::NAN);
    }
}

struct Bars<I>(I);
impl<I: CandleIndicator<Output = f64>> Feature for Bars<I> {
    fn update(&mut self, c: &Candle, out: &mut [f64]) {
        out[0] = self.0.update(c).unwrap_or(f64::NAN);
    }
}

/// A feature built from a closure over its own state.
struct With<S, F>(S, F);
impl<S, F: FnMut(&mut S, &Candle, &mut [f64])> Feature for With<S, F> {
    fn update(&mut self, c: &Candle, out: &mut [f64]) {
        (self.1)(&mut self.0, c, out)
    }
}

fn with<S: 'static>(state: S, f: impl FnMut(&mut S, &Candle, &mut [f64]) + 'static) -> Box<dyn Feature> {
    Box::new(With(state, f))
}

fn fill(out: &mut [f64], values: Option<&[f64]>) {
    match values {
        Some(v) => out.copy_from_slice(v),
        None => out.fill(f64::NAN),
    }
}

/// The compiled form of a spec list.
pub struct FeaturePipeline {
    features: Vec<(Box<dyn Feature>, usize, usize)>, // (feature, width, lag)
    columns: Vec<String>,
    history: Vec<VecDeque<Vec<f64>>>,
    scratch: Vec<f64>,
    seen: u64,
}

impl FeaturePipeline {
    pub fn new(specs: &[FeatureSpec]) -> Result<Self, SpecError> {
        let mut features = Vec::new();
        let mut columns = Vec::new();
        for spec in specs {
            let kind = KINDS.iter().find(|k| k.name == spec.name).expect("parsed names exist");
            let f = build(spec)?;
            let width = kind.lines.len().max(1);
            if kind.lines.is_empty() {
                columns.push(spec.text.clone());
            } else {
                columns.extend(kind.lines.iter().map(|l| format!("{}.{l}", spec.text)));
            }
            features.push((f, width, spec.lag));
        }
        let history = features.iter().map(|_| VecDeque::new()).collect();
        Ok(Self { scratch: vec![0.0; columns.len()], features, columns, history, seen: 0 })
    }

    /// Parses and compiles a spec list in one step.
    pub fn from_spec(text: &str) -> Result<Self, SpecError> {
        Self::new(&parse(text)?)
    }

    pub fn columns(&self) -> &[String] {
        &self.columns
    }

    /// Feeds one bar; writes one value per column into `row`.
    pub fn update(&mut self, c: &Candle, row: &mut [f64]) -> Result<(), SpecError> {
        for (field, value) in
            [("open", c.open), ("high", c.high), ("low", c.low), ("close", c.close), ("volume", c.volume)]
        {
            if !value.is_finite() {
                return Err(SpecError::NonFinite { index: self.seen, field, value });
            }
        }
        self.seen += 1;
        let mut at = 0;
        for (i, (f, width, lag)) in self.features.iter_mut().enumerate() {
            let out = &mut self.scratch[at..at + *width];
            f.update(c, out);
            if *lag == 0 {
                row[at..at + *width].copy_from_slice(out);
            } else {
                let h = &mut self.history[i];
                h.push_back(out.to_vec());
                if h.len() > *lag {
                    let past = h.pop_front().expect("non-empty");
                    row[at..at + *width].copy_from_slice(&past);
                } else {
                    row[at..at + *width].fill(f64::NAN);
                }
            }
            at += *width;
        }
        Ok(())
    }

    /// Runs over `candles` column by column; returns one `Vec` per column.
    /// Gives exactly what [`FeaturePipeline::update`] gives bar by bar (a
    /// test holds them to the bit), and continues from the state a
    /// previous `update` or `batch` left.
    pub fn batch(&mut self, candles: &[Candle]) -> Result<Vec<Vec<f64>>, SpecError> {
        for (i, c) in candles.iter().enumerate() {
            for (field, value) in
                [("open", c.open), ("high", c.high), ("low", c.low), ("close", c.close), ("volume", c.volume)]
            {
                if !value.is_finite() {
                    return Err(SpecError::NonFinite { index: self.seen + i as u64, field, value });
                }
            }
        }
        self.seen += candles.len() as u64;
        let mut cols: Vec<Vec<f64>> = Vec::with_capacity(self.columns.len());
        for (i, (f, width, lag)) in self.features.iter_mut().enumerate() {
            let mut own: Vec<Vec<f64>> = (0..*width).map(|_| Vec::with_capacity(candles.len())).collect();
            f.batch(candles, &mut own);
            if *lag > 0 {
                own = shift_by_lag(own, &mut self.history[i], *lag);
            }
            cols.extend(own);
        }
        Ok(cols)
    }
}

/// Shifts freshly computed columns `lag` rows into the past. `history`
/// holds the last `lag` unshifted rows from earlier calls (the same state
/// streaming keeps) and is updated for the next call.
fn shift_by_lag(own: Vec<Vec<f64>>, history: &mut VecDeque<Vec<f64>>, lag: usize) -> Vec<Vec<f64>> {
    let n = own.first().map_or(0, Vec::len);
    let before = history.len();
    let shifted = own
        .iter()
        .enumerate()
        .map(|(line, col)| {
            (0..n)
                .map(|j| match (before + j).checked_sub(lag) {
                    Some(k) if k >= before => col[k - before],
                    Some(k) => history[k][line],
                    None => f64::NAN,
                })
                .collect()
        })
        .collect();
    for j in 0..n {
        history.push_back(own.iter().map(|c| c[j]).collect());
        if history.len() > lag {
            history.pop_front();
        }
    }
    shifted
}

/// Argument `i` of `spec` as a period: a whole number of at least 1.
fn period_arg(spec: &FeatureSpec, i: usize) -> Result<usize, SpecError> {
    let v = spec.args[i];
    if v.fract() != 0.0 || v < 1.0 {
        return Err(SpecError::BadArgument {
            token: spec.text.clone(),
            message: format!("argument {} must be a whole number of at least 1, got {v}", i + 1),
        });
    }
    Ok(v as usize)
}

/// Whole columns of bars, for [`compute_columns`].
#[derive(Debug, Clone, Copy)]
pub struct Columns<'a> {
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
            ts: self.ts[i],
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
    let n = cols.len();
    let fields =
        [("open", cols.open), ("high", cols.high), ("low", cols.low), ("close", cols.close), ("volume", cols.volume)];
    for (field, col) in fields {
        if col.len() != n || cols.ts.len() != n {
            return Err(SpecError::BadArgument {
                token: field.into(),
                message: format!("column has {} values, close has {n}", col.len()),
            });
        }
    }
    // Each column is checked once, when a feature first needs it.
    let mut checked = [false; 5];
    let mut check = |which: &[usize]| -> Result<(), SpecError> {
        for &f in which {
            if !std::mem::replace(&mut checked[f], true) {
                let (field, col) = fields[f];
                // Branch-free per block (vectorises); find the culprit only on failure.
                let all_finite = col.chunks(1024).all(|b| b.iter().fold(true, |ok, v| ok & v.is_finite()));
                if !all_finite {
                    let i = col.iter().position(|v| !v.is_finite()).expect("a non-finite value exists");
                    return Err(SpecError::NonFinite { index: i as u64, field, value: col[i] });
                }
            }
        }
        Ok(())
    };
    let mut out = Vec::new();
    for spec in specs {
        check(&columns_read(spec))?;
        let lines = match kernel(spec, cols)? {
            Some(lines) => lines,
            None => {
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
        out.extend(if spec.lag > 0 { shift_by_lag(lines, &mut VecDeque::new(), spec.lag) } else { lines });
    }
    Ok(out)
}

/// Indices (open, high, low, close, volume) of the columns `spec` reads.
fn columns_read(spec: &FeatureSpec) -> Vec<usize> {
    let kind = KINDS.iter().find(|k| k.name == spec.name).expect("parsed names exist");
    if kind.series == 0 {
        return vec![0, 1, 2, 3, 4];
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

/// The batch kernel for `spec`, if it has one.
fn kernel(spec: &FeatureSpec, c: &Columns) -> Result<Option<Vec<Vec<f64>>>, SpecError> {
    use crate::kernels as k;
    let ind = |e: IndicatorError| SpecError::BadArgument { token: spec.text.clone(), message: e.to_string() };
    let p = |i: usize| period_arg(spec, i);
    let x = || c.source(spec.source.unwrap_or(Source::Close));
    let one = |r: Result<Vec<f64>, IndicatorError>| r.map(|v| Some(vec![v])).map_err(ind);
    match spec.name {
        "sma" => one(k::sma(&x(), p(0)?)),
        "ema" => one(k::ema(&x(), p(0)?)),
        "wma" => one(k::wma(&x(), p(0)?)),
        "dema" => one(k::dema(&x(), p(0)?)),
        "tema" => one(k::tema(&x(), p(0)?)),
        "trima" => one(k::trima(&x(), p(0)?)),
        "rsi" => one(k::rsi(&x(), p(0)?)),
        "mom" => one(k::mom(&x(), p(0)?)),
        "roc" => one(k::roc(&x(), p(0)?)),
        "trix" => one(k::trix(&x(), p(0)?)),
        "ppo" => one(k::ppo(&x(), p(0)?, p(1)?)),
        "linreg_slope" => one(k::linreg_slope(&x(), p(0)?)),
        "macd" => k::macd(&x(), p(0)?, p(1)?, p(2)?).map(|m| Some(m.to_vec())).map_err(ind),
        "willr" => one(k::willr(c.high, c.low, c.close, p(0)?)),
        "stoch" => k::stoch(c.high, c.low, c.close, p(0)?, p(1)?, p(2)?).map(|v| Some(v.to_vec())).map_err(ind),
        "stochf" => k::stochf(c.high, c.low, c.close, p(0)?, p(1)?).map(|v| Some(v.to_vec())).map_err(ind),
        "stochrsi" => k::stochrsi(&x(), p(0)?, p(1)?, p(2)?).map(|v| Some(v.to_vec())).map_err(ind),
        "aroon" => k::aroon(c.high, c.low, p(0)?).map(|v| Some(v.to_vec())).map_err(ind),
        "aroonosc" => k::aroon(c.high, c.low, p(0)?)
            .map(|[down, up]| Some(vec![up.iter().zip(&down).map(|(u, d)| u - d).collect()]))
            .map_err(ind),
        "adx" | "plus_di" | "minus_di" | "dx" => {
            let [p_di, m_di, dx, adx] = k::directional(c.high, c.low, c.close, p(0)?).map_err(ind)?;
            Ok(Some(vec![match spec.name {
                "adx" => adx,
                "plus_di" => p_di,
                "minus_di" => m_di,
                _ => dx,
            }]))
        }
        "sar" => one(k::sar(c.high, c.low, spec.args[0], spec.args[1])),
        "stddev" => one(k::stddev(&x(), p(0)?, spec.args[1])),
        "zscore" => one(k::zscore(&x(), p(0)?)),
        "bbands" => k::bbands(&x(), p(0)?, spec.args[1]).map(|b| Some(b.to_vec())).map_err(ind),
        "bb_pct" | "bb_width" => {
            let xs = x();
            let [up, mid, lo] = k::bbands(&xs, p(0)?, spec.args[1]).map_err(ind)?;
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
            Ok(Some(vec![line]))
        }
        "correl" | "beta" => {
            let (a, b) = (x(), c.source(spec.source2.unwrap_or(Source::Low)));
            let f = if spec.name == "correl" { k::correl } else { k::beta };
            one(f(&a, &b, p(0)?))
        }
        "kama" => one(k::kama(&x(), p(0)?)),
        "t3" => one(k::t3(&x(), p(0)?, spec.args[1])),
        "cci" => one(k::cci(c.high, c.low, c.close, p(0)?)),
        "mfi" => one(k::mfi(c.high, c.low, c.close, c.volume, p(0)?)),
        "ultosc" => one(k::ultosc(c.high, c.low, c.close, p(0)?, p(1)?, p(2)?)),
        "trange" => Ok(Some(vec![k::trange(c.high, c.low, c.close)])),
        "atr" => one(k::atr(c.high, c.low, c.close, p(0)?)),
        "natr" => one(k::natr(c.high, c.low, c.close, p(0)?)),
        "ad" => Ok(Some(vec![k::ad(c.high, c.low, c.close, c.volume)])),
        "obv" => Ok(Some(vec![k::obv(c.close, c.volume)])),
        "adosc" => one(k::adosc(c.high, c.low, c.close, c.volume, p(0)?, p(1)?)),
        _ => Ok(None),
    }
}

fn build(spec: &FeatureSpec) -> Result<Box<dyn Feature>, SpecError> {
    let bad = |message: String| SpecError::BadArgument { token: spec.text.clone(), message };
    let period = |i: usize| period_arg(spec, i);
    let ind = |e: IndicatorError| bad(e.to_string());
    let src = spec.source.unwrap_or(Source::Close);
    fn single<I: Indicator + 'static>(source: Source, ind: I) -> Box<dyn Feature> {
        Box::new(Single { source, ind })
    }
    fn bars<I: CandleIndicator<Output = f64> + 'static>(ind: I) -> Box<dyn Feature> {
        Box::new(Bars(ind))
    }
    Ok(match spec.name {
        "sma" => single(src, Sma::new(period(0)?).map_err(ind)?),
        "ema" => single(src, Ema::new(period(0)?).map_err(ind)?),
        "wma" => single(src, Wma::new(period(0)?).map_err(ind)?),
        "dema" => single(src, Dema::new(period(0)?).map_err(ind)?),
        "tema" => single(src, Tema::new(period(0)?).map_err(ind)?),
        "trima" => single(src, Trima::new(period(0)?).map_err(ind)?),
        "rsi" => single(src, Rsi::new(period(0)?).map_err(ind)?),
        "mom" => single(src, Mom::new(period(0)?).map_err(ind)?),
        "roc" => single(src, Roc::new(period(0)?).map_err(ind)?),
        "ppo" => single(src, Ppo::new(period(0)?, period(1)?).map_err(ind)?),
        "trix" => single(src, Trix::new(period(0)?).map_err(ind)?),
        "zscore" => single(src, ZScore::new(period(0)?).map_err(ind)?),
        "linreg_slope" => single(src, LinRegSlope::new(period(0)?).map_err(ind)?),
        "ret" => single(src, LogReturn::new(period(0)?).map_err(ind)?),
        "rvol" => single(src, RealizedVol::new(period(0)?).map_err(ind)?),
        "stddev" => {
            let k = spec.args[1];
            let sd = RollingStd::new(period(0)?).map_err(ind)?;
            with(sd, move |sd, c, out| out[0] = sd.update_ta_lib(src.of(c)).map_or(f64::NAN, |v| v * k))
        }
        "macd" => {
            let m = Macd::new(period(0)?, period(1)?, period(2)?).map_err(ind)?;
            with(m, move |m, c, out| {
                fill(out, m.update(src.of(c)).map(|v| [v.macd, v.signal, v.hist]).as_ref().map(|a| &a[..]))
            })
        }
        "bbands" | "bb_pct" | "bb_width" => {
            let bands = Bollinger::new(period(0)?, spec.args[1]).map_err(ind)?;
            match spec.name {
                "bbands" => with(bands, move |b, c, out| {
                    fill(out, b.update(src.of(c)).map(|v| [v.upper, v.middle, v.lower]).as_ref().map(|a| &a[..]))
                }),
                "bb_pct" => with(bands, move |b, c, out| {
                    let x = src.of(c);
                    out[0] = b.update(x).map_or(f64::NAN, |v| {
                        let w = v.upper - v.lower;
                        if w != 0.0 { (x - v.lower) / w } else { 0.5 }
                    });
                }),
                _ => with(bands, move |b, c, out| {
                    out[0] = b
                        .update(src.of(c))
                        .map_or(f64::NAN, |v| if v.middle != 0.0 { (v.upper - v.lower) / v.middle } else { 0.0 });
                }),
            }
        }
        "stochrsi" => {
            let s = StochRsi::new(period(0)?, period(1)?, period(2)?).map_err(ind)?;
            with(s, move |s, c, out| fill(out, s.update(src.of(c)).map(|v| [v.k, v.d]).as_ref().map(|a| &a[..])))
        }
        "trange" => bars(TrueRange::new()),
        "atr" => bars(Atr::new(period(0)?).map_err(ind)?),
        "natr" => bars(Natr::new(period(0)?).map_err(ind)?),
        "willr" => bars(WillR::new(period(0)?).map_err(ind)?),
        "cci" => bars(Cci::new(period(0)?).map_err(ind)?),
        "mfi" => bars(Mfi::new(period(0)?).map_err(ind)?),
        "obv" => bars(Obv::new()),
        "ad" => bars(Ad::new()),
        "adosc" => bars(AdOsc::new(period(0)?, period(1)?).map_err(ind)?),
        "ultosc" => bars(UltOsc::new(period(0)?, period(1)?, period(2)?).map_err(ind)?),
        "stoch" => {
            let s = Stoch::new(period(0)?, period(1)?, period(2)?).map_err(ind)?;
            with(s, |s, c, out| fill(out, s.update(c).map(|v| [v.k, v.d]).as_ref().map(|a| &a[..])))
        }
        "stochf" => {
            let s = StochF::new(period(0)?, period(1)?).map_err(ind)?;
            with(s, |s, c, out| fill(out, s.update(c).map(|v| [v.k, v.d]).as_ref().map(|a| &a[..])))
        }
        "aroon" => {
            let a = Aroon::new(period(0)?).map_err(ind)?;
            with(a, |a, c, out| fill(out, a.update(c).map(|v| [v.down, v.up]).as_ref().map(|a| &a[..])))
        }
        "aroonosc" => {
            let a = Aroon::new(period(0)?).map_err(ind)?;
            with(a, |a, c, out| out[0] = a.update(c).map_or(f64::NAN, |v| v.up - v.down))
        }
        "adx" | "plus_di" | "minus_di" | "dx" => {
            let d = Directional::new(period(0)?).map_err(ind)?;
            let pick: fn(&DirectionalValue) -> Option<f64> = match spec.name {
                "adx" => |v| v.adx,
                "plus_di" => |v| Some(v.plus_di),
                "minus_di" => |v| Some(v.minus_di),
                _ => |v| Some(v.dx),
            };
            with(d, move |d, c, out| out[0] = d.update(c).as_ref().and_then(pick).unwrap_or(f64::NAN))
        }
        "kama" => single(src, Kama::new(period(0)?).map_err(ind)?),
        "t3" => single(src, T3::new(period(0)?, spec.args[1]).map_err(ind)?),
        "sar" => bars(Sar::new(spec.args[0], spec.args[1]).map_err(ind)?),
        "vwap" => bars(Vwap::session()),
        "rvwap" => bars(Vwap::rolling(period(0)?).map_err(ind)?),
        "keltner" | "donchian" => {
            let three = |b: Option<Bands>| b.map(|v| [v.upper, v.middle, v.lower]);
            if spec.name == "keltner" {
                let k = Keltner::new(period(0)?, spec.args[1]).map_err(ind)?;
                with(k, move |k, c, out| fill(out, three(k.update(c)).as_ref().map(|a| &a[..])))
            } else {
                let d = Donchian::new(period(0)?).map_err(ind)?;
                with(d, move |d, c, out| fill(out, three(d.update(c)).as_ref().map(|a| &a[..])))
            }
        }
        "correl" | "beta" => {
            let (a, b) = (src, spec.source2.unwrap_or(Source::Low));
            if spec.name == "correl" {
                let x = Correl::new(period(0)?).map_err(ind)?;
                with(x, move |x, c, out| out[0] = x.update(a.of(c), b.of(c)).unwrap_or(f64::NAN))
            } else {
                let x = Beta::new(period(0)?).map_err(ind)?;
                with(x, move |x, c, out| out[0] = x.update(a.of(c), b.of(c)).unwrap_or(f64::NAN))
            }
        }
        "volume_ratio" => {
            let s = Sma::new(period(0)?).map_err(ind)?;
            with(s, |s, c, out| {
                out[0] = s.update(c.volume).map_or(f64::NAN, |avg| if avg != 0.0 { c.volume / avg } else { 0.0 })
            })
        }
        other => unreachable!("feature `{other}` is in KINDS but has no builder"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn candles(n: usize) -> Vec<Candle> {
        (0..n)
            .map(|i| {
                let x = 100.0 + (i as f64 * 0.37).sin() * 5.0 + i as f64 * 0.1;
                Candle {
                    ts: i as i64 * 60_000_000_000,
                    open: x - 0.2,
                    high: x + 1.0,
                    low: x - 1.0,
                    close: x,
                    volume: 1000.0 + (i % 7) as f64 * 100.0,
                }
            })
            .collect()
    }

    #[test]
    fn every_feature_builds_and_streaming_equals_batch() {
        let all = feature_names().join(",");
        let data = candles(300);
        let batch = FeaturePipeline::from_spec(&all).unwrap().batch(&data).unwrap();
        let mut live = FeaturePipeline::from_spec(&all).unwrap();
        let mut row = vec![0.0; live.columns().len()];
        for (i, c) in data.iter().enumerate() {
            live.update(c, &mut row).unwrap();
            for (j, v) in row.iter().enumerate() {
                assert!(v.to_bits() == batch[j][i].to_bits(), "{} at {i}", live.columns()[j]);
            }
        }
        // Every column produces values after warm-up.
        for (j, col) in batch.iter().enumerate() {
            assert!(col[299].is_finite(), "{} never warmed up", live.columns()[j]);
        }
    }

    #[test]
    fn batch_in_pieces_continues_like_streaming() {
        let spec = "rsi:14@lag3,macd:12:26:9@lag2,sma:5";
        let data = candles(120);
        let mut live = FeaturePipeline::from_spec(spec).unwrap();
        let mut row = vec![0.0; live.columns().len()];
        let mut want = vec![Vec::new(); live.columns().len()];
        for c in &data {
            live.update(c, &mut row).unwrap();
            want.iter_mut().zip(&row).for_each(|(w, v)| w.push(*v));
        }
        let mut pieces = FeaturePipeline::from_spec(spec).unwrap();
        let mut got = vec![Vec::new(); want.len()];
        for chunk in [&data[..1], &data[1..40], &data[40..41], &data[41..]] {
            for (g, col) in got.iter_mut().zip(pieces.batch(chunk).unwrap()) {
                g.extend(col);
            }
        }
        for (j, (g, w)) in got.iter().zip(&want).enumerate() {
            assert!(g.iter().zip(w).all(|(a, b)| a.to_bits() == b.to_bits()), "column {j}");
        }
    }

    #[test]
    fn compute_columns_equals_the_pipeline_for_every_feature() {
        let mut specs = feature_names().join(",");
        specs.push_str(",sma:hl2:7,rsi:14@lag3,macd:5:9:4@lag1,ema:volume:4");
        let data = candles(400);
        let want = FeaturePipeline::from_spec(&specs).unwrap().batch(&data).unwrap();
        let col = |f: fn(&Candle) -> f64| data.iter().map(f).collect::<Vec<f64>>();
        let ts: Vec<i64> = data.iter().map(|c| c.ts).collect();
        let (o, h, l, c, v) = (col(|c| c.open), col(|c| c.high), col(|c| c.low), col(|c| c.close), col(|c| c.volume));
        let cols = Columns { ts: &ts, open: &o, high: &h, low: &l, close: &c, volume: &v };
        let got = compute_columns(&parse(&specs).unwrap(), &cols).unwrap();
        assert_eq!(got.len(), want.len());
        for (j, (g, w)) in got.iter().zip(&want).enumerate() {
            assert!(g.iter().zip(w).all(|(a, b)| a.to_bits() == b.to_bits()), "column {j}");
        }
        let mut bad = c.clone();
        bad[5] = f64::INFINITY;
        let cols = Columns { close: &bad, ..cols };
        assert!(matches!(compute_columns(&parse("sma:2").unwrap(), &cols), Err(SpecError::NonFinite { index: 5, .. })));
    }

    #[test]
    fn columns_sources_and_lags() {
        let p = FeaturePipeline::from_spec("macd:12:26:9, sma:volume:3, rsi:14@lag3").unwrap();
        assert_eq!(
            p.columns(),
            ["macd:12:26:9.macd", "macd:12:26:9.signal", "macd:12:26:9.hist", "sma:volume:3", "rsi:14@lag3"]
        );
        let data = candles(40);
        let cols = FeaturePipeline::from_spec("sma:volume:3,rsi:14,rsi:14@lag3").unwrap().batch(&data).unwrap();
        assert_eq!(cols[0][2], (data[0].volume + data[1].volume + data[2].volume) / 3.0);
        for i in 3..40 {
            assert_eq!(cols[2][i].to_bits(), cols[1][i - 3].to_bits());
        }
    }

    #[test]
    fn bad_specs_name_the_token_and_what_is_valid() {
        let e = parse("sma:20,rsx:14").unwrap_err().to_string();
        assert!(e.starts_with("unknown feature `rsx` in `rsx:14`; valid names: sma, ema"), "{e}");
        assert_eq!(parse("rsi:abc").unwrap_err().to_string(), "feature `rsi:abc`: argument 1 `abc` is not a number");
        let e = FeaturePipeline::from_spec("sma:0").err().unwrap().to_string();
        assert_eq!(e, "feature `sma:0`: argument 1 must be a whole number of at least 1, got 0");
        assert!(parse("rsi:14@3").unwrap_err().to_string().contains("write `@lagN`"));
        assert!(parse("atr:close:14").unwrap_err().to_string().contains("takes no source"));
        assert!(parse("correl:high:30").unwrap_err().to_string().contains("two sources or none"));
        assert!(parse("sma:high:low:3").unwrap_err().to_string().contains("at most one source"));
        assert_eq!(parse("beta:close:open:5").unwrap()[0].source2, Some(Source::Open));
        assert!(parse("rsi:1:2:3").unwrap_err().to_string().contains("at most 1 argument"));
        assert!(FeaturePipeline::from_spec("rsi:1").err().unwrap().to_string().contains("period must be at least 2"));
        assert_eq!(parse(" , ").unwrap_err(), SpecError::Empty);
        assert!(parse("sma:nan").is_err());
    }

    #[test]
    fn non_finite_input_is_an_error() {
        let mut p = FeaturePipeline::from_spec("sma:2").unwrap();
        let mut row = [0.0];
        let mut c = candles(1)[0];
        c.close = f64::NAN;
        let e = p.update(&c, &mut row).unwrap_err();
        assert_eq!(e.to_string(), "input bar 0: field `close` is NaN; features need finite numbers");
    }
}
