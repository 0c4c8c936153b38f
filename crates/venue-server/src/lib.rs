//! A local exchange on loopback that speaks Binance Spot's REST API.
//!
//! Paper trading and the adapter's tests need a venue that behaves like
//! Binance without the internet: the same endpoints, parameter rules,
//! signatures, response shapes and error codes, so that unmodified clients
//! (python-binance, ccxt, our own adapter) trade against it.
//!
//! * [`exchange`]: symbols and filters, accounts and balances, orders and
//!   their statuses, OCO lists, matched by `pyrt_sim::BookVenue`.
//! * [`rest`]: the `/api/v3` endpoints through one dispatcher, with
//!   [`order_api`] (one order: place, query, cancel, cancel-replace),
//!   [`order_list_api`] (OCO lists), [`account_history`] (`myTrades`,
//!   `allOrders`, ...) and [`market_data`] (trades, klines, tickers).
//! * [`rate_limits`]: request weights and order counts, as Binance limits them.
//! * [`market_view`]: books (as of each market step), trades and candles
//!   for the market-data endpoints, read without the exchange's lock.
//! * [`params`]: parameters from query and body; signature and
//!   `recvWindow` checks on the raw bytes.
//! * [`market`]: the seeded synthetic order flow the venue trades against.
//! * [`replay`]: or a recorded Binance session, at real or faster speed.
//! * [`streams`]: the WebSocket market streams (diff and partial depth,
//!   trades, book ticker), raw or combined, with `SUBSCRIBE` requests.
//! * [`user_stream`]: the user-data stream (executions, balances) over the
//!   WebSocket API or a listen key.
//! * [`ws_api`]: the WebSocket API's request methods (`order.place`,
//!   `account.status`, ...), answered by the REST handlers.
//! * [`tls`]: optional HTTPS and WSS on the same port, with a given or a
//!   self-signed certificate.
//!
//! [`spawn`] starts it: the HTTP server and a task that steps the market.

pub mod account_history;
pub mod accounts;
pub mod conditional;
pub mod errors;
pub mod exchange;
pub mod klines;
pub mod listen_keys;
pub mod market;
pub mod market_data;
pub mod market_view;
pub mod order_api;
pub mod order_list_api;
pub mod orders;
pub mod params;
pub mod rate_limits;
pub mod replay;
pub mod rest;
pub mod serve;
pub mod streams;
pub mod tape;
pub mod tls;
pub mod user_stream;
pub mod ws_api;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use pyrt_model::{InstrumentId, Money, Price, Quantity, Rate};

use exchange::{AccountSpec, Exchange, SymbolSpec};
use market::SyntheticMarket;
use rest::{App, wall_clock};

/// The local venue's default account has the key and secret of Binance's
/// documentation examples: public, so safe to seed.
pub use pyrt_binance::signing::{DOCS_API_KEY, DOCS_SECRET};

/// How to run the venue.
#[derive(Debug, Clone)]
pub struct VenueConfig {
    pub symbols: Vec<SymbolSpec>,
    /// The synthetic market's starting mid price per symbol.
    pub start_prices: Vec<Price>,
    pub accounts: Vec<AccountSpec>,
    pub maker: Rate,
    pub taker: Rate,
    /// Time between synthetic market steps.
    pub step: Duration,
    /// Levels a side in the synthetic book.
    pub depth: usize,
    pub seed: u64,
    /// Replay a recording for the first symbol instead of the synthetic market.
    pub replay: Option<ReplayConfig>,
    /// Serve HTTPS and WSS instead of HTTP and WS.
    pub tls: Option<Arc<rustls::ServerConfig>>,
    /// How long a listen key lives without a keepalive (Binance: 60 minutes).
    pub listen_key_ttl: Duration,
    /// Connection limits and timeouts of the server.
    pub limits: serve::ConnectionLimits,
    /// Account events buffered for user-data subscribers; one that falls
    /// further behind is disconnected with the reason (`user_stream`).
    pub user_stream_buffer: usize,
    /// Request weight and order limits (Binance's by default).
    pub rate_limits: rate_limits::RateLimits,
    /// Finished orders that never traded kept for queries; older ones are
    /// archived ([`Exchange::keep_unfilled_orders`]).
    pub keep_unfilled_orders: usize,
}

/// A recorded Binance session as the venue's market.
#[derive(Debug, Clone)]
pub struct ReplayConfig {
    pub path: std::path::PathBuf,
    pub market: pyrt_binance::Market,
    /// 1.0 is real time, 10.0 ten times faster; 0 as fast as possible.
    pub speed: f64,
}

