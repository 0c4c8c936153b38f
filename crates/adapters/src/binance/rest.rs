//! Signed REST requests to Binance Spot (`/api/v3`).
//!
//! * **Signing.** Parameters are form-encoded in the order given, the
//!   HMAC-SHA256 of that exact text is appended as `signature`, and the
//!   text goes in the query (GET, DELETE) or the body (POST), so what is
//!   signed is byte for byte what is sent.
//! * **Time.** `timestamp` is local time plus the offset measured by
//!   [`BinanceRest::sync_time`], so a skewed local clock does not trip the
//!   server's `recvWindow` check.
//! * **Rate limits.** Every request waits for its weight in a
//!   request-weight budget per minute (governor), so the client slows down
//!   before the server would answer 429.
//! * **Retries.** Requests that read or cancel are retried on 429/418 (after
//!   `Retry-After`), 5xx and transport failures, with exponential backoff.
//!   A new order is different: a 5xx or a timeout means its outcome is
//!   unknown, and sending it again could trade twice. [`BinanceRest::place_order`]
//!   first asks for the order by its client order id and resubmits (with
//!   the same id, which the venue refuses as a duplicate if the first did
//!   arrive) only when the venue does not know it. Rejections (4xx with a
//!   Binance code) are never retried.

use std::num::NonZeroU32;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};
use pyrt_binance::{DepthSnapshot, StreamMessage, signing::sign};
use pyrt_model::{Price, Quantity, Side};
use reqwest::{Method, StatusCode};
use serde_json::Value;

/// Where and how to connect.
#[derive(Debug, Clone)]
pub struct RestConfig {
    /// Scheme, host and port, e.g. `http://127.0.0.1:8765`.
    pub base_url: String,
    pub api_key: String,
    pub secret: String,
    pub recv_window_ms: u64,
    pub timeout: Duration,
    /// Retries after the first attempt, for retryable failures.
    pub max_retries: u32,
    /// First backoff; doubles each retry up to `max_backoff`.
    pub backoff: Duration,
    pub max_backoff: Duration,
    /// Request weight allowed per minute (Binance Spot: 6000).
    pub weight_per_minute: u32,
    /// Used for `https://` URLs.
    pub tls: Arc<rustls::ClientConfig>,
}

impl RestConfig {
    pub fn new(base_url: impl Into<String>, api_key: impl Into<String>, secret: impl Into<String>) -> Self {
        Self {
            base_url: base_url.into().trim_end_matches('/').to_string(),
            api_key: api_key.into(),
            secret: secret.into(),
            recv_window_ms: 5000,
            timeout: Duration::from_secs(10),
            max_retries: 3,
            backoff: Duration::from_millis(200),
            max_backoff: Duration::from_secs(5),
            weight_per_minute: 6000,
            tls: crate::tls::default_client_config(),
        }
    }
}

/// Why a request failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RestError {
    #[error("Binance refused the request (HTTP {status}, code {code}): {msg}")]
    Api { status: u16, code: i64, msg: String },
    #[error("rate limited (HTTP 429); the server asks to wait {retry_after_s} s")]
    RateLimited { retry_after_s: u64 },
    #[error("IP banned for breaking rate limits (HTTP 418); the server asks to wait {retry_after_s} s")]
    Banned { retry_after_s: u64 },
    #[error("server error (HTTP {status}); the request's outcome is unknown: {body}")]
    Server { status: u16, body: String },
    #[error("request failed before an answer arrived (outcome unknown): {0}")]
    Transport(String),
    /// No connection was made (refused, unreachable, name not found, TLS
    /// handshake or certificate refused), so nothing was sent.
    #[error("cannot connect; nothing was sent: {0}")]
    Connect(String),
    #[error("unexpected answer from {path}: {problem}")]
    Decode { path: String, problem: String },
}

impl RestError {
    /// Worth trying again (after a pause).
    pub fn is_retryable(&self) -> bool {
        matches!(
            self,
            RestError::RateLimited { .. }
                | RestError::Banned { .. }
                | RestError::Server { .. }
                | RestError::Transport(_)
                | RestError::Connect(_)
        )
    }

