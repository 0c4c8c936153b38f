//! Binance's rate limits, enforced as Binance enforces them.
//!
//! Two budgets, in fixed windows of the server's clock (Binance resets them
//! at the start of each minute, 10 seconds and UTC day):
//!
//! * **request weight** per IP address and minute (6,000): each endpoint
//!   costs its documented weight ([`weight`]), and every answer says how
//!   much of the minute is used in `X-MBX-USED-WEIGHT-1M`. A request over
//!   the budget is refused with HTTP 429 (`-1003`) and `Retry-After` (the
//!   seconds until the window ends). A client that keeps sending while
//!   refused (more than `ban_after` refusals in one minute) is banned:
//!   HTTP 418 for every request, for 2 minutes, doubling for each repeat
//!   up to 3 days, as Binance scales its bans.
//! * **new orders** per account, per 10 seconds (100) and per day
//!   (200,000), counted on `POST /api/v3/order` whether or not the order
//!   is accepted; order answers carry `X-MBX-ORDER-COUNT-10S` and
//!   `X-MBX-ORDER-COUNT-1D`, and one over a budget is refused with 429
//!   (`-1015`). `GET /api/v3/rateLimit/order` reports both.
//!
//! The limits are configurable (`pyrt venue --weight-limit`, ...), and can
//! be lifted for load tests; `exchangeInfo` lists the ones in force.

use std::collections::HashMap;
use std::net::IpAddr;

use axum::http::StatusCode;
use serde_json::{Value, json};

use crate::errors::ApiError;
use crate::params::Params;

/// The budgets. `None`: no limit of that kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimits {
    pub weight_per_minute: Option<u32>,
    pub orders_per_10s: Option<u32>,
    pub orders_per_day: Option<u32>,
    /// Requests refused with 429 in one minute before the address is banned.
    pub ban_after: u32,
}

impl Default for RateLimits {
    /// Binance Spot's.
    fn default() -> Self {
        Self { weight_per_minute: Some(6000), orders_per_10s: Some(100), orders_per_day: Some(200_000), ban_after: 50 }
    }
}

impl RateLimits {
    /// No limits (load tests).
    pub fn none() -> Self {
        Self { weight_per_minute: None, orders_per_10s: None, orders_per_day: None, ban_after: u32::MAX }
    }

    /// `exchangeInfo`'s `rateLimits`.
    pub fn exchange_info(&self) -> Value {
        let mut out = Vec::new();
        if let Some(limit) = self.weight_per_minute {
            out.push(
                json!({"rateLimitType": "REQUEST_WEIGHT", "interval": "MINUTE", "intervalNum": 1, "limit": limit}),
            );
        }
        if let Some(limit) = self.orders_per_10s {
            out.push(json!({"rateLimitType": "ORDERS", "interval": "SECOND", "intervalNum": 10, "limit": limit}));
        }
        if let Some(limit) = self.orders_per_day {
            out.push(json!({"rateLimitType": "ORDERS", "interval": "DAY", "intervalNum": 1, "limit": limit}));
        }
        Value::Array(out)
    }

    /// The WebSocket API's `rateLimits`: each limit with what the
    /// request's address (weight) or account (orders) has used of it.
    pub fn usage(&self, used: Option<u32>, orders: Option<(u32, u32)>) -> Value {
        let Value::Array(mut limits) = self.exchange_info() else { unreachable!("an array") };
        limits.retain_mut(|l| {
            let count = match (l["rateLimitType"].as_str(), l["interval"].as_str()) {
                (Some("REQUEST_WEIGHT"), _) => used,
                (Some("ORDERS"), Some("SECOND")) => orders.map(|o| o.0),
                _ => orders.map(|o| o.1),
            };
            l["count"] = json!(count);
            count.is_some()
        });
        Value::Array(limits)
    }
}

const MINUTE_MS: i64 = 60_000;
const TEN_S_MS: i64 = 10_000;
const DAY_MS: i64 = 86_400_000;
const FIRST_BAN_MS: i64 = 2 * MINUTE_MS;
const LONGEST_BAN_MS: i64 = 3 * DAY_MS;

/// One address's minute.
#[derive(Debug, Default)]
struct Address {
    minute: i64,
    used: u32,
    refused: u32,
    banned_until_ms: i64,
    bans: u32,
}

/// One account's order counts.
#[derive(Debug, Default, Clone, Copy)]
struct Orders {
    ten_s: i64,
    in_ten_s: u32,
    day: i64,
    in_day: u32,
}

/// A refusal: the error answer and its `Retry-After` in seconds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limited {
    pub error: ApiError,
    pub retry_after_s: i64,
}

