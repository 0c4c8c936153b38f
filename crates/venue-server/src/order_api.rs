//! Orders over the API: placing, querying, cancelling and replacing one
//! order, in Binance's parameters and response shapes (REST API docs,
//! "Trading endpoints"). The WebSocket API's `order.*` methods answer
//! through the same functions.

use pyrt_model::{Money, Price, Quantity, Side, TimeInForce, UnixNanos};
use serde_json::{Value, json};

use crate::errors::ApiError;
use crate::exchange::{Exchange, NewOrder, OrderRecord, OrderRef, OrderType, d8};
use crate::params::Params;

/// `POST /api/v3/order`.
pub fn place(ex: &mut Exchange, key: &str, p: &Params, now: UnixNanos) -> Result<Value, ApiError> {
    let order = new_order(ex, p)?;
    let symbol = order.symbol;
    let id = ex.place(key, order, now)?;
    let rec = ex.order(key, symbol, &OrderRef::Id(id)).expect("just placed");
    Ok(order_json(ex, rec, p.get("newOrderRespType").unwrap_or("FULL"), now / 1_000_000))
}

/// `GET /api/v3/order`.
pub fn query(ex: &Exchange, key: &str, p: &Params, now_ms: i64) -> Result<Value, ApiError> {
    let symbol = ex.symbol_index(p.required("symbol")?)?;
    let rec = ex.order(key, symbol, &order_ref(p)?).ok_or_else(ApiError::no_such_order)?;
    Ok(order_json(ex, rec, "QUERY", now_ms))
}

/// `DELETE /api/v3/order`.
pub fn cancel(ex: &mut Exchange, key: &str, p: &Params, now: UnixNanos) -> Result<Value, ApiError> {
    let symbol = ex.symbol_index(p.required("symbol")?)?;
    let by = order_ref(p)?;
    let id = ex.cancel(key, symbol, &by, now)?;
    Ok(cancelled_json(ex, key, id, p.get("newClientOrderId"), now / 1_000_000))
}

/// `GET /api/v3/openOrders`.
pub fn open_orders(ex: &Exchange, key: &str, p: &Params, now_ms: i64) -> Result<Value, ApiError> {
    let symbol = p.get("symbol").map(|s| ex.symbol_index(s)).transpose()?;
    Ok(ex.open_orders(key, symbol).into_iter().map(|o| order_json(ex, o, "QUERY", now_ms)).collect())
}

/// A cancelled order as a cancel answers it; `name` is the cancel's own
/// client order id (`newClientOrderId`), made up when not given.
pub(crate) fn cancelled_json(ex: &Exchange, key: &str, id: u64, name: Option<&str>, now_ms: i64) -> Value {
    let rec = ex.order_of(key, id).expect("just cancelled");
    let mut v = order_json(ex, rec, "RESULT", now_ms);
    v["origClientOrderId"] = json!(rec.client_order_id);
    v["clientOrderId"] = json!(name.map_or_else(|| format!("cancel-{id}"), str::to_string));
    v
}

