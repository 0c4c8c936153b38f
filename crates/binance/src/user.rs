//! User-data stream events: what happens to the account's orders and
//! balances, pushed by the venue.
//!
//! The same events arrive in three wrappings: bare (the deprecated
//! listen-key stream), `{"subscriptionId":N,"event":{..}}` (the WebSocket
//! API's `userDataStream.subscribe`), and `{"stream":..,"data":{..}}`.
//! [`parse_user`] unwraps any of them. These are low-rate messages, so they
//! are read through `serde_json::Value` for clarity rather than speed.

use pyrt_model::{Money, Price, Quantity, Side};
use serde_json::Value;

use crate::stream::MessageError;

/// One change to one order (`executionReport`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExecutionUpdate {
    pub event_time_ms: i64,
    pub symbol: String,
    pub client_order_id: String,
    /// For cancels: the id of the order cancelled (`C`).
    pub orig_client_order_id: Option<String>,
    pub order_id: u64,
    pub side: Side,
    pub order_type: String,
    pub quantity: Quantity,
    pub price: Price,
    /// What happened: `NEW`, `TRADE`, `CANCELED`, `EXPIRED`, `REJECTED`, ...
    pub execution_type: String,
    /// The order's status after it.
    pub status: String,
    pub reject_reason: String,
    pub last_qty: Quantity,
    pub last_price: Price,
    pub cum_qty: Quantity,
    pub cum_quote: Money,
    pub commission: Money,
    pub commission_asset: Option<String>,
    pub trade_id: Option<u64>,
    pub is_maker: bool,
    pub transaction_time_ms: i64,
}

/// A user-data event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UserEvent {
    Execution(Box<ExecutionUpdate>),
    /// Balances that changed (`outboundAccountPosition`): asset, free, locked.
    AccountPosition {
        event_time_ms: i64,
        balances: Vec<(String, Money, Money)>,
    },
    /// A deposit, withdrawal or transfer (`balanceUpdate`).
    BalanceUpdate {
        asset: String,
        delta: Money,
    },
    /// The listen key is no longer valid: get a new one and reconnect.
    ListenKeyExpired,
    /// The answer to a WebSocket API request.
    Response {
        id: String,
        status: i64,
        error: Option<String>,
    },
}

/// Parses one user-data frame.
pub fn parse_user(text: &str) -> Result<UserEvent, MessageError> {
    let v: Value = serde_json::from_str(text).map_err(|e| MessageError::Json(e.to_string()))?;
    if v.get("status").is_some() && v.get("id").is_some() {
        let id = match &v["id"] {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        let error = v.get("error").map(|e| e["msg"].as_str().unwrap_or("").to_string());
        return Ok(UserEvent::Response { id, status: v["status"].as_i64().unwrap_or(0), error });
    }
    let event = v.get("event").or_else(|| v.get("data")).unwrap_or(&v);
    let kind = event["e"].as_str().ok_or_else(|| MessageError::Unrecognised("no `e`".into()))?.to_string();
    let f = Fields { v: event, event: &kind };
    match kind.as_str() {
        "executionReport" => Ok(UserEvent::Execution(Box::new(ExecutionUpdate {
            event_time_ms: f.int("E")?,
            symbol: f.text("s")?,
            client_order_id: f.text("c")?,
            orig_client_order_id: event["C"].as_str().filter(|c| !c.is_empty()).map(str::to_string),
            order_id: f.int("i")? as u64,
            side: match f.text("S")?.as_str() {
                "BUY" => Side::Buy,
                "SELL" => Side::Sell,
                _ => return Err(f.bad("S", "must be BUY or SELL")),
            },
            order_type: f.text("o")?,
            quantity: f.decimal("q")?,
            price: f.decimal("p")?,
            execution_type: f.text("x")?,
            status: f.text("X")?,
            reject_reason: event["r"].as_str().unwrap_or("NONE").to_string(),
            last_qty: f.decimal("l")?,
            last_price: f.decimal("L")?,
            cum_qty: f.decimal("z")?,
            cum_quote: f.decimal("Z")?,
            commission: f.decimal("n")?,
            commission_asset: event["N"].as_str().map(str::to_string),
            trade_id: event["t"].as_i64().filter(|t| *t >= 0).map(|t| t as u64),
            is_maker: event["m"].as_bool().unwrap_or(false),
            transaction_time_ms: f.int("T")?,
        }))),
        "outboundAccountPosition" => {
            let list = event["B"].as_array().ok_or_else(|| f.missing("B"))?;
            let mut balances = Vec::with_capacity(list.len());
            for b in list {
                let g = Fields { v: b, event: &kind };
                balances.push((g.text("a")?, g.decimal("f")?, g.decimal("l")?));
            }
            Ok(UserEvent::AccountPosition { event_time_ms: f.int("E")?, balances })
        }
        "balanceUpdate" => Ok(UserEvent::BalanceUpdate { asset: f.text("a")?, delta: f.decimal("d")? }),
        "listenKeyExpired" => Ok(UserEvent::ListenKeyExpired),
        _ => Err(MessageError::UnknownEvent(kind)),
    }
}

/// Typed access to one event's fields, with errors naming event and field.
struct Fields<'a> {
    v: &'a Value,
    event: &'a str,
}

impl Fields<'_> {
    fn missing(&self, field: &'static str) -> MessageError {
        MessageError::Missing { event: self.event.to_string(), field }
    }
    fn bad(&self, field: &'static str, problem: &str) -> MessageError {
        MessageError::BadField { event: self.event.to_string(), field, problem: problem.to_string() }
    }
    fn text(&self, field: &'static str) -> Result<String, MessageError> {
        self.v[field].as_str().map(str::to_string).ok_or_else(|| self.missing(field))
    }
    fn int(&self, field: &'static str) -> Result<i64, MessageError> {
        self.v[field].as_i64().ok_or_else(|| self.missing(field))
    }
    fn decimal<T: std::str::FromStr<Err = pyrt_model::ValueError>>(
        &self,
        field: &'static str,
    ) -> Result<T, MessageError> {
        let text = self.v[field].as_str().ok_or_else(|| self.missing(field))?;
        text.parse().map_err(|e: pyrt_model::ValueError| self.bad(field, &e.to_string()))
    }
}
