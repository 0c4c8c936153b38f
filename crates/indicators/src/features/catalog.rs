//! The feature catalog: a named, fixed set of features for models.
//!
//! Each entry is a spec the engine already parses (`rsi:14`,
//! `bb_pct:20:2@diff1`), so a model card that lists catalog names can be
//! compiled straight into a [`FeaturePipeline`] live, and the same names
//! computed in batch in research give the same numbers.
//!
//! Most entries are ratios, ranks or oscillators, which mean the same at
//! any price level; a few raw price-level indicators are kept because
//! tree models split on their distance to the price well enough.
//!
//! The catalog is append-only in spirit: a model card stores names, not
//! positions, so adding entries never breaks a saved model; changing what
//! a name computes would, and a parity test pins each one against an
//! independent reference.

use super::*;

/// The catalog's entries by family, in catalog order.
const FAMILIES: &[(&str, &[&str])] = &[
    ("returns", &["ret:1", "ret:2", "ret:3", "ret:5", "ret:10", "ret:20", "ret:40", "ret:60", "ret:120", "ret:250"]),
    (
        "momentum",
        &[
            "roc:1",
            "roc:5",
            "roc:10",
            "roc:20",
            "efficiency:10",
            "efficiency:20",
            "efficiency:60",
            "up_frac:5",
            "up_frac:10",
            "up_frac:20",
            "up_frac:60",
            "linreg_slope:14",
            "linreg_slope:50",
            "mom:10",
        ],
    ),
    (
        "volatility",
        &[
            "rvol:5",
            "rvol:10",
            "rvol:20",
            "rvol:40",
            "rvol:60",
            "rvol:120",
            "parkinson:5",
            "parkinson:10",
            "parkinson:20",
            "parkinson:60",
            "garman_klass:5",
            "garman_klass:10",
            "garman_klass:20",
            "garman_klass:60",
            "natr:7",
            "natr:14",
            "natr:28",
            "atr:14",
            "trange",
            "stddev:20:1",
            "bb_width:10:2",
            "bb_width:20:2",
            "bb_width:50:2",
        ],
    ),
    ("distribution", &["skew:20", "skew:60", "skew:120", "kurt:20", "kurt:60", "kurt:120"]),
    (
        "zscore",
        &[
            "zscore:5",
            "zscore:10",
            "zscore:20",
            "zscore:50",
            "zscore:100",
            "zscore:200",
            "zscore:volume:10",
            "zscore:volume:20",
            "zscore:volume:50",
            "bb_pct:10:2",
            "bb_pct:20:2",
            "bb_pct:50:2",
        ],
    ),
    (
        "rank",
        &[
            "rank:5",
            "rank:10",
            "rank:20",
            "rank:50",
            "rank:100",
            "rank:250",
            "rank:volume:20",
            "rank:volume:50",
            "rank:hl2:20",
        ],
    ),
    (
        "trend",
        &[
            "ma_dist:5",
            "ma_dist:10",
            "ma_dist:20",
            "ma_dist:50",
            "ma_dist:100",
            "ma_dist:200",
            "ema_dist:5",
            "ema_dist:10",
            "ema_dist:20",
            "ema_dist:50",
            "ema_dist:100",
            "ema_dist:200",
            "ppo:12:26",
            "ppo:5:20",
            "trix:15",
            "trix:30",
            "macd:12:26:9",
            "adx:7",
            "adx:14",
            "adx:28",
            "plus_di:14",
            "minus_di:14",
            "dx:14",
            "aroon:14",
            "aroon:25",
            "aroonosc:14",
            "aroonosc:25",
            "hh_dist:10",
            "hh_dist:20",
            "hh_dist:50",
            "hh_dist:250",
            "ll_dist:10",
            "ll_dist:20",
            "ll_dist:50",
            "ll_dist:250",
        ],
    ),
    (
        "oscillator",
        &[
            "rsi:2",
            "rsi:3",
            "rsi:5",
            "rsi:7",
            "rsi:9",
            "rsi:14",
            "rsi:21",
            "rsi:28",
            "stochrsi:14:5:3",
            "cci:14",
            "cci:20",
            "cci:50",
            "willr:7",
            "willr:14",
            "willr:28",
            "mfi:7",
            "mfi:14",
            "mfi:28",
            "stoch:5:3:3",
            "stoch:14:3:3",
            "stochf:5:3",
            "stochf:14:3",
            "ultosc:7:14:28",
        ],
    ),
    (
        "volume",
        &[
            "volume_ratio:5",
            "volume_ratio:10",
            "volume_ratio:20",
            "volume_ratio:50",
            "obv",
            "ad",
            "adosc:3:10",
            "mfi:50",
            "correl:close:volume:20",
            "correl:close:volume:50",
        ],
    ),
    (
        "range",
        &[
            "hl_range",
            "hl_range:5",
            "hl_range:20",
            "clv",
            "body",
            "upper_shadow",
            "lower_shadow",
            "gap",
            "correl:high:low:30",
            "beta:close:open:20",
        ],
    ),
    (
        "level",
        &[
            "sma:20",
            "ema:20",
            "wma:20",
            "dema:20",
            "tema:20",
            "trima:20",
            "kama:10",
            "t3:5:0.7",
            "sar:0.02:0.2",
            "bbands:20:2",
            "keltner:20:2",
            "donchian:20",
            "vwap",
            "rvwap:20",
        ],
    ),
    ("calendar", &["dow", "dom", "month", "hour", "minute", "tod"]),
    (
        "slope",
        &[
            "rsi:14@diff1",
            "rsi:14@diff5",
            "adx:14@diff5",
            "bb_pct:20:2@diff1",
            "zscore:20@diff5",
            "cci:14@diff1",
            "mfi:14@diff5",
            "natr:14@diff5",
            "rvol:20@diff5",
            "ma_dist:50@diff5",
            "ema_dist:20@diff1",
            "willr:14@diff3",
            "stoch:14:3:3@diff1",
            "volume_ratio:20@diff1",
            "obv@diff5",
            "ad@diff5",
            "sma:20@diff1",
            "ema:50@diff5",
            "kama:10@diff1",
            "linreg_slope:50@diff5",
            "aroonosc:25@diff5",
        ],
    ),
    (
        "lagged",
        &[
            "ret:1@lag1",
            "ret:1@lag2",
            "ret:1@lag3",
            "ret:1@lag4",
            "ret:1@lag5",
            "ret:5@lag5",
            "ret:20@lag20",
            "rsi:14@lag1",
            "rvol:20@lag20",
            "volume_ratio:20@lag1",
            "gap@lag1",
            "clv@lag1",
            "body@lag1",
            "hl_range@lag1",
            "zscore:20@lag1",
            "bb_pct:20:2@lag1",
        ],
    ),
];

