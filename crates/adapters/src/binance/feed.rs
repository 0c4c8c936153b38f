//! Live market data from Binance's WebSocket streams, as kernel events.
//!
//! [`run`] keeps one combined-stream connection (`<symbol>@depth@100ms`,
//! `@trade`, `@bookTicker` for each symbol) and turns every frame into
//! [`MarketEvent`]s with `pyrt_binance::events::EventBuilder` — the same
//! conversion capture replays use, so live and backtest see the same
//! events. Around it:
//!
//! * **Book sync.** After (re)connecting, the first diff of each symbol is
//!   buffered and a REST snapshot fetched; a snapshot older than the buffer
//!   is fetched again. A gap in update ids discards the book
//!   ([`FeedEvent::Gap`]) and fetches a new snapshot; no event describes a
//!   book that is wrong.
//! * **Reconnects.** A dropped connection, a `serverShutdown` event or the
//!   24-hour connection limit (reconnected a little before) ends the
//!   session; the next starts after a jittered exponential backoff, and
//!   every book re-syncs from a new snapshot.
//! * **Bad frames** are reported ([`FeedEvent::BadMessage`]) and skipped.
//!   Pings are answered by the WebSocket layer.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt;
use pyrt_binance::events::{EventBuilder, event_time};
use pyrt_binance::{Market, StreamMessage, parse};
use pyrt_book::SyncError;
use pyrt_model::time::wall_clock;
use pyrt_model::{InstrumentId, MarketEvent};
use tokio::sync::{mpsc, watch};
use tokio_tungstenite::tungstenite::Message;

use super::rest::BinanceRest;
use crate::backoff::{exponential, jittered};

/// What to subscribe to and how to recover.
#[derive(Debug, Clone)]
pub struct FeedConfig {
    /// e.g. `ws://127.0.0.1:8765` (local venue) or `wss://stream.binance.com:9443`.
    pub ws_base: String,
    pub market: Market,
    /// Symbols (as Binance spells them) and the instrument ids to emit.
    pub symbols: Vec<(String, InstrumentId)>,
    /// Levels per side in REST snapshots.
    pub snapshot_limit: u32,
    pub backoff: Duration,
    pub max_backoff: Duration,
    /// Reconnect before the server's 24-hour limit cuts the connection.
    pub max_connection_age: Duration,
    /// Used for `wss://` URLs.
    pub tls: Arc<rustls::ClientConfig>,
}

impl FeedConfig {
    pub fn new(ws_base: impl Into<String>, market: Market, symbols: Vec<(String, InstrumentId)>) -> Self {
        Self {
            ws_base: ws_base.into().trim_end_matches('/').to_string(),
            market,
            symbols,
            snapshot_limit: 1000,
            backoff: Duration::from_millis(250),
            max_backoff: Duration::from_secs(30),
            max_connection_age: Duration::from_secs(24 * 3600 - 600),
            tls: crate::tls::default_client_config(),
        }
    }

    fn url(&self) -> String {
        let streams: Vec<String> = self
            .symbols
            .iter()
            .flat_map(|(s, _)| {
                let s = s.to_lowercase();
                [format!("{s}@depth@100ms"), format!("{s}@trade"), format!("{s}@bookTicker")]
            })
            .collect();
        format!("{}/stream?streams={}", self.ws_base, streams.join("/"))
    }
}

/// What the feed tells its consumer.
#[derive(Debug, Clone, PartialEq)]
pub enum FeedEvent {
    Market(MarketEvent),
    Connected,
    /// A symbol's book was (re)built from a snapshot at this update id.
    Synced {
        symbol: String,
        update_id: u64,
    },
    /// Updates were lost; the book was discarded and a snapshot is on its way.
    Gap {
        symbol: String,
        error: String,
    },
    /// A frame that could not be read; skipped.
    BadMessage {
        error: String,
    },
    /// The connection ended; the next attempt is in `retry_in`.
    Disconnected {
        reason: String,
        retry_in: Duration,
    },
}

/// Runs the feed until `stop` turns true or the receiver goes away.
pub async fn run(
    cfg: FeedConfig,
    rest: Arc<BinanceRest>,
    tx: mpsc::Sender<FeedEvent>,
    mut stop: watch::Receiver<bool>,
) {
    let mut failures = 0u32;
    while !*stop.borrow() {
        let reason = match crate::tls::connect_websocket(&cfg.url(), &cfg.tls).await {
            Ok(ws) => {
                failures = 0;
                if tx.send(FeedEvent::Connected).await.is_err() {
                    return;
                }
                match session(&cfg, &rest, ws, &tx, &mut stop).await {
                    Ok(()) => return,
                    Err(reason) => reason,
                }
            }
            Err(e) => format!("cannot connect to {}: {e}", cfg.ws_base),
        };
        let retry_in = jittered(exponential(cfg.backoff, cfg.max_backoff, failures));
        failures += 1;
        if tx.send(FeedEvent::Disconnected { reason, retry_in }).await.is_err() {
            return;
        }
        tokio::select! {
            _ = tokio::time::sleep(retry_in) => {}
            _ = stop.changed() => {}
        }
    }
}

