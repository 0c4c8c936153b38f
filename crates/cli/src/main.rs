//! `pyrt`: the py_rt command line.

mod backtest;
mod bars;
mod divergence;
mod indicators;
mod logging;
mod output;
mod trade;
mod venue;

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context as _, Result, bail};
use clap::{Parser, Subcommand, ValueEnum};
use pyrt_settings::{Feed, RunConfig};

#[derive(Parser)]
#[command(name = "pyrt", version, about = "py_rt: backtest, paper and live trading on one engine")]
struct Cli {
    #[command(subcommand)]
    command: Command,
    /// Diagnostics on stderr: text for people, json (one object a line) for machines; levels by RUST_LOG.
    #[arg(long, value_enum, global = true, default_value_t = LogFormat::Text)]
    log_format: LogFormat,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum LogFormat {
    Text,
    Json,
}

#[derive(Subcommand)]
enum Command {
    /// Run a backtest. With no arguments: sma_cross on seeded synthetic bars.
    Backtest(Box<BacktestArgs>),
    /// List the built-in strategies and their parameters.
    Strategies {
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
    /// Replay a recorded paper or live session (`--record`) and backtest it: does the kernel decide the same, and how far is the backtest from what happened? Exits 2 when the replay decides differently.
    Divergence {
        /// A recording made with `pyrt paper --record FILE` or `pyrt live --record FILE`.
        recording: PathBuf,
        /// The simulated venue's fees (e.g. bps:10); default: the rate the recorded fills paid.
        #[arg(long)]
        fees: Option<String>,
        /// The backtest's order round trip in ms, split evenly between the way to the venue and the answer; default: the median the recording measured (0: none).
        #[arg(long, value_parser = divergence::round_trip_ms)]
        round_trip_ms: Option<i64>,
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
    /// Compute features over a bar file (CSV or Parquet) to CSV or Parquet.
    Indicators {
        /// An OHLCV file: CSV (optionally .gz) or .parquet.
        #[arg(long)]
        data: PathBuf,
        /// Comma-separated features, e.g. "sma:20,rsi:14,macd:12:26:9,bbands:20:2,rsi:14@lag3".
        #[arg(long)]
        spec: String,
        /// Output file (.csv or .parquet); standard output when omitted.
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Build bars from a trade file: time (1m, 5s, 250ms...), tick:N, volume:QTY or dollar:AMOUNT.
    Bars {
        /// A trade file: CSV (optionally .gz) or .parquet.
        #[arg(long)]
        trades: PathBuf,
        /// When a bar closes, e.g. "1m", "tick:100", "volume:10", "dollar:1000000".
        #[arg(long)]
        rule: String,
        /// Output file (.csv or .parquet); standard output when omitted.
        #[arg(long)]
        out: Option<PathBuf>,
        /// Also write the last count-based bar when it has not reached its threshold.
        #[arg(long)]
        keep_partial: bool,
    },
    /// Trade a strategy on live market data against a Binance-compatible venue (default: the local `pyrt venue`).
    Paper {
        /// The venue's REST base URL.
        #[arg(long, default_value = "http://127.0.0.1:8765")]
        venue: String,
        /// The venue's WebSocket base URL (default: the REST URL with ws://).
        #[arg(long)]
        ws: Option<String>,
        #[command(flatten)]
        trade: trade::TradeArgs,
    },
    /// Trade a strategy with real orders on a real venue: keys from BINANCE_API_KEY/BINANCE_API_SECRET, TLS required off loopback.
    Live {
        /// The venue's REST base URL, e.g. https://api.binance.com.
        #[arg(long)]
        venue: String,
        /// The market-stream base URL, e.g. wss://stream.binance.com:9443.
        #[arg(long)]
        ws: String,
        #[command(flatten)]
        trade: trade::TradeArgs,
    },
    /// Run the local Binance-compatible exchange (REST /api/v3) on loopback until Ctrl-C.
    Venue {
        /// Address to listen on; port 0 picks a free port (printed on the first line).
        #[arg(long, default_value = "127.0.0.1:8765")]
        listen: std::net::SocketAddr,
        /// Seed of the synthetic market.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Milliseconds between synthetic market steps.
        #[arg(long, default_value_t = 100)]
        step_ms: u64,
        /// Replay a Binance recording (`<ns> <json>` lines) as the market instead.
        #[arg(long)]
        replay: Option<PathBuf>,
        /// With --replay: spot or futures (how its diffs chain); guessed from the file name.
        #[arg(long, value_enum)]
        market: Option<MarketArg>,
        /// With --replay: 1 is real time, 10 ten times faster, 0 as fast as possible.
        #[arg(long, default_value_t = 1.0)]
        speed: f64,
        /// The symbol's tick size (default: Binance Spot BTCUSDT's 0.01; USD-M BTCUSDT recordings: 0.1).
        #[arg(long)]
        tick_size: Option<String>,
        /// The symbol's lot size (default: Binance Spot BTCUSDT's 0.00001; USD-M: 0.001).
        #[arg(long)]
        lot_size: Option<String>,
        /// Maker and taker commission in basis points.
        #[arg(long, default_value_t = 10)]
        fee_bps: i64,
        /// Serve HTTPS and WSS with this certificate chain (PEM); needs --tls-key.
        #[arg(long, requires = "tls_key", conflicts_with = "tls_self_signed")]
        tls_cert: Option<PathBuf>,
        /// The certificate's private key (PEM).
        #[arg(long, requires = "tls_cert")]
        tls_key: Option<PathBuf>,
        /// Serve HTTPS and WSS with a new self-signed certificate for localhost and 127.0.0.1, written to this folder.
        #[arg(long, value_name = "DIR")]
        tls_self_signed: Option<PathBuf>,
        /// Seconds a listen key lives without a keepalive (Binance: 3600).
        #[arg(long, default_value_t = 3600.0)]
        listen_key_ttl_s: f64,
        /// Open connections at most; one more gets a JSON 503 and is closed.
        #[arg(long, default_value_t = 4096)]
        max_connections: usize,
        /// Open connections at most from one address.
        #[arg(long, default_value_t = 1024)]
        max_connections_per_ip: usize,
        /// Seconds a client has to send a request's headers (and to send the next request on a kept-alive connection).
        #[arg(long, default_value_t = 10.0)]
        header_timeout_s: f64,
        /// Request weight one address may use per minute (Binance: 6000); past it, HTTP 429 with Retry-After, and 418 bans for clients that keep going.
        #[arg(long, default_value_t = 6000)]
        weight_limit: u32,
        /// New orders one account may place per 10 seconds (Binance: 100).
        #[arg(long, default_value_t = 100)]
        order_limit_10s: u32,
        /// New orders one account may place per day (Binance: 200000).
        #[arg(long, default_value_t = 200_000)]
        order_limit_1d: u32,
        /// Lift every rate limit (load tests); usage headers are still sent.
        #[arg(long)]
        no_rate_limits: bool,
        /// Finished orders that never traded (cancelled, expired) kept for queries; older ones are archived as on Binance (queries answer -2013).
        #[arg(long, default_value_t = pyrt_venue_server::exchange::KEEP_UNFILLED_ORDERS)]
        keep_unfilled_orders: usize,
    },
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum MarketArg {
    Spot,
    Futures,
}

impl MarketArg {
    fn market(self) -> pyrt_binance::Market {
        match self {
            MarketArg::Spot => pyrt_binance::Market::Spot,
            MarketArg::Futures => pyrt_binance::Market::Futures,
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Format {
    Json,
    Table,
}

#[derive(clap::Args)]
struct BacktestArgs {
    /// A run.toml; flags given as well override its values.
    #[arg(long)]
    config: Option<PathBuf>,
    /// An OHLCV file: CSV (optionally .gz) or .parquet; repeat for several instruments.
    #[arg(long = "data")]
    data: Vec<PathBuf>,
    /// Symbol of each --data file, in order (default: the file name).
    #[arg(long = "symbol")]
    symbols: Vec<String>,
    /// Tick size of every --data instrument.
    #[arg(long)]
    tick_size: Option<String>,
    /// Lot size of every --data instrument.
    #[arg(long)]
    lot_size: Option<String>,
    /// Column holding the close price (e.g. "Adj Close").
    #[arg(long)]
    close_column: Option<String>,
    /// Built-in strategy (see `pyrt strategies`).
    #[arg(long)]
    strategy: Option<String>,
    /// Strategy parameter NAME=VALUE; repeatable.
    #[arg(long = "param", value_name = "NAME=VALUE")]
    params: Vec<String>,
    /// Starting cash.
    #[arg(long)]
    cash: Option<String>,
    /// cash (no shorting) or margin.
    #[arg(long)]
    account: Option<String>,
    /// Which lots a sale closes: average, fifo or lifo (lots.csv lists them).
    #[arg(long)]
    cost_basis: Option<String>,
    /// When bar-decided market orders fill: next-open or close.
    #[arg(long)]
    fill: Option<String>,
    /// When resting limits fill: touch or through.
    #[arg(long)]
    limit_fill: Option<String>,
    /// none | bps:T | bps:M/T | per-unit:AMOUNT[,min=M][,max_bps=B] | fixed:AMOUNT
    #[arg(long)]
    fees: Option<String>,
    /// none | bps:B | spread-bps:B | sqrt:COEF[,cap=FRACTION]
    #[arg(long)]
    slippage: Option<String>,
    /// Order latency in milliseconds.
    #[arg(long)]
    latency_ms: Option<f64>,
    /// Put order prices on the tick grid the careful way instead of refusing them.
    #[arg(long)]
    round_prices: bool,
    /// Synthetic bars when no data is given.
    #[arg(long)]
    bars: Option<u64>,
    /// Seed of the synthetic data.
    #[arg(long)]
    seed: Option<u64>,
    /// Write summary.json, equity.csv, trades.csv, fills.csv and report.html here.
    #[arg(long)]
    out: Option<PathBuf>,
    /// Annual risk-free rate for Sharpe/Sortino.
    #[arg(long)]
    risk_free: Option<f64>,
    /// Keep only the last N orders/fills/trades in memory (long replays).
    #[arg(long)]
    history_limit: Option<usize>,
    /// Risk limits file (TOML: [order_limits], [position_limits], [margin], [risk_metrics]).
    #[arg(long)]
    risk: Option<PathBuf>,
    /// Fail (exit 1) when any order was rejected; the report is still written.
    #[arg(long)]
    strict: bool,
    #[arg(long, value_enum, default_value_t = Format::Table)]
    format: Format,
}

impl BacktestArgs {
    fn into_config(self) -> Result<RunConfig> {
        let mut c = match &self.config {
            Some(path) => RunConfig::load(path)?,
            None => RunConfig::default(),
        };
        if !self.data.is_empty() {
            if !self.symbols.is_empty() && self.symbols.len() != self.data.len() {
                bail!("give one --symbol per --data file ({} files, {} symbols)", self.data.len(), self.symbols.len());
            }
            c.feeds = self.data.into_iter().map(Feed::from_path).collect();
            for (feed, symbol) in c.feeds.iter_mut().zip(&self.symbols) {
                feed.symbol = Some(symbol.clone());
            }
        } else if !self.symbols.is_empty() {
            if c.feeds.is_empty() {
                c.synthetic.symbols = self.symbols.clone();
            } else {
                for (feed, symbol) in c.feeds.iter_mut().zip(&self.symbols) {
                    feed.symbol = Some(symbol.clone());
                }
            }
        }
        for feed in &mut c.feeds {
            if let Some(t) = &self.tick_size {
                feed.tick_size = t.parse().with_context(|| format!("invalid --tick-size `{t}`"))?;
            }
            if let Some(l) = &self.lot_size {
                feed.lot_size = l.parse().with_context(|| format!("invalid --lot-size `{l}`"))?;
            }
            if let Some(col) = &self.close_column {
                feed.columns.close = Some(col.clone());
            }
        }
        if let Some(s) = self.strategy {
            if s != c.strategy.name {
                c.strategy.params.clear();
            }
            c.strategy.name = s;
        }
        for p in &self.params {
            let (k, v) = p.split_once('=').with_context(|| format!("invalid --param `{p}`: expected NAME=VALUE"))?;
            c.strategy.params.insert(k.trim().to_string(), toml::Value::String(v.trim().to_string()));
        }
        if let Some(cash) = &self.cash {
            c.account.cash = cash.parse().with_context(|| format!("invalid --cash `{cash}`"))?;
        }
        if let Some(kind) = &self.account {
            c.account.kind = enum_flag("--account", kind)?;
        }
        if let Some(basis) = &self.cost_basis {
            c.account.cost_basis = basis.parse().map_err(|e: String| anyhow::anyhow!("invalid --cost-basis: {e}"))?;
        }
        if let Some(fill) = &self.fill {
            c.execution.fill = enum_flag("--fill", fill)?;
        }
        if let Some(rule) = &self.limit_fill {
            c.execution.limit_fill = enum_flag("--limit-fill", rule)?;
        }
        if let Some(f) = &self.fees {
            c.execution.fees = pyrt_sim::parse_fees(f).map_err(|e| anyhow::anyhow!("--fees: {e}"))?;
        }
        if let Some(s) = &self.slippage {
            c.execution.slippage = pyrt_sim::parse_slippage(s).map_err(|e| anyhow::anyhow!("--slippage: {e}"))?;
        }
        if let Some(l) = self.latency_ms {
            c.execution.latency_ms = l;
        }
        if self.round_prices {
            c.execution.round_prices = true;
        }
        if let Some(b) = self.bars {
            c.synthetic.bars = b;
        }
        if let Some(s) = self.seed {
            c.synthetic.seed = s;
        }
        if let Some(out) = self.out {
            c.output.dir = Some(out);
        }
        if let Some(rf) = self.risk_free {
            c.account.risk_free = rf;
        }
        if let Some(n) = self.history_limit {
            c.output.history_limit = Some(n);
        }
        if let Some(r) = self.risk {
            c.risk = Some(r);
        }
        c.strict |= self.strict;
        c.validate()?;
        Ok(c)
    }
}

/// Parses a flag value through the same names the config file uses.
fn enum_flag<T: serde::de::DeserializeOwned>(flag: &str, value: &str) -> Result<T> {
    pyrt_sim::parse_choice(flag, value).map_err(|e| anyhow::anyhow!(e))
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    logging::init(cli.log_format);
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        // A closed pipe (`pyrt indicators ... | head`) is the reader's choice, not an error.
        Err(e)
            if e.chain().any(|c| {
                c.downcast_ref::<std::io::Error>().is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
            }) =>
        {
            ExitCode::SUCCESS
        }
        Err(e) => {
            let causes: Vec<String> = e.chain().skip(1).map(|c| format!("\n  caused by: {c}")).collect();
            tracing::error!("{e}{}", causes.concat());
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> Result<()> {
    match cli.command {
        Command::Backtest(args) => {
            let format = args.format;
            let config = (*args).into_config()?;
            let report = backtest::run(&config, format == Format::Table)?;
            if let Some(dir) = &config.output.dir {
                let files =
                    report.write(dir).with_context(|| format!("cannot write the report to {}", dir.display()))?;
                if format == Format::Table {
                    for f in files {
                        tracing::info!("wrote {}", f.display());
                    }
                }
            }
            match format {
                Format::Json => println!("{}", serde_json::to_string(&report.summary())?),
                Format::Table => print!("{}", backtest::table(&report)),
            }
            let rejections = &report.rejections;
            if !rejections.is_empty() {
                if config.strict {
                    bail!("{} (strict run: a rejected order is an error)", rejections.describe());
                }
                if format == Format::Table {
                    tracing::warn!("{}; --strict makes this an error", rejections.describe());
                }
            }
        }
        Command::Strategies { format } => match format {
            Format::Json => println!("{}", serde_json::to_string_pretty(pyrt_strategies::catalog())?),
            Format::Table => {
                for s in pyrt_strategies::catalog() {
                    println!("{}\n    {}", s.name, s.summary);
                    for p in s.params {
                        println!(
                            "    --param {}=<{}> (default {}): {}",
                            p.name,
                            if p.integer { "int" } else { "number" },
                            p.default,
                            p.help
                        );
                    }
                    println!();
                }
            }
        },
        Command::Indicators { data, spec, out } => indicators::run(&data, &spec, out.as_deref())?,
        Command::Divergence { recording, fees, round_trip_ms, format } => {
            if !divergence::run(&recording, fees.as_deref(), round_trip_ms, format)? {
                // A replay that decides differently is a determinism bug.
                std::process::exit(2);
            }
        }
        Command::Paper { venue, ws, trade } => {
            let env = |name: &str| std::env::var(name).ok();
            trade::run(trade::paper_options(venue, ws, &trade, env)?, trade.format)?;
        }
        Command::Live { venue, ws, trade } => {
            let env = |name: &str| std::env::var(name).ok();
            trade::run(trade::live_options(venue, ws, &trade, env)?, trade.format)?;
        }
        Command::Venue {
            listen,
            seed,
            step_ms,
            replay,
            market,
            speed,
            tick_size,
            lot_size,
            fee_bps,
            tls_cert,
            tls_key,
            tls_self_signed,
            listen_key_ttl_s,
            max_connections,
            max_connections_per_ip,
            header_timeout_s,
            weight_limit,
            order_limit_10s,
            order_limit_1d,
            no_rate_limits,
            keep_unfilled_orders,
        } => {
            let replay = replay.map(|path| venue::Replay {
                market: market.map_or_else(|| pyrt_binance::Market::guess_from_path(&path), MarketArg::market),
                path,
                speed,
            });
            let tls = match (tls_cert, tls_key, tls_self_signed) {
                (Some(cert), Some(key), _) => Some(venue::Tls::Files { cert, key }),
                (_, _, Some(dir)) => Some(venue::Tls::SelfSigned { dir }),
                _ => None,
            };
            let rate_limits = match no_rate_limits {
                true => pyrt_venue_server::rate_limits::RateLimits::none(),
                false => pyrt_venue_server::rate_limits::RateLimits {
                    weight_per_minute: Some(weight_limit),
                    orders_per_10s: Some(order_limit_10s),
                    orders_per_day: Some(order_limit_1d),
                    ..Default::default()
                },
            };
            let limits = venue::Limits {
                max_connections,
                max_connections_per_ip,
                header_timeout_s,
                rate_limits,
                keep_unfilled_orders,
            };
            let options = venue::Options {
                listen,
                seed,
                step_ms,
                replay,
                tick_size,
                lot_size,
                fee_bps,
                tls,
                listen_key_ttl_s,
                limits,
            };
            venue::run(options)?
        }
        Command::Bars { trades, rule, out, keep_partial } => {
            let s = bars::run(&trades, &rule, out.as_deref(), keep_partial)?;
            tracing::info!("{} trades -> {} bars", s.trades, s.bars);
        }
    }
    Ok(())
}
