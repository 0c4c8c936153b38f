//! The WebSocket market streams: `/ws/<stream>`, `/stream?streams=a/b`,
//! and `SUBSCRIBE`/`UNSUBSCRIBE`/`LIST_SUBSCRIPTIONS` requests on either.
//!
//! After every market step the venue publishes one [`StepFrames`] per
//! symbol on a broadcast channel: the diff of the book against the
//! previous step (`depthUpdate` with `U` = previous `u` + 1, as Binance
//! Spot numbers them, so the official book-sync procedure works against
//! `GET /api/v3/depth`), the trades, the book ticker and the top 20 levels.
//! Each connection forwards what it subscribed to: `<symbol>@trade`,
//! `@aggTrade` (each print its own aggregate), `@depth` and `@depth@100ms`,
//! `@depth5|10|20[@100ms]`, `@bookTicker`, `@kline_<interval>` (see
//! [`crate::klines`]).
//! Combined-stream connections wrap each payload as
//! `{"stream":..,"data":..}`.

use std::collections::BTreeSet;
use std::sync::Arc;

use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::{Path, RawQuery, State};
use axum::response::Response;
use pyrt_book::{L2Book, Level};
use pyrt_model::{BookAction, MarketEvent, Quantity, Side};
use serde_json::{Value, json};
use tokio::sync::broadcast;

use crate::exchange::{Exchange, d8};
use crate::klines::{self, KlineUpdate};
use crate::rest::App;
use crate::tape::TapeTrade;

/// One symbol's frames from one market step.
#[derive(Debug, Clone)]
pub struct StepFrames {
    /// Lowercase symbol, as stream names spell it.
    pub stream_symbol: String,
    pub symbol: String,
    pub now_ms: i64,
    /// Candles that changed or closed, for the kline streams.
    pub klines: Vec<KlineUpdate>,
    /// `None` when the step did not change the book (a trade alone).
    pub depth_update: Option<Value>,
    pub trades: Vec<Value>,
    /// The same trades as aggregate trades (each print is its own aggregate).
    pub agg_trades: Vec<Value>,
    pub book_ticker: Option<Value>,
    /// The top 20 levels each side, for the partial-depth streams.
    pub top: (Vec<Level>, Vec<Level>),
    pub update_id: u64,
}

fn levels_json(levels: &[Level]) -> Value {
    Value::Array(levels.iter().map(|l| json!([d8(l.price), d8(l.qty)])).collect())
}

/// Levels whose size differs between two books (size 0: removed), best first.
fn diff_side(before: &L2Book, after: &L2Book, side: Side) -> Vec<Level> {
    let mut out: Vec<Level> = after.side(side).levels().filter(|l| before.qty_at(side, l.price) != l.qty).collect();
    out.extend(
        before
            .side(side)
            .levels()
            .filter(|l| after.qty_at(side, l.price).is_zero())
            .map(|l| Level { price: l.price, qty: Quantity::ZERO }),
    );
    out
}

/// The levels a step's deltas set, per side, each price once (its last
/// size), in the order they first appear.
fn delta_levels(events: &[MarketEvent], side: Side) -> Vec<Level> {
    let mut out: Vec<Level> = Vec::new();
    for e in events {
        let MarketEvent::BookDelta(d) = e else { continue };
        if d.side != side {
            continue;
        }
        let qty = if d.action == BookAction::Delete { Quantity::ZERO } else { d.size };
        match out.iter_mut().find(|l| l.price == d.price) {
            Some(l) => l.qty = qty,
            None => out.push(Level { price: d.price, qty }),
        }
    }
    out
}

/// Applies one symbol's market step to the exchange and returns the stream
/// frames it produces. A step that rebuilds the book (a clear) is diffed
/// against the book before it; otherwise its deltas are the changes, and
/// no copy of the book is made.
pub fn apply_step(ex: &mut Exchange, symbol: usize, events: &[MarketEvent], now_ms: i64) -> StepFrames {
    let rebuilds = events.iter().any(|e| matches!(e, MarketEvent::BookDelta(d) if d.action == BookAction::Clear));
    let before = rebuilds.then(|| ex.book(symbol).clone());
    for event in events {
        ex.on_market(event);
    }
    let name = ex.specs()[symbol].symbol.clone();
    // The step's prints and the fills they caused, and any fill since the
    // last step (an order that took the book), each with its trade id.
    let (trades, klines) = ex.tape(symbol).publish(now_ms);
    let mut frames = frames(&name, before.as_ref(), ex.book(symbol), events, &trades, ex.update_id(symbol), now_ms);
    frames.klines = klines;
    frames
}

