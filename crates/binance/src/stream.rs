//! Market-data stream messages, as Binance sends them over WebSocket.
//!
//! [`parse`] takes one text frame — bare (`/ws/<stream>`) or wrapped by a
//! combined stream (`{"stream":..,"data":..}`) — and returns a typed
//! [`StreamMessage`]. Prices and sizes arrive as decimal strings and become
//! exact [`Price`]/[`Quantity`] values; timestamps are milliseconds, as sent.
//!
//! One flat field set is read in a single pass, then the event type decides
//! which fields must be there. A few single-letter keys mean different
//! things in different events (`a` is the best ask in `bookTicker`, the ask
//! levels in `depthUpdate` and the aggregate trade id in `aggTrade`), so
//! those fields accept every shape and the event checks it got the right one.
//!
//! Depth messages, which can carry hundreds of levels, are first offered to
//! a direct byte reader ([`depth_scan`](crate::depth_scan)) that gives the
//! same answer several times faster.

use std::borrow::Cow;

use pyrt_book::UpdateIds;
use pyrt_model::{Price, Quantity};
use serde::Deserialize;
use serde::de::{self, Deserializer, SeqAccess, Visitor};

/// Price levels as `(price, size)`; size 0 removes the level.
pub type Levels = Vec<(Price, Quantity)>;

/// A diff-depth update (`<symbol>@depth`, `@depth@100ms`, futures `@depth@0ms`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DepthUpdate {
    pub symbol: String,
    pub event_time_ms: i64,
    /// Futures only: the matching engine's transaction time.
    pub transaction_time_ms: Option<i64>,
    pub ids: UpdateIds,
    pub bids: Levels,
    pub asks: Levels,
}

/// A full top-N book: the REST `/api/v3/depth` snapshot and the partial
/// depth streams (`@depth5|10|20`), which share this shape.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DepthSnapshot {
    pub last_update_id: u64,
    pub bids: Levels,
    pub asks: Levels,
}

/// Best bid and ask (`<symbol>@bookTicker`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BookTicker {
    pub update_id: u64,
    pub bid: Price,
    pub bid_qty: Quantity,
    pub ask: Price,
    pub ask_qty: Quantity,
    /// Futures only (spot book tickers carry no time).
    pub event_time_ms: Option<i64>,
}

/// One trade (`@trade`) or aggregate trade (`@aggTrade`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TradeMsg {
    /// The trade id, or the aggregate trade id for `aggTrade`.
    pub id: u64,
    pub event_time_ms: i64,
    pub trade_time_ms: i64,
    pub price: Price,
    pub qty: Quantity,
    /// The buyer was the resting (maker) side, so the aggressor sold.
    pub buyer_is_maker: bool,
    pub aggregate: bool,
}

/// A candle (`<symbol>@kline_<interval>`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Kline {
    pub interval: String,
    pub open_time_ms: i64,
    pub close_time_ms: i64,
    pub open: Price,
    pub high: Price,
    pub low: Price,
    pub close: Price,
    pub volume: Quantity,
    /// The candle is final; until then it updates in place.
    pub closed: bool,
}

/// One parsed frame.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StreamMessage {
    Depth(DepthUpdate),
    Snapshot(DepthSnapshot),
    BookTicker {
        symbol: String,
        ticker: BookTicker,
    },
    Trade {
        symbol: String,
        trade: TradeMsg,
    },
    Kline {
        symbol: String,
        kline: Kline,
    },
    /// The reply to a `SUBSCRIBE`/`UNSUBSCRIBE`/`LIST_SUBSCRIPTIONS` request.
    Response {
        id: u64,
        error: Option<(i64, String)>,
    },
    /// The server will close the connection soon: reconnect.
    ServerShutdown,
    /// A known event this system does not use (tickers, average price).
    Ignored {
        event: String,
    },
}

