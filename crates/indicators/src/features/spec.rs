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
    /// With `@diffN`: the column is the value now minus its value `lag`
    /// bars ago (an indicator's slope); with `@lagN`, the value `lag` bars ago.
    pub diff: bool,
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
    /// What it computes, for the catalog.
    pub(super) about: &'static str,
}

/// Every feature the engine knows, with TA-Lib's default arguments.
pub(super) const fn kind(
    name: &'static str,
    defaults: &'static [f64],
    single_series: bool,
    lines: &'static [&'static str],
    about: &'static str,
) -> Kind {
    Kind { name, defaults, series: single_series as usize, lines, about }
}

pub(super) const fn pair(name: &'static str, defaults: &'static [f64], about: &'static str) -> Kind {
    Kind { name, defaults, series: 2, lines: &[], about }
}

pub(super) const KINDS: &[Kind] = &[
    kind("sma", &[30.0], true, &[], "simple moving average of the source over N bars (TA-Lib SMA)"),
    kind(
        "ema",
        &[30.0],
        true,
        &[],
        "exponential moving average, alpha 2/(N+1), seeded with the first N-bar SMA (TA-Lib EMA)",
    ),
    kind("wma", &[30.0], true, &[], "linearly weighted moving average over N bars (TA-Lib WMA)"),
    kind("dema", &[30.0], true, &[], "double exponential moving average 2·EMA − EMA(EMA) (TA-Lib DEMA)"),
    kind("tema", &[30.0], true, &[], "triple exponential moving average (TA-Lib TEMA)"),
    kind("trima", &[30.0], true, &[], "triangular moving average, an SMA of an SMA (TA-Lib TRIMA)"),
    kind("rsi", &[14.0], true, &[], "relative strength index over N bars, Wilder smoothing, 0-100 (TA-Lib RSI)"),
    kind("mom", &[10.0], true, &[], "momentum: x − x[N bars ago] (TA-Lib MOM)"),
    kind("roc", &[10.0], true, &[], "rate of change in percent: 100·(x / x[N bars ago] − 1) (TA-Lib ROC)"),
    kind(
        "ppo",
        &[12.0, 26.0],
        true,
        &[],
        "percentage price oscillator: 100·(SMA fast − SMA slow)/SMA slow (TA-Lib PPO, matype 0)",
    ),
    kind("trix", &[30.0], true, &[], "1-bar rate of change in percent of a triple EMA over N (TA-Lib TRIX)"),
    kind(
        "macd",
        &[12.0, 26.0, 9.0],
        true,
        &["macd", "signal", "hist"],
        "EMA(fast) − EMA(slow), its EMA(signal) and their difference (TA-Lib MACD)",
    ),
    kind("stddev", &[5.0, 1.0], true, &[], "population standard deviation over N bars times k (TA-Lib STDDEV)"),
    kind(
        "bbands",
        &[5.0, 2.0],
        true,
        &["upper", "middle", "lower"],
        "Bollinger bands: SMA(N) ± k population standard deviations (TA-Lib BBANDS)",
    ),
    kind(
        "bb_pct",
        &[20.0, 2.0],
        true,
        &[],
        "where the source sits in its Bollinger bands: (x − lower)/(upper − lower); 0.5 when they meet",
    ),
    kind(
        "bb_width",
        &[20.0, 2.0],
        true,
        &[],
        "Bollinger band width relative to the middle band: (upper − lower)/middle",
    ),
    kind(
        "stochrsi",
        &[14.0, 5.0, 3.0],
        true,
        &["k", "d"],
        "stochastic of RSI(N): fast %K over K bars and its SMA over D (TA-Lib STOCHRSI)",
    ),
    kind("zscore", &[20.0], true, &[], "(x − SMA(N)) / population standard deviation over N; 0 when flat"),
    kind(
        "linreg_slope",
        &[14.0],
        true,
        &[],
        "least-squares slope of the last N values against 0..N-1 (TA-Lib LINEARREG_SLOPE)",
    ),
    kind("ret", &[1.0], true, &[], "log return over N bars: ln(x / x[N bars ago])"),
    kind("rvol", &[20.0], true, &[], "realized volatility: sqrt of the sum of the last N squared one-bar log returns"),
    kind("trange", &[], false, &[], "true range: max(high, previous close) − min(low, previous close) (TA-Lib TRANGE)"),
    kind("atr", &[14.0], false, &[], "average true range over N bars, Wilder smoothing (TA-Lib ATR)"),
    kind("natr", &[14.0], false, &[], "ATR(N) as a percentage of the close (TA-Lib NATR)"),
    kind("willr", &[14.0], false, &[], "Williams %R over N bars, −100..0 (TA-Lib WILLR)"),
    kind("cci", &[14.0], false, &[], "commodity channel index over N bars of the typical price (TA-Lib CCI)"),
    kind("mfi", &[14.0], false, &[], "money flow index over N bars, 0-100 (TA-Lib MFI)"),
    kind(
        "stoch",
        &[5.0, 3.0, 3.0],
        false,
        &["k", "d"],
        "slow stochastic: %K over N smoothed by SMA(K), %D its SMA(D) (TA-Lib STOCH)",
    ),
    kind("stochf", &[5.0, 3.0], false, &["k", "d"], "fast stochastic: %K over N and its SMA(D) (TA-Lib STOCHF)"),
    kind("aroon", &[14.0], false, &["down", "up"], "Aroon down and up over N bars, 0-100 (TA-Lib AROON)"),
    kind("aroonosc", &[14.0], false, &[], "Aroon up − Aroon down over N bars (TA-Lib AROONOSC)"),
    kind("adx", &[14.0], false, &[], "average directional index over N bars (TA-Lib ADX)"),
    kind("plus_di", &[14.0], false, &[], "plus directional indicator over N bars (TA-Lib PLUS_DI)"),
    kind("minus_di", &[14.0], false, &[], "minus directional indicator over N bars (TA-Lib MINUS_DI)"),
    kind("dx", &[14.0], false, &[], "directional movement index over N bars (TA-Lib DX)"),
    kind("obv", &[], false, &[], "on-balance volume from the first bar's volume (TA-Lib OBV)"),
    kind("ad", &[], false, &[], "Chaikin accumulation/distribution line (TA-Lib AD)"),
    kind("adosc", &[3.0, 10.0], false, &[], "Chaikin A/D oscillator: EMA(AD, fast) − EMA(AD, slow) (TA-Lib ADOSC)"),
    kind("ultosc", &[7.0, 14.0, 28.0], false, &[], "ultimate oscillator over three windows (TA-Lib ULTOSC)"),
    kind("volume_ratio", &[20.0], false, &[], "volume / SMA(volume, N); 0 when the average is 0"),
    kind("kama", &[30.0], true, &[], "Kaufman adaptive moving average over N (TA-Lib KAMA)"),
    kind("t3", &[5.0, 0.7], true, &[], "Tillson T3 moving average over N with volume factor v (TA-Lib T3)"),
    kind("sar", &[0.02, 0.2], false, &[], "parabolic SAR with acceleration and maximum (TA-Lib SAR)"),
    kind(
        "keltner",
        &[20.0, 2.0],
        false,
        &["upper", "middle", "lower"],
        "Keltner channels: EMA(close, N) ± k·ATR(N), all three from the first ATR value",
    ),
    kind(
        "donchian",
        &[20.0],
        false,
        &["upper", "middle", "lower"],
        "Donchian channels: highest high, midpoint and lowest low of N bars",
    ),
    kind("vwap", &[], false, &[], "volume-weighted typical price (h+l+c)/3 since UTC midnight"),
    kind("rvwap", &[20.0], false, &[], "volume-weighted typical price over the last N bars"),
    kind("rank", &[20.0], true, &[], "percentile rank of x among the last N values, ties averaged, in (0, 1]"),
    kind("skew", &[20.0], true, &[], "bias-corrected skewness of the last N one-bar log returns; 0 when flat"),
    kind("kurt", &[20.0], true, &[], "bias-corrected excess kurtosis of the last N one-bar log returns; 0 when flat"),
    kind("efficiency", &[10.0], true, &[], "Kaufman efficiency ratio: |x − x[N bars ago]| / sum of |1-bar changes|"),
    kind("up_frac", &[10.0], true, &[], "share of the last N one-bar changes that were rises"),
    kind("ma_dist", &[20.0], true, &[], "x / SMA(x, N) − 1; 0 when the average is 0"),
    kind("ema_dist", &[20.0], true, &[], "x / EMA(x, N) − 1; 0 when the average is 0"),
    kind("hl_range", &[1.0], false, &[], "SMA over N bars of (high − low) / close"),
    kind("parkinson", &[20.0], false, &[], "Parkinson volatility per bar: sqrt(SMA(N) of ln(h/l)² / (4 ln 2))"),
    kind(
        "garman_klass",
        &[20.0],
        false,
        &[],
        "Garman-Klass volatility per bar: sqrt(SMA(N) of ½ln(h/l)² − (2ln2−1)ln(c/o)²)",
    ),
    kind("hh_dist", &[20.0], false, &[], "close / highest high of N bars − 1"),
    kind("ll_dist", &[20.0], false, &[], "close / lowest low of N bars − 1"),
    kind("clv", &[], false, &[], "close location value ((c − l) − (h − c)) / (h − l); 0 with no range"),
    kind("body", &[], false, &[], "candle body over range (c − o) / (h − l); 0 with no range"),
    kind("upper_shadow", &[], false, &[], "upper shadow over range (h − max(o, c)) / (h − l); 0 with no range"),
    kind("lower_shadow", &[], false, &[], "lower shadow over range (min(o, c) − l) / (h − l); 0 with no range"),
    kind("gap", &[], false, &[], "opening gap: open / previous close − 1"),
    kind("dow", &[], false, &[], "day of the week of the bar's time in UTC, Monday 0 … Sunday 6"),
    kind("dom", &[], false, &[], "day of the month of the bar's time in UTC, 1 … 31"),
    kind("month", &[], false, &[], "month of the bar's time in UTC, 1 … 12"),
    kind("hour", &[], false, &[], "hour of the bar's time in UTC, 0 … 23"),
    kind("minute", &[], false, &[], "minute of the hour of the bar's time in UTC, 0 … 59"),
    kind("tod", &[], false, &[], "minute of the day of the bar's time in UTC, 0 … 1439"),
    pair("correl", &[30.0], "Pearson correlation of two series over N bars (TA-Lib CORREL)"),
    pair("beta", &[5.0], "least-squares slope of the second series' 1-bar returns on the first's over N (TA-Lib BETA)"),
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
    let (body, lag, diff) = match token.split_once('@') {
        Some((body, shift)) => {
            let (diff, n) = match (shift.strip_prefix("lag"), shift.strip_prefix("diff")) {
                (Some(n), _) => (false, n.parse::<usize>().ok()),
                (_, Some(n)) => (true, n.parse::<usize>().ok().filter(|n| *n > 0)),
                _ => (false, None),
            };
            let n = n.ok_or_else(|| {
                bad(format!("`@{shift}` is not a shift; write `@lagN` or `@diffN` with N a whole number (diff from 1)"))
            })?;
            if n > MAX_PERIOD {
                let shift = if diff { "diff" } else { "lag" };
                return Err(bad(format!("{shift} {n} is longer than the longest, {MAX_PERIOD}")));
            }
            (body, n, diff)
        }
        None => (token, 0, false),
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
    Ok(FeatureSpec { name: kind.name, source, source2, args, lag, diff, text: token.to_string() })
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