/// The frames for a step that left the book as `after` (from `before`, when
/// the step rebuilt it).
fn frames(
    symbol: &str,
    before: Option<&L2Book>,
    after: &L2Book,
    events: &[MarketEvent],
    prints: &[TapeTrade],
    update_id: u64,
    now_ms: i64,
) -> StepFrames {
    let book_changed = events.iter().any(|e| matches!(e, MarketEvent::BookDelta(_)));
    let changes = |side| match before {
        Some(before) => diff_side(before, after, side),
        None => delta_levels(events, side),
    };
    let depth_update = book_changed.then(|| {
        json!({
            "e": "depthUpdate", "E": now_ms, "s": symbol, "U": update_id, "u": update_id,
            "b": levels_json(&changes(Side::Buy)),
            "a": levels_json(&changes(Side::Sell)),
        })
    });
    let mut trades = Vec::new();
    let mut agg_trades = Vec::new();
    for t in prints {
        let (id, price, qty, time, maker) = (t.id, d8(t.price), d8(t.qty), t.time_ms, t.buyer_maker);
        trades.push(json!({
            "e": "trade", "E": now_ms, "s": symbol, "t": id, "p": price, "q": qty, "T": time, "m": maker, "M": true,
        }));
        agg_trades.push(json!({
            "e": "aggTrade", "E": now_ms, "s": symbol, "a": id, "p": price, "q": qty, "f": id, "l": id,
            "T": time, "m": maker, "M": true,
        }));
    }
    let top = |s: Side| after.top(s, 20).collect::<Vec<_>>();
    let (bid, ask) = (after.best_bid(), after.best_ask());
    let book_ticker = book_changed.then(|| {
        json!({
            "u": update_id, "s": symbol,
            "b": d8(bid.map_or(pyrt_model::Price::ZERO, |l| l.price)), "B": d8(bid.map_or(Quantity::ZERO, |l| l.qty)),
            "a": d8(ask.map_or(pyrt_model::Price::ZERO, |l| l.price)), "A": d8(ask.map_or(Quantity::ZERO, |l| l.qty)),
        })
    });
    StepFrames {
        stream_symbol: symbol.to_lowercase(),
        symbol: symbol.to_string(),
        now_ms,
        klines: Vec::new(),
        depth_update,
        trades,
        agg_trades,
        book_ticker,
        top: (top(Side::Buy), top(Side::Sell)),
        update_id,
    }
}

/// What a stream name asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Kind {
    Trade,
    AggTrade,
    Diff,
    Partial(usize),
    BookTicker,
    /// An index in `klines::INTERVALS`.
    Kline(usize),
}

impl Kind {
    fn rank(&self) -> u8 {
        match self {
            Kind::Diff | Kind::Partial(_) => 0,
            Kind::BookTicker => 1,
            Kind::Trade | Kind::AggTrade => 2,
            Kind::Kline(_) => 3,
        }
    }
}

fn parse_stream(name: &str) -> Option<(String, Kind)> {
    let (symbol, rest) = name.split_once('@')?;
    let rest = rest.strip_suffix("@100ms").or_else(|| rest.strip_suffix("@1000ms")).unwrap_or(rest);
    let kind = match rest {
        "trade" => Kind::Trade,
        "aggTrade" => Kind::AggTrade,
        "depth" => Kind::Diff,
        "bookTicker" => Kind::BookTicker,
        "depth5" => Kind::Partial(5),
        "depth10" => Kind::Partial(10),
        "depth20" => Kind::Partial(20),
        other => Kind::Kline(klines::interval_index(other.strip_prefix("kline_")?)?),
    };
    Some((symbol.to_lowercase(), kind))
}

/// A connection's subscriptions, parsed and in delivery order: book first,
/// then the ticker naming its update id, then trades (the order Binance's
/// own streams deliver one update in). Rebuilt only when they change.
fn delivery_order(streams: &BTreeSet<String>) -> Vec<(String, String, Kind)> {
    let mut out: Vec<_> = streams
        .iter()
        .filter_map(|name| parse_stream(name).map(|(symbol, kind)| (name.clone(), symbol, kind)))
        .collect();
    out.sort_by_key(|(_, _, kind)| kind.rank());
    out
}

/// The payloads one step produces for one subscription.
fn payloads(step: &StepFrames, symbol: &str, kind: &Kind) -> Vec<Value> {
    if symbol != step.stream_symbol {
        return Vec::new();
    }
    match *kind {
        Kind::Trade => step.trades.clone(),
        Kind::AggTrade => step.agg_trades.clone(),
        Kind::Diff => step.depth_update.iter().cloned().collect(),
        Kind::BookTicker => step.book_ticker.iter().cloned().collect(),
        Kind::Kline(i) => {
            step.klines.iter().filter(|k| k.interval == i).map(|k| k.payload(&step.symbol, step.now_ms)).collect()
        }
        Kind::Partial(_) if step.depth_update.is_none() => Vec::new(),
        Kind::Partial(n) => {
            let take = |l: &[Level]| levels_json(&l[..n.min(l.len())]);
            vec![json!({ "lastUpdateId": step.update_id, "bids": take(&step.top.0), "asks": take(&step.top.1) })]
        }
    }
}

