//! The REST API: Binance Spot's `/api/v3` subset that python-binance and
//! ccxt use to trade (see `shared/protocols.md` §5), with the documented
//! response shapes, error codes and texts.

use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, Method};
use axum::response::{IntoResponse, Response};
use pyrt_model::{Money, Price, Quantity, Side, TimeInForce, UnixNanos};
use serde_json::{Value, json};

use crate::errors::ApiError;
use crate::exchange::{Exchange, NewOrder, OrderRecord, OrderRef, OrderType, d8};
use crate::params::{Params, check_signed};
use crate::{account_history, conditional, market_data, rate_limits};

/// What the handlers share.
pub struct App {
    pub exchange: Mutex<Exchange>,
    /// Each market step's stream frames, for the WebSocket connections.
    pub frames: tokio::sync::broadcast::Sender<Arc<Vec<crate::streams::StepFrames>>>,
    /// User-data events: (API key, event), for user-data subscribers.
    pub user: tokio::sync::broadcast::Sender<Arc<(String, Value)>>,
    /// The server's clock in nanoseconds (wall time; tests may fix it).
    pub clock: fn() -> UnixNanos,
    pub listen_keys: Mutex<crate::listen_keys::ListenKeys>,
    /// Request weight per address and new orders per account (its own
    /// lock: counting never waits behind matching).
    pub limiter: Mutex<crate::rate_limits::Limiter>,
}

/// The client's address, put in each request's extensions by the server.
#[derive(Debug, Clone, Copy)]
pub struct Peer(pub std::net::SocketAddr);

impl App {
    /// Ends a market step: the account events it caused, then its stream
    /// frames, go to subscribers (after the exchange is released).
    pub fn publish_step(&self, mut ex: std::sync::MutexGuard<'_, Exchange>, frames: Vec<crate::streams::StepFrames>) {
        self.publish_user_events(&mut ex);
        drop(ex);
        // No subscriber is not an error.
        let _ = self.frames.send(Arc::new(frames));
    }

    /// Pushes the exchange's pending user-data events to subscribers.
    pub fn publish_user_events(&self, ex: &mut Exchange) {
        for event in ex.take_user_events() {
            // No subscriber is not an error.
            let _ = self.user.send(Arc::new(event));
        }
    }
}

pub use pyrt_model::time::wall_clock;

/// Every route goes through one dispatcher, so unknown paths get
/// Binance's JSON error rather than an empty 404.
pub fn router(app: Arc<App>) -> Router {
    use axum::routing::any;
    Router::new()
        .route("/ws", any(crate::streams::bare_ws))
        .route("/ws/{*streams}", any(crate::streams::raw_stream))
        .route("/stream", any(crate::streams::combined_stream))
        .route("/ws-api/v3", any(crate::user_stream::ws_api))
        .fallback(dispatch)
        .layer(axum::extract::DefaultBodyLimit::disable())
        .with_state(app)
}

/// The longest query string and body read; requests are a few hundred
/// bytes. (A URI past 64 KiB never reaches the router: hyper answers 414.)
pub const MAX_QUERY_BYTES: usize = 16 * 1024;
pub const MAX_BODY_BYTES: usize = 64 * 1024;

async fn dispatch(State(app): State<Arc<App>>, request: axum::extract::Request) -> Response {
    let (parts, body) = request.into_parts();
    let query = parts.uri.query().unwrap_or("");
    // Read here, not by an extractor, so every refusal is Binance's JSON.
    let refused =
        if query.len() > MAX_QUERY_BYTES { Some(ApiError::too_large("query string", MAX_QUERY_BYTES)) } else { None };
    let body = match (refused, read_body(body).await) {
        (Some(e), _) | (None, Err(e)) => Err(e),
        (None, Ok(bytes)) => String::from_utf8(bytes).map_err(|_| ApiError::illegal_chars_anywhere()),
    };
    let (method, path) = (parts.method.as_str(), parts.uri.path());
    let ip = parts.extensions.get::<Peer>().map_or(std::net::Ipv4Addr::LOCALHOST.into(), |p| p.0.ip());
    let now_ms = (app.clock)() / 1_000_000;
    // Parsed once: the weight depends on the parameters, and so does the handler.
    let params = Params::parse(query, body.as_deref().unwrap_or(""));
    let weight = rate_limits::weight(method, path, &params);
    let (used, order_counts) = {
        let mut limiter = app.limiter.lock().unwrap_or_else(|p| p.into_inner());
        let used = match limiter.admit(ip, weight, now_ms) {
            Ok(used) => used,
            Err(limited) => return limited_response(limited, None),
        };
        // New orders count per account, accepted or not (as Binance counts them).
        let key = parts.headers.get("X-MBX-APIKEY").and_then(|v| v.to_str().ok());
        match key.filter(|_| (method, path) == ("POST", "/api/v3/order")) {
            None => (used, None),
            Some(key) => match limiter.admit_order(key, now_ms) {
                Ok(counts) => (used, Some(counts)),
                Err(limited) => return limited_response(limited, Some(used)),
            },
        }
    };
    // A panic in a handler is a bug, but it must cost one request an
    // answer, not the connection its reply (and, holding the exchange's
    // lock, every later request its answer too).
    let result = body.and_then(|body| {
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            handle(&app, &parts.method, parts.uri.path(), query, &parts.headers, &body, &params)
        }))
        .unwrap_or_else(|_| Err(ApiError::internal()))
    });
    let mut response = match result {
        Ok(value) => axum::Json(value).into_response(),
        Err(e) => e.into_response(),
    };
    usage_headers(&mut response, Some(used), order_counts);
    response
}