/// Why a frame could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MessageError {
    #[error("not a valid Binance message: {0}")]
    Json(String),
    #[error("`{event}` message is missing field `{field}`")]
    Missing { event: String, field: &'static str },
    #[error("`{event}` message field `{field}` {problem}")]
    BadField { event: String, field: &'static str, problem: String },
    #[error("unknown event type `{0}`; only market-data events are handled here")]
    UnknownEvent(String),
    #[error("message has no event type and no known shape (keys: {0})")]
    Unrecognised(String),
}

/// Parses one text frame.
pub fn parse(text: &str) -> Result<StreamMessage, MessageError> {
    if let Some(depth) = crate::depth_scan::scan(text) {
        return Ok(depth);
    }
    parse_general(text)
}

/// Every frame the way serde reads it, without the depth fast path: what
/// [`parse`] answers whenever the fast path declines, and what it must
/// answer always (the tests compare the two).
pub fn parse_general(text: &str) -> Result<StreamMessage, MessageError> {
    let mut frame: Fields<'_> = serde_json::from_str(text).map_err(|e| MessageError::Json(e.to_string()))?;
    match frame.data.take() {
        Some(data) => data.into_message(),
        None => frame.into_message(),
    }
}

/// Every top-level key the handled events use. Unknown keys are skipped.
/// A combined-stream frame puts the event under `data`.
#[derive(Deserialize, Default)]
#[allow(non_snake_case)]
struct Fields<'a> {
    #[serde(borrow)]
    data: Option<Box<Fields<'a>>>,
    #[serde(borrow)]
    e: Option<Cow<'a, str>>,
    E: Option<i64>,
    T: Option<i64>,
    #[serde(borrow)]
    s: Option<Cow<'a, str>>,
    U: Option<u64>,
    u: Option<u64>,
    pu: Option<u64>,
    b: Option<Flex>,
    a: Option<Flex>,
    B: Option<Quantity>,
    A: Option<Quantity>,
    t: Option<u64>,
    p: Option<Price>,
    q: Option<Quantity>,
    m: Option<bool>,
    #[serde(borrow)]
    k: Option<RawKline<'a>>,
    #[serde(rename = "lastUpdateId")]
    last_update_id: Option<u64>,
    bids: Option<LevelList>,
    asks: Option<LevelList>,
    id: Option<u64>,
    error: Option<WsError>,
}

#[derive(Deserialize)]
struct WsError {
    code: i64,
    msg: String,
}

#[derive(Deserialize)]
#[allow(non_snake_case)]
struct RawKline<'a> {
    t: i64,
    T: i64,
    #[serde(borrow)]
    i: Cow<'a, str>,
    o: Price,
    h: Price,
    l: Price,
    c: Price,
    v: Quantity,
    x: bool,
}

/// A key whose value is levels, a decimal string or an integer depending
/// on the event.
enum Flex {
    Levels(Levels),
    Decimal(Price),
    Integer(u64),
}

impl<'de> Deserialize<'de> for Flex {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Flex;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("price levels, a decimal string or an integer")
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Flex, E> {
                Ok(Flex::Integer(v))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Flex, E> {
                v.parse().map(Flex::Decimal).map_err(E::custom)
            }
            fn visit_seq<S: SeqAccess<'de>>(self, seq: S) -> Result<Flex, S::Error> {
                LevelsVisitor.visit_seq(seq).map(Flex::Levels)
            }
        }
        d.deserialize_any(V)
    }
}

/// `[["price","qty"], ...]` straight into fixed-point pairs.
struct LevelList(Levels);

impl<'de> Deserialize<'de> for LevelList {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_seq(LevelsVisitor).map(LevelList)
    }
}

struct LevelsVisitor;

impl<'de> Visitor<'de> for LevelsVisitor {
    type Value = Levels;
    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a list of [price, quantity] pairs")
    }
    fn visit_seq<S: SeqAccess<'de>>(self, mut seq: S) -> Result<Levels, S::Error> {
        let mut out = Vec::with_capacity(seq.size_hint().unwrap_or(16));
        while let Some((price, qty)) = seq.next_element::<(Price, Quantity)>()? {
            if !price.is_positive() {
                return Err(de::Error::custom(format!("level price {price} must be greater than 0")));
            }
            if qty.is_negative() {
                return Err(de::Error::custom(format!("level {price} has negative quantity {qty}")));
            }
            out.push((price, qty));
        }
        Ok(out)
    }
}

