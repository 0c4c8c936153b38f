//! The REST API: Binance Spot's `/api/v3` subset that python-binance and
//! ccxt use to trade (see `shared/protocols.md` §5), with the documented
//! response shapes, error codes and texts.

use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use pyrt_model::{Money, UnixNanos};
use serde_json::{Value, json};

use crate::errors::ApiError;
use crate::exchange::{Exchange, d8};
use crate::params::{Params, check_signed};
use crate::{account_history, conditional, market_data, order_api, order_list_api, rate_limits};

/// What the handlers share.
pub struct App {
    pub exchange: Mutex<Exchange>,
    /// Each market step's stream frames, for the WebSocket connections.
    pub frames: tokio::sync::broadcast::Sender<Arc<Vec<crate::streams::StepFrames>>>,
    /// User-data events: (API key, event), for user-data subscribers.
    pub user: tokio::sync::broadcast::Sender<Arc<(Arc<str>, Value)>>,
    /// The server's clock in nanoseconds (wall time; tests may fix it).
    pub clock: fn() -> UnixNanos,
    pub listen_keys: Mutex<crate::listen_keys::ListenKeys>,
    /// Request weight per address and new orders per account (its own
    /// lock: counting never waits behind matching).
    pub limiter: Mutex<crate::rate_limits::Limiter>,
    /// Books, trades and candles, read without the exchange's lock.
    pub market: crate::market_view::MarketView,
}

/// The client's address, put in each request's extensions by the server.
#[derive(Debug, Clone, Copy)]
pub struct Peer(pub std::net::SocketAddr);

impl App {
    /// Ends a market step: the account events it caused, then its stream
    /// frames, go to subscribers (after the exchange is released).
    pub fn publish_step(&self, mut ex: std::sync::MutexGuard<'_, Exchange>, frames: Vec<crate::streams::StepFrames>) {
        self.market.books.refresh(&ex);
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
    let api_key = parts.headers.get("X-MBX-APIKEY").and_then(|v| v.to_str().ok()).unwrap_or("");
    let answer = call(&app, Request { ip, method, path, api_key, query, body });
    let mut response = match answer.result {
        Ok(value) => axum::Json(value).into_response(),
        Err(e) => e.into_response(),
    };
    if let Some(retry_after_s) = answer.retry_after_s {
        response.headers_mut().insert("retry-after", retry_after_s.into());
    }
    usage_headers(&mut response, answer.used, answer.order_counts);
    response
}

/// One request, through either door (REST, or the WebSocket API, which
/// names the same operations by method).
pub(crate) struct Request<'a> {
    pub ip: std::net::IpAddr,
    pub method: &'a str,
    pub path: &'a str,
    /// The `X-MBX-APIKEY` header (REST) or `apiKey` parameter.
    pub api_key: &'a str,
    /// Signed requests are verified over the query and body as sent.
    pub query: &'a str,
    pub body: Result<String, ApiError>,
}

/// A request's answer, and the usage the limits counted for it.
pub(crate) struct Answer {
    pub result: Result<Value, ApiError>,
    /// Seconds to wait, when refused by a rate limit.
    pub retry_after_s: Option<i64>,
    pub used: Option<u32>,
    pub order_counts: Option<(u32, u32)>,
}