/// `POST /api/v3/order/cancelReplace`: cancels an order and places a new
/// one in one step (under the exchange's lock, so nothing trades between).
///
/// `cancelReplaceMode=STOP_ON_FAILURE` places nothing when the cancel
/// fails; `ALLOW_FAILURE` places the new order anyway. Both succeeding is
/// a plain answer; one failing is -2021 with HTTP 409, both (or the cancel
/// under `STOP_ON_FAILURE`) -2022 with 400, each with Binance's `data`
/// saying what happened to either half.
pub fn cancel_replace(ex: &mut Exchange, key: &str, p: &Params, now: UnixNanos) -> Result<Value, ApiError> {
    let allow_failure = match p.required("cancelReplaceMode")? {
        "STOP_ON_FAILURE" => false,
        "ALLOW_FAILURE" => true,
        _ => return Err(ApiError::bad_enum("cancelReplaceMode")),
    };
    let symbol = ex.symbol_index(p.required("symbol")?)?;
    let by = match (p.parsed::<u64>("cancelOrderId")?, p.get("cancelOrigClientOrderId")) {
        (Some(id), _) => OrderRef::Id(id),
        (None, Some(name)) => OrderRef::Client(name.to_string()),
        (None, None) => return Err(ApiError::cancel_ids_missing()),
    };
    // Every parameter is checked before anything changes.
    let order = new_order(ex, p)?;
    let now_ms = now / 1_000_000;
    let error = |e: &ApiError| json!({ "code": e.code, "msg": e.msg });
    let cancelled =
        ex.cancel(key, symbol, &by, now).map(|id| cancelled_json(ex, key, id, p.get("cancelNewClientOrderId"), now_ms));
    if let Err(e) = &cancelled
        && !allow_failure
    {
        return Err(ApiError::cancel_replace_failed(json!({
            "cancelResult": "FAILURE", "newOrderResult": "NOT_ATTEMPTED",
            "cancelResponse": error(e), "newOrderResponse": null,
        })));
    }
    let placed = ex.place(key, order, now).map(|id| {
        let rec = ex.order_of(key, id).expect("just placed");
        order_json(ex, rec, p.get("newOrderRespType").unwrap_or("FULL"), now_ms)
    });
    let result = |r: &Result<Value, ApiError>| if r.is_ok() { "SUCCESS" } else { "FAILURE" };
    let data = json!({
        "cancelResult": result(&cancelled), "newOrderResult": result(&placed),
        "cancelResponse": cancelled.as_ref().map_or_else(error, Value::clone),
        "newOrderResponse": placed.as_ref().map_or_else(error, Value::clone),
    });
    match (cancelled.is_ok(), placed.is_ok()) {
        (true, true) => Ok(data),
        (false, false) => Err(ApiError::cancel_replace_failed(data)),
        _ => Err(ApiError::cancel_replace_partly_failed(data)),
    }
}

pub(crate) fn new_order(ex: &Exchange, p: &Params) -> Result<NewOrder, ApiError> {
    let symbol = ex.symbol_index(p.required("symbol")?)?;
    let side = match p.required("side")? {
        "BUY" => Side::Buy,
        "SELL" => Side::Sell,
        _ => return Err(ApiError::bad_enum("side")),
    };
    let kind = match p.required("type")? {
        "MARKET" => OrderType::Market,
        "LIMIT" => OrderType::Limit,
        "LIMIT_MAKER" => OrderType::LimitMaker,
        "STOP_LOSS" => OrderType::StopLoss,
        "STOP_LOSS_LIMIT" => OrderType::StopLossLimit,
        "TAKE_PROFIT" => OrderType::TakeProfit,
        "TAKE_PROFIT_LIMIT" => OrderType::TakeProfitLimit,
        _ => return Err(ApiError::bad_enum("orderType")),
    };
    // A market order may name what to spend (buy) or receive (sell)
    // instead of a quantity; the venue sizes it from its book.
    let quote_qty: Option<Money> = p.decimal("quoteOrderQty")?;
    let qty: Quantity = match (p.decimal::<Quantity>("quantity")?, quote_qty, kind) {
        (Some(q), None, _) => q,
        (Some(_), Some(_), _) => return Err(ApiError::not_required("quoteOrderQty")),
        (None, Some(amount), OrderType::Market) => ex.size_quote_order(symbol, side, amount)?,
        (None, Some(_), _) => return Err(ApiError::not_required("quoteOrderQty")),
        (None, None, OrderType::Market) => return Err(ApiError::quantity_or_quote_missing()),
        (None, None, _) => return Err(ApiError::mandatory("quantity")),
    };
    let (stop_price, trailing_delta) = (p.decimal::<Price>("stopPrice")?, p.parsed::<u32>("trailingDelta")?);
    if kind.is_contingent() {
        if stop_price.is_none() && trailing_delta.is_none() {
            return Err(ApiError::stop_or_trailing_missing());
        }
    } else if stop_price.is_some() {
        return Err(ApiError::not_required("stopPrice"));
    } else if trailing_delta.is_some() {
        return Err(ApiError::not_required("trailingDelta"));
    }
    let limit_price = || p.decimal::<Price>("price")?.ok_or_else(|| ApiError::mandatory("price"));
    let tif = || match p.required("timeInForce")? {
        "GTC" => Ok(TimeInForce::Gtc),
        "IOC" => Ok(TimeInForce::Ioc),
        "FOK" => Ok(TimeInForce::Fok),
        _ => Err(ApiError::bad_enum("timeInForce")),
    };
    let (price, tif) = match kind {
        OrderType::Market | OrderType::StopLoss | OrderType::TakeProfit => {
            if p.get("price").is_some() {
                return Err(ApiError::not_required("price"));
            }
            (None, TimeInForce::Ioc)
        }
        OrderType::LimitMaker => (Some(limit_price()?), TimeInForce::Gtc),
        OrderType::Limit | OrderType::StopLossLimit | OrderType::TakeProfitLimit => (Some(limit_price()?), tif()?),
    };
    let client_order_id = p.get("newClientOrderId").map(str::to_string);
    Ok(NewOrder { symbol, side, kind, tif, qty, quote_qty, price, stop_price, trailing_delta, client_order_id })
}