impl Fields<'_> {
    fn into_message(self) -> Result<StreamMessage, MessageError> {
        let Some(event) = self.e.as_deref() else {
            return self.into_shape_message();
        };
        let event = event.to_string();
        let missing = |field| MessageError::Missing { event: event.clone(), field };
        let bad =
            |field, problem: &str| MessageError::BadField { event: event.clone(), field, problem: problem.into() };
        let symbol = || self.s.as_deref().map(str::to_string).ok_or_else(|| missing("s"));
        match event.as_str() {
            "depthUpdate" => {
                let levels = |f: Option<Flex>, name| match f {
                    Some(Flex::Levels(l)) => Ok(l),
                    Some(_) => Err(bad(name, "must be a list of [price, quantity] pairs")),
                    None => Err(missing(name)),
                };
                let first = self.U.ok_or_else(|| missing("U"))?;
                let last = self.u.ok_or_else(|| missing("u"))?;
                if first > last {
                    return Err(bad("U", &format!("({first}) is after `u` ({last})")));
                }
                Ok(StreamMessage::Depth(DepthUpdate {
                    symbol: symbol()?,
                    event_time_ms: self.E.ok_or_else(|| missing("E"))?,
                    transaction_time_ms: self.T,
                    ids: UpdateIds { first, last, prev_last: self.pu },
                    bids: levels(self.b, "b")?,
                    asks: levels(self.a, "a")?,
                }))
            }
            "bookTicker" => self.book_ticker(&event),
            "trade" | "aggTrade" => {
                let aggregate = event == "aggTrade";
                let id = if aggregate {
                    match self.a {
                        Some(Flex::Integer(id)) => id,
                        Some(_) => return Err(bad("a", "must be the aggregate trade id (an integer)")),
                        None => return Err(missing("a")),
                    }
                } else {
                    self.t.ok_or_else(|| missing("t"))?
                };
                let price = self.p.ok_or_else(|| missing("p"))?;
                if !price.is_positive() {
                    return Err(bad("p", &format!("is {price}; a trade price must be greater than 0")));
                }
                let qty = self.q.ok_or_else(|| missing("q"))?;
                if qty.is_negative() {
                    return Err(bad("q", &format!("is {qty}; a trade size cannot be negative")));
                }
                Ok(StreamMessage::Trade {
                    symbol: symbol()?,
                    trade: TradeMsg {
                        id,
                        event_time_ms: self.E.ok_or_else(|| missing("E"))?,
                        trade_time_ms: self.T.ok_or_else(|| missing("T"))?,
                        price,
                        qty,
                        buyer_is_maker: self.m.ok_or_else(|| missing("m"))?,
                        aggregate,
                    },
                })
            }
            "kline" => {
                let k = self.k.ok_or_else(|| missing("k"))?;
                Ok(StreamMessage::Kline {
                    symbol: symbol()?,
                    kline: Kline {
                        interval: k.i.into_owned(),
                        open_time_ms: k.t,
                        close_time_ms: k.T,
                        open: k.o,
                        high: k.h,
                        low: k.l,
                        close: k.c,
                        volume: k.v,
                        closed: k.x,
                    },
                })
            }
            "serverShutdown" => Ok(StreamMessage::ServerShutdown),
            "24hrTicker" | "24hrMiniTicker" | "avgPrice" | "1hTicker" | "4hTicker" | "1dTicker" => {
                Ok(StreamMessage::Ignored { event })
            }
            _ => Err(MessageError::UnknownEvent(event)),
        }
    }

    /// Messages without an `e`: spot book tickers, partial depth and
    /// snapshots, and replies to requests.
    fn into_shape_message(self) -> Result<StreamMessage, MessageError> {
        if let Some(last_update_id) = self.last_update_id {
            let event = "depth snapshot".to_string();
            let bids = self.bids.ok_or_else(|| MessageError::Missing { event: event.clone(), field: "bids" })?;
            let asks = self.asks.ok_or(MessageError::Missing { event, field: "asks" })?;
            return Ok(StreamMessage::Snapshot(DepthSnapshot { last_update_id, bids: bids.0, asks: asks.0 }));
        }
        if self.u.is_some() && self.b.is_some() {
            return self.book_ticker("bookTicker");
        }
        // A reply to a request: `{"result":..,"id":..}` or `{"error":..,"id":..}`.
        if let Some(id) = self.id {
            return Ok(StreamMessage::Response { id, error: self.error.map(|e| (e.code, e.msg)) });
        }
        Err(MessageError::Unrecognised(self.present_keys().join(", ")))
    }

    fn book_ticker(self, event: &str) -> Result<StreamMessage, MessageError> {
        let missing = |field| MessageError::Missing { event: event.to_string(), field };
        let price = |f: Option<Flex>, name| match f {
            Some(Flex::Decimal(p)) if p.is_positive() => Ok(p),
            Some(_) => Err(MessageError::BadField {
                event: event.to_string(),
                field: name,
                problem: "must be a price above 0 given as a decimal string".into(),
            }),
            None => Err(missing(name)),
        };
        Ok(StreamMessage::BookTicker {
            symbol: self.s.as_deref().map(str::to_string).ok_or_else(|| missing("s"))?,
            ticker: BookTicker {
                update_id: self.u.ok_or_else(|| missing("u"))?,
                bid: price(self.b, "b")?,
                bid_qty: self.B.ok_or_else(|| missing("B"))?,
                ask: price(self.a, "a")?,
                ask_qty: self.A.ok_or_else(|| missing("A"))?,
                event_time_ms: self.E,
            },
        })
    }

    fn present_keys(&self) -> Vec<&'static str> {
        let mut keys = Vec::new();
        let mut note = |present: bool, key| {
            if present {
                keys.push(key)
            }
        };
        note(self.E.is_some(), "E");
        note(self.s.is_some(), "s");
        note(self.u.is_some(), "u");
        note(self.b.is_some(), "b");
        note(self.a.is_some(), "a");
        note(self.p.is_some(), "p");
        note(self.id.is_some(), "id");
        if keys.is_empty() {
            keys.push("none of the known ones");
        }
        keys
    }
}