    /// The server may or may not have acted on the request.
    pub fn outcome_unknown(&self) -> bool {
        matches!(self, RestError::Server { .. } | RestError::Transport(_))
    }

    fn wait(&self) -> Option<Duration> {
        match self {
            RestError::RateLimited { retry_after_s } | RestError::Banned { retry_after_s } => {
                Some(Duration::from_secs(*retry_after_s))
            }
            _ => None,
        }
    }
}

/// A failed send, with every cause in its chain: reqwest's own message
/// ("error sending request") hides the one that says what went wrong.
fn send_error(e: reqwest::Error) -> RestError {
    let mut text = e.to_string();
    let mut source = std::error::Error::source(&e);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    if e.is_connect() { RestError::Connect(text) } else { RestError::Transport(text) }
}

/// A new order.
#[derive(Debug, Clone, PartialEq)]
pub struct OrderParams {
    pub symbol: String,
    pub side: Side,
    /// `MARKET`, `LIMIT`, `LIMIT_MAKER`, `STOP_LOSS`, `STOP_LOSS_LIMIT`, ….
    pub order_type: &'static str,
    /// `GTC`, `IOC` or `FOK` for limits.
    pub time_in_force: Option<&'static str>,
    pub quantity: Quantity,
    pub price: Option<Price>,
    /// A contingent order's trigger price.
    pub stop_price: Option<Price>,
    /// A trailing order's distance, in BIPS.
    pub trailing_delta: Option<u32>,
    /// Our id for the order: what makes a retry safe.
    pub client_order_id: String,
}

/// What trading a symbol needs from `exchangeInfo`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SymbolInfo {
    pub symbol: String,
    pub base: String,
    pub quote: String,
    /// `PRICE_FILTER.tickSize`.
    pub tick_size: Price,
    /// `LOT_SIZE.stepSize`.
    pub step_size: Quantity,
    /// `LOT_SIZE.minQty`.
    pub min_qty: Quantity,
    /// `LOT_SIZE.maxQty`.
    pub max_qty: Quantity,
}

/// A Binance Spot REST client.
pub struct BinanceRest {
    http: reqwest::Client,
    cfg: RestConfig,
    offset_ms: AtomicI64,
    weight: DefaultDirectRateLimiter,
}

fn now_ms() -> i64 {
    pyrt_model::time::wall_clock() / 1_000_000
}

impl BinanceRest {
    pub fn new(cfg: RestConfig) -> Result<Self, RestError> {
        let http = reqwest::Client::builder()
            .timeout(cfg.timeout)
            .tls_backend_preconfigured((*cfg.tls).clone())
            .build()
            .map_err(|e| RestError::Transport(e.to_string()))?;
        let per_minute = NonZeroU32::new(cfg.weight_per_minute.max(1)).expect("at least 1");
        Ok(Self { http, weight: RateLimiter::direct(Quota::per_minute(per_minute)), offset_ms: AtomicI64::new(0), cfg })
    }

    /// Server time minus local time, as last measured (ms).
    pub fn time_offset_ms(&self) -> i64 {
        self.offset_ms.load(Ordering::Relaxed)
    }

    pub async fn ping(&self) -> Result<(), RestError> {
        self.call(Method::GET, "/api/v3/ping", &[], false, 1).await.map(|_| ())
    }

    /// Measures the server clock against ours (half the round trip
    /// assumed each way) and uses it for every later `timestamp`.
    pub async fn sync_time(&self) -> Result<i64, RestError> {
        let sent = now_ms();
        let v = self.call(Method::GET, "/api/v3/time", &[], false, 1).await?;
        let received = now_ms();
        let server = v["serverTime"].as_i64().ok_or_else(|| decode("/api/v3/time", "no serverTime"))?;
        let offset = server - (sent + received) / 2;
        self.offset_ms.store(offset, Ordering::Relaxed);
        Ok(offset)
    }

