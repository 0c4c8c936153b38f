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
//!
//! **Adoption** is reconciliation at a restart: a node that starts again
//! under the same run id takes over what its earlier sessions left at the
//! venue ([`Engine::adopt`]): the position their fills add up to, at its
//! exact cost, and the orders still open. The venue's adapter reads both
//! from the venue's history, so the engine starts from what the venue
//! confirms rather than from a file that a crash may have cut short.

use pyrt_model::fixed::div_round_half_even;
use pyrt_model::{
    ExecutionReport, Fill, InstrumentId, Liquidity, Money, OrderId, OrderQty, OrderRequest, OrderStatus, Price,
    Quantity, UnixNanos, VenueOrderState,
};

use crate::kernel::{Engine, Venue};
use crate::strategy::StrategyId;

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

/// An order an earlier session of the same run left working at the venue.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct AdoptedOrder {
    pub request: OrderRequest,
    /// `Accepted`, `Triggered` or `PartiallyFilled`: adopted orders are open.
    pub status: OrderStatus,
    /// What it filled before the restart (already in the carried position).
    pub filled: Quantity,
    pub filled_notional: Money,
    pub fees: Money,
    /// The venue's name for it, kept as the order's client id so a
    /// strategy can find it (`Context` lookups by client id).
    pub client_id: String,
    pub ts_submitted: UnixNanos,
}

/// What a restarted node takes over from its run's earlier sessions: the
/// positions their fills left (quantity and exact cost basis) and the
/// orders still open. Built by the venue's adapter from the venue's own
/// history (Binance: `allOrders` and `myTrades` of the run's client order
/// ids), so nothing is taken over that the venue does not confirm.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Adoption {
    pub positions: Vec<(InstrumentId, Quantity, Money)>,
    pub orders: Vec<AdoptedOrder>,
}

/// Why an adoption was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AdoptError {
    #[error("orders and positions are adopted before the engine starts")]
    Started,
    #[error("add the strategy that will own the adopted orders first")]
    NoStrategy,
    #[error("instrument id {0} is not one of this engine's")]
    UnknownInstrument(u32),
    #[error("order {client_id} is {status:?}; only open orders are adopted")]
    NotOpen { client_id: String, status: OrderStatus },
    #[error("order {client_id}: {reason}")]
    Order { client_id: String, reason: String },
    #[error("the carried position does not fit the account: {0}")]
    Account(#[from] crate::portfolio::AccountOverflow),
}

impl<V: Venue> Engine<V> {
    /// Takes over `adoption` before the first event: the positions open at
    /// their cost with cash unchanged (it paid for them before this
    /// session's start: the starting capital grows by their cost), and the
    /// orders become this engine's, owned by the first strategy, with ids
    /// `1..=n` in the order given; the ids are returned so the execution
    /// side can map the venue's names to them. Their fills and cancels
    /// then arrive as for any order, and open orders keep reserving what
    /// they would spend in pre-trade checks.
    pub fn adopt(&mut self, adoption: Adoption) -> Result<Vec<OrderId>, AdoptError> {
        if self.started || self.next_order_id != 1 {
            return Err(AdoptError::Started);
        }
        if self.strategies_len() == 0 {
            return Err(AdoptError::NoStrategy);
        }
        for o in &adoption.orders {
            let client_id = o.client_id.clone();
            if !matches!(o.status, OrderStatus::Accepted | OrderStatus::Triggered | OrderStatus::PartiallyFilled) {
                return Err(AdoptError::NotOpen { client_id, status: o.status });
            }
            let instrument = o.request.instrument;
            let inst = self.instruments.get(instrument.index()).ok_or(AdoptError::UnknownInstrument(instrument.0))?;
            if let OrderQty::Base(q) = o.request.qty {
                inst.check_quantity(q).map_err(|e| AdoptError::Order { client_id, reason: e.to_string() })?;
            }
        }
        for &(instrument, qty, cost) in &adoption.positions {
            if instrument.index() >= self.instruments.len() {
                return Err(AdoptError::UnknownInstrument(instrument.0));
            }
            self.portfolio.carry(instrument, qty, cost, self.now.max(0))?;
        }
        self.reset_recorder();
        let mut ids = Vec::with_capacity(adoption.orders.len());
        for o in adoption.orders {
            let id = OrderId(self.next_order_id);
            self.next_order_id += 1;
            self.orders.adopt(id, StrategyId(0), o);
            ids.push(id);
        }
        Ok(ids)
    }
}
