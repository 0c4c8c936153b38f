//! The order gateway: the kernel's venue commands out to Binance, the
//! account's executions back as the kernel's execution reports.
//!
//! Orders are named `"<prefix>-<order id>"` as their client order id, so
//! every execution the user-data stream reports maps back to the kernel's
//! order without a lookup table that a restart would lose. Orders adopted
//! from an earlier session of the run keep the name they were placed
//! under; [`Gateway::adopt`] maps it to the kernel's new id.
//!
//! **Fills come only from the user-data stream.** The REST answer to a new
//! order may list fills too, but taking them from both would count them
//! twice; the REST answer decides acceptance or rejection, the stream
//! everything after. An execution's commission is valued in the quote
//! asset (a commission in the base asset at the fill price), which is how
//! the kernel's accounts keep fees; one taken in the base asset is also
//! reported as such (`Fill::fee_base`), so the engine's position shrinks
//! by it as the account's coins do. Commissions in a third asset (BNB) are
//! not valued and are reported as zero.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};

use pyrt_binance::user::ExecutionUpdate;
use pyrt_model::fixed::FIXED_SCALE;
use pyrt_model::{
    ExecutionReport, Fill, InstrumentId, Liquidity, Money, OrderId, OrderKind, OrderQty, OrderRequest, Price, Quantity,
    TimeInForce, TrailingOffset, UnixNanos, VenueCommand, VenueOrderState,
};

use super::rest::{BinanceRest, OrderParams, RestError, field};

