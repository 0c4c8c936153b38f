//! Reconciliation: making the engine's orders agree with what the venue
//! says about them.
//!
//! Live, the engine learns of fills and cancels from a stream. When that
//! stream drops, reports can be lost: an order may have filled, or been
//! cancelled, while nobody was listening. After a reconnect the edge asks
//! the venue for each order the engine still thinks is open (Binance: `GET
//! /api/v3/order` gives `executedQty` and `cummulativeQuoteQty`) and hands
//! the answers to [`Engine::reconcile`]. The expected state (the engine's)
//! is compared with the actual one (the venue's):
//!
//! * the venue filled more: one fill for the difference, at the average
//!   price the difference was paid at (the venue's total notional less the
//!   engine's, over the missing quantity), with the fee the venue reports
//!   beyond what the engine has (an order query does not give fees:
//!   then the fee is booked as 0 and the gap listed as unexplained);
//! * the venue ended the order (cancelled, expired, rejected): that report;
//! * anything else that does not add up (the venue filled *less* than the
//!   engine booked, or does not know the order) is not guessed at: it is
//!   listed as unexplained for an operator, and nothing is changed.
//!
//! The corrections go through the same path as any report, so positions,
//! cash, strategies and parents all see them.

use pyrt_model::fixed::div_round_half_even;
use pyrt_model::{
    ExecutionReport, Fill, Liquidity, Money, OrderId, OrderQty, OrderStatus, Price, UnixNanos, VenueOrderState,
};

use crate::kernel::{Engine, Venue};

/// What reconciling changed, and what it could not explain.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Reconciliation {
    /// The reports applied, in order.
    pub applied: Vec<ExecutionReport>,
    /// Differences left for an operator, one line each.
    pub unexplained: Vec<String>,
}

impl<V: Venue> Engine<V> {
    /// Brings the engine's open orders in line with `venue` (see the module
    /// docs); orders the venue list leaves out are reported unexplained.
    pub fn reconcile(&mut self, now: UnixNanos, venue: &[VenueOrderState]) -> Reconciliation {
        let mut out = Reconciliation::default();
        let open: Vec<OrderId> = self.orders.open().map(|o| o.id).collect();
        for id in open {
            let order = self.orders.get(id).expect("open orders are kept");
            let Some(state) = venue.iter().find(|s| s.order_id == id) else {
                out.unexplained.push(format!("{id} is open here but the venue did not say what became of it"));
                continue;
            };
            if state.filled < order.filled {
                out.unexplained.push(format!(
                    "{id}: the venue filled {} but the engine booked {}; nothing changed",
                    state.filled, order.filled
                ));
                continue;
            }
            let missing = state.filled - order.filled;
            if missing.is_positive() {
                let paid = state.notional - order.filled_notional;
                let price = Price::from_raw(div_round_half_even(paid.raw(), missing.raw() as i128) as i64);
                let fill = Fill {
                    fee_base: pyrt_model::Quantity::ZERO,
                    order_id: id,
                    instrument: order.instrument(),
                    side: order.request.side,
                    price,
                    qty: missing,
                    fee: state.fee.map_or(Money::ZERO, |fee| (fee - order.fees).max(Money::ZERO)),
                    liquidity: Liquidity::Taker,
                    ts: now,
                };
                out.applied.push(ExecutionReport::Filled(fill));
                if state.fee.is_none() {
                    out.unexplained.push(format!(
                        "{id}: the fee of the {missing} found filled is not known (booked as 0); check the venue's trade history"
                    ));
                }
            }
            let reason = "found ended at the venue when reconciling".to_string();
            let end = match state.status {
                OrderStatus::Cancelled => Some(ExecutionReport::Cancelled { order_id: id, ts: now, reason }),
                OrderStatus::Expired => Some(ExecutionReport::Expired { order_id: id, ts: now }),
                OrderStatus::Rejected => Some(ExecutionReport::Rejected { order_id: id, ts: now, reason }),
                OrderStatus::Filled if matches!(order.request.qty, OrderQty::Base(q) if state.filled < q) => {
                    out.unexplained.push(format!(
                        "{id}: the venue says filled, but with {} of the order's {:?}",
                        state.filled, order.request.qty
                    ));
                    None
                }
                _ => None,
            };
            out.applied.extend(end);
        }
        self.deliver(now, out.applied.iter().cloned());
        out
    }
}
