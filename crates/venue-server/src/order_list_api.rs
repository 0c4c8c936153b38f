//! Order lists over the API: `POST /api/v3/orderList/oco`, `GET` and
//! `DELETE /api/v3/orderList`, `GET /api/v3/allOrderList` and
//! `/api/v3/openOrderList`, in Binance's parameters and shapes (REST API
//! docs, "Trading endpoints" and "Account endpoints"). The exchange side
//! is [`crate::exchange::OrderList`].

use pyrt_model::{Price, Quantity, Side, TimeInForce, UnixNanos};
use serde_json::{Value, json};

use crate::account_history;
use crate::errors::ApiError;
use crate::exchange::{Exchange, ListRef, NewOrder, OrderList, OrderType};
use crate::order_api::{cancelled_json, order_json};
use crate::params::Params;

/// One leg's order from its `above*`/`below*` parameters.
fn leg(p: &Params, prefix: &str, symbol: usize, side: Side, qty: Quantity) -> Result<NewOrder, ApiError> {
    let name = |field: &str| format!("{prefix}{field}");
    let kind = match p.required(&name("Type"))? {
        "LIMIT_MAKER" => OrderType::LimitMaker,
        "STOP_LOSS" => OrderType::StopLoss,
        "STOP_LOSS_LIMIT" => OrderType::StopLossLimit,
        "TAKE_PROFIT" => OrderType::TakeProfit,
        "TAKE_PROFIT_LIMIT" => OrderType::TakeProfitLimit,
        _ => return Err(ApiError::invalid_value(&name("Type"))),
    };
    let price = p.decimal::<Price>(&name("Price"))?;
    let stop_price = p.decimal::<Price>(&name("StopPrice"))?;
    let trailing_delta = p.parsed::<u32>(&name("TrailingDelta"))?;
    let limit = matches!(kind, OrderType::LimitMaker | OrderType::StopLossLimit | OrderType::TakeProfitLimit);
    match (limit, price) {
        (true, None) => return Err(ApiError::mandatory(&name("Price"))),
        (false, Some(_)) => return Err(ApiError::not_required(&name("Price"))),
        _ => {}
    }
    if kind.is_contingent() && stop_price.is_none() && trailing_delta.is_none() {
        return Err(ApiError::mandatory(&name("StopPrice")));
    }
    if !kind.is_contingent() && (stop_price.is_some() || trailing_delta.is_some()) {
        return Err(ApiError::not_required(&name("StopPrice")));
    }
    let tif = match (kind, p.get(&name("TimeInForce"))) {
        (OrderType::StopLossLimit | OrderType::TakeProfitLimit, None) => {
            return Err(ApiError::mandatory(&name("TimeInForce")));
        }
        (_, None | Some("GTC")) => TimeInForce::Gtc,
        (_, Some("IOC")) => TimeInForce::Ioc,
        (_, Some("FOK")) => TimeInForce::Fok,
        (_, Some(_)) => return Err(ApiError::bad_enum("timeInForce")),
    };
    let tif = if kind.is_market() { TimeInForce::Ioc } else { tif };
    let client_order_id = p.get(&name("ClientOrderId")).map(str::to_string);
    Ok(NewOrder { symbol, side, kind, tif, qty, quote_qty: None, price, stop_price, trailing_delta, client_order_id })
}

/// `POST /api/v3/orderList/oco`.
pub fn place_oco(ex: &mut Exchange, key: &str, p: &Params, now: UnixNanos) -> Result<Value, ApiError> {
    let symbol = ex.symbol_index(p.required("symbol")?)?;
    let side = match p.required("side")? {
        "BUY" => Side::Buy,
        "SELL" => Side::Sell,
        _ => return Err(ApiError::bad_enum("side")),
    };
    let qty = p.decimal::<Quantity>("quantity")?.ok_or_else(|| ApiError::mandatory("quantity"))?;
    let legs = [leg(p, "below", symbol, side, qty)?, leg(p, "above", symbol, side, qty)?];
    let id = ex.place_oco(key, legs, p.get("listClientOrderId").map(str::to_string), now)?;
    let list = ex.order_list(key, Some(symbol), &ListRef::Id(id)).expect("just placed");
    let shape = p.get("newOrderRespType").unwrap_or("FULL");
    Ok(list_json(ex, key, list, (shape != "ACK").then_some(shape), now / 1_000_000))
}