pub async fn raw_stream(ws: WebSocketUpgrade, State(app): State<Arc<App>>, Path(path): Path<String>) -> Response {
    // A live listen key opens the account's user-data stream instead.
    let account = {
        let keys = app.listen_keys.lock().expect("a handler panicked while holding the listen keys");
        keys.account(&path, (app.clock)() / 1_000_000).map(str::to_string)
    };
    if let Some(api_key) = account {
        let rx = app.user.subscribe();
        return ws.on_upgrade(move |socket| crate::user_stream::serve_listen_key(socket, app, path, api_key, rx));
    }
    let streams = path.split('/').filter(|s| !s.is_empty()).map(str::to_string).collect();
    let rx = app.frames.subscribe();
    ws.on_upgrade(move |socket| serve(socket, streams, false, rx))
}

pub async fn bare_ws(ws: WebSocketUpgrade, State(app): State<Arc<App>>) -> Response {
    let rx = app.frames.subscribe();
    ws.on_upgrade(move |socket| serve(socket, BTreeSet::new(), false, rx))
}

pub async fn combined_stream(ws: WebSocketUpgrade, State(app): State<Arc<App>>, RawQuery(query): RawQuery) -> Response {
    let streams = query
        .as_deref()
        .and_then(|q| form_urlencoded::parse(q.as_bytes()).find(|(k, _)| k == "streams").map(|(_, v)| v.into_owned()))
        .map(|v| v.split('/').filter(|s| !s.is_empty()).map(str::to_string).collect())
        .unwrap_or_default();
    let rx = app.frames.subscribe();
    ws.on_upgrade(move |socket| serve(socket, streams, true, rx))
}

async fn serve(
    mut socket: WebSocket,
    mut streams: BTreeSet<String>,
    combined: bool,
    mut rx: broadcast::Receiver<Arc<Vec<StepFrames>>>,
) {
    let mut ordered = delivery_order(&streams);
    loop {
        tokio::select! {
            // The client first: a close or a request must not wait behind a busy market.
            biased;
            msg = socket.recv() => {
                let text = match msg {
                    Some(Ok(Message::Text(text))) => text,
                    // Answer a close so the client need not wait for its timeout.
                    Some(Ok(Message::Close(_))) => {
                        finish_close(&mut socket).await;
                        break;
                    }
                    Some(Err(_)) | None => break,
                    Some(Ok(_)) => continue,
                };
                let reply = request(&text, &mut streams);
                ordered = delivery_order(&streams);
                if socket.send(Message::Text(reply.to_string().into())).await.is_err() {
                    break;
                }
            }
            step = rx.recv() => {
                let step = match step {
                    Ok(step) => step,
                    // A slow reader skips steps; diff-depth readers see the gap in `U` and re-sync.
                    Err(broadcast::error::RecvError::Lagged(_)) => continue,
                    Err(broadcast::error::RecvError::Closed) => break,
                };
                for frames in step.iter() {
                    for (name, symbol, kind) in &ordered {
                        for payload in payloads(frames, symbol, kind) {
                            let text = if combined { json!({ "stream": name, "data": payload }) } else { payload };
                            if socket.send(Message::Text(text.to_string().into())).await.is_err() {
                                return;
                            }
                        }
                    }
                }
            }
        }
    }
}

/// A `SUBSCRIBE`/`UNSUBSCRIBE`/`LIST_SUBSCRIPTIONS` request and its reply.
fn request(text: &str, streams: &mut BTreeSet<String>) -> Value {
    let error = |id: Value, msg: &str| json!({ "error": { "code": 2, "msg": msg }, "id": id });
    let Ok(req) = serde_json::from_str::<Value>(text) else {
        return error(Value::Null, "Invalid JSON: expected a request object");
    };
    let id = req.get("id").cloned().unwrap_or(Value::Null);
    let names: Vec<String> = req
        .get("params")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(|v| v.as_str().map(str::to_string)).collect())
        .unwrap_or_default();
    match req.get("method").and_then(Value::as_str) {
        Some("SUBSCRIBE") => {
            if let Some(bad) = names.iter().find(|n| parse_stream(n).is_none()) {
                return error(id, &format!("Invalid request: unknown stream `{bad}`"));
            }
            streams.extend(names);
            json!({ "result": null, "id": id })
        }
        Some("UNSUBSCRIBE") => {
            for n in &names {
                streams.remove(n);
            }
            json!({ "result": null, "id": id })
        }
        Some("LIST_SUBSCRIPTIONS") => json!({ "result": streams.iter().collect::<Vec<_>>(), "id": id }),
        _ => error(id, "Invalid request: unknown method"),
    }
}

