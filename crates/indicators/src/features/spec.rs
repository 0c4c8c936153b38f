//! The spec language: feature names, their default arguments and lines, and the parser.

use std::fmt;

use super::*;

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
    pub(super) fn parse(s: &str) -> Option<Self> {
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
    pub(super) fn of(self, c: &Candle) -> f64 {
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

/// A feature's name, its default arguments, how many series it reads
/// (0: whole bars), and its line names when it has several.
pub(super) struct Kind {
    pub(super) name: &'static str,
    pub(super) defaults: &'static [f64],
    pub(super) series: usize,
    pub(super) lines: &'static [&'static str],
}

/// Every feature the engine knows, with TA-Lib's default arguments.
pub(super) const fn kind(
    name: &'static str,
    defaults: &'static [f64],
    single_series: bool,
    lines: &'static [&'static str],
) -> Kind {
    Kind { name, defaults, series: single_series as usize, lines }
}

pub(super) const fn pair(name: &'static str, defaults: &'static [f64]) -> Kind {
    Kind { name, defaults, series: 2, lines: &[] }
}

pub(super) const KINDS: &[Kind] = &[
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

pub(super) fn parse_one(token: &str) -> Result<FeatureSpec, SpecError> {
    let bad = |message: String| SpecError::BadArgument { token: token.to_string(), message };
    let (body, lag) = match token.split_once('@') {
        Some((body, lag)) => {
            let n = lag
                .strip_prefix("lag")
                .and_then(|n| n.parse::<usize>().ok())
                .ok_or_else(|| bad(format!("`@{lag}` is not a lag; write `@lagN` with N a whole number")))?;
            if n > MAX_PERIOD {
                return Err(bad(format!("lag {n} is longer than the longest, {MAX_PERIOD}")));
            }
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

/// The longest period or lag a feature takes: its window is allocated up
/// front, and a typo (`sma:99999999999`) must be an error, not an attempt
/// to allocate 800 GB that aborts the process. Ten million bars is 19
/// years of minute bars.
pub const MAX_PERIOD: usize = 10_000_000;

/// The most bars all the features of one list may keep in their windows:
/// each is allowed [`MAX_PERIOD`], but a list of a thousand of them would
/// ask for 80 GB.
pub const MAX_TOTAL_WINDOW: f64 = 2.0 * MAX_PERIOD as f64;

/// Refuses a list whose windows add up past [`MAX_TOTAL_WINDOW`] bars
/// (every argument and lag counts: periods dominate).
pub fn check_total_window(specs: &[FeatureSpec]) -> Result<(), SpecError> {
    // A single value past MAX_PERIOD gets its own, more precise error when
    // the feature is built; here only the sum of allowed ones counts.
    let allowed = |v: f64| if v.abs() <= MAX_PERIOD as f64 { v.abs() } else { 0.0 };
    let total: f64 =
        specs.iter().map(|s| s.args.iter().map(|a| allowed(*a)).sum::<f64>() + allowed(s.lag as f64)).sum();
    if total > MAX_TOTAL_WINDOW {
        let list = specs.iter().map(|s| s.text.as_str()).collect::<Vec<_>>().join(",");
        return Err(SpecError::BadArgument {
            token: match list.char_indices().nth(60) {
                Some((cut, _)) => format!("{}… ({} features)", &list[..cut], specs.len()),
                None => list,
            },
            message: format!("their windows add up to {total} bars; at most {MAX_TOTAL_WINDOW} in one list"),
        });
    }
    Ok(())
}

/// Argument `i` of `spec` as a period: a whole number from 1 to [`MAX_PERIOD`].
pub(super) fn period_arg(spec: &FeatureSpec, i: usize) -> Result<usize, SpecError> {
    let v = spec.args[i];
    if v.fract() != 0.0 || !(1.0..=MAX_PERIOD as f64).contains(&v) {
        return Err(SpecError::BadArgument {
            token: spec.text.clone(),
            message: format!("argument {} must be a whole number from 1 to {MAX_PERIOD}, got {v}", i + 1),
        });
    }
    Ok(v as usize)
}

impl fmt::Display for FeatureSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}