/// The counters.
#[derive(Debug)]
pub struct Limiter {
    limits: RateLimits,
    addresses: HashMap<IpAddr, Address>,
    accounts: HashMap<String, Orders>,
}

impl Limiter {
    pub fn new(limits: RateLimits) -> Self {
        Self { limits, addresses: HashMap::new(), accounts: HashMap::new() }
    }

    pub fn limits(&self) -> &RateLimits {
        &self.limits
    }

    /// Spends `weight` of `ip`'s minute, or says why not; `Ok` holds the
    /// weight used in the minute so far.
    pub fn admit(&mut self, ip: IpAddr, weight: u32, now_ms: i64) -> Result<u32, Limited> {
        // Counted without a limit too: the headers still tell the use.
        let limit = self.limits.weight_per_minute;
        // Forget addresses idle for a minute or more, so a flood of
        // addresses cannot grow the table without end.
        if self.addresses.len() > 65_536 {
            self.addresses.retain(|_, a| a.minute >= now_ms / MINUTE_MS - 1 || a.banned_until_ms > now_ms);
        }
        let a = self.addresses.entry(ip).or_default();
        if a.banned_until_ms > now_ms {
            return Err(Limited {
                error: ApiError {
                    status: StatusCode::IM_A_TEAPOT,
                    code: -1003,
                    msg: format!(
                        "Way too much request weight used; IP banned until {}. Please use WebSocket Streams for \
                         live updates to avoid bans.",
                        a.banned_until_ms
                    ),
                    data: None,
                },
                retry_after_s: ceil_s(a.banned_until_ms - now_ms),
            });
        }
        let minute = now_ms / MINUTE_MS;
        if a.minute != minute {
            (a.minute, a.used, a.refused) = (minute, 0, 0);
        }
        if let Some(limit) = limit
            && a.used.saturating_add(weight) > limit
        {
            a.refused += 1;
            let window_end = (minute + 1) * MINUTE_MS;
            if a.refused > self.limits.ban_after {
                let length = FIRST_BAN_MS.saturating_mul(1 << a.bans.min(12)).min(LONGEST_BAN_MS);
                (a.banned_until_ms, a.bans) = (now_ms + length, a.bans + 1);
            }
            return Err(Limited {
                error: ApiError {
                    status: StatusCode::TOO_MANY_REQUESTS,
                    code: -1003,
                    msg: format!(
                        "Too much request weight used; current limit is {limit} request weight per 1 MINUTE. Please \
                         use WebSocket Streams for live updates to avoid polling the API."
                    ),
                    data: None,
                },
                retry_after_s: ceil_s(window_end - now_ms),
            });
        }
        a.used = a.used.saturating_add(weight);
        Ok(a.used)
    }

    /// The weight `ip` has used this minute.
    pub fn used(&self, ip: IpAddr, now_ms: i64) -> u32 {
        self.addresses.get(&ip).filter(|a| a.minute == now_ms / MINUTE_MS).map_or(0, |a| a.used)
    }

    /// Counts one new order of `api_key`, or says why not; `Ok` holds the
    /// counts in the 10-second window and the day.
    pub fn admit_order(&mut self, api_key: &str, now_ms: i64) -> Result<(u32, u32), Limited> {
        let limits = self.limits;
        if !self.accounts.contains_key(api_key) {
            self.accounts.insert(api_key.to_string(), Orders::default());
        }
        let o = self.accounts.get_mut(api_key).expect("inserted above");
        roll(o, now_ms);
        for (limit, count, what, window_end) in [
            (limits.orders_per_10s, o.in_ten_s, "10 SECOND", (o.ten_s + 1) * TEN_S_MS),
            (limits.orders_per_day, o.in_day, "1 DAY", (o.day + 1) * DAY_MS),
        ] {
            if let Some(limit) = limit
                && count >= limit
            {
                return Err(Limited {
                    error: ApiError {
                        status: StatusCode::TOO_MANY_REQUESTS,
                        code: -1015,
                        msg: format!("Too many new orders; current limit is {limit} orders per {what}."),
                        data: None,
                    },
                    retry_after_s: ceil_s(window_end - now_ms),
                });
            }
        }
        o.in_ten_s = o.in_ten_s.saturating_add(1);
        o.in_day = o.in_day.saturating_add(1);
        Ok((o.in_ten_s, o.in_day))
    }

