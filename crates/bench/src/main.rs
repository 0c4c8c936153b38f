//! `pyrt-bench`: py_rt's benchmarks, apart from the command line tool.
//!
//! Each subcommand times one part of the system on one core and prints a
//! table or JSON (`--format json`), with percentiles where latency matters
//! (`latency`: timing with the clock's cost subtracted). The README's
//! numbers come from these, and the cross-engine comparisons in
//! `benches/*.py` drive them.

mod book;
mod decision;
mod engine;
mod features;
mod indicators;
mod l2;
mod latency;
mod ml;
mod risk;
mod venue_load;

/// A cheap event-stream sink: it counts what it is given.
#[derive(Default)]
pub struct CountSink(pub u64);

impl pyrt_engine::EventSink for CountSink {
    fn publish(&mut self, _event: &pyrt_engine::Sequenced) {
        self.0 += 1;
    }
}

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use clap::{Parser, Subcommand, ValueEnum};
use pyrt_binance::Market;

#[derive(Parser)]
#[command(name = "pyrt-bench", version, about = "py_rt benchmarks: throughput, memory and latency")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// The local venue under concurrent clients: requests/s per 10-second slice, latency percentiles, resident memory.
    VenueLoad {
        #[arg(long, value_enum, default_value_t = venue_load::Endpoint::Order)]
        endpoint: venue_load::Endpoint,
        #[arg(long, default_value_t = 64)]
        clients: usize,
        #[arg(long, default_value_t = 10.0)]
        seconds: f64,
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
    /// Time every indicator over 1M bars (or over arrays from --input).
    Indicators {
        /// Raw little-endian f64 file: high, low, close, volume arrays back to back.
        #[arg(long)]
        input: Option<PathBuf>,
        #[arg(long, default_value_t = 1_000_000)]
        bars: usize,
        #[arg(long, default_value_t = 5)]
        repeats: usize,
        /// Time only these specs (comma-separated, e.g. `willr:14,atr:14`); default: the TA-Lib comparison set.
        #[arg(long, value_delimiter = ',')]
        spec: Vec<String>,
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
    /// The feature catalog (or --spec) over synthetic minute bars: streaming per bar (percentiles) and in batch, bars/s.
    Features {
        #[arg(long, default_value_t = 200_000)]
        bars: usize,
        #[arg(long, default_value_t = 3)]
        repeats: usize,
        /// Time these specs (comma-separated) instead of the whole catalog.
        #[arg(long, value_delimiter = ',')]
        spec: Vec<String>,
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
    /// Measure order-book maintenance on a recorded Binance session.
    Book {
        /// A capture file (`<receive ns> <message>` per line, gzip or plain).
        #[arg(long, default_value_os_t = book::default_capture())]
        capture: PathBuf,
        /// spot or futures (how diffs chain); guessed from the file name.
        #[arg(long, value_enum)]
        market: Option<MarketArg>,
        /// Index the book by this tick size (USD-M BTCUSDT: 0.1; spot: 0.01); "none" for the tree book.
        #[arg(long, default_value = "0.1")]
        tick_size: String,
        #[arg(long, default_value_t = 3)]
        repeats: usize,
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
    /// Time an order-book backtest (kernel, order-book venue, market maker) on a Binance capture.
    L2 {
        #[command(flatten)]
        capture: CaptureArgs,
        #[arg(long, default_value_t = 5)]
        repeats: usize,
        /// Attach a sink to the event stream: none, or count (a cheap one).
        #[arg(long, value_enum, default_value_t = SinkArg::None)]
        event_sink: SinkArg,
        /// exchange: the venue applies each event at its exchange time and the strategy sees it at its receive time (feed latency modelled, as hftbacktest); receive: both at the receive time.
        #[arg(long, value_enum, default_value_t = VenueClockArg::Exchange)]
        venue_clock: VenueClockArg,
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
    /// Measure tick-to-order latency in process (parse, book sync, kernel, strategy, queued order) on a capture.
    Decision {
        #[command(flatten)]
        capture: CaptureArgs,
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
    /// Measure pre-trade risk check latency (100 instruments, every check on).
    /// ONNX inference one row at a time (ORT_DYLIB_PATH names ONNX Runtime's library).
    Ml {
        /// The model (benches/ml_inference.sh writes a 200-tree LightGBM).
        #[arg(long)]
        model: PathBuf,
        #[arg(long, default_value_t = 100_000)]
        rows: usize,
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
    Risk {
        #[arg(long, default_value_t = 200_000)]
        checks: usize,
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
    /// Measure kernel throughput and streaming memory on synthetic bars.
    Engine {
        /// Bars held in memory for the throughput run.
        #[arg(long, default_value_t = 10_000_000)]
        bars: u64,
        /// Bars streamed for the peak-memory run.
        #[arg(long, default_value_t = 100_000_000)]
        stream_bars: u64,
        #[arg(long, default_value_t = 5)]
        repeats: usize,
        /// Attach a sink to the event stream: none, or count (a cheap one).
        #[arg(long, value_enum, default_value_t = SinkArg::None)]
        event_sink: SinkArg,
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Format {
    Json,
    Table,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum SinkArg {
    None,
    Count,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum MarketArg {
    Spot,
    Futures,
}

impl MarketArg {
    fn market(self) -> Market {
        match self {
            MarketArg::Spot => Market::Spot,
            MarketArg::Futures => Market::Futures,
        }
    }
}

/// A Binance recording and the instrument it trades.
#[derive(clap::Args)]
struct CaptureArgs {
    /// A capture file (`<receive ns> <message>` per line, gzip or plain).
    #[arg(long, default_value_os_t = book::default_capture())]
    capture: PathBuf,
    /// spot or futures (how diffs chain); guessed from the file name.
    #[arg(long, value_enum)]
    market: Option<MarketArg>,
    /// The instrument's tick size (USD-M BTCUSDT: 0.1).
    #[arg(long, default_value = "0.1")]
    tick_size: String,
    /// The instrument's lot size (USD-M BTCUSDT: 0.001).
    #[arg(long, default_value = "0.001")]
    lot_size: String,
}

impl CaptureArgs {
    fn market(&self) -> pyrt_binance::Market {
        self.market.map_or_else(|| Market::guess_from_path(&self.capture), MarketArg::market)
    }
    fn tick(&self) -> Result<pyrt_model::Price> {
        self.tick_size.parse().map_err(|e| anyhow::anyhow!("--tick-size {}: {e}", self.tick_size))
    }
    fn lot(&self) -> Result<pyrt_model::Quantity> {
        self.lot_size.parse().map_err(|e| anyhow::anyhow!("--lot-size {}: {e}", self.lot_size))
    }
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum VenueClockArg {
    Exchange,
    Receive,
}

/// Prints a report as JSON or as its table.
fn print<T: serde::Serialize>(format: Format, report: &T, table: impl Fn(&T) -> String) -> Result<()> {
    match format {
        Format::Json => println!("{}", serde_json::to_string_pretty(report)?),
        Format::Table => print!("{}", table(report)),
    }
    Ok(())
}

fn main() -> ExitCode {
    // Diagnostics through `tracing` on stderr (`RUST_LOG` sets the level);
    // the benchmark's table or JSON is the result, on stdout.
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).without_time().init();
    match run(Cli::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            let causes: Vec<String> = e.chain().skip(1).map(|c| format!("\n  caused by: {c}")).collect();
            tracing::error!("{e}{}", causes.concat());
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> Result<()> {
    match cli.command {
        Command::Decision { capture: c, format } => {
            print(format, &decision::run(&c.capture, c.market(), c.tick()?, c.lot()?)?, decision::table)
        }
        Command::L2 { capture: c, repeats, event_sink, venue_clock, format } => {
            let clock = match venue_clock {
                VenueClockArg::Exchange => pyrt_engine::VenueClock::Exchange,
                VenueClockArg::Receive => pyrt_engine::VenueClock::Receive,
            };
            let sink = event_sink == SinkArg::Count;
            print(format, &l2::run(&c.capture, c.market(), c.tick()?, c.lot()?, repeats, clock, sink)?, l2::table)
        }
        Command::Book { capture, market, tick_size, repeats, format } => {
            let tick = match tick_size.as_str() {
                "none" => None,
                t => Some(t.parse().map_err(|e| anyhow::anyhow!("--tick-size {t}: {e}"))?),
            };
            print(format, &book::run(&capture, market.map(MarketArg::market), tick, repeats)?, book::table)
        }
        Command::VenueLoad { endpoint, clients, seconds, format } => {
            print(format, &venue_load::run(endpoint, clients, seconds)?, venue_load::table)
        }
        Command::Risk { checks, format } => print(format, &risk::run(checks)?, risk::table),
        Command::Ml { model, rows, format } => print(format, &ml::run(&model, rows)?, ml::table),
        Command::Indicators { input, bars, repeats, spec, format } => {
            print(format, &indicators::run(input.as_deref(), bars, repeats, &spec)?, indicators::table)
        }
        Command::Features { bars, repeats, spec, format } => {
            print(format, &features::run(bars, repeats, &spec)?, features::table)
        }
        Command::Engine { bars, stream_bars, repeats, event_sink, format } => {
            print(format, &engine::run(bars, stream_bars, repeats, event_sink == SinkArg::Count)?, engine::table)
        }
    }
}
