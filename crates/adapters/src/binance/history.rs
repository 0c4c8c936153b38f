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
    Fill, InstrumentId, Liquidity, Money, OrderId, OrderKind, OrderQty, OrderRequest, Price, Quantity, Side,
    TimeInForce, TrailingOffset,
};
use serde_json::Value;

use super::gateway::{GatewaySymbol, belongs_to, commission};
use super::rest::field::{i64 as i64_field, number, order_status, text, u64 as u64_field};
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
        // Trades are read in pages of the account's trades from the run's
        // first one on (one request per 1,000 trades, not one per order).
        let mut executed = std::collections::HashSet::new();
        for o in &orders {
            if !text(o, "executedQty", "/api/v3/allOrders")?.parse::<Quantity>().is_ok_and(|q| q.is_zero()) {
                executed.insert(u64_field(o, "orderId", "/api/v3/allOrders")?);
            }
        }
        let mut fills: Vec<(i64, u64, Fill)> = Vec::new();
        let mut fees_by_order = std::collections::HashMap::<u64, Money>::new();
        let mut from = match executed.iter().min() {
            None => None,
            Some(&first) => {
                let trades = rest.order_trades(&sym.symbol, first).await?;
                let ids = trades.iter().map(|t| u64_field(t, "id", "/api/v3/myTrades"));
                ids.collect::<Result<Vec<u64>, _>>()?.into_iter().min()
            }
        };
        while let Some(from_id) = from {
            let page = rest.trades_from(&sym.symbol, from_id).await?;
            from = (page.len() >= PAGE).then_some(from_id);
            for t in page {
                let id = u64_field(&t, "id", "/api/v3/myTrades")?;
                from = from.map(|f| f.max(id + 1));
                let order = u64_field(&t, "orderId", "/api/v3/myTrades")?;
                if !executed.contains(&order) {
                    continue;
                }
                let fill = trade_fill(&t, instrument, sym)?;
                *fees_by_order.entry(order).or_default() += fill.fee;
                fills.push((i64_field(&t, "time", "/api/v3/myTrades")?, id, fill));
            }
        }
        out.trades += fills.len();
        match carried(fills, instrument, &sym.symbol)? {
            Ok(Some(position)) => out.adoption.positions.push(position),
            Ok(None) => {}
            Err(problem) => out.problems.push(problem),
        }
        for o in &orders {
            let status = order_status(o, "/api/v3/allOrders")?;
            if status.is_terminal() {
                continue;
            }
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

/// The position a run's `fills` (time, trade id, fill) on `instrument` add
/// up to, replayed in order through an account as the live kernel booked
/// them: quantity and exact cost, `None` when flat, or why it cannot be
/// carried (the run sold coins it did not buy).
#[allow(clippy::type_complexity)]
fn carried(
    mut fills: Vec<(i64, u64, Fill)>,
    instrument: InstrumentId,
    symbol: &str,
) -> Result<Result<Option<(InstrumentId, Quantity, Money)>, String>, RestError> {
    fills.sort_by_key(|(time, id, _)| (*time, *id));
    let mut account = Portfolio::new(Money::ZERO, instrument.index() + 1, Some(0));
    for (_, _, fill) in &fills {
        account.apply_fill(fill).map_err(|e| decode("/api/v3/myTrades", &e.to_string()))?;
    }
    let held = account.position(instrument);
    Ok(if held.qty.is_negative() {
        Err(format!(
            "{symbol}: the run sold {} more than it bought (coins it did not buy); no position carried",
            -held.qty
        ))
    } else if held.qty.is_positive() {
        Ok(Some((instrument, held.qty, held.cost)))
    } else {
        Ok(None)
    })
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_carried_position_is_the_fills_in_trade_order_and_an_oversold_run_carries_nothing() {
        let i = InstrumentId(0);
        let fill = |side, qty: &str, price: &str, fee_base: &str| Fill {
            order_id: OrderId(0),
            instrument: i,
            side,
            price: price.parse().unwrap(),
            qty: qty.parse().unwrap(),
            fee: Money::ZERO,
            fee_base: fee_base.parse().unwrap(),
            liquidity: Liquidity::Taker,
            ts: 0,
        };
        // Given out of order: the sell (trade 3) comes after both buys.
        let fills = vec![
            (20, 3, fill(Side::Sell, "0.001", "110", "0")),
            (10, 1, fill(Side::Buy, "0.001", "100", "0.000001")),
            (10, 2, fill(Side::Buy, "0.001", "120", "0")),
        ];
        let (_, qty, cost) = carried(fills, i, "BTCUSDT").unwrap().unwrap().unwrap();
        assert_eq!(qty, "0.000999".parse().unwrap());
        // Average cost: 0.001999 held for 0.0999 + 0.12 (the fee's coins left
        // at their cost), then 0.001 of it sold takes its pro-rata share
        // (0.2199 × 0.001 / 0.001999, rounded half-even at 1e-18).
        assert_eq!(cost, "0.109894997498749375".parse().unwrap());
        assert_eq!(carried(Vec::new(), i, "BTCUSDT").unwrap(), Ok(None));
        let oversold = vec![(1, 1, fill(Side::Sell, "0.002", "100", "0"))];
        let why = carried(oversold, i, "BTCUSDT").unwrap().unwrap_err();
        assert_eq!(why, "BTCUSDT: the run sold 0.002 more than it bought (coins it did not buy); no position carried");
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