type Socket = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// One connection's life. `Ok` when asked to stop; `Err(reason)` when the
/// connection ended and should be made again.
async fn session(
    cfg: &FeedConfig,
    rest: &BinanceRest,
    mut ws: Socket,
    tx: &mpsc::Sender<FeedEvent>,
    stop: &mut watch::Receiver<bool>,
) -> Result<(), String> {
    let mut builders: Vec<EventBuilder> =
        cfg.symbols.iter().map(|(_, id)| EventBuilder::new(cfg.market, *id)).collect();
    let mut out = VecDeque::new();
    let age_limit = tokio::time::sleep(cfg.max_connection_age);
    tokio::pin!(age_limit);
    loop {
        let frame = tokio::select! {
            _ = stop.changed() => return Ok(()),
            _ = &mut age_limit => return Err("connection reached its age limit; reconnecting".into()),
            frame = ws.next() => frame,
        };
        let text = match frame {
            None => return Err("connection closed by the server".into()),
            Some(Err(e)) => return Err(format!("connection failed: {e}")),
            Some(Ok(Message::Text(text))) => text,
            Some(Ok(Message::Close(frame))) => return Err(format!("server closed the connection: {frame:?}")),
            Some(Ok(_)) => continue,
        };
        let ts_recv = wall_clock();
        let msg = match parse(&text) {
            Ok(msg) => msg,
            Err(e) => {
                send(tx, FeedEvent::BadMessage { error: e.to_string() }).await?;
                continue;
            }
        };
        let symbol = match &msg {
            StreamMessage::ServerShutdown => return Err("server announced a shutdown; reconnecting".into()),
            StreamMessage::Depth(d) => &d.symbol,
            StreamMessage::Trade { symbol, .. } | StreamMessage::BookTicker { symbol, .. } => symbol,
            _ => continue,
        };
        let Some(i) = cfg.symbols.iter().position(|(s, _)| s.eq_ignore_ascii_case(symbol)) else { continue };
        let ts_event = event_time(&msg).unwrap_or(ts_recv);
        if let Err(e) = builders[i].on_message(&msg, ts_event, ts_recv, &mut out) {
            send(tx, FeedEvent::Gap { symbol: cfg.symbols[i].0.clone(), error: e.to_string() }).await?;
        }
        if matches!(msg, StreamMessage::Depth(_)) && !builders[i].book().is_live() {
            // The diff is buffered: join the stream with a snapshot.
            sync(cfg, rest, i, &mut builders[i], &mut out).await?;
            let update_id = builders[i].book().update_id().unwrap_or(0);
            send(tx, FeedEvent::Synced { symbol: cfg.symbols[i].0.clone(), update_id }).await?;
        }
        while let Some(event) = out.pop_front() {
            send(tx, FeedEvent::Market(event)).await?;
        }
    }
}

/// Fetches snapshots until one joins the buffered diffs.
async fn sync(
    cfg: &FeedConfig,
    rest: &BinanceRest,
    i: usize,
    builder: &mut EventBuilder,
    out: &mut VecDeque<MarketEvent>,
) -> Result<(), String> {
    let symbol = &cfg.symbols[i].0;
    for attempt in 0..10 {
        let snapshot =
            rest.depth(symbol, cfg.snapshot_limit).await.map_err(|e| format!("snapshot of {symbol}: {e}"))?;
        let now = wall_clock();
        match builder.on_message(&StreamMessage::Snapshot(snapshot), now, now, out) {
            Ok(()) => return Ok(()),
            Err(SyncError::SnapshotTooOld { .. }) => {
                tokio::time::sleep(Duration::from_millis(50 << attempt.min(5))).await;
            }
            Err(e) => return Err(format!("snapshot of {symbol}: {e}")),
        }
    }
    Err(format!("no snapshot of {symbol} joined the diff stream after 10 tries"))
}

async fn send(tx: &mpsc::Sender<FeedEvent>, event: FeedEvent) -> Result<(), String> {
    tx.send(event).await.map_err(|_| "the consumer went away".to_string())
}
