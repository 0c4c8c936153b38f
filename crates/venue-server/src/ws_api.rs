//! The WebSocket API (`/ws-api/v3`): Binance's request/response protocol
//! over one WebSocket, answering the same operations as REST.
//!
//! A request is `{"id", "method", "params"}`; the answer
//! `{"id", "status", "result" | "error", "rateLimits"}`. Each method names
//! a REST endpoint ([`endpoint`]: `order.place` is `POST /api/v3/order`),
//! and is answered by the REST handler through [`rest::call`], so both
//! doors share parameters, checks, weights, order counts and error codes.
//! Signed methods carry `apiKey`, `timestamp` and `signature`, an HMAC of
//! every other parameter sorted by name and form-encoded, which is the
//! query string REST verifies. The user-data subscriptions
//! (`userDataStream.*`) are the connection's own ([`crate::user_stream`]).

use serde_json::{Map, Value, json};

use crate::errors::ApiError;
use crate::rest::{self, App};

/// The REST endpoint behind a WebSocket API method.
pub fn endpoint(method: &str) -> Option<(&'static str, &'static str)> {
    Some(match method {
        "ping" => ("GET", "/api/v3/ping"),
        "time" => ("GET", "/api/v3/time"),
        "exchangeInfo" => ("GET", "/api/v3/exchangeInfo"),
        "depth" => ("GET", "/api/v3/depth"),
        "trades.recent" => ("GET", "/api/v3/trades"),
        "trades.historical" => ("GET", "/api/v3/historicalTrades"),
        "trades.aggregate" => ("GET", "/api/v3/aggTrades"),
        "klines" => ("GET", "/api/v3/klines"),
        "uiKlines" => ("GET", "/api/v3/uiKlines"),
        "avgPrice" => ("GET", "/api/v3/avgPrice"),
        "ticker.24hr" => ("GET", "/api/v3/ticker/24hr"),
        "ticker" => ("GET", "/api/v3/ticker"),
        "ticker.price" => ("GET", "/api/v3/ticker/price"),
        "ticker.book" => ("GET", "/api/v3/ticker/bookTicker"),
        "order.place" => ("POST", "/api/v3/order"),
        "order.test" => ("POST", "/api/v3/order/test"),
        "order.status" => ("GET", "/api/v3/order"),
        "order.cancel" => ("DELETE", "/api/v3/order"),
        "order.cancelReplace" => ("POST", "/api/v3/order/cancelReplace"),
        "openOrders.status" => ("GET", "/api/v3/openOrders"),
        "openOrders.cancelAll" => ("DELETE", "/api/v3/openOrders"),
        "orderList.place.oco" => ("POST", "/api/v3/orderList/oco"),
        "orderList.status" => ("GET", "/api/v3/orderList"),
        "orderList.cancel" => ("DELETE", "/api/v3/orderList"),
        "openOrderLists.status" => ("GET", "/api/v3/openOrderList"),
        "allOrderLists" => ("GET", "/api/v3/allOrderList"),
        "allOrders" => ("GET", "/api/v3/allOrders"),
        "myTrades" => ("GET", "/api/v3/myTrades"),
        "account.status" => ("GET", "/api/v3/account"),
        "account.commission" => ("GET", "/api/v3/account/commission"),
        "account.rateLimits.orders" => ("GET", "/api/v3/rateLimit/order"),
        _ => return None,
    })
}

/// Whether a method acts for an account (and so needs `apiKey`).
fn signed(method: &str) -> bool {
    ["order.", "openOrders.", "orderList.", "openOrderLists.", "allOrder", "myTrades", "account."]
        .iter()
        .any(|prefix| method.starts_with(prefix))
}

/// An error answer (no usage: the request never reached the limits).
pub fn error(id: &Value, e: &ApiError) -> Value {
    json!({ "id": id, "status": e.status.as_u16(), "error": { "code": e.code, "msg": e.msg } })
}

/// A parameter's text: strings as they are, numbers and booleans as JSON
/// writes them (what the client signed).
fn text(v: &Value) -> String {
    v.as_str().map_or_else(|| v.to_string(), str::to_string)
}

/// The signed payload: every parameter but the signature, sorted by name
/// and form-encoded.
pub fn payload(params: &Map<String, Value>) -> String {
    let mut pairs: Vec<(&String, String)> =
        params.iter().filter(|(k, _)| k.as_str() != "signature").map(|(k, v)| (k, text(v))).collect();
    pairs.sort();
    let mut out = form_urlencoded::Serializer::new(String::new());
    for (k, v) in pairs {
        out.append_pair(k, &v);
    }
    out.finish()
}

/// Answers a method with a REST endpoint: the parameters become the query
/// string REST verifies, `apiKey` the key header.
pub fn call(app: &App, ip: std::net::IpAddr, id: &Value, method: &str, params: &Map<String, Value>) -> Value {
    let Some((http_method, path)) = endpoint(method) else {
        return error(id, &ApiError::bad_enum("method"));
    };
    let mut query = payload(params);
    if let Some(signature) = params.get("signature") {
        query.push_str("&signature=");
        query.push_str(&text(signature));
    }
    let api_key = params.get("apiKey").map(text).unwrap_or_default();
    if api_key.is_empty() && signed(method) {
        return error(id, &ApiError::mandatory("apiKey"));
    }
    let request =
        rest::Request { ip, method: http_method, path, api_key: &api_key, query: &query, body: Ok(String::new()) };
    let answer = rest::call(app, request);
    let usage = app.limiter.lock().unwrap_or_else(|p| p.into_inner()).limits().usage(answer.used, answer.order_counts);
    match answer.result {
        Ok(result) => json!({ "id": id, "status": 200, "result": result, "rateLimits": usage }),
        Err(e) => {
            let mut out = error(id, &e);
            if let Some(data) = e.data {
                out["error"]["data"] = data;
            }
            if let Some(wait_s) = answer.retry_after_s {
                let now_ms = (app.clock)() / 1_000_000;
                out["error"]["data"] = json!({ "serverTime": now_ms, "retryAfter": now_ms + wait_s * 1000 });
            }
            out["rateLimits"] = usage;
            out
        }
    }
}