    /// The order book snapshot (`GET /api/v3/depth`).
    pub async fn depth(&self, symbol: &str, limit: u32) -> Result<DepthSnapshot, RestError> {
        let weight = match limit {
            0..=100 => 5,
            101..=500 => 25,
            501..=1000 => 50,
            _ => 250,
        };
        let params = [("symbol", symbol.to_string()), ("limit", limit.to_string())];
        let v = self.call(Method::GET, "/api/v3/depth", &params, false, weight).await?;
        match pyrt_binance::parse(&v.to_string()) {
            Ok(StreamMessage::Snapshot(s)) => Ok(s),
            Ok(other) => Err(decode("/api/v3/depth", &format!("not a depth snapshot: {other:?}"))),
            Err(e) => Err(decode("/api/v3/depth", &e.to_string())),
        }
    }

    /// A symbol's assets and grid (`GET /api/v3/exchangeInfo?symbol=`).
    pub async fn symbol_info(&self, symbol: &str) -> Result<SymbolInfo, RestError> {
        let path = "/api/v3/exchangeInfo";
        let v = self.call(Method::GET, path, &[("symbol", symbol.to_string())], false, 20).await?;
        let s = v["symbols"]
            .as_array()
            .and_then(|all| all.iter().find(|s| s["symbol"] == symbol))
            .ok_or_else(|| decode(path, &format!("no symbol {symbol}")))?;
        let filter = |kind: &str, field: &str| -> Result<String, RestError> {
            s["filters"]
                .as_array()
                .and_then(|fs| fs.iter().find(|f| f["filterType"] == kind))
                .and_then(|f| f[field].as_str())
                .map(str::to_string)
                .ok_or_else(|| decode(path, &format!("{symbol} has no {kind}.{field}")))
        };
        let text = |field: &str| s[field].as_str().map(str::to_string).ok_or_else(|| decode(path, field));
        Ok(SymbolInfo {
            symbol: symbol.to_string(),
            base: text("baseAsset")?,
            quote: text("quoteAsset")?,
            tick_size: number(path, &filter("PRICE_FILTER", "tickSize")?)?,
            step_size: number(path, &filter("LOT_SIZE", "stepSize")?)?,
            min_qty: number(path, &filter("LOT_SIZE", "minQty")?)?,
            max_qty: number(path, &filter("LOT_SIZE", "maxQty")?)?,
        })
    }

    pub async fn account(&self) -> Result<Value, RestError> {
        self.call(Method::GET, "/api/v3/account", &[], true, 20).await
    }

    pub async fn open_orders(&self, symbol: &str) -> Result<Vec<Value>, RestError> {
        let v = self.call(Method::GET, "/api/v3/openOrders", &[("symbol", symbol.to_string())], true, 6).await?;
        v.as_array().cloned().ok_or_else(|| decode("/api/v3/openOrders", "not an array"))
    }

