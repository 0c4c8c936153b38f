//! The checks every order passes before it leaves the kernel: the risk
//! engine's limits, then the account's own rules (a cash account cannot
//! short or spend cash it does not have).

use pyrt_model::{Instrument, InstrumentId, Money, OrderId, OrderKind, OrderQty, OrderRequest, Quantity, Side};
use pyrt_risk::{Denial, DenialCode, Exposures, OrderCheck};

use crate::kernel::{AccountKind, Engine, Venue};
use crate::portfolio::{MAX_CASH, MAX_GROSS_QTY, Portfolio};

/// The instrument's own rules: quantities in whole lots, at least its
/// minimum; prices on its tick grid. Checked here so a venue round trip
/// (and a rejection counted by the circuit breaker) is not spent on them.
fn instrument_rules(inst: &Instrument, req: &OrderRequest) -> Result<(), String> {
    match req.qty {
        OrderQty::Base(q) => inst.check_quantity(q).map_err(|e| e.to_string())?,
        OrderQty::Quote(amount) if !amount.is_positive() => {
            return Err(format!("notional amount {amount} must be greater than zero"));
        }
        OrderQty::Quote(_) => {}
    }
    let prices = match req.kind {
        OrderKind::Limit { price } => [Some(price), None],
        OrderKind::Stop { trigger } => [Some(trigger), None],
        OrderKind::StopLimit { trigger, limit } => [Some(trigger), Some(limit)],
        OrderKind::Market | OrderKind::TrailingStop { .. } => [None, None],
    };
    for price in prices.into_iter().flatten() {
        inst.check_price(price).map_err(|e| e.to_string())?;
    }
    Ok(())
}

impl<V: Venue> Engine<V> {
    /// The account-level checks every order passes before leaving. `id` is
    /// the order being checked: it is already in the order manager, and
    /// must not be counted against itself.
    pub(crate) fn pre_trade_check(&self, id: OrderId, req: &OrderRequest, flattening: bool) -> Result<(), Denial> {
        let deny = |code, message| Err(Denial { code, message });
        let Some(inst) = self.instruments.get(req.instrument.index()) else {
            return deny(DenialCode::InstrumentRules, format!("unknown instrument id {}", req.instrument.0));
        };
        instrument_rules(inst, req).map_err(|message| Denial { code: DenialCode::InstrumentRules, message })?;
        self.in_range(req).map_err(|message| Denial { code: DenialCode::OutOfRange, message })?;
        if self.risk.is_checking() {
            self.risk_check(inst, req, flattening)?;
        }
        // A reduce-only sell on a cash account is checked like any sell:
        // Binance Spot has no reduce-only flag, so two `close_position`s
        // before the first fills would otherwise sell the position twice
        // (found by the crash-and-resume test: the run went short on a cash
        // account). Only the kill switch's own flattening is exempt.
        if self.config.account == AccountKind::Margin || (req.reduce_only && flattening) {
            return Ok(());
        }
        // A strategy with capital of its own is held to its sleeve: its
        // cash, its positions and its own open sells.
        let sleeve =
            if self.sleeves.is_empty() { None } else { self.orders.get(id).and_then(|o| self.sleeves.of(o.strategy)) };
        let owner = sleeve.map(|s| s.strategy);
        let account = sleeve.map_or(&self.portfolio, |s| &s.portfolio);
        let position = account.position(req.instrument);
        match (req.side, req.qty) {
            (Side::Sell, OrderQty::Base(q)) => {
                let offered = self.orders.committed_quantity(req.instrument, Side::Sell, id, owner);
                if q + offered > position.qty {
                    let free = (position.qty - offered).max(Quantity::ZERO);
                    return deny(
                        DenialCode::InsufficientPosition,
                        format!(
                            "cash account cannot sell {q} {}: it holds {} with {offered} already offered by open sells, \
                             so at most {free} can be sold; use account = \"margin\" to short",
                            inst.symbol, position.qty
                        ),
                    );
                }
            }
            (Side::Sell, OrderQty::Quote(_)) => {
                return deny(
                    DenialCode::UnsupportedOrder,
                    "notional sell orders are not supported; sell a base quantity".into(),
                );
            }
            (Side::Buy, qty) => {
                let cost = match (qty, req.kind) {
                    (OrderQty::Quote(amount), _) => Some(amount),
                    (OrderQty::Base(q), OrderKind::Limit { price } | OrderKind::StopLimit { limit: price, .. }) => {
                        Some(Money::notional(price, q))
                    }
                    (OrderQty::Base(q), _) => position.mark.map(|m| Money::notional(m, q)),
                };
                if let Some(cost) = cost
                    && cost > account.cash()
                {
                    let whose = if owner.is_some() { "the strategy's allocation" } else { "the account" };
                    return deny(
                        DenialCode::InsufficientCash,
                        format!(
                            "insufficient cash: the order needs about {cost:.2} but {whose} has {:.2}",
                            account.cash()
                        ),
                    );
                }
            }
        }
        Ok(())
    }