    /// `GET /api/v3/rateLimit/order`: the account's order counts now.
    pub fn order_usage(&self, api_key: &str, now_ms: i64) -> Value {
        let mut o = self.accounts.get(api_key).copied().unwrap_or_default();
        roll(&mut o, now_ms);
        let mut out = Vec::new();
        if let Some(limit) = self.limits.orders_per_10s {
            out.push(json!({"rateLimitType": "ORDERS", "interval": "SECOND", "intervalNum": 10, "limit": limit,
                "count": o.in_ten_s}));
        }
        if let Some(limit) = self.limits.orders_per_day {
            out.push(json!({"rateLimitType": "ORDERS", "interval": "DAY", "intervalNum": 1, "limit": limit,
                "count": o.in_day}));
        }
        Value::Array(out)
    }
}

/// Starts new windows when the clock has left the old ones.
fn roll(o: &mut Orders, now_ms: i64) {
    let (ten_s, day) = (now_ms / TEN_S_MS, now_ms / DAY_MS);
    if o.ten_s != ten_s {
        (o.ten_s, o.in_ten_s) = (ten_s, 0);
    }
    if o.day != day {
        (o.day, o.in_day) = (day, 0);
    }
}

fn ceil_s(ms: i64) -> i64 {
    (ms.max(0) + 999) / 1000
}

/// An endpoint's request weight, as Binance's documentation gives it
/// (Spot REST API, "General endpoints", "Market data endpoints",
/// "Trading endpoints", "Account endpoints").
/// How many orders a request places, each counted against the account's
/// order limits (accepted or not, as Binance counts them; an OCO is two).
pub fn orders_placed(method: &str, path: &str) -> u32 {
    match (method, path) {
        ("POST", "/api/v3/order" | "/api/v3/order/cancelReplace") => 1,
        ("POST", "/api/v3/orderList/oco") => 2,
        _ => 0,
    }
}