    /// The order with this client id, or `None` if the venue does not know it.
    pub async fn query_order(&self, symbol: &str, client_order_id: &str) -> Result<Option<Value>, RestError> {
        let params = [("symbol", symbol.to_string()), ("origClientOrderId", client_order_id.to_string())];
        match self.call(Method::GET, "/api/v3/order", &params, true, 4).await {
            Ok(v) => Ok(Some(v)),
            Err(RestError::Api { code: -2013, .. }) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Up to 1,000 of the account's orders on `symbol` with an order id of
    /// at least `from_order_id`, oldest first (Binance's paging).
    pub async fn all_orders(&self, symbol: &str, from_order_id: u64) -> Result<Vec<Value>, RestError> {
        let params =
            [("symbol", symbol.to_string()), ("orderId", from_order_id.to_string()), ("limit", "1000".to_string())];
        let v = self.call(Method::GET, "/api/v3/allOrders", &params, true, 20).await?;
        v.as_array().cloned().ok_or_else(|| decode("/api/v3/allOrders", "not an array"))
    }

    /// The account's trades of one order (at most 1,000).
    pub async fn order_trades(&self, symbol: &str, order_id: u64) -> Result<Vec<Value>, RestError> {
        let params = [("symbol", symbol.to_string()), ("orderId", order_id.to_string()), ("limit", "1000".to_string())];
        let v = self.call(Method::GET, "/api/v3/myTrades", &params, true, 20).await?;
        v.as_array().cloned().ok_or_else(|| decode("/api/v3/myTrades", "not an array"))
    }

    /// The account's trades on `symbol` from trade id `from_id` on (at most 1,000).
    pub async fn trades_from(&self, symbol: &str, from_id: u64) -> Result<Vec<Value>, RestError> {
        let params = [("symbol", symbol.to_string()), ("fromId", from_id.to_string()), ("limit", "1000".to_string())];
        let v = self.call(Method::GET, "/api/v3/myTrades", &params, true, 20).await?;
        v.as_array().cloned().ok_or_else(|| decode("/api/v3/myTrades", "not an array"))
    }

    pub async fn cancel_order(&self, symbol: &str, client_order_id: &str) -> Result<Value, RestError> {
        let params = [("symbol", symbol.to_string()), ("origClientOrderId", client_order_id.to_string())];
        self.call(Method::DELETE, "/api/v3/order", &params, true, 1).await
    }

    /// Places an order; never sends it twice without first asking whether
    /// the first one arrived (see the module docs).
    pub async fn place_order(&self, order: &OrderParams) -> Result<Value, RestError> {
        let mut params = vec![
            ("symbol", order.symbol.clone()),
            ("side", if order.side == Side::Buy { "BUY" } else { "SELL" }.to_string()),
            ("type", order.order_type.to_string()),
            ("quantity", order.quantity.to_string()),
            ("newClientOrderId", order.client_order_id.clone()),
            ("newOrderRespType", "FULL".to_string()),
        ];
        if let Some(tif) = order.time_in_force {
            params.push(("timeInForce", tif.to_string()));
        }
        if let Some(price) = order.price {
            params.push(("price", price.to_string()));
        }
        if let Some(stop) = order.stop_price {
            params.push(("stopPrice", stop.to_string()));
        }
        if let Some(delta) = order.trailing_delta {
            params.push(("trailingDelta", delta.to_string()));
        }
        let mut attempt = 0;
        loop {
            let err = match self.send(Method::POST, "/api/v3/order", &params, true, 1).await {
                Ok(v) => return Ok(v),
                Err(e) => e,
            };
            if !err.is_retryable() || attempt >= self.cfg.max_retries {
                return Err(err);
            }
            if err.outcome_unknown() {
                // Did it arrive? The answer decides, not a guess.
                if let Some(existing) = self.query_order(&order.symbol, &order.client_order_id).await? {
                    return Ok(existing);
                }
            }
            self.pause(attempt, &err).await;
            attempt += 1;
        }
    }

    /// A request that is safe to repeat, with retries.
    async fn call(
        &self,
        method: Method,
        path: &str,
        params: &[(&str, String)],
        signed: bool,
        weight: u32,
    ) -> Result<Value, RestError> {
        let mut attempt = 0;
        loop {
            match self.send(method.clone(), path, params, signed, weight).await {
                Err(e) if e.is_retryable() && attempt < self.cfg.max_retries => {
                    self.pause(attempt, &e).await;
                    attempt += 1;
                }
                other => return other,
            }
        }
    }

    async fn pause(&self, attempt: u32, err: &RestError) {
        let backoff = crate::backoff::exponential(self.cfg.backoff, self.cfg.max_backoff, attempt);
        tokio::time::sleep(err.wait().unwrap_or(backoff)).await;
    }

    /// One attempt.
    async fn send(
        &self,
        method: Method,
        path: &str,
        params: &[(&str, String)],
        signed: bool,
        weight: u32,
    ) -> Result<Value, RestError> {
        let weight = NonZeroU32::new(weight.max(1)).expect("at least 1");
        self.weight.until_n_ready(weight).await.map_err(|e| RestError::Transport(format!("request weight: {e}")))?;
        // Built in a block: the serializer is not `Send` and must not live across an await.
        let mut text = {
            let mut ser = form_urlencoded::Serializer::new(String::new());
            for (k, v) in params {
                ser.append_pair(k, v);
            }
            if signed {
                ser.append_pair("timestamp", &(now_ms() + self.time_offset_ms()).to_string());
                ser.append_pair("recvWindow", &self.cfg.recv_window_ms.to_string());
            }
            ser.finish()
        };
        if signed {
            let signature = sign(&self.cfg.secret, &text);
            if !text.is_empty() {
                text.push('&');
            }
            text.push_str("signature=");
            text.push_str(&signature);
        }
        let url = format!("{}{}", self.cfg.base_url, path);
        let mut req = if method == Method::POST {
            self.http.request(method, &url).header("Content-Type", "application/x-www-form-urlencoded").body(text)
        } else if text.is_empty() {
            self.http.request(method, &url)
        } else {
            self.http.request(method, format!("{url}?{text}"))
        };
        if signed || !self.cfg.api_key.is_empty() {
            req = req.header("X-MBX-APIKEY", &self.cfg.api_key);
        }
        let resp = req.send().await.map_err(send_error)?;
        let status = resp.status();
        let retry_after =
            resp.headers().get("Retry-After").and_then(|v| v.to_str().ok()).and_then(|v| v.parse().ok()).unwrap_or(1);
        let body = resp.text().await.map_err(|e| RestError::Transport(e.to_string()))?;
        match status {
            s if s.is_success() => serde_json::from_str(&body).map_err(|e| decode(path, &e.to_string())),
            StatusCode::TOO_MANY_REQUESTS => Err(RestError::RateLimited { retry_after_s: retry_after }),
            s if s.as_u16() == 418 => Err(RestError::Banned { retry_after_s: retry_after }),
            s if s.is_server_error() => Err(RestError::Server { status: s.as_u16(), body }),
            s => {
                let v: Value = serde_json::from_str(&body).map_err(|_| decode(path, &format!("HTTP {s}: {body}")))?;
                Err(RestError::Api {
                    status: s.as_u16(),
                    code: v["code"].as_i64().unwrap_or(0),
                    msg: v["msg"].as_str().unwrap_or("").to_string(),
                })
            }
        }
    }
}

fn number<T: std::str::FromStr<Err = pyrt_model::ValueError>>(path: &str, text: &str) -> Result<T, RestError> {
    text.parse().map_err(|e| decode(path, &format!("`{text}`: {e}")))
}

pub(crate) fn decode(path: &str, problem: &str) -> RestError {
    RestError::Decode { path: path.to_string(), problem: problem.to_string() }
}

/// Reading fields of an answer from `path`; a missing or malformed one is
/// a decode error that names the endpoint and the field.
pub(crate) mod field {
    use serde_json::Value;

    use super::{RestError, decode};

    pub fn text<'a>(v: &'a Value, name: &str, path: &str) -> Result<&'a str, RestError> {
        v[name].as_str().ok_or_else(|| decode(path, &format!("no `{name}` in the answer")))
    }