    /// Whether `req`'s fill could be booked exactly: the positions' gross
    /// quantity after it stays within `MAX_GROSS_QTY`, and cash moved by
    /// twice its notional (room for slippage or a gap) within `MAX_CASH`.
    fn in_range(&self, req: &OrderRequest) -> Result<(), String> {
        let OrderQty::Base(q) = req.qty else { return Ok(()) };
        let gross = self.portfolio.gross_qty().checked_add(q);
        if gross.is_none_or(|g| g > MAX_GROSS_QTY) {
            return Err(format!(
                "positions of {} in all plus an order of {q} are beyond the largest the account holds ({MAX_GROSS_QTY})",
                self.portfolio.gross_qty()
            ));
        }
        let position = self.portfolio.position(req.instrument);
        let price = match req.kind {
            OrderKind::Limit { price }
            | OrderKind::StopLimit { limit: price, .. }
            | OrderKind::Stop { trigger: price } => Some(price.max(position.mark.unwrap_or(price))),
            _ => position.mark,
        };
        let Some(price) = price else { return Ok(()) };
        let notional = Money::notional(price, q).raw().unsigned_abs();
        let cash = self.portfolio.cash().raw().unsigned_abs();
        let fits =
            notional.checked_mul(2).and_then(|n| n.checked_add(cash)).is_some_and(|t| t <= MAX_CASH.raw() as u128);
        if !fits {
            return Err(format!("an order of {q} at {price} is beyond the range of exact accounting"));
        }
        Ok(())
    }

    /// The risk engine's view of `req` and the account.
    fn risk_check(&self, inst: &Instrument, req: &OrderRequest, flattening: bool) -> Result<(), Denial> {
        let position = self.portfolio.position(req.instrument);
        let (qty, amount) = match req.qty {
            OrderQty::Base(q) => (Some(q), None),
            OrderQty::Quote(a) => (position.mark.map(|m| a.lots_at(m, inst.lot_size)), Some(a)),
        };
        let price = match req.kind {
            OrderKind::Limit { price } | OrderKind::StopLimit { limit: price, .. } => Some(price),
            OrderKind::Stop { trigger } => Some(trigger),
            _ => None,
        };
        let check = OrderCheck {
            now: self.now,
            instrument: inst,
            side: req.side,
            qty,
            amount,
            price,
            reduce_only: req.reduce_only,
            mark: position.mark,
            data_age_ns: self.last_data[req.instrument.index()].map(|t| self.now - t),
            position: position.qty,
            equity: self.portfolio.equity(),
            cash: self.portfolio.cash(),
            gross_exposure: self.portfolio.gross_exposure(),
            net_exposure: self.portfolio.market_value(),
        };
        self.risk.check(&check, &PortfolioExposures(&self.portfolio), flattening)
    }
}

/// The portfolio as the risk engine's view of per-instrument exposure.
struct PortfolioExposures<'a>(&'a Portfolio);

impl Exposures for PortfolioExposures<'_> {
    fn abs_exposure(&self, instrument: InstrumentId) -> Money {
        let p = self.0.position(instrument);
        p.mark.map_or(Money::ZERO, |m| Money::notional(m, p.qty.abs()))
    }
}