/// The client order id prefix of a session: the run id, then the session's
/// start in milliseconds, base 36 (8 characters until the year 5138).
///
/// The run id names the node across restarts; the session part keeps a
/// restarted node's order ids (which start again at 1) from reusing an
/// earlier session's client order ids, which a venue would answer with
/// the earlier order (a reconciliation would book its fills again).
/// With a run id of at most 16 characters, `<prefix>-<order id>` fits
/// Binance's 36 characters up to order id 9,999,999,999.
pub fn client_prefix(run_id: &str, start_ms: i64) -> String {
    const DIGITS: &[u8; 36] = b"0123456789abcdefghijklmnopqrstuvwxyz";
    let mut n = start_ms.max(0) as u64;
    let mut tag = Vec::new();
    loop {
        tag.push(DIGITS[(n % 36) as usize]);
        n /= 36;
        if n == 0 {
            break;
        }
    }
    tag.reverse();
    format!("{run_id}-{}", String::from_utf8(tag).expect("ASCII digits"))
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

/// A symbol the gateway trades, by instrument index.
#[derive(Debug, Clone)]
pub struct GatewaySymbol {
    pub symbol: String,
    pub base: String,
    pub quote: String,
}

pub struct Gateway {
    rest: Arc<BinanceRest>,
    prefix: String,
    symbols: Vec<GatewaySymbol>,
    accepted: Mutex<HashSet<u64>>,
    /// The symbol each order was sent for (cancels name only the order).
    sent: Mutex<HashMap<u64, usize>>,
    /// Adopted orders: the venue's name for each, both ways.
    adopted: HashMap<String, OrderId>,
    adopted_names: HashMap<u64, String>,
}

impl Gateway {
    pub fn new(rest: Arc<BinanceRest>, prefix: impl Into<String>, symbols: Vec<GatewaySymbol>) -> Self {
        Self {
            rest,
            prefix: prefix.into(),
            symbols,
            accepted: Mutex::new(HashSet::new()),
            sent: Mutex::new(HashMap::new()),
            adopted: HashMap::new(),
            adopted_names: HashMap::new(),
        }
    }

    /// Takes over an order an earlier session placed as `client_order_id`
    /// on symbol `symbol` (an index into the gateway's symbols), as the
    /// kernel's order `id` (see `Engine::adopt`). Before the gateway starts.
    pub fn adopt(&mut self, id: OrderId, client_order_id: String, symbol: usize) {
        self.sent.get_mut().expect("never held across a panic").insert(id.0, symbol);
        self.accepted.get_mut().expect("never held across a panic").insert(id.0);
        self.adopted.insert(client_order_id.clone(), id);
        self.adopted_names.insert(id.0, client_order_id);
    }

    pub fn client_order_id(&self, id: OrderId) -> String {
        match self.adopted_names.get(&id.0) {
            Some(name) => name.clone(),
            None => format!("{}-{}", self.prefix, id.0),
        }
    }

    /// The kernel's order id behind a client order id of ours.
    pub fn order_id(&self, client_order_id: &str) -> Option<OrderId> {
        if let Some(&id) = self.adopted.get(client_order_id) {
            return Some(id);
        }
        let rest = client_order_id.strip_prefix(&self.prefix)?.strip_prefix('-')?;
        rest.parse().ok().map(OrderId)
    }

    /// The report for an order the venue has accepted, once.
    fn accept(&self, id: OrderId, ts: UnixNanos) -> Option<ExecutionReport> {
        let fresh = self.accepted.lock().expect("never held across a panic").insert(id.0);
        fresh.then_some(ExecutionReport::Accepted { order_id: id, ts })
    }

    /// Places one order over REST.
    async fn submit(&self, order_id: OrderId, request: OrderRequest, now: UnixNanos) -> Vec<ExecutionReport> {
        let reject = |reason: String| vec![ExecutionReport::Rejected { order_id, ts: now, reason }];
        let Some(sym) = self.symbols.get(request.instrument.index()) else {
            return reject(format!("instrument {} is not traded through this gateway", request.instrument.0));
        };
        let OrderQty::Base(quantity) = request.qty else {
            return reject("size notional orders before they reach the gateway".into());
        };
        // The kernel's stop (market once the market trades through the
        // trigger) is Binance's STOP_LOSS, its trailing stop in basis points
        // a STOP_LOSS with trailingDelta and no stop price (tracking from
        // placement, as the kernel's does).
        let (order_type, price, stop_price, trailing_delta) = match request.kind {
            OrderKind::Market => ("MARKET", None, None, None),
            OrderKind::Limit { price } if request.post_only => ("LIMIT_MAKER", Some(price), None, None),
            OrderKind::Limit { price } => ("LIMIT", Some(price), None, None),
            OrderKind::Stop { trigger } => ("STOP_LOSS", None, Some(trigger), None),
            OrderKind::StopLimit { trigger, limit } => ("STOP_LOSS_LIMIT", Some(limit), Some(trigger), None),
            OrderKind::TrailingStop { offset: TrailingOffset::Bps(bps) } => ("STOP_LOSS", None, None, Some(bps)),
            OrderKind::TrailingStop { offset: TrailingOffset::Price(_) } => {
                return reject(
                    "Binance trails by basis points only; give the trailing stop's distance in bps (trail_bps)".into(),
                );
            }
        };
        let time_in_force = match (price.is_some() && !request.post_only, request.tif) {
            (true, TimeInForce::Gtc) => Some("GTC"),
            (true, TimeInForce::Ioc) => Some("IOC"),
            (true, TimeInForce::Fok) => Some("FOK"),
            (true, other) => {
                return reject(format!("time in force {other:?} is not offered by Binance Spot"));
            }
            (false, _) => None,
        };
        self.sent.lock().expect("never held across a panic").insert(order_id.0, request.instrument.index());
        let params = OrderParams {
            symbol: sym.symbol.clone(),
            side: request.side,
            order_type,
            time_in_force,
            quantity,
            price,
            stop_price,
            trailing_delta,
            client_order_id: self.client_order_id(order_id),
        };
        match self.rest.place_order(&params).await {
            Ok(_) => self.accept(order_id, now).into_iter().collect(),
            Err(RestError::Api { code, msg, .. }) => reject(format!("Binance {code}: {msg}")),
            Err(e) => reject(e.to_string()),
        }
    }

    /// Sends one command; returns what can be reported at once.
    pub async fn send(&self, cmd: VenueCommand, now: UnixNanos) -> Vec<ExecutionReport> {
        match cmd {
            VenueCommand::Submit { order_id, request } => self.submit(order_id, request, now).await,
            // Sent as separate orders: the engine cancels the other legs on
            // the first fill. (Binance's own OCO lists are not used yet.)
            VenueCommand::SubmitOco { legs } => {
                let mut reports = Vec::new();
                for (order_id, request) in legs {
                    reports.extend(self.submit(order_id, request, now).await);
                }
                reports
            }
            VenueCommand::Cancel { order_id } => {
                let Some(symbol) = self.symbol_of(order_id) else {
                    return vec![ExecutionReport::CommandRejected {
                        order_id,
                        ts: now,
                        reason: "unknown order".into(),
                    }];
                };
                match self.rest.cancel_order(&symbol, &self.client_order_id(order_id)).await {
                    // The user-data stream reports the cancel.
                    Ok(_) => Vec::new(),
                    Err(RestError::Api { code, msg, .. }) => vec![ExecutionReport::CommandRejected {
                        order_id,
                        ts: now,
                        reason: format!("cancel rejected: Binance {code}: {msg}"),
                    }],
                    Err(e) => vec![ExecutionReport::CommandRejected {
                        order_id,
                        ts: now,
                        reason: format!("cancel failed: {e}"),
                    }],
                }
            }
            VenueCommand::Modify { order_id, .. } => vec![ExecutionReport::CommandRejected {
                order_id,
                ts: now,
                reason: "Binance Spot cannot modify an order; cancel it and send a new one".into(),
            }],
        }
    }

    /// The symbol an order of ours was sent for.
    fn symbol_of(&self, id: OrderId) -> Option<String> {
        let index = *self.sent.lock().expect("never held across a panic").get(&id.0)?;
        Some(self.symbols[index].symbol.clone())
    }

    /// What the venue says about each of `ids` (the engine's open orders),
    /// for `Engine::reconcile` after the user-data stream reconnected.
    /// Orders the venue does not know are left out (the engine lists them
    /// as unexplained); the fee is not in an order query and stays `None`.
    pub async fn venue_states(&self, ids: &[OrderId]) -> Result<Vec<VenueOrderState>, RestError> {
        let mut out = Vec::with_capacity(ids.len());
        for &id in ids {
            let Some(symbol) = self.symbol_of(id) else { continue };
            let Some(order) = self.rest.query_order(&symbol, &self.client_order_id(id)).await? else { continue };
            const PATH: &str = "/api/v3/order";
            out.push(VenueOrderState {
                order_id: id,
                status: field::order_status(&order, PATH)?,
                filled: field::number(&order, "executedQty", PATH)?,
                notional: field::number(&order, "cummulativeQuoteQty", PATH)?,
                fee: None,
            });
        }
        Ok(out)
    }

    /// The kernel's reports for one execution event of the account; events
    /// for orders that are not ours are ignored.
    pub fn on_execution(&self, e: &ExecutionUpdate) -> Vec<ExecutionReport> {
        // On a cancel, Binance names the order cancelled in `C`.
        let client = e.orig_client_order_id.as_deref().unwrap_or(&e.client_order_id);
        let Some(order_id) = self.order_id(client) else { return Vec::new() };
        let Some((index, sym)) = self.symbols.iter().enumerate().find(|(_, s)| s.symbol == e.symbol) else {
            return Vec::new();
        };
        let ts = e.transaction_time_ms * 1_000_000;
        let mut out: Vec<ExecutionReport> = self.accept(order_id, ts).into_iter().collect();
        match e.execution_type.as_str() {
            "TRADE" => {
                // A commission in the base asset comes out of the coins
                // received: the engine books its value as the fee and the
                // coins as a smaller position (`Fill::fee_base`).
                let (fee, fee_base) = commission(e.commission, e.commission_asset.as_deref(), e.last_price, sym);
                out.push(ExecutionReport::Filled(Fill {
                    fee_base,
                    order_id,
                    instrument: InstrumentId(index as u32),
                    side: e.side,
                    price: e.last_price,
                    qty: e.last_qty,
                    fee,
                    liquidity: if e.is_maker { Liquidity::Maker } else { Liquidity::Taker },
                    ts,
                }));
            }
            "CANCELED" => out.push(ExecutionReport::Cancelled { order_id, ts, reason: "cancelled".into() }),
            "EXPIRED" => out.push(ExecutionReport::Expired { order_id, ts }),
            "REJECTED" => out.push(ExecutionReport::Rejected { order_id, ts, reason: e.reject_reason.clone() }),
            _ => {}
        }
        out
    }
}

/// A commission as the kernel books it: its value in the quote asset, and
/// the coins it took when paid in the base asset (valued at the fill
/// price). A third asset (BNB) is not valued: zero.
pub(crate) fn commission(amount: Money, asset: Option<&str>, price: Price, sym: &GatewaySymbol) -> (Money, Quantity) {
    match asset {
        Some(a) if a == sym.quote => (amount, Quantity::ZERO),
        Some(a) if a == sym.base => (
            amount.mul_ratio(price.raw() as i128, FIXED_SCALE as i128),
            Quantity::from_raw((amount.raw() / FIXED_SCALE as i128) as i64),
        ),
        _ => (Money::ZERO, Quantity::ZERO),
    }
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
}