    /// A decimal string (`"0.00100000"`) as a price, quantity or amount.
    pub fn number<T: std::str::FromStr>(v: &Value, name: &str, path: &str) -> Result<T, RestError>
    where
        T::Err: std::fmt::Display,
    {
        text(v, name, path)?.parse().map_err(|e| decode(path, &format!("`{name}`: {e}")))
    }

    pub fn u64(v: &Value, name: &str, path: &str) -> Result<u64, RestError> {
        v[name].as_u64().ok_or_else(|| decode(path, &format!("no `{name}` in the answer")))
    }

    pub fn i64(v: &Value, name: &str, path: &str) -> Result<i64, RestError> {
        v[name].as_i64().ok_or_else(|| decode(path, &format!("no `{name}` in the answer")))
    }

    /// An order's `status` as the kernel's.
    pub fn order_status(v: &Value, path: &str) -> Result<pyrt_model::OrderStatus, RestError> {
        use pyrt_model::OrderStatus;
        Ok(match text(v, "status", path)? {
            "NEW" | "PENDING_NEW" => OrderStatus::Accepted,
            "PARTIALLY_FILLED" => OrderStatus::PartiallyFilled,
            "FILLED" => OrderStatus::Filled,
            "CANCELED" | "PENDING_CANCEL" => OrderStatus::Cancelled,
            "EXPIRED" | "EXPIRED_IN_MATCH" => OrderStatus::Expired,
            "REJECTED" => OrderStatus::Rejected,
            other => return Err(decode(path, &format!("unknown order status `{other}`"))),
        })
    }
}
