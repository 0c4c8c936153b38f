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

use crate::candle::{Candle, CandleIndicator};
use crate::*;

mod catalog;
mod columns;
mod spec;
mod streaming;

pub use catalog::*;
pub use columns::*;
pub use spec::*;
use streaming::*;

/// The compiled form of a spec list.
pub struct FeaturePipeline {
    features: Vec<(Box<dyn Feature>, usize, usize, bool)>, // (feature, width, lag, diff)
    columns: Vec<String>,
    history: Vec<VecDeque<Vec<f64>>>,
    scratch: Vec<f64>,
    seen: u64,
}

impl FeaturePipeline {
    pub fn new(specs: &[FeatureSpec]) -> Result<Self, SpecError> {
        check_total_window(specs)?;
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
            features.push((f, width, spec.lag, spec.diff));
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
        for (i, (f, width, lag, diff)) in self.features.iter_mut().enumerate() {
            let out = &mut self.scratch[at..at + *width];
            f.update(c, out);
            let row = &mut row[at..at + *width];
            if *lag == 0 {
                row.copy_from_slice(out);
            } else {
                let h = &mut self.history[i];
                h.push_back(out.to_vec());
                if h.len() > *lag {
                    let past = h.pop_front().expect("non-empty");
                    for ((r, now), then) in row.iter_mut().zip(out.iter()).zip(&past) {
                        *r = if *diff { now - then } else { *then };
                    }
                } else {
                    row.fill(f64::NAN);
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
        for (i, (f, width, lag, diff)) in self.features.iter_mut().enumerate() {
            let mut own: Vec<Vec<f64>> = (0..*width).map(|_| Vec::with_capacity(candles.len())).collect();
            f.batch(candles, &mut own);
            if *lag > 0 {
                own = shift(own, &mut self.history[i], *lag, *diff);
            }
            cols.extend(own);
        }
        Ok(cols)
    }
}

/// Shifts freshly computed columns `lag` rows into the past, or with
/// `diff` subtracts that shifted value from each row. `history` holds the
/// last `lag` unshifted rows from earlier calls (the same state streaming
/// keeps) and is updated for the next call.
fn shift(own: Vec<Vec<f64>>, history: &mut VecDeque<Vec<f64>>, lag: usize, diff: bool) -> Vec<Vec<f64>> {
    let n = own.first().map_or(0, Vec::len);
    let before = history.len();
    let shifted = own
        .iter()
        .enumerate()
        .map(|(line, col)| {
            (0..n)
                .map(|j| {
                    let then = match (before + j).checked_sub(lag) {
                        Some(k) if k >= before => col[k - before],
                        Some(k) => history[k][line],
                        None => f64::NAN,
                    };
                    if diff { col[j] - then } else { then }
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

    /// `data` as columns: its timestamps, and open, high, low, close,
    /// volume in that order.
    fn split(data: &[Candle]) -> (Vec<i64>, [Vec<f64>; 5]) {
        let col = |f: fn(&Candle) -> f64| data.iter().map(f).collect::<Vec<f64>>();
        let ts = data.iter().map(|c| c.ts).collect();
        (ts, [col(|c| c.open), col(|c| c.high), col(|c| c.low), col(|c| c.close), col(|c| c.volume)])
    }

    fn columns<'a>(ts: &'a [i64], c: &'a [Vec<f64>; 5]) -> Columns<'a> {
        Columns { ts, open: &c[0], high: &c[1], low: &c[2], close: &c[3], volume: &c[4] }
    }

    #[test]
    fn compute_columns_equals_the_pipeline_for_every_feature() {
        let mut specs = feature_names().join(",");
        specs.push_str(",sma:hl2:7,rsi:14@lag3,macd:5:9:4@lag1,ema:volume:4");
        let data = candles(400);
        let want = FeaturePipeline::from_spec(&specs).unwrap().batch(&data).unwrap();
        let (ts, base) = split(&data);
        let cols = columns(&ts, &base);
        let got = compute_columns(&parse(&specs).unwrap(), &cols).unwrap();
        assert_eq!(got.len(), want.len());
        for (j, (g, w)) in got.iter().zip(&want).enumerate() {
            assert!(g.iter().zip(w).all(|(a, b)| a.to_bits() == b.to_bits()), "column {j}");
        }
        let mut bad = base[3].clone();
        bad[5] = f64::INFINITY;
        let cols = Columns { close: &bad, ..cols };
        assert!(matches!(compute_columns(&parse("sma:2").unwrap(), &cols), Err(SpecError::NonFinite { index: 5, .. })));
    }

    #[test]
    fn columns_without_timestamps_are_bars_at_time_zero() {
        let specs = parse(&feature_names().join(",")).unwrap();
        let (_, base) = split(&candles(200));
        let zeros = vec![0i64; 200];
        let with_zeros = compute_columns(&specs, &columns(&zeros, &base)).unwrap();
        let without = compute_columns(&specs, &columns(&[], &base)).unwrap();
        let bits = |cols: &[Vec<f64>]| cols.iter().flatten().map(|v| v.to_bits()).collect::<Vec<_>>();
        assert_eq!(bits(&with_zeros), bits(&without));
        let e = compute_columns(&specs, &columns(&zeros[..199], &base)).unwrap_err().to_string();
        assert!(e.contains("199 timestamps, close has 200 values"), "{e}");
    }

    #[test]
    fn bar_features_check_exactly_the_columns_they_read() {
        let data = candles(120);
        let (ts, base) = split(&data);
        for kind in KINDS.iter().filter(|k| k.series == 0) {
            let spec = parse(kind.name).unwrap();
            let clean = compute_columns(&spec, &columns(&ts, &base)).unwrap();
            let read = columns::columns_read(&spec[0]);
            // Bar 3 is inside every warm-up, where kernels that check in
            // passing do not compute; bar 60 is past it.
            for (field, at) in (0..5).flat_map(|f| [(f, 3), (f, 60)]) {
                let mut dirty = base.clone();
                dirty[field][at] = f64::NAN;
                match compute_columns(&spec, &columns(&ts, &dirty)) {
                    Err(SpecError::NonFinite { index, .. }) if index == at as u64 => {
                        assert!(read.contains(&field), "{} refused column {field} it does not read", kind.name)
                    }
                    Ok(out) => {
                        assert!(!read.contains(&field), "{} let a NaN through in column {field}", kind.name);
                        let same =
                            out.iter().flatten().zip(clean.iter().flatten()).all(|(a, b)| a.to_bits() == b.to_bits());
                        assert!(same, "{} reads column {field} but does not check it", kind.name);
                    }
                    Err(e) => panic!("{}: {e}", kind.name),
                }
            }
        }
    }

    #[test]
    fn series_features_refuse_non_finite_sources_wherever_they_are() {
        let data = candles(120);
        let (ts, base) = split(&data);
        // Kernels that check in passing see some values only through a
        // running state (a NaN stays, an infinity can turn a ratio to 0),
        // so every kind of position is planted: first bar, warm-up, past it.
        let planted =
            [0, 1, 3, 60, 119].into_iter().flat_map(|at| [f64::NAN, f64::INFINITY, -f64::INFINITY].map(|b| (at, b)));
        for kind in KINDS.iter().filter(|k| k.series > 0) {
            let spec = parse(kind.name).unwrap();
            // The default sources: the close, or the high and the low.
            let fields: &[usize] = if kind.series > 1 { &[1, 2] } else { &[3] };
            for ((at, bad), &field) in planted.clone().flat_map(|p| fields.iter().map(move |f| (p, f))) {
                let mut dirty = base.clone();
                dirty[field][at] = bad;
                match compute_columns(&spec, &columns(&ts, &dirty)) {
                    Err(SpecError::NonFinite { index, .. }) => assert_eq!(index, at as u64, "{}", kind.name),
                    other => panic!("{} with {bad} at {at} in column {field}: {:?}", kind.name, other.map(|_| ())),
                }
            }
        }
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
        assert_eq!(e, "feature `sma:0`: argument 1 must be a whole number from 1 to 10000000, got 0");
        // Huge periods and lags are refused before anything is allocated.
        let many = ["sma:9000000"; 5].join(",");
        let e = FeaturePipeline::from_spec(&many).err().unwrap().to_string();
        assert!(e.contains("windows add up to 45000000 bars"), "{e}");
        for huge in ["sma:99999999999", "willr:99999999999", "macd:12:1e30:9", "sma:5@lag99999999999"] {
            let e = FeaturePipeline::from_spec(huge).err().unwrap().to_string();
            assert!(e.contains("10000000"), "{huge}: {e}");
            let x = [1.0, 2.0];
            let cols = Columns { ts: &[], open: &x, high: &x, low: &x, close: &x, volume: &x };
            if let Ok(specs) = parse(huge) {
                let e = compute_columns(&specs, &cols).err().unwrap().to_string();
                assert!(e.contains("10000000"), "batch {huge}: {e}");
            }
        }
        assert!(parse("rsi:14@3").unwrap_err().to_string().contains("write `@lagN`"));
        assert!(parse("rsi:14@diff0").unwrap_err().to_string().contains("`@diff0` is not a shift"));
        assert!(parse("rsi:14@diffx").unwrap_err().to_string().contains("write `@lagN` or `@diffN`"));
        let slope = &parse("rsi:14@diff3").unwrap()[0];
        assert!(slope.diff && slope.lag == 3);
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