/// Admits a request against the rate limits and answers it.
pub(crate) fn call(app: &App, r: Request<'_>) -> Answer {
    let now_ms = (app.clock)() / 1_000_000;
    // Parsed once: the weight depends on the parameters, and so does the handler.
    let params = Params::parse(r.query, r.body.as_deref().unwrap_or(""));
    let weight = rate_limits::weight(r.method, r.path, &params);
    let refused = |limited: rate_limits::Limited, used| Answer {
        result: Err(limited.error),
        retry_after_s: Some(limited.retry_after_s),
        used,
        order_counts: None,
    };
    let (used, order_counts) = {
        let mut limiter = app.limiter.lock().unwrap_or_else(|p| p.into_inner());
        let used = match limiter.admit(r.ip, weight, now_ms) {
            Ok(used) => used,
            Err(limited) => return refused(limited, None),
        };
        // New orders count per account, accepted or not (as Binance counts them).
        let mut counts = None;
        for _ in 0..rate_limits::orders_placed(r.method, r.path) {
            if r.api_key.is_empty() {
                break;
            }
            match limiter.admit_order(r.api_key, now_ms) {
                Ok(c) => counts = Some(c),
                Err(limited) => return refused(limited, Some(used)),
            }
        }
        (used, counts)
    };
    // A panic in a handler is a bug, but it must cost one request an
    // answer, not the connection its reply (and, holding the exchange's
    // lock, every later request its answer too).
    let result = r.body.and_then(|body| {
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            handle(app, r.method, r.path, r.query, r.api_key, &body, &params)
        }))
        .unwrap_or_else(|_| Err(ApiError::internal()))
    });
    Answer { result, retry_after_s: None, used: Some(used), order_counts }
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
    method: &str,
    path: &str,
    query: &str,
    api_key: &str,
    body: &str,
    params: &Params,
) -> Result<Value, ApiError> {
    let now = (app.clock)();
    let now_ms = now / 1_000_000;
    match (method, path) {
        ("GET", "/api/v3/ping") => return Ok(json!({})),
        ("GET", "/api/v3/time") => return Ok(json!({ "serverTime": now_ms })),
        ("GET", _) if path.starts_with("/api/v3/") => {
            // Market data: never behind the exchange's lock.
            let m = &app.market;
            let answer = match path {
                "/api/v3/depth" => Some(crate::market_view::depth(m, params)),
                "/api/v3/trades" => Some(market_data::trades(m, params)),
                "/api/v3/historicalTrades" => Some(market_data::historical_trades(m, params)),
                "/api/v3/aggTrades" => Some(market_data::agg_trades(m, params)),
                "/api/v3/klines" | "/api/v3/uiKlines" => Some(market_data::klines(m, params)),
                "/api/v3/ticker/24hr" => Some(market_data::ticker_24hr(m, params, now_ms)),
                "/api/v3/ticker" => Some(market_data::ticker_window(m, params, now_ms)),
                "/api/v3/ticker/price" => Some(market_data::ticker_price(m, params)),
                "/api/v3/ticker/bookTicker" => Some(market_data::book_ticker(m, params)),
                "/api/v3/avgPrice" => Some(market_data::avg_price(m, params, now_ms)),
                _ => None,
            };
            if let Some(answer) = answer {
                return answer;
            }
        }
        _ => {}
    }
    // Poisoned: a handler panicked mid-change, so the books may be half
    // updated; say so on every request rather than trade on them.
    let mut ex = app.exchange.lock().map_err(|_| ApiError::halted())?;
    // The account behind a SIGNED request, once its signature and timing check out.
    let signed = |ex: &Exchange| -> Result<String, ApiError> {
        let secret = ex.secret(api_key).ok_or_else(ApiError::bad_api_key)?;
        check_signed(secret, query, body, params, now_ms)?;
        Ok(api_key.to_string())
    };
    match (method, path) {
        ("GET", "/api/v3/exchangeInfo") => {
            let limits = app.limiter.lock().unwrap_or_else(|p| p.into_inner()).limits().exchange_info();
            Ok(exchange_info(&ex, now_ms, limits))
        }
        ("POST", "/api/v3/order") => {
            let key = signed(&ex)?;
            order_api::place(&mut ex, &key, params, now)
        }
        ("POST", "/api/v3/order/test") => {
            signed(&ex)?;
            order_api::new_order(&ex, params)?;
            Ok(json!({}))
        }
        ("GET", "/api/v3/order") => order_api::query(&ex, &signed(&ex)?, params, now_ms),
        ("DELETE", "/api/v3/order") => {
            let key = signed(&ex)?;
            order_api::cancel(&mut ex, &key, params, now)
        }
        ("POST", "/api/v3/order/cancelReplace") => {
            let key = signed(&ex)?;
            order_api::cancel_replace(&mut ex, &key, params, now)
        }
        ("GET", "/api/v3/openOrders") => order_api::open_orders(&ex, &signed(&ex)?, params, now_ms),
        ("POST", "/api/v3/orderList/oco") => {
            let key = signed(&ex)?;
            order_list_api::place_oco(&mut ex, &key, params, now)
        }
        ("GET", "/api/v3/orderList") => order_list_api::query(&ex, &signed(&ex)?, params, now_ms),
        ("DELETE", "/api/v3/orderList") => {
            let key = signed(&ex)?;
            order_list_api::cancel(&mut ex, &key, params, now)
        }
        ("GET", "/api/v3/allOrderList") => order_list_api::all(&ex, &signed(&ex)?, params, now_ms),
        ("GET", "/api/v3/openOrderList") => Ok(order_list_api::open(&ex, &signed(&ex)?, now_ms)),
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
            match method {
                "POST" => Ok(json!({ "listenKey": keys.open(api_key, secret, now_ms) })),
                "PUT" => keys.keep_alive(params.required("listenKey")?, api_key, now_ms).map(|()| json!({})),
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
                "icebergAllowed": false, "ocoAllowed": true, "otoAllowed": false,
                "quoteOrderQtyMarketAllowed": true, "allowTrailingStop": true, "cancelReplaceAllowed": true,
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
