//! The targets: one per parser of outside input.

use std::cell::RefCell;
use std::io::Write;
use std::path::PathBuf;

use pyrt_data::{
    BarCsvOptions, BarCsvReader, BarSlices, OnInvalid, ParquetContent, ParquetOptions, ParquetReader, QuoteCsvReader,
    TickCsvOptions, TradeCsvReader, bars_from_slices,
};
use pyrt_indicators::Candle;
use pyrt_indicators::{Columns, FeaturePipeline, compute_columns};
use pyrt_model::decimal::{parse_decimal, parse_strict};
use pyrt_model::{Instrument, InstrumentId, Liquidity, MarketEvent, Price, Quantity};

use crate::Target;

pub static TARGETS: &[Target] = &[
    Target {
        name: "decimal",
        about: "number text: the fast and general readers agree; strict ⊂ lenient",
        run: decimal,
    },
    Target { name: "bar_csv", about: "a bar CSV file, failing and skipping bad rows", run: bar_csv },
    Target { name: "tick_csv", about: "a trade and a quote CSV file", run: tick_csv },
    Target { name: "parquet", about: "a Parquet file read as bars, trades and quotes", run: parquet },
    Target { name: "frame", about: "numpy-like columns (py_rt's frame conversion) to bars", run: frame },
    Target { name: "feature_spec", about: "a feature list: streaming and batch agree to the bit", run: feature_spec },
    Target { name: "risk_toml", about: "a risk-limits TOML file, then a check against it", run: risk_toml },
    Target {
        name: "run_config",
        about: "a backtest's settings file: accepted settings pass their checks",
        run: run_config,
    },
    Target { name: "cost_spec", about: "fee and slippage specs, then costs at extreme prices", run: cost_spec },
    Target { name: "binance_stream", about: "a Binance stream frame: fast and general parsers agree", run: stream },
    Target { name: "venue_params", about: "a signed request to the local venue: parameters and timing", run: venue },
];

fn text(data: &[u8]) -> String {
    String::from_utf8_lossy(data).into_owned()
}

fn decimal(data: &[u8]) {
    let s = text(data);
    for decimals in [0, 2, 8, 9, 18] {
        let lenient = parse_decimal(&s, decimals);
        if let Ok(strict) = parse_strict(&s, decimals) {
            assert_eq!(lenient, Ok(strict), "strict read {s:?}, lenient did not agree");
        }
        // The general path, forced by a leading space, agrees with the fast one.
        assert_eq!(parse_decimal(&format!(" {s}"), decimals), lenient, "{s:?} at {decimals} decimals");
    }
    if let Ok(p) = s.parse::<Price>() {
        assert_eq!(parse_decimal(&format!(" {s}"), 9).map(|v| v as i64), Ok(p.raw()), "{s:?}");
    }
}

thread_local! {
    /// One scratch file per thread and suffix, rewritten for every input.
    static FILES: RefCell<Vec<(String, tempfile::NamedTempFile)>> = const { RefCell::new(Vec::new()) };
}

/// `data` written to this thread's scratch file ending in `suffix`.
fn as_file(data: &[u8], suffix: &str) -> PathBuf {
    FILES.with(|files| {
        let mut files = files.borrow_mut();
        if !files.iter().any(|(s, _)| s == suffix) {
            let dir = if std::path::Path::new("/dev/shm").is_dir() { "/dev/shm".into() } else { std::env::temp_dir() };
            let f = tempfile::Builder::new().suffix(suffix).tempfile_in(dir).expect("a scratch file");
            files.push((suffix.to_string(), f));
        }
        let (_, f) = files.iter_mut().find(|(s, _)| s == suffix).expect("just added");
        let file = f.as_file_mut();
        file.set_len(0).expect("truncate");
        std::io::Seek::rewind(file).expect("rewind");
        file.write_all(data).expect("write");
        f.path().to_path_buf()
    })
}