/// One catalog entry.
#[derive(Debug, Clone, PartialEq)]
pub struct CatalogEntry {
    /// The spec, which is also the feature's name.
    pub name: &'static str,
    /// The family it belongs to (`returns`, `volatility`, `calendar`, …).
    pub family: &'static str,
    /// The formula (the spec's feature kind: `rsi`, `bb_pct`, …).
    pub formula: &'static str,
    /// What it computes, with its arguments and shift spelt out.
    pub definition: String,
    /// The columns it gives, in order (several for `macd`, `bbands`, …).
    pub columns: Vec<String>,
    /// How many bars it needs before its first value: rows `0..warm_up`
    /// are NaN, row `warm_up` is the first number.
    pub warm_up: usize,
}

/// Every catalog entry, in catalog order.
pub fn catalog() -> Vec<CatalogEntry> {
    FAMILIES
        .iter()
        .flat_map(|(family, names)| names.iter().map(move |n| (*family, *n)))
        .map(|(family, name)| {
            let spec = parse_one(name).expect("catalog names parse");
            let kind = KINDS.iter().find(|k| k.name == spec.name).expect("parsed names exist");
            let columns = FeaturePipeline::new(std::slice::from_ref(&spec)).expect("catalog specs build").columns;
            CatalogEntry {
                name,
                family,
                formula: kind.name,
                definition: definition(&spec, kind),
                columns,
                warm_up: warm_up(&spec).expect("catalog specs build"),
            }
        })
        .collect()
}

/// A spec's definition: its kind's, with the arguments and shift.
pub fn describe(spec: &FeatureSpec) -> String {
    let kind = KINDS.iter().find(|k| k.name == spec.name).expect("parsed names exist");
    definition(spec, kind)
}

