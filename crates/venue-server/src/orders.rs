//! Orders as the exchange records them: Binance's order types and
//! statuses, each order's record with its fills, and a new order as the
//! API parsed it.

use std::sync::Arc;

use pyrt_model::{Money, Price, Quantity, Side, TimeInForce};

/// Binance order types this exchange takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OrderType {
    Market,
    Limit,
    /// A post-only limit.
    LimitMaker,
    /// Contingent: a market order once triggered (see [`crate::conditional`]).
    StopLoss,
    /// Contingent: a limit order once triggered.
    StopLossLimit,
    TakeProfit,
    TakeProfitLimit,
}

impl OrderType {
    pub fn name(self) -> &'static str {
        match self {
            OrderType::Market => "MARKET",
            OrderType::Limit => "LIMIT",
            OrderType::LimitMaker => "LIMIT_MAKER",
            OrderType::StopLoss => "STOP_LOSS",
            OrderType::StopLossLimit => "STOP_LOSS_LIMIT",
            OrderType::TakeProfit => "TAKE_PROFIT",
            OrderType::TakeProfitLimit => "TAKE_PROFIT_LIMIT",
        }
    }

    /// Whether orders of this type wait for a trigger.
    pub fn is_contingent(self) -> bool {
        matches!(
            self,
            OrderType::StopLoss | OrderType::StopLossLimit | OrderType::TakeProfit | OrderType::TakeProfitLimit
        )
    }

    /// Whether it executes at a market price (now or once triggered).
    pub fn is_market(self) -> bool {
        matches!(self, OrderType::Market | OrderType::StopLoss | OrderType::TakeProfit)
    }
}

/// Binance order statuses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    New,
    PartiallyFilled,
    Filled,
    Canceled,
    Rejected,
    Expired,
}

impl Status {
    pub fn name(self) -> &'static str {
        match self {
            Status::New => "NEW",
            Status::PartiallyFilled => "PARTIALLY_FILLED",
            Status::Filled => "FILLED",
            Status::Canceled => "CANCELED",
            Status::Rejected => "REJECTED",
            Status::Expired => "EXPIRED",
        }
    }
    pub fn is_open(self) -> bool {
        matches!(self, Status::New | Status::PartiallyFilled)
    }
}

/// One fill of an order, as `fills[]` reports it.
#[derive(Debug, Clone)]
pub struct TradeFill {
    pub trade_id: u64,
    pub price: Price,
    pub qty: Quantity,
    pub commission: Money,
    pub commission_asset: String,
    pub maker: bool,
}

/// An order as the exchange records it.
///
/// A finished order keeps what order queries answer: its fills go (the
/// account's trades keep them, for `myTrades`) once the request that
/// finished it has been answered.
#[derive(Debug, Clone)]
pub struct OrderRecord {
    pub order_id: u64,
    pub symbol: usize,
    pub api_key: Arc<str>,
    pub client_order_id: String,
    pub side: Side,
    pub kind: OrderType,
    pub tif: &'static str,
    pub price: Option<Price>,
    /// A contingent order's stop price and trailing delta (BIPS).
    pub stop_price: Option<Price>,
    pub trailing_delta: Option<u32>,
    /// When the order began working on the book (`None` while a
    /// contingent order waits for its trigger).
    pub working_ms: Option<i64>,
    pub orig_qty: Quantity,
    /// What a `quoteOrderQty` market order asked to spend or receive.
    pub orig_quote_qty: Money,
    pub executed_qty: Quantity,
    pub cumm_quote: Money,
    pub status: Status,
    pub time_ms: i64,
    pub update_ms: i64,
    pub fills: Vec<TradeFill>,
    /// The order list (OCO) it is a leg of.
    pub list: Option<u64>,
    /// Whether it holds its own funds locked (a list's legs share the
    /// list's lock until one of them runs; market buys lock nothing).
    pub holds_lock: bool,
}

/// A new order as the API received it, already parsed.
#[derive(Debug, Clone)]
pub struct NewOrder {
    pub symbol: usize,
    pub side: Side,
    pub kind: OrderType,
    pub tif: TimeInForce,
    pub qty: Quantity,
    /// The `quoteOrderQty` the quantity was sized from, if any.
    pub quote_qty: Option<Money>,
    pub price: Option<Price>,
    pub stop_price: Option<Price>,
    pub trailing_delta: Option<u32>,
    pub client_order_id: Option<String>,
}

/// How a request names an order.
#[derive(Debug, Clone)]
pub enum OrderRef {
    Id(u64),
    Client(String),
}