/// Every event of a reader, at most 10,000; accepted bars must be bars.
fn drain(events: impl Iterator<Item = Result<MarketEvent, pyrt_data::DataError>>) {
    for event in events.take(10_000) {
        match event {
            Ok(MarketEvent::Bar(b)) => {
                assert!(b.low <= b.open.min(b.close) && b.open.max(b.close) <= b.high, "not a bar: {b:?}");
                assert!(b.low.is_positive() && !b.volume.is_negative(), "not a bar: {b:?}");
            }
            Ok(MarketEvent::Trade(t)) => assert!(t.price.is_positive() && !t.size.is_negative(), "{t:?}"),
            Ok(_) => {}
            Err(e) => assert!(e.to_string().len() < 2_000, "an error echoes its input: {} bytes", e.to_string().len()),
        }
    }
}

fn bar_csv(data: &[u8]) {
    let path = as_file(data, ".csv");
    for on_invalid in [OnInvalid::Fail, OnInvalid::Skip] {
        if let Ok(r) = BarCsvReader::open(&path, BarCsvOptions { on_invalid, ..BarCsvOptions::default() }) {
            drain(r);
        }
    }
}

fn tick_csv(data: &[u8]) {
    let path = as_file(data, ".csv");
    if let Ok(r) = TradeCsvReader::open(&path, TickCsvOptions::default()) {
        drain(r);
    }
    if let Ok(r) = QuoteCsvReader::open(&path, TickCsvOptions::default()) {
        drain(r);
    }
}

fn parquet(data: &[u8]) {
    let path = as_file(data, ".parquet");
    for content in [
        ParquetContent::Bars(Default::default()),
        ParquetContent::Trades(Default::default()),
        ParquetContent::Quotes(Default::default()),
    ] {
        if let Ok(r) = ParquetReader::open(&path, ParquetOptions::new(content)) {
            drain(r);
        }
    }
}

/// Columns from bytes: a length, then f64s (NaN, infinities and all).
fn frame(data: &[u8]) {
    let words: Vec<u64> = data.chunks(8).map(|c| c.iter().fold(0u64, |a, b| (a << 8) | *b as u64)).collect();
    let n = words.first().map_or(0, |w| (*w % 16) as usize);
    let col =
        |k: usize| -> Vec<f64> { (0..n).map(|i| f64::from_bits(*words.get(1 + k * n + i).unwrap_or(&0))).collect() };
    let ts: Vec<i64> = (0..n).map(|i| *words.get(1 + 5 * n + i).unwrap_or(&(i as u64)) as i64).collect();
    let (open, high, low, close, volume) = (col(0), col(1), col(2), col(3), col(4));
    let slices = BarSlices { ts: &ts, open: &open, high: &high, low: &low, close: &close, volume: Some(&volume) };
    drain(
        bars_from_slices(InstrumentId(0), &slices)
            .map(|bars| bars.into_iter().map(MarketEvent::Bar))
            .into_iter()
            .flatten()
            .map(Ok),
    );
}

/// Sixty deterministic bars.
fn candles() -> Vec<Candle> {
    (0..60)
        .map(|i| {
            let c = 100.0 + (i as f64 * 0.7).sin() * 5.0;
            Candle {
                ts: i * 60_000_000_000,
                open: c - 0.3,
                high: c + 1.0,
                low: c - 1.2,
                close: c,
                volume: 1_000.0 + i as f64,
            }
        })
        .collect()
}

fn feature_spec(data: &[u8]) {
    let s = text(data);
    let Ok(specs) = pyrt_indicators::features::parse(&s) else { return };
    // Long windows are legal, but a campaign that allocates them on every
    // input measures the allocator: keep to what sixty bars can show.
    if specs.len() > 8 || specs.iter().any(|sp| sp.lag > 1_000 || sp.args.iter().any(|a| a.abs() > 1_000.0)) {
        return;
    }
    let Ok(mut live) = FeaturePipeline::new(&specs) else { return };
    let bars = candles();
    let mut row = vec![0.0; live.columns().len()];
    let mut streamed = vec![Vec::new(); row.len()];
    for c in &bars {
        live.update(c, &mut row).expect("finite input");
        streamed.iter_mut().zip(&row).for_each(|(col, v)| col.push(*v));
    }
    let col = |f: fn(&Candle) -> f64| bars.iter().map(f).collect::<Vec<f64>>();
    let (o, h, l, c, v) = (col(|b| b.open), col(|b| b.high), col(|b| b.low), col(|b| b.close), col(|b| b.volume));
    let ts: Vec<i64> = bars.iter().map(|b| b.ts).collect();
    let cols = Columns { ts: &ts, open: &o, high: &h, low: &l, close: &c, volume: &v };
    let batch = compute_columns(&specs, &cols).expect("the streaming pipeline built, so the batch one does");
    for (j, (a, b)) in streamed.iter().zip(&batch).enumerate() {
        for (i, (x, y)) in a.iter().zip(b).enumerate() {
            assert!(x.to_bits() == y.to_bits() || (x.is_nan() && y.is_nan()), "{s:?} column {j} bar {i}: {x} vs {y}");
        }
    }
}

