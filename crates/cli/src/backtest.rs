//! `pyrt backtest`: wire a config into the kernel and run it.

use std::io::IsTerminal;
use std::time::{Duration, Instant};

use anyhow::{Context as _, Result};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use pyrt_analytics::RunReport;
use pyrt_data::{
    BarCsvOptions, BarCsvReader, DataError, GbmBars, GbmParams, Merge, ParquetContent, ParquetOptions, ParquetReader,
};
use pyrt_engine::{Engine, EngineError, Sampling};
use pyrt_model::time::{NANOS_PER_DAY, NANOS_PER_SECOND};
use pyrt_model::{Instrument, InstrumentId, MarketEvent, Price, Quantity};
use pyrt_sim::SimVenue;

use pyrt_settings::RunConfig;

type EventStream = Box<dyn Iterator<Item = Result<MarketEvent, DataError>>>;

/// The instruments and the merged event stream a config describes.
pub fn open_data(config: &RunConfig) -> Result<(Vec<Instrument>, EventStream)> {
    let mut instruments = Vec::new();
    let mut streams: Vec<EventStream> = Vec::new();
    if config.feeds.is_empty() {
        let s = &config.synthetic;
        for (i, symbol) in s.symbols.iter().enumerate() {
            let id = InstrumentId(i as u32);
            instruments.push(Instrument::new(id, symbol.clone(), Price::from_raw(10_000_000), Quantity::from_int(1)));
            let params = GbmParams {
                seed: s.seed.wrapping_add(i as u64),
                instrument: id,
                interval_ns: s.interval_s as i64 * NANOS_PER_SECOND,
                start_price: s.start_price,
                drift: s.drift,
                volatility: s.volatility,
                ..GbmParams::default()
            };
            let bars = GbmBars::new(params).take(s.bars as usize).map(|r| r.map_err(|never| match never {}));
            streams.push(Box::new(bars));
        }
    } else {
        for (i, feed) in config.feeds.iter().enumerate() {
            let id = InstrumentId(i as u32);
            let mut inst = Instrument::new(id, feed.symbol(), feed.tick_size, feed.lot_size);
            inst.min_quantity = feed.lot_size;
            instruments.push(inst);
            if feed.path.extension().is_some_and(|e| e == "parquet") {
                let mut options = ParquetOptions::new(ParquetContent::Bars(feed.columns.clone()));
                options.instrument = id;
                options.strictly_increasing = !feed.allow_equal_timestamps;
                streams.push(Box::new(ParquetReader::open(&feed.path, options)?));
            } else {
                let options = BarCsvOptions {
                    instrument: id,
                    columns: feed.columns.clone(),
                    on_invalid: feed.on_invalid,
                    allow_equal_timestamps: feed.allow_equal_timestamps,
                };
                streams.push(Box::new(BarCsvReader::open(&feed.path, options)?));
            }
        }
    }
    let stream: EventStream =
        if streams.len() == 1 { streams.pop().expect("one stream") } else { Box::new(Merge::new(streams)) };
    Ok((instruments, stream))
}

/// Runs a backtest and returns its report.
pub fn run(config: &RunConfig, show_progress: bool) -> Result<RunReport> {
    let strategy = pyrt_strategies::build(&config.strategy.name, &config.strategy.params_text()?)?;
    let (instruments, events) = open_data(config)?;
    let venue = SimVenue::new(instruments.clone(), config.execution.sim_config());
    let engine_config = pyrt_settings::engine_config(
        &config.account,
        &config.execution,
        Sampling::Bucket(NANOS_PER_DAY),
        config.output.history_limit,
    );
    let mut engine = Engine::new(instruments, venue, engine_config);
    if let Some(path) = &config.risk {
        let text =
            std::fs::read_to_string(path).with_context(|| format!("cannot read risk limits {}", path.display()))?;
        let limits = pyrt_risk::RiskLimits::from_toml(&text).with_context(|| format!("in {}", path.display()))?;
        engine = engine.with_risk(limits).with_context(|| format!("in {}", path.display()))?;
    }
    engine.add_strategy(strategy);

    let progress = Progress::new(show_progress);
    let seen = engine
        .replay(events, |seen| {
            if seen & 0xFFFF == 0 {
                progress.tick(seen);
            }
            true
        })
        .map_err(|e| match e {
            // A reader's error reads as before, without the kernel's wrapping.
            EngineError::Data(source) => anyhow::anyhow!("{source}"),
            other => anyhow::Error::new(other).context("the backtest stopped"),
        })?;
    progress.finish();
    let data = match config.feeds.as_slice() {
        [] => "the synthetic data".to_string(),
        [one] => one.path.display().to_string(),
        many => format!("the {} data files", many.len()),
    };
    pyrt_engine::check_enough_bars(seen, &data)?;
    Ok(RunReport::from_engine(&engine, config.account.risk_free))
}

/// A spinner on stderr for runs longer than a second, when attached to a
/// terminal; silent otherwise.
struct Progress {
    bar: Option<ProgressBar>,
    started: Instant,
}

impl Progress {
    fn new(enabled: bool) -> Self {
        let enabled = enabled && std::io::stdout().is_terminal() && std::io::stderr().is_terminal();
        let bar = enabled.then(|| {
            let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::hidden());
            bar.set_style(
                ProgressStyle::with_template("{spinner} {human_pos} events  {per_sec}  {elapsed}")
                    .expect("valid template"),
            );
            bar
        });
        Self { bar, started: Instant::now() }
    }

    fn tick(&self, events: u64) {
        if let Some(bar) = &self.bar {
            if bar.is_hidden() && self.started.elapsed() > Duration::from_secs(1) {
                bar.set_draw_target(ProgressDrawTarget::stderr());
            }
            bar.set_position(events);
        }
    }

    fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

/// Human-readable summary.
pub fn table(report: &RunReport) -> String {
    let s = &report.stats;
    let pct = |v: f64| format!("{:>12.2} %", v * 100.0);
    let num = |v: Option<f64>| v.map_or(format!("{:>14}", "–"), |x| format!("{x:>14.3}"));
    let rows = [
        ("symbols", format!("{:>14}", report.symbols.join(","))),
        ("period", format!("{} → {}", pyrt_data::format_timestamp(s.start), pyrt_data::format_timestamp(s.end))),
        ("final equity", format!("{:>14.2}", s.final_equity)),
        ("total return", pct(s.total_return)),
        ("annual return", pct(s.annual_return)),
        ("annual volatility", pct(s.annual_volatility)),
        ("sharpe", num(s.sharpe)),
        ("sortino", num(s.sortino)),
        ("calmar", num(s.calmar)),
        ("max drawdown", pct(s.max_drawdown)),
        ("max dd duration", format!("{:>9.1} days", s.max_drawdown_duration_days)),
        ("fills", format!("{:>14}", s.num_fills)),
        ("rejected orders", format!("{:>14}", s.num_rejected)),
        ("round trips", format!("{:>14}", s.num_round_trips)),
        ("win rate", s.win_rate.map_or(format!("{:>14}", "–"), pct)),
        ("profit factor", num(s.profit_factor)),
        ("exposure", pct(s.exposure)),
        ("VaR 95% (hist)", s.var_95_historical.map_or(format!("{:>14}", "–"), pct)),
    ];
    rows.iter().map(|(k, v)| format!("{k:<18} {v}\n")).collect()
}
