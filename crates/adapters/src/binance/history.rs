//! A run's history at Binance: what a restarted node takes over.
//!
//! Every order a node places is named `<run id>-<session>-<order id>`, so
//! the venue's own records say which orders and trades belong to a run,
//! across any number of sessions and crashes. [`run_history`] reads them
//! back (`allOrders`, paged from the first order, and `myTrades` of each
//! order of the run that traded) and turns them into an
//! [`Adoption`](pyrt_engine::Adoption): the position the run's fills add
//! up to, at its exact cost (the fills replayed through an account, with
//! their commissions as the live gateway books them), and the run's orders
//! that are still open. Nothing comes from local state, which a `kill -9`
//! may have cut short: the venue is the record.
//!
//! What cannot be taken over is said, not guessed: an open order of a
//! type the kernel has no kind for, a run whose sells exceed its buys
//! (it sold coins it did not buy), an order with more trades than one
//! page holds.

use pyrt_engine::{AdoptedOrder, Adoption, Portfolio};
use pyrt_model::{
    Fill, InstrumentId, Liquidity, Money, OrderId, OrderKind, OrderQty, OrderRequest, OrderStatus, Price, Quantity,
    Side, TimeInForce, TrailingOffset,
};
use serde_json::Value;

use super::gateway::{GatewaySymbol, commission};
use super::rest::{BinanceRest, RestError, decode};

/// What a run left at the venue.
#[derive(Debug, Clone, Default)]
pub struct RunHistory {
    /// Positions and open orders for `Engine::adopt`.
    pub adoption: Adoption,
    /// The venue's name and the symbol index of each adopted order, in the
    /// order of `adoption.orders` (for `BinanceExecution::start`).
    pub names: Vec<(String, usize)>,
    /// The run's orders found, and their trades.
    pub orders: usize,
    pub trades: usize,
    /// What could not be taken over, one line each.
    pub problems: Vec<String>,
}

/// Whether `client_order_id` is one of run `run_id`'s
/// (`<run id>-<session>-<order id>`; a run id may itself hold dashes).
pub fn belongs_to(run_id: &str, client_order_id: &str) -> bool {
    let mut parts = client_order_id.rsplitn(3, '-');
    let (Some(id), Some(session), Some(run)) = (parts.next(), parts.next(), parts.next()) else { return false };
    run == run_id
        && id.parse::<u64>().is_ok()
        && !session.is_empty()
        && session.bytes().all(|b| b.is_ascii_digit() || b.is_ascii_lowercase())
}

const PAGE: usize = 1000;