fn risk_toml(data: &[u8]) {
    let Ok(limits) = pyrt_risk::RiskLimits::from_toml(&text(data)) else { return };
    let inst = vec![Instrument::new(InstrumentId(0), "BTCUSDT", Price::from_raw(1), Quantity::from_raw(1))];
    let _ = pyrt_risk::RiskEngine::new(limits, &inst);
}

fn run_config(data: &[u8]) {
    let base = std::path::Path::new("/runs");
    let Ok(config) = pyrt_settings::RunConfig::parse(&text(data), base) else { return };
    assert!(config.account.cash.is_positive(), "accepted cash {}", config.account.cash);
    assert!(config.execution.latency_ms >= 0.0 && config.execution.latency_ms.is_finite());
    assert!(
        pyrt_sim::check_fees(&config.execution.fees).is_ok()
            && pyrt_sim::check_slippage(&config.execution.slippage).is_ok()
    );
    for feed in &config.feeds {
        // Relative paths are the file's: with an absolute base, all end up absolute.
        assert!(feed.path.is_absolute(), "feed path {} not resolved against the file", feed.path.display());
        assert!(feed.tick_size.is_positive() && feed.lot_size.is_positive());
        let _ = feed.symbol();
    }
    let _ = config.strategy.params_text();
}

fn cost_spec(data: &[u8]) {
    let s = text(data);
    let extremes = [Price::from_raw(1), Price::from_int(1), Price::from_raw(i64::MAX)];
    let sizes = [Quantity::from_raw(1), Quantity::from_int(1), Quantity::from_raw(1 << 62)];
    if let Ok(fees) = pyrt_sim::parse_fees(&s) {
        use pyrt_sim::FeeModel;
        for (p, q) in extremes.iter().zip(sizes.iter().rev()) {
            for liquidity in [Liquidity::Maker, Liquidity::Taker] {
                let _ = fees.fee(*p, *q, liquidity);
            }
        }
    }
    if let Ok(slippage) = pyrt_sim::parse_slippage(&s) {
        use pyrt_sim::SlippageModel;
        let ctx = pyrt_sim::SlippageContext { bar_volume: Some(Quantity::from_int(1_000)), quoted: false };
        for p in extremes {
            for side in [pyrt_model::Side::Buy, pyrt_model::Side::Sell] {
                let _ = slippage.taker_price(side, p, Quantity::from_int(10), &ctx);
                let _ = slippage.max_fill(&ctx);
            }
        }
    }
}

fn stream(data: &[u8]) {
    let s = text(data);
    let fast = pyrt_binance::parse(&s).map_err(|e| e.to_string());
    let general = pyrt_binance::stream::parse_general(&s).map_err(|e| e.to_string());
    assert_eq!(format!("{fast:?}"), format!("{general:?}"), "the depth fast path disagrees on {s:?}");
}

/// The first line is the query, the rest the body; signed with the
/// venue's key as a client would, so the checks after the signature run.
fn venue(data: &[u8]) {
    use pyrt_venue_server::params::{Params, check_signed};
    let s = text(data);
    let (query, body) = s.split_once('\n').unwrap_or((&s, ""));
    let secret = "fuzz-secret";
    let signed = format!("{body}&signature={}", pyrt_binance::signing::sign(secret, body));
    for (q, b) in [(query, body), (query, signed.as_str())] {
        let params = Params::parse(q, b);
        let _ = check_signed(secret, q, b, &params, 1_700_000_000_000);
        let _ = params.parsed::<Price>("price");
        let _ = params.parsed::<Quantity>("quantity");
        let _ = params.parsed::<i64>("orderId");
    }
}