fn definition(spec: &FeatureSpec, kind: &Kind) -> String {
    let mut text = kind.about.to_string();
    let first = spec.source.unwrap_or(Source::Close);
    let sources: Vec<String> =
        [Some(first), spec.source2].iter().flatten().map(|s| format!("{s:?}").to_lowercase()).collect();
    if kind.series > 0 {
        text.push_str(&format!("; of {}", sources.join(" and ")));
    }
    if !spec.args.is_empty() {
        let args: Vec<String> = spec.args.iter().map(|a| a.to_string()).collect();
        text.push_str(&format!("; arguments {}", args.join(", ")));
    }
    match (spec.lag, spec.diff) {
        (0, _) => {}
        (n, false) => text.push_str(&format!("; the value {n} bar(s) ago")),
        (n, true) => text.push_str(&format!("; its change over {n} bar(s): now minus {n} bar(s) ago")),
    }
    text
}

/// The bars `spec` needs before its first value, found by running it:
/// the index of the first row where every column is a number, on a
/// synthetic random walk long enough for any warm-up its arguments imply.
/// (Warm-ups follow TA-Lib's lookbacks, which chain through smoothing
/// stages; running the feature cannot get them wrong.)
pub fn warm_up(spec: &FeatureSpec) -> Result<usize, SpecError> {
    let span: f64 = spec.args.iter().filter(|a| **a >= 1.0).sum();
    let n = (8.0 * span) as usize + spec.lag + 128;
    let mut pipeline = FeaturePipeline::new(std::slice::from_ref(spec))?;
    let columns = pipeline.batch(&random_walk(n))?;
    Ok((0..n).find(|&i| columns.iter().all(|c| c[i].is_finite())).unwrap_or(n))
}

/// `n` one-minute bars of a deterministic random walk with real ranges
/// and volumes (no flat bars, no zero volume).
fn random_walk(n: usize) -> Vec<Candle> {
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state >> 11) as f64 / (1u64 << 53) as f64
    };
    let mut close: f64 = 100.0;
    (0..n)
        .map(|i| {
            let open = close;
            close = open * (1.0 + (next() - 0.5) * 0.02);
            let high = open.max(close) * (1.0 + next() * 0.01);
            let low = open.min(close) * (1.0 - next() * 0.01);
            Candle { ts: i as i64 * 60_000_000_000, open, high, low, close, volume: 1_000.0 + next() * 1_000.0 }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_catalog_has_two_hundred_features_from_forty_formulas() {
        let entries = catalog();
        let columns: usize = entries.iter().map(|e| e.columns.len()).sum();
        let formulas: std::collections::BTreeSet<_> = entries.iter().map(|e| e.formula).collect();
        assert!(entries.len() >= 200, "{} entries", entries.len());
        assert!(formulas.len() >= 40, "{} formulas", formulas.len());
        assert!(columns >= entries.len());
        let names: std::collections::BTreeSet<_> = entries.iter().map(|e| e.name).collect();
        assert_eq!(names.len(), entries.len(), "a name is listed twice");
        // The whole catalog compiles as one pipeline.
        let all: Vec<_> = entries.iter().map(|e| e.name).collect();
        assert_eq!(FeaturePipeline::from_spec(&all.join(",")).unwrap().columns().len(), columns);
    }

    #[test]
    fn warm_ups_follow_ta_lib_lookbacks() {
        let w = |s: &str| warm_up(&parse_one(s).unwrap()).unwrap();
        assert_eq!(w("sma:20"), 19);
        assert_eq!(w("ema:20"), 19);
        assert_eq!(w("rsi:14"), 14);
        assert_eq!(w("macd:12:26:9"), 33);
        assert_eq!(w("adx:14"), 27);
        assert_eq!(w("tema:20"), 57);
        assert_eq!(w("ret:1"), 1);
        assert_eq!(w("ret:1@lag3"), 4);
        assert_eq!(w("rsi:14@diff5"), 19);
        assert_eq!(w("skew:20"), 20);
        assert_eq!(w("dow"), 0);
        assert_eq!(w("gap"), 1);
    }

    #[test]
    fn definitions_spell_out_arguments_and_shifts() {
        let d = |s: &str| describe(&parse_one(s).unwrap());
        assert!(d("rsi:14").contains("of close; arguments 14"), "{}", d("rsi:14"));
        assert!(d("correl:close:volume:20").contains("of close and volume"));
        assert!(d("rsi:14@diff5").ends_with("its change over 5 bar(s): now minus 5 bar(s) ago"));
        assert!(d("ret:1@lag2").ends_with("the value 2 bar(s) ago"));
        assert!(!d("dow").contains("arguments"));
    }
}