impl Default for VenueConfig {
    /// BTCUSDT with Binance's filters, one account (the docs' example key)
    /// holding 10 BTC and 100 000 USDT, 0.1 % commission, a new book every
    /// 100 ms.
    fn default() -> Self {
        let p = |s: &str| s.parse::<Price>().expect("a valid constant");
        let q = |s: &str| s.parse::<Quantity>().expect("a valid constant");
        Self {
            symbols: vec![SymbolSpec {
                symbol: "BTCUSDT".into(),
                base: "BTC".into(),
                quote: "USDT".into(),
                tick: p("0.01"),
                min_price: p("0.01"),
                max_price: p("1000000"),
                lot: q("0.00001"),
                min_qty: q("0.00001"),
                max_qty: q("9000"),
                min_notional: Money::from_int(5),
            }],
            start_prices: vec![p("60000")],
            accounts: vec![AccountSpec {
                api_key: DOCS_API_KEY.into(),
                secret: DOCS_SECRET.into(),
                balances: vec![("BTC".into(), Money::from_int(10)), ("USDT".into(), Money::from_int(100_000))],
            }],
            maker: Rate::from_bps(10),
            taker: Rate::from_bps(10),
            step: Duration::from_millis(100),
            depth: 20,
            seed: 1,
            replay: None,
            tls: None,
            listen_key_ttl: Duration::from_millis(listen_keys::DEFAULT_TTL_MS as u64),
            limits: serve::ConnectionLimits::default(),
            user_stream_buffer: 65_536,
            rate_limits: rate_limits::RateLimits::default(),
            keep_unfilled_orders: exchange::KEEP_UNFILLED_ORDERS,
        }
    }
}

/// A running venue.
pub struct RunningVenue {
    pub address: std::net::SocketAddr,
    pub app: Arc<App>,
}

/// Binds `address` (port 0 for any free port), takes a first market step
/// so the book is not empty, and serves until `shutdown` resolves.
pub async fn spawn(
    config: VenueConfig,
    address: std::net::SocketAddr,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<(RunningVenue, tokio::task::JoinHandle<std::io::Result<()>>)> {
    let mut exchange = Exchange::new(config.symbols.clone(), config.accounts.clone(), config.maker, config.taker);
    exchange.keep_unfilled_orders(config.keep_unfilled_orders);
    let (frames, _) = tokio::sync::broadcast::channel(1024);
    let (user, _) = tokio::sync::broadcast::channel(config.user_stream_buffer.max(1));
    let listen_keys = Mutex::new(listen_keys::ListenKeys::new(config.listen_key_ttl.as_millis() as i64));
    let limiter = Mutex::new(rate_limits::Limiter::new(config.rate_limits));
    let market = market_view::MarketView::new(&exchange);
    let app =
        Arc::new(App { exchange: Mutex::new(exchange), frames, user, clock: wall_clock, listen_keys, limiter, market });
    match &config.replay {
        None => spawn_synthetic(&config, app.clone()),
        Some(replay) => {
            // Open it here so a missing or unreadable file is an error now, not in a thread.
            let events = pyrt_binance::events::CaptureEvents::open(
                &replay.path,
                replay.market,
                InstrumentId(0),
                pyrt_binance::events::ClockSkew::Auto,
            )
            .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e.to_string()))?;
            let mut player = replay::Replay::new(events, replay.speed);
            player.prime(&app).map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e))?;
            let app = app.clone();
            std::thread::spawn(move || player.run(&app));
        }
    }
    let listener = tokio::net::TcpListener::bind(address).await?;
    let address = listener.local_addr()?;
    let router = rest::router(app.clone());
    let server = tokio::spawn(serve::serve(listener, config.tls.clone(), router, config.limits, shutdown));
    Ok((RunningVenue { address, app }, server))
}

fn spawn_synthetic(config: &VenueConfig, app: Arc<App>) {
    let mut markets: Vec<SyntheticMarket> = config
        .symbols
        .iter()
        .zip(&config.start_prices)
        .enumerate()
        .map(|(i, (s, &start))| {
            SyntheticMarket::new(InstrumentId(i as u32), start, s.tick, s.lot, config.depth, config.seed + i as u64)
        })
        .collect();
    step_markets(&app, &mut markets);
    let every = config.step;
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(every);
        loop {
            tick.tick().await;
            step_markets(&app, &mut markets);
        }
    });
}

/// One step of every symbol's market: into the exchange, then out to the
/// stream subscribers.
fn step_markets(app: &App, markets: &mut [SyntheticMarket]) {
    let now = (app.clock)();
    let mut ex = app.exchange.lock().expect("a handler panicked while holding the exchange");
    let frames: Vec<_> = markets
        .iter_mut()
        .enumerate()
        .map(|(i, m)| streams::apply_step(&mut ex, i, &m.step(now), now / 1_000_000))
        .collect();
    app.publish_step(ex, frames);
}
