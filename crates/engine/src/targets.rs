//! Target orders: "hold this much", not "trade this much".
//!
//! A portfolio strategy thinks in targets: 30 % of equity in each of three
//! stocks, $10,000 of this one, flat in that one. [`Context::order_target`]
//! turns a [`Target`] into the one order that moves the position towards
//! it, from three facts the kernel already has:
//!
//! - what the strategy holds *and has asked for*: the position plus the
//!   remaining size of this strategy's working market and limit orders on
//!   the instrument (and of those queued in this callback), so asking for
//!   the same target twice before the first order fills sends nothing the
//!   second time (stops, OCO and bracket legs are conditional: not counted);
//! - the instrument's last mark (a bar's close, a trade, a quote's or a
//!   book's mid): values and weights become quantities at that price;
//! - the account's equity, marked the same way, for weights.
//!
//! The order is the difference, rounded *toward zero* to whole lots, so a
//! position never overshoots its target: a buy rounds down, a sell rounds
//! down too (the position stays a little above a falling target). This is
//! vectorbt's rule for `size_granularity`, and `python/tests` checks a
//! monthly rebalance against it to 1e-9. All of it is exact: the quantity
//! is `(value − held × price) / price` in integers, truncated once.

use pyrt_model::{InstrumentId, Money, OrderId, OrderKind, OrderQty, OrderRequest, Price, Quantity, Side};

use crate::strategy::{Command, Context};

/// What a position should be.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Target {
    /// A signed quantity (negative: short).
    Quantity(Quantity),
    /// A signed value at the last mark.
    Value(Money),
    /// A signed fraction of equity, exact to nine decimal places.
    Weight(Weight),
}

/// A fraction of equity with nine decimal places (0.3 is exactly 0.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Weight(i64);

impl Weight {
    const SCALE: i64 = 1_000_000_000;

    /// `value` rounded to nine decimal places; `None` for NaN, infinities
    /// and magnitudes above 1,000 (a thousandfold leverage is a typo).
    pub fn from_f64(value: f64) -> Option<Self> {
        if !value.is_finite() || value.abs() > 1_000.0 {
            return None;
        }
        Some(Self((value * Self::SCALE as f64).round() as i64))
    }
    pub fn to_f64(self) -> f64 {
        self.0 as f64 / Self::SCALE as f64
    }
}

/// Why no order could be worked out.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TargetError {
    #[error("{symbol} has no price yet: a target needs a mark (wait for its first bar, trade or quote)")]
    NoPrice { symbol: String },
    #[error("the account's equity is {equity}: a weight of it is not a position")]
    NoEquity { equity: Money },
    #[error("the target for {symbol} is beyond the range of exact arithmetic")]
    OutOfRange { symbol: String },
}

impl Context<'_> {
    /// The instrument's last mark, if it has had one.
    pub fn last_price(&self, id: InstrumentId) -> Option<Price> {
        self.portfolio.position(id).mark
    }

    /// What the strategy holds in `id` once its working and queued market
    /// and limit orders have filled (signed). Notional orders are left out:
    /// their size is known only when they fill.
    pub fn position_with_orders(&self, id: InstrumentId) -> Quantity {
        let signed = |side: Side, q: Quantity| if side == Side::Buy { q } else { -q };
        let working: Quantity = self
            .open_orders()
            .filter(|o| o.instrument() == id && is_commitment(o))
            .filter_map(|o| match o.request.qty {
                OrderQty::Base(q) => Some(signed(o.request.side, q - o.filled)),
                OrderQty::Quote(_) => None,
            })
            .fold(Quantity::ZERO, |a, b| a + b);
        let queued: Quantity = self
            .commands
            .iter()
            .filter_map(|c| match c {
                Command::Submit { strategy, request, .. }
                    if *strategy == self.strategy
                        && request.instrument == id
                        && matches!(request.kind, OrderKind::Market | OrderKind::Limit { .. }) =>
                {
                    match request.qty {
                        OrderQty::Base(q) => Some(signed(request.side, q)),
                        OrderQty::Quote(_) => None,
                    }
                }
                _ => None,
            })
            .fold(Quantity::ZERO, |a, b| a + b);
        self.position_qty(id) + working + queued
    }

    /// The signed order, in whole lots, that moves `id` towards `target`
    /// (see the module docs); zero when it is already there.
    pub fn target_delta(&self, id: InstrumentId, target: Target) -> Result<Quantity, TargetError> {
        let symbol = || self.instrument(id).symbol.clone();
        let held = self.position_with_orders(id);
        let price = || self.last_price(id).filter(|p| p.is_positive()).ok_or(TargetError::NoPrice { symbol: symbol() });
        // Everything in Money's raw units (1e-18): value, and held × price.
        let delta_raw: i128 = match target {
            Target::Quantity(q) => (q - held).raw() as i128,
            Target::Value(value) => {
                value_delta(value, held, price()?).ok_or(TargetError::OutOfRange { symbol: symbol() })?
            }
            Target::Weight(w) => {
                let equity = self.equity();
                if !equity.is_positive() {
                    return Err(TargetError::NoEquity { equity });
                }
                let value = equity
                    .checked_mul_ratio(w.0 as i128, Weight::SCALE as i128)
                    .ok_or(TargetError::OutOfRange { symbol: symbol() })?;
                value_delta(value, held, price()?).ok_or(TargetError::OutOfRange { symbol: symbol() })?
            }
        };
        let lot = self.instrument(id).lot_size.raw() as i128;
        let lots = if lot > 0 { delta_raw / lot * lot } else { delta_raw };
        i64::try_from(lots).map(Quantity::from_raw).map_err(|_| TargetError::OutOfRange { symbol: symbol() })
    }

    /// Sends the order [`target_delta`](Self::target_delta) works out: a
    /// market order, or a limit order at `limit`. `None` when no whole lot
    /// separates the position from its target.
    pub fn order_target(
        &mut self,
        id: InstrumentId,
        target: Target,
        limit: Option<Price>,
    ) -> Result<Option<OrderId>, TargetError> {
        let delta = self.target_delta(id, target)?;
        if delta.is_zero() {
            return Ok(None);
        }
        let side = if delta.is_positive() { Side::Buy } else { Side::Sell };
        let qty = delta.abs();
        let request = match limit {
            Some(price) => OrderRequest::limit(id, side, qty, price),
            None => OrderRequest::market(id, side, qty),
        };
        Ok(Some(self.submit(request)))
    }
}

/// `(value − held × price) / price` in quantity units (1e-9), truncated
/// toward zero; `None` out of range.
fn value_delta(value: Money, held: Quantity, price: Price) -> Option<i128> {
    let held_value = (held.raw() as i128).checked_mul(price.raw() as i128)?;
    let gap = value.raw().checked_sub(held_value)?;
    // Money raw is 1e-18, price raw 1e-9: the quotient is in 1e-9 units.
    Some(gap / price.raw() as i128)
}

/// Market and limit orders are a wish to trade. Stops may never trigger,
/// and an OCO's or bracket's legs are alternatives (at most one fills):
/// counting them would cancel the target out.
fn is_commitment(o: &crate::OrderRecord) -> bool {
    o.oco_group.is_none() && matches!(o.request.kind, OrderKind::Market | OrderKind::Limit { .. })
}