fn list_ref(p: &Params, id: &str, name: &str) -> Result<ListRef, ApiError> {
    if let Some(id) = p.parsed::<u64>(id)? {
        return Ok(ListRef::Id(id));
    }
    p.get(name).map(|c| ListRef::Client(c.to_string())).ok_or_else(|| ApiError::mandatory(id))
}

/// `GET /api/v3/orderList`.
pub fn query(ex: &Exchange, key: &str, p: &Params, now_ms: i64) -> Result<Value, ApiError> {
    let by = list_ref(p, "orderListId", "origClientOrderId")?;
    let list = ex.order_list(key, None, &by).ok_or_else(ApiError::no_such_order_list)?;
    Ok(list_json(ex, key, list, None, now_ms))
}

/// `DELETE /api/v3/orderList`: cancels both legs.
pub fn cancel(ex: &mut Exchange, key: &str, p: &Params, now: UnixNanos) -> Result<Value, ApiError> {
    let symbol = ex.symbol_index(p.required("symbol")?)?;
    let by = list_ref(p, "orderListId", "listClientOrderId")?;
    let id = ex.cancel_order_list(key, symbol, &by, now)?;
    let now_ms = now / 1_000_000;
    let list = ex.order_list(key, Some(symbol), &ListRef::Id(id)).expect("just cancelled");
    let mut v = list_json(ex, key, list, None, now_ms);
    v["orderReports"] = list.legs.iter().map(|&leg| cancelled_json(ex, key, leg, None, now_ms)).collect();
    if let Some(name) = p.get("newClientOrderId") {
        v["listClientOrderId"] = json!(name);
    }
    Ok(v)
}

/// `GET /api/v3/allOrderList`: by `fromId`, or inside a time range of at
/// most 24 hours, or the last `limit`.
pub fn all(ex: &Exchange, key: &str, p: &Params, now_ms: i64) -> Result<Value, ApiError> {
    let limit = account_history::limit(p)?;
    let from = p.parsed::<u64>("fromId")?;
    let (start, end) = account_history::time_range(p)?;
    if from.is_some() && (start.is_some() || end.is_some()) {
        return Err(ApiError::bad_combination());
    }
    let in_range = |l: &&OrderList| start.is_none_or(|s| l.time_ms >= s) && end.is_none_or(|e| l.time_ms <= e);
    let lists: Vec<&OrderList> = ex.order_lists(key, from.unwrap_or(0)).filter(in_range).collect();
    let page = if from.is_some() || start.is_some() {
        &lists[..lists.len().min(limit)]
    } else {
        &lists[lists.len().saturating_sub(limit)..]
    };
    Ok(page.iter().map(|l| list_json(ex, key, l, None, now_ms)).collect())
}

/// `GET /api/v3/openOrderList`.
pub fn open(ex: &Exchange, key: &str, now_ms: i64) -> Value {
    ex.order_lists(key, 0).filter(|l| ex.list_is_open(l)).map(|l| list_json(ex, key, l, None, now_ms)).collect()
}

/// A list as Binance shows it; with `reports`, each leg in that shape.
fn list_json(ex: &Exchange, key: &str, list: &OrderList, reports: Option<&str>, now_ms: i64) -> Value {
    let symbol = &ex.specs()[list.symbol].symbol;
    let legs: Vec<_> = list.legs.iter().filter_map(|&id| ex.order_of(key, id)).collect();
    let (list_status, order_status) =
        if ex.list_is_open(list) { ("EXEC_STARTED", "EXECUTING") } else { ("ALL_DONE", "ALL_DONE") };
    let mut v = json!({
        "orderListId": list.id, "contingencyType": "OCO", "listStatusType": list_status,
        "listOrderStatus": order_status, "listClientOrderId": list.client_id, "transactionTime": list.time_ms,
        "symbol": symbol,
        "orders": legs.iter().map(|o| json!({ "symbol": symbol, "orderId": o.order_id, "clientOrderId": o.client_order_id })).collect::<Vec<_>>(),
    });
    if let Some(shape) = reports {
        v["orderReports"] = legs.iter().map(|o| order_json(ex, o, shape, now_ms)).collect();
    }
    v
}