/// Completes a close the client started: reading on lets the WebSocket
/// layer send its queued close reply, so the client need not wait for its
/// own timeout.
pub(crate) async fn finish_close(socket: &mut WebSocket) {
    let _ = socket.send(Message::Close(None)).await;
    let drain = async { while let Some(Ok(_)) = socket.recv().await {} };
    let _ = tokio::time::timeout(std::time::Duration::from_secs(1), drain).await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stream_names_and_requests() {
        assert_eq!(parse_stream("btcusdt@depth@100ms"), Some(("btcusdt".into(), Kind::Diff)));
        assert_eq!(parse_stream("BTCUSDT@depth10"), Some(("btcusdt".into(), Kind::Partial(10))));
        assert_eq!(parse_stream("btcusdt@aggTrade"), Some(("btcusdt".into(), Kind::AggTrade)));
        assert_eq!(parse_stream("btcusdt@kline_7x"), None);
        assert_eq!(parse_stream("btcusdt@kline_1m"), Some(("btcusdt".into(), Kind::Kline(1))));
        assert_eq!(parse_stream("btcusdt@kline_1w"), Some(("btcusdt".into(), Kind::Kline(14))));
        assert_eq!(parse_stream("btcusdt@kline_1M"), Some(("btcusdt".into(), Kind::Kline(15))));
        assert_eq!(parse_stream("btcusdt@kline_2w"), None);
        let mut s = BTreeSet::new();
        let r = request(r#"{"method":"SUBSCRIBE","params":["btcusdt@trade"],"id":1}"#, &mut s);
        assert_eq!(r, json!({"result": null, "id": 1}));
        let r = request(r#"{"method":"LIST_SUBSCRIPTIONS","id":3}"#, &mut s);
        assert_eq!(r, json!({"result": ["btcusdt@trade"], "id": 3}));
        let r = request(r#"{"method":"SUBSCRIBE","params":["nope"],"id":4}"#, &mut s);
        assert_eq!(r["error"]["code"], 2);
        assert_eq!(request("{", &mut s)["error"]["code"], 2);
        request(r#"{"method":"UNSUBSCRIBE","params":["btcusdt@trade"],"id":5}"#, &mut s);
        assert!(s.is_empty());
    }

    #[test]
    fn delta_levels_keep_each_price_once_with_its_last_size() {
        let d = |side, price: i64, size: i64, action| {
            MarketEvent::BookDelta(pyrt_model::BookDelta {
                instrument: pyrt_model::InstrumentId(0),
                ts_event: 0,
                ts_recv: 0,
                action,
                side,
                price: pyrt_model::Price::from_int(price),
                size: Quantity::from_int(size),
                order_id: 0,
                sequence: 0,
                flags: 0,
            })
        };
        let events = [
            d(Side::Buy, 99, 1, BookAction::Update),
            d(Side::Sell, 101, 2, BookAction::Update),
            d(Side::Buy, 98, 3, BookAction::Update),
            d(Side::Buy, 99, 4, BookAction::Delete),
        ];
        let level = |p: i64, q: i64| Level { price: pyrt_model::Price::from_int(p), qty: Quantity::from_int(q) };
        assert_eq!(delta_levels(&events, Side::Buy), vec![level(99, 0), level(98, 3)]);
        assert_eq!(delta_levels(&events, Side::Sell), vec![level(101, 2)]);
    }

    #[test]
    fn diffs_name_changed_and_removed_levels() {
        let p = |x: i64| pyrt_model::Price::from_int(x);
        let q = |x: i64| Quantity::from_int(x);
        let mut a = L2Book::new();
        a.load(&[(p(99), q(1)), (p(98), q(2))], &[(p(101), q(1))]).unwrap();
        let mut b = L2Book::new();
        b.load(&[(p(99), q(3)), (p(97), q(2))], &[(p(101), q(1))]).unwrap();
        let bids = diff_side(&a, &b, Side::Buy);
        assert_eq!(
            bids,
            vec![
                Level { price: p(99), qty: q(3) },
                Level { price: p(97), qty: q(2) },
                Level { price: p(98), qty: Quantity::ZERO }
            ]
        );
        assert!(diff_side(&a, &b, Side::Sell).is_empty());
    }
}