/// Binance's usage headers: the address's weight this minute, and after a
/// new order the account's order counts.
fn usage_headers(response: &mut Response, used: Option<u32>, orders: Option<(u32, u32)>) {
    let h = response.headers_mut();
    if let Some(used) = used {
        h.insert("x-mbx-used-weight", used.into());
        h.insert("x-mbx-used-weight-1m", used.into());
    }
    if let Some((ten_s, day)) = orders {
        h.insert("x-mbx-order-count-10s", ten_s.into());
        h.insert("x-mbx-order-count-1d", day.into());
    }
}

/// A 429 or 418 with `Retry-After`.
fn limited_response(limited: rate_limits::Limited, used: Option<u32>) -> Response {
    let mut response = limited.error.into_response();
    response.headers_mut().insert("retry-after", limited.retry_after_s.into());
    usage_headers(&mut response, used, None);
    response
}

/// The body, at most [`MAX_BODY_BYTES`]. A longer one is still read (and
/// dropped) up to a megabyte before the 413 goes out: closing a socket with
/// unread data resets it, and the client would lose the answer.
async fn read_body(body: axum::body::Body) -> Result<Vec<u8>, ApiError> {
    use futures_util::StreamExt;
    const DRAIN_BYTES: usize = 1 << 20;
    let mut stream = body.into_data_stream();
    let (mut kept, mut seen) = (Vec::new(), 0usize);
    while let Some(chunk) = stream.next().await {
        let Ok(chunk) = chunk else { break };
        seen += chunk.len();
        if seen <= MAX_BODY_BYTES {
            kept.extend_from_slice(&chunk);
        } else if seen > DRAIN_BYTES {
            break;
        }
    }
    if seen > MAX_BODY_BYTES {
        return Err(ApiError::too_large("body", MAX_BODY_BYTES));
    }
    Ok(kept)
}