pub fn weight(method: &str, path: &str, params: &Params) -> u32 {
    let symbols = || params.get("symbols").map(|s| s.matches(',').count() as u32 + 1);
    let one = params.get("symbol").is_some();
    match (method, path) {
        ("GET", "/api/v3/ping" | "/api/v3/time") => 1,
        ("GET", "/api/v3/exchangeInfo") => 20,
        ("GET", "/api/v3/depth") => match params.get("limit").and_then(|l| l.parse::<u32>().ok()).unwrap_or(100) {
            0..=100 => 5,
            101..=500 => 25,
            501..=1000 => 50,
            _ => 250,
        },
        ("GET", "/api/v3/trades" | "/api/v3/historicalTrades") => 25,
        ("GET", "/api/v3/aggTrades" | "/api/v3/klines" | "/api/v3/uiKlines" | "/api/v3/avgPrice") => 2,
        ("GET", "/api/v3/ticker/24hr") => match (one, symbols()) {
            (true, _) => 2,
            (false, Some(n)) if n <= 20 => 2,
            (false, Some(n)) if n <= 100 => 40,
            _ => 80,
        },
        ("GET", "/api/v3/ticker/price" | "/api/v3/ticker/bookTicker") => {
            if one {
                2
            } else {
                4
            }
        }
        ("GET", "/api/v3/ticker") => match (one, symbols()) {
            (true, _) => 4,
            (false, Some(n)) => (4 * n).min(200),
            (false, None) => 200,
        },
        ("POST" | "DELETE", "/api/v3/order") | ("POST", "/api/v3/order/test") | ("DELETE", "/api/v3/openOrders") => 1,
        ("GET", "/api/v3/order") => 4,
        ("GET", "/api/v3/openOrders") => {
            if one {
                6
            } else {
                80
            }
        }
        ("GET", "/api/v3/myTrades") => {
            if params.get("orderId").is_some() {
                5
            } else {
                20
            }
        }
        ("GET", "/api/v3/allOrders" | "/api/v3/account" | "/api/v3/account/commission") => 20,
        ("GET", "/api/v3/rateLimit/order") => 40,
        ("GET", "/api/v3/orderList") => 4,
        ("GET", "/api/v3/openOrderList") => 6,
        ("GET", "/api/v3/allOrderList") => 20,
        (_, "/api/v3/userDataStream") => 2,
        _ => 1,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const IP: IpAddr = IpAddr::V4(std::net::Ipv4Addr::LOCALHOST);

    #[test]
    fn weight_is_spent_per_minute_and_refused_past_the_limit_until_the_window_ends() {
        let limits = RateLimits { weight_per_minute: Some(100), ..RateLimits::default() };
        let mut l = Limiter::new(limits);
        let t = 7 * MINUTE_MS + 45_000;
        assert_eq!(l.admit(IP, 60, t), Ok(60));
        assert_eq!(l.admit(IP, 40, t), Ok(100));
        let refused = l.admit(IP, 1, t + 500).unwrap_err();
        assert_eq!(refused.error.status, StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(refused.error.code, -1003);
        assert!(refused.error.msg.contains("current limit is 100 request weight per 1 MINUTE"));
        assert_eq!(refused.retry_after_s, 15, "14.5 s left in the minute, rounded up");
        assert_eq!(l.used(IP, t), 100, "a refused request spends nothing");
        // The next minute starts afresh; another address never shared it.
        assert_eq!(l.admit(IP, 1, 8 * MINUTE_MS), Ok(1));
        assert_eq!(l.admit(IpAddr::V4(std::net::Ipv4Addr::new(10, 0, 0, 2)), 100, t), Ok(100));
    }

    #[test]
    fn a_client_that_keeps_going_after_429s_is_banned_longer_each_time() {
        let limits = RateLimits { weight_per_minute: Some(1), ban_after: 3, ..RateLimits::default() };
        let mut l = Limiter::new(limits);
        let t = 10 * MINUTE_MS;
        l.admit(IP, 1, t).unwrap();
        for _ in 0..3 {
            assert_eq!(l.admit(IP, 1, t).unwrap_err().error.status, StatusCode::TOO_MANY_REQUESTS);
        }
        // The fourth refusal bans: 2 minutes, and every request meanwhile is a 418.
        assert_eq!(l.admit(IP, 1, t).unwrap_err().error.status, StatusCode::TOO_MANY_REQUESTS);
        let banned = l.admit(IP, 1, t + 1000).unwrap_err();
        assert_eq!(banned.error.status, StatusCode::IM_A_TEAPOT);
        assert!(banned.error.msg.contains(&format!("IP banned until {}", t + FIRST_BAN_MS)), "{}", banned.error.msg);
        assert_eq!(banned.retry_after_s, 119);
        // After it, the budget is back; a second offence bans for twice as long.
        let after = t + FIRST_BAN_MS;
        assert_eq!(l.admit(IP, 1, after), Ok(1));
        for _ in 0..4 {
            l.admit(IP, 1, after).unwrap_err();
        }
        assert_eq!(l.admit(IP, 1, after).unwrap_err().retry_after_s, 240);
    }

    #[test]
    fn new_orders_are_counted_per_account_in_ten_seconds_and_a_day() {
        let limits = RateLimits { orders_per_10s: Some(3), orders_per_day: Some(4), ..RateLimits::default() };
        let mut l = Limiter::new(limits);
        let t = DAY_MS + 20_000;
        assert_eq!(l.admit_order("a", t), Ok((1, 1)));
        assert_eq!(l.admit_order("a", t), Ok((2, 2)));
        assert_eq!(l.admit_order("a", t + 9_999), Ok((3, 3)));
        let refused = l.admit_order("a", t + 9_999).unwrap_err();
        assert_eq!(refused.error.code, -1015);
        assert_eq!(refused.error.msg, "Too many new orders; current limit is 3 orders per 10 SECOND.");
        assert_eq!(refused.retry_after_s, 1);
        assert_eq!(l.admit_order("b", t), Ok((1, 1)), "accounts do not share counts");
        assert_eq!(l.admit_order("a", t + 10_000), Ok((1, 4)));
        let day = l.admit_order("a", t + 10_000).unwrap_err();
        assert!(day.error.msg.ends_with("4 orders per 1 DAY."), "{}", day.error.msg);
        let usage = l.order_usage("a", t + 10_000);
        assert_eq!(usage[0]["count"], 1);
        assert_eq!(usage[1]["count"], 4);
        assert_eq!(l.order_usage("a", t + 20_000)[0]["count"], 0, "a new window");
    }

    #[test]
    fn weights_follow_binances_table() {
        let p = |q: &str| Params::parse(q, "");
        assert_eq!(weight("GET", "/api/v3/depth", &p("symbol=BTCUSDT")), 5);
        assert_eq!(weight("GET", "/api/v3/depth", &p("symbol=BTCUSDT&limit=1000")), 50);
        assert_eq!(weight("GET", "/api/v3/depth", &p("symbol=BTCUSDT&limit=5000")), 250);
        assert_eq!(weight("GET", "/api/v3/ticker/24hr", &p("")), 80);
        assert_eq!(weight("GET", "/api/v3/ticker", &p("symbols=[\"A\",\"B\"]")), 8);
        assert_eq!(weight("GET", "/api/v3/openOrders", &p("")), 80);
        assert_eq!(weight("GET", "/api/v3/myTrades", &p("symbol=X&orderId=3")), 5);
        assert_eq!(weight("POST", "/api/v3/order", &p("")), 1);
        assert_eq!(weight("GET", "/api/v3/exchangeInfo", &p("")), 20);
    }
}