/// Reads run `run_id`'s orders and trades on each of `symbols` (symbol
/// index `i` is instrument `i`).
pub async fn run_history(rest: &BinanceRest, symbols: &[GatewaySymbol], run_id: &str) -> Result<RunHistory, RestError> {
    let mut out = RunHistory::default();
    for (index, sym) in symbols.iter().enumerate() {
        let instrument = InstrumentId(index as u32);
        let mut orders = Vec::new();
        let mut from = 0u64;
        loop {
            let page = rest.all_orders(&sym.symbol, from).await?;
            let full = page.len() >= PAGE;
            for o in page {
                let venue_id = u64_field(&o, "orderId", "/api/v3/allOrders")?;
                from = from.max(venue_id + 1);
                if o["clientOrderId"].as_str().is_some_and(|c| belongs_to(run_id, c)) {
                    orders.push(o);
                }
            }
            if !full {
                break;
            }
        }
        out.orders += orders.len();
        // The run's fills, in the order they happened, through an account:
        // its position and cost come out exactly as the live kernel's did.
        let mut fills: Vec<(i64, u64, Fill)> = Vec::new();
        let mut fees_by_order = std::collections::HashMap::<u64, Money>::new();
        for o in &orders {
            if text(o, "executedQty", "/api/v3/allOrders")?.parse::<Quantity>().is_ok_and(|q| q.is_zero()) {
                continue;
            }
            let venue_id = u64_field(o, "orderId", "/api/v3/allOrders")?;
            let trades = rest.order_trades(&sym.symbol, venue_id).await?;
            if trades.len() >= PAGE {
                out.problems.push(format!(
                    "order {} has {PAGE} trades or more; only the first {PAGE} are counted",
                    o["clientOrderId"].as_str().unwrap_or("?")
                ));
            }
            for t in trades {
                let fill = trade_fill(&t, instrument, sym)?;
                *fees_by_order.entry(venue_id).or_default() += fill.fee;
                fills.push((
                    i64_field(&t, "time", "/api/v3/myTrades")?,
                    u64_field(&t, "id", "/api/v3/myTrades")?,
                    fill,
                ));
            }
        }
        out.trades += fills.len();
        fills.sort_by_key(|(time, id, _)| (*time, *id));
        let mut account = Portfolio::new(Money::ZERO, symbols.len(), Some(0));
        for (_, _, fill) in &fills {
            account.apply_fill(fill).map_err(|e| decode("/api/v3/myTrades", &e.to_string()))?;
        }
        let held = account.position(instrument);
        if held.qty.is_negative() {
            out.problems.push(format!(
                "{}: the run sold {} more than it bought (coins it did not buy); no position carried",
                sym.symbol, -held.qty
            ));
        } else if held.qty.is_positive() {
            out.adoption.positions.push((instrument, held.qty, held.cost));
        }
        for o in &orders {
            let status = text(o, "status", "/api/v3/allOrders")?;
            let status = match status {
                "NEW" | "PENDING_NEW" => OrderStatus::Accepted,
                "PARTIALLY_FILLED" => OrderStatus::PartiallyFilled,
                _ => continue,
            };
            let client_id = text(o, "clientOrderId", "/api/v3/allOrders")?.to_string();
            let request = match order_request(o, instrument) {
                Ok(r) => r,
                Err(why) => {
                    out.problems.push(format!("{client_id} stays at the venue, not adopted: {why}"));
                    continue;
                }
            };
            let venue_id = u64_field(o, "orderId", "/api/v3/allOrders")?;
            out.adoption.orders.push(AdoptedOrder {
                request,
                status,
                filled: number(o, "executedQty", "/api/v3/allOrders")?,
                filled_notional: number(o, "cummulativeQuoteQty", "/api/v3/allOrders")?,
                fees: fees_by_order.get(&venue_id).copied().unwrap_or(Money::ZERO),
                client_id: client_id.clone(),
                ts_submitted: i64_field(o, "time", "/api/v3/allOrders")?.saturating_mul(1_000_000),
            });
            out.names.push((client_id, index));
        }
    }
    Ok(out)
}

/// One trade of `myTrades` as the fill the gateway booked for it.
fn trade_fill(t: &Value, instrument: InstrumentId, sym: &GatewaySymbol) -> Result<Fill, RestError> {
    const PATH: &str = "/api/v3/myTrades";
    let price: Price = number(t, "price", PATH)?;
    let (fee, fee_base) = commission(number(t, "commission", PATH)?, t["commissionAsset"].as_str(), price, sym);
    Ok(Fill {
        order_id: OrderId(0),
        instrument,
        side: if t["isBuyer"].as_bool().unwrap_or(false) { Side::Buy } else { Side::Sell },
        price,
        qty: number(t, "qty", PATH)?,
        fee,
        fee_base,
        liquidity: if t["isMaker"].as_bool().unwrap_or(false) { Liquidity::Maker } else { Liquidity::Taker },
        ts: i64_field(t, "time", PATH)?.saturating_mul(1_000_000),
    })
}