fn handle(
    app: &App,
    method: &Method,
    path: &str,
    query: &str,
    headers: &HeaderMap,
    body: &str,
    params: &Params,
) -> Result<Value, ApiError> {
    let now = (app.clock)();
    let now_ms = now / 1_000_000;
    match (method.as_str(), path) {
        ("GET", "/api/v3/ping") => return Ok(json!({})),
        ("GET", "/api/v3/time") => return Ok(json!({ "serverTime": now_ms })),
        _ => {}
    }
    // Poisoned: a handler panicked mid-change, so the books may be half
    // updated; say so on every request rather than trade on them.
    let mut ex = app.exchange.lock().map_err(|_| ApiError::halted())?;
    let api_key = headers.get("X-MBX-APIKEY").and_then(|v| v.to_str().ok()).unwrap_or("");
    // The account behind a SIGNED request, once its signature and timing check out.
    let signed = |ex: &Exchange| -> Result<String, ApiError> {
        let secret = ex.secret(api_key).ok_or_else(ApiError::bad_api_key)?;
        check_signed(secret, query, body, params, now_ms)?;
        Ok(api_key.to_string())
    };
    match (method.as_str(), path) {
        ("GET", "/api/v3/exchangeInfo") => {
            let limits = app.limiter.lock().unwrap_or_else(|p| p.into_inner()).limits().exchange_info();
            Ok(exchange_info(&ex, now_ms, limits))
        }
        ("GET", "/api/v3/depth") => depth(&ex, params),
        ("GET", "/api/v3/trades") => market_data::trades(&ex, params),
        ("GET", "/api/v3/historicalTrades") => market_data::historical_trades(&ex, params),
        ("GET", "/api/v3/aggTrades") => market_data::agg_trades(&ex, params),
        ("GET", "/api/v3/klines" | "/api/v3/uiKlines") => market_data::klines(&ex, params),
        ("GET", "/api/v3/ticker/24hr") => market_data::ticker_24hr(&ex, params, now_ms),
        ("GET", "/api/v3/ticker") => market_data::ticker_window(&ex, params, now_ms),
        ("GET", "/api/v3/ticker/price") => market_data::ticker_price(&ex, params),
        ("GET", "/api/v3/ticker/bookTicker") => market_data::book_ticker(&ex, params),
        ("GET", "/api/v3/avgPrice") => market_data::avg_price(&ex, params, now_ms),
        ("POST", "/api/v3/order") => {
            let key = signed(&ex)?;
            let order = new_order(&ex, params)?;
            let id = ex.place(&key, order.clone(), now)?;
            let rec = ex.order(&key, order.symbol, &OrderRef::Id(id)).expect("just placed");
            let resp = params.get("newOrderRespType").unwrap_or("FULL");
            Ok(order_json(&ex, rec, resp, now_ms))
        }
        ("POST", "/api/v3/order/test") => {
            signed(&ex)?;
            new_order(&ex, params)?;
            Ok(json!({}))
        }
        ("GET", "/api/v3/order") => {
            let key = signed(&ex)?;
            let symbol = ex.symbol_index(params.required("symbol")?)?;
            let rec = ex.order(&key, symbol, &order_ref(params)?).ok_or_else(ApiError::no_such_order)?;
            Ok(order_json(&ex, rec, "QUERY", now_ms))
        }
        ("DELETE", "/api/v3/order") => {
            let key = signed(&ex)?;
            let symbol = ex.symbol_index(params.required("symbol")?)?;
            let by = order_ref(params)?;
            let id = ex.cancel(&key, symbol, &by, now)?;
            let rec = ex.order(&key, symbol, &OrderRef::Id(id)).expect("just cancelled");
            let mut v = order_json(&ex, rec, "RESULT", now_ms);
            v["origClientOrderId"] = json!(rec.client_order_id);
            v["clientOrderId"] =
                json!(params.get("newClientOrderId").map_or_else(|| format!("cancel-{id}"), str::to_string));
            Ok(v)
        }
        ("GET", "/api/v3/openOrders") => {
            let key = signed(&ex)?;
            let symbol = params.get("symbol").map(|s| ex.symbol_index(s)).transpose()?;
            let orders: Vec<Value> =
                ex.open_orders(&key, symbol).into_iter().map(|o| order_json(&ex, o, "QUERY", now_ms)).collect();
            Ok(Value::Array(orders))
        }
        ("GET", "/api/v3/myTrades") => account_history::my_trades(&ex, &signed(&ex)?, params),
        ("GET", "/api/v3/allOrders") => account_history::all_orders(&ex, &signed(&ex)?, params, now_ms),
        ("DELETE", "/api/v3/openOrders") => {
            let key = signed(&ex)?;
            account_history::cancel_open_orders(&mut ex, &key, params, now)
        }
        ("GET", "/api/v3/account/commission") => {
            signed(&ex)?;
            account_history::commission(&ex, params)
        }
        ("GET", "/api/v3/account") => {
            let key = signed(&ex)?;
            Ok(account(&ex, &key, now_ms))
        }
        ("GET", "/api/v3/rateLimit/order") => {
            let key = signed(&ex)?;
            Ok(app.limiter.lock().unwrap_or_else(|p| p.into_inner()).order_usage(&key, now_ms))
        }
        ("POST" | "PUT" | "DELETE", "/api/v3/userDataStream") => {
            let secret = ex.secret(api_key).ok_or_else(ApiError::bad_api_key)?;
            let mut keys = app.listen_keys.lock().expect("a handler panicked while holding the listen keys");
            match *method {
                Method::POST => Ok(json!({ "listenKey": keys.open(api_key, secret, now_ms) })),
                Method::PUT => keys.keep_alive(params.required("listenKey")?, api_key, now_ms).map(|()| json!({})),
                _ => keys.close(params.required("listenKey")?, api_key, now_ms).map(|()| json!({})),
            }
        }
        // What ccxt asks for with its default options; nothing to offer.
        (
            "GET",
            "/sapi/v1/capital/config/getall" | "/sapi/v1/margin/allPairs" | "/sapi/v1/margin/isolated/allPairs",
        ) => Ok(json!([])),
        ("GET", "/fapi/v1/exchangeInfo" | "/dapi/v1/exchangeInfo") => Ok(json!({ "symbols": [] })),
        _ => Err(ApiError::not_found()),
    }
}