pub(crate) fn order_ref(p: &Params) -> Result<OrderRef, ApiError> {
    if let Some(id) = p.parsed::<u64>("orderId")? {
        return Ok(OrderRef::Id(id));
    }
    p.get("origClientOrderId").map(|c| OrderRef::Client(c.to_string())).ok_or_else(ApiError::both_ids_missing)
}

/// An order in one of Binance's response shapes: `ACK`, `RESULT`, `FULL`
/// (new orders) or `QUERY` (order queries and open orders).
pub(crate) fn order_json(ex: &Exchange, o: &OrderRecord, shape: &str, now_ms: i64) -> Value {
    let symbol = &ex.specs()[o.symbol].symbol;
    let mut v = json!({
        "symbol": symbol, "orderId": o.order_id, "orderListId": o.list.map_or(-1, |l| l as i64),
        "clientOrderId": o.client_order_id,
    });
    if shape == "ACK" {
        v["transactTime"] = json!(now_ms);
        return v;
    }
    let side = if o.side == Side::Buy { "BUY" } else { "SELL" };
    let fields = json!({
        "price": d8(o.price.unwrap_or(Price::ZERO)), "origQty": d8(o.orig_qty), "executedQty": d8(o.executed_qty),
        "origQuoteOrderQty": d8(o.orig_quote_qty), "cummulativeQuoteQty": d8(o.cumm_quote), "status": o.status.name(),
        "timeInForce": o.tif, "type": o.kind.name(), "side": side, "workingTime": o.working_ms.unwrap_or(-1),
        "selfTradePreventionMode": "NONE",
    });
    for (k, x) in fields.as_object().expect("an object") {
        v[k] = x.clone();
    }
    if let Some(delta) = o.trailing_delta {
        v["trailingDelta"] = json!(delta);
    }
    if o.kind.is_contingent() && shape != "QUERY" {
        v["stopPrice"] = json!(d8(o.stop_price.unwrap_or(Price::ZERO)));
    }
    match shape {
        "QUERY" => {
            v["stopPrice"] = json!(d8(o.stop_price.unwrap_or(Price::ZERO)));
            v["icebergQty"] = json!(d8(Quantity::ZERO));
            v["time"] = json!(o.time_ms);
            v["updateTime"] = json!(o.update_ms);
            v["isWorking"] = json!(o.working_ms.is_some());
        }
        _ => {
            v["transactTime"] = json!(now_ms);
            if shape == "FULL" {
                let fills: Vec<Value> = o
                    .fills
                    .iter()
                    .map(|f| {
                        json!({ "price": d8(f.price), "qty": d8(f.qty), "commission": d8(f.commission),
                                "commissionAsset": f.commission_asset, "tradeId": f.trade_id })
                    })
                    .collect();
                v["fills"] = Value::Array(fills);
            }
        }
    }
    v
}