/// The kernel's request for an open Binance order, if it has a kind for it.
fn order_request(o: &Value, instrument: InstrumentId) -> Result<OrderRequest, String> {
    const PATH: &str = "/api/v3/allOrders";
    let err = |e: RestError| e.to_string();
    let side = match text(o, "side", PATH).map_err(err)? {
        "BUY" => Side::Buy,
        "SELL" => Side::Sell,
        other => return Err(format!("unknown side `{other}`")),
    };
    let qty: Quantity = number(o, "origQty", PATH).map_err(err)?;
    let price = || number::<Price>(o, "price", PATH).map_err(err);
    let stop = || number::<Price>(o, "stopPrice", PATH).map_err(err);
    let trailing = o["trailingDelta"].as_u64();
    let order_type = text(o, "type", PATH).map_err(err)?;
    let kind = match (order_type, trailing) {
        ("LIMIT" | "LIMIT_MAKER", _) => OrderKind::Limit { price: price()? },
        ("STOP_LOSS", Some(bps)) if stop().is_ok_and(|p| p.is_zero()) || o["stopPrice"].is_null() => {
            OrderKind::TrailingStop { offset: TrailingOffset::Bps(bps as u32) }
        }
        ("STOP_LOSS", _) => OrderKind::Stop { trigger: stop()? },
        ("STOP_LOSS_LIMIT", None) => OrderKind::StopLimit { trigger: stop()?, limit: price()? },
        (other, _) => return Err(format!("the kernel has no order kind for Binance's {other}")),
    };
    let tif = match o["timeInForce"].as_str() {
        Some("IOC") => TimeInForce::Ioc,
        Some("FOK") => TimeInForce::Fok,
        _ => TimeInForce::Gtc,
    };
    let mut request = OrderRequest::limit(instrument, side, qty, Price::ZERO);
    (request.kind, request.tif, request.qty) = (kind, tif, OrderQty::Base(qty));
    request.post_only = order_type == "LIMIT_MAKER";
    Ok(request)
}

fn text<'a>(v: &'a Value, name: &str, path: &str) -> Result<&'a str, RestError> {
    v[name].as_str().ok_or_else(|| decode(path, &format!("no `{name}` in the answer")))
}

fn number<T: std::str::FromStr>(v: &Value, name: &str, path: &str) -> Result<T, RestError>
where
    T::Err: std::fmt::Display,
{
    text(v, name, path)?.parse().map_err(|e| decode(path, &format!("`{name}`: {e}")))
}

fn u64_field(v: &Value, name: &str, path: &str) -> Result<u64, RestError> {
    v[name].as_u64().ok_or_else(|| decode(path, &format!("no `{name}` in the answer")))
}

fn i64_field(v: &Value, name: &str, path: &str) -> Result<i64, RestError> {
    v[name].as_i64().ok_or_else(|| decode(path, &format!("no `{name}` in the answer")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_runs_orders_are_told_apart_from_other_runs() {
        assert!(belongs_to("pyrt", "pyrt-k2x9a-7"));
        assert!(belongs_to("desk-a", "desk-a-k2x9a-12"));
        assert!(!belongs_to("desk", "desk-a-k2x9a-12"), "run `desk-a` is not run `desk`");
        assert!(!belongs_to("pyrt", "pyrt-7"), "no session part");
        assert!(!belongs_to("pyrt", "pyrt-k2x9a-x"));
        assert!(!belongs_to("pyrt", "web_abc123"));
        assert!(!belongs_to("pyrt", "pyrt-K2-7"), "sessions are lower-case base 36");
    }

    #[test]
    fn open_orders_become_the_kernels_kinds() {
        let i = InstrumentId(0);
        let order = |extra: Value| {
            let mut o = serde_json::json!({"side": "SELL", "origQty": "0.5", "price": "0.00000000",
                "stopPrice": "0.00000000", "timeInForce": "GTC"});
            o.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
            order_request(&o, i)
        };
        let limit = order(serde_json::json!({"type": "LIMIT", "price": "61000.5"})).unwrap();
        assert_eq!(limit.kind, OrderKind::Limit { price: "61000.5".parse().unwrap() });
        let maker = order(serde_json::json!({"type": "LIMIT_MAKER", "price": "61000"})).unwrap();
        assert!(maker.post_only);
        let stop = order(serde_json::json!({"type": "STOP_LOSS", "stopPrice": "59000"})).unwrap();
        assert_eq!(stop.kind, OrderKind::Stop { trigger: "59000".parse().unwrap() });
        let trail = order(serde_json::json!({"type": "STOP_LOSS", "trailingDelta": 150})).unwrap();
        assert_eq!(trail.kind, OrderKind::TrailingStop { offset: TrailingOffset::Bps(150) });
        let sl = order(serde_json::json!({"type": "STOP_LOSS_LIMIT", "stopPrice": "59000", "price": "58900"}));
        assert!(matches!(sl.unwrap().kind, OrderKind::StopLimit { .. }));
        let tp = order(serde_json::json!({"type": "TAKE_PROFIT", "stopPrice": "65000"}));
        assert_eq!(tp.unwrap_err(), "the kernel has no order kind for Binance's TAKE_PROFIT");
    }
}