fn exchange_info(ex: &Exchange, now_ms: i64, rate_limits: Value) -> Value {
    let symbols: Vec<Value> = ex
        .specs()
        .iter()
        .map(|s| {
            json!({
                "symbol": s.symbol, "status": "TRADING",
                "baseAsset": s.base, "baseAssetPrecision": 8,
                "quoteAsset": s.quote, "quotePrecision": 8, "quoteAssetPrecision": 8,
                "baseCommissionPrecision": 8, "quoteCommissionPrecision": 8,
                "orderTypes": ["LIMIT", "LIMIT_MAKER", "MARKET", "STOP_LOSS", "STOP_LOSS_LIMIT", "TAKE_PROFIT", "TAKE_PROFIT_LIMIT"],
                "icebergAllowed": false, "ocoAllowed": false, "otoAllowed": false,
                "quoteOrderQtyMarketAllowed": true, "allowTrailingStop": true, "cancelReplaceAllowed": false,
                "isSpotTradingAllowed": true, "isMarginTradingAllowed": false,
                "filters": [
                    { "filterType": "PRICE_FILTER", "minPrice": d8(s.min_price), "maxPrice": d8(s.max_price), "tickSize": d8(s.tick) },
                    { "filterType": "LOT_SIZE", "minQty": d8(s.min_qty), "maxQty": d8(s.max_qty), "stepSize": d8(s.lot) },
                    { "filterType": "NOTIONAL", "minNotional": d8(s.min_notional), "applyMinToMarket": true,
                      "maxNotional": "9000000.00000000", "applyMaxToMarket": false, "avgPriceMins": 5 },
                    { "filterType": "TRAILING_DELTA",
                      "minTrailingAboveDelta": conditional::MIN_TRAILING_DELTA, "maxTrailingAboveDelta": conditional::MAX_TRAILING_DELTA,
                      "minTrailingBelowDelta": conditional::MIN_TRAILING_DELTA, "maxTrailingBelowDelta": conditional::MAX_TRAILING_DELTA },
                ],
                "permissions": [], "permissionSets": [["SPOT"]],
                "defaultSelfTradePreventionMode": "NONE", "allowedSelfTradePreventionModes": ["NONE"],
            })
        })
        .collect();
    json!({ "timezone": "UTC", "serverTime": now_ms, "rateLimits": rate_limits, "exchangeFilters": [], "symbols": symbols })
}

fn depth(ex: &Exchange, params: &Params) -> Result<Value, ApiError> {
    let symbol = ex.symbol_index(params.required("symbol")?)?;
    let limit: usize = params.parsed("limit")?.unwrap_or(100);
    if !(1..=5000).contains(&limit) {
        return Err(ApiError::bad_enum("limit"));
    }
    let book = ex.book(symbol);
    let side = |s: Side| -> Vec<Value> { book.top(s, limit).map(|l| json!([d8(l.price), d8(l.qty)])).collect() };
    Ok(json!({ "lastUpdateId": ex.update_id(symbol), "bids": side(Side::Buy), "asks": side(Side::Sell) }))
}

fn new_order(ex: &Exchange, p: &Params) -> Result<NewOrder, ApiError> {
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

fn order_ref(p: &Params) -> Result<OrderRef, ApiError> {
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
        "symbol": symbol, "orderId": o.order_id, "orderListId": -1, "clientOrderId": o.client_order_id,
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

fn account(ex: &Exchange, key: &str, now_ms: i64) -> Value {
    let (maker, taker) = ex.rates();
    let bps = |r: pyrt_model::Rate| (r.to_f64() * 10_000.0).round() as i64;
    let balances: Vec<Value> = ex
        .balances(key)
        .into_iter()
        .flatten()
        .map(|(asset, b)| json!({ "asset": asset, "free": d8(b.free), "locked": d8(b.locked) }))
        .collect();
    json!({
        "makerCommission": bps(maker), "takerCommission": bps(taker), "buyerCommission": 0, "sellerCommission": 0,
        "commissionRates": { "maker": d8(maker), "taker": d8(taker), "buyer": d8(Money::ZERO), "seller": d8(Money::ZERO) },
        "canTrade": true, "canWithdraw": false, "canDeposit": false, "brokered": false,
        "requireSelfTradePrevention": false, "preventSor": false, "updateTime": now_ms,
        "accountType": "SPOT", "balances": balances, "permissions": ["SPOT"], "uid": 1,
    })
}
