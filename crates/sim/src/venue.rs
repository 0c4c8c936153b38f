//! The simulated venue: accepts orders, matches them against market data,
//! and reports back exactly like a real venue would.
//!
//! It knows nothing about strategies or the engine. It keeps the working
//! orders per instrument (in arrival order, so matching is deterministic),
//! the last market state per instrument, and its own view of the account's
//! net position (needed to enforce reduce-only, as a real venue does).

use pyrt_model::{
    Bar, ExecutionReport, Fill, Instrument, InstrumentId, Liquidity, MarketEvent, Money, OrderId, OrderKind, OrderQty,
    OrderRequest, Price, Quantity, Side, TimeInForce, UnixNanos, VenueCommand,
};
use serde::{Deserialize, Serialize};

use crate::costs::{FeeModel, Fees, Slippage, SlippageContext, SlippageModel, round_against};
use crate::matching::{LimitFillRule, Step, Trigger, bar_steps, is_marketable};

/// When market orders decided on a bar fill.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum BarFill {
    /// At the next bar's open (no look-ahead; the default). Spelt
    /// `next-open` or `next_open`, in settings files, flags and Python alike.
    #[default]
    #[serde(alias = "next_open")]
    NextOpen,
    /// At the close of the bar the decision was made on (backtesting.py's
    /// `trade_on_close`, vectorbt's default). Only market orders; limits and
    /// stops still wait for the next bar.
    Close,
}

/// How the simulated venue fills.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SimConfig {
    pub bar_fill: BarFill,
    pub limit_fill: LimitFillRule,
    pub fees: Fees,
    pub slippage: Slippage,
}

/// Last known market for one instrument.
#[derive(Debug, Clone, Copy, Default)]
struct MarketState {
    /// Close of the last bar (bar data).
    bar_close: Option<Price>,
    /// Current bid/ask (quote data).
    quote: Option<(Price, Price)>,
    /// Last trade price (trade data).
    last_trade: Option<Price>,
    /// What the last event was, so arrival checks use the freshest price.
    last_kind: LastKind,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
enum LastKind {
    #[default]
    None,
    Bar,
    Quote,
    Trade,
}

impl MarketState {
    /// The price an order on `side` could trade at right now, if any.
    fn price_for(&self, side: Side) -> Option<(Price, bool)> {
        match self.last_kind {
            LastKind::None => None,
            LastKind::Bar => self.bar_close.map(|p| (p, false)),
            LastKind::Trade => self.last_trade.map(|p| (p, false)),
            LastKind::Quote => self.quote.map(|(bid, ask)| (if side == Side::Buy { ask } else { bid }, true)),
        }
    }

    /// A reference for trailing stops: bar close, last trade or mid.
    fn reference(&self) -> Option<Price> {
        match self.last_kind {
            LastKind::None => None,
            LastKind::Bar => self.bar_close,
            LastKind::Trade => self.last_trade,
            LastKind::Quote => self.quote.map(|(b, a)| Price::from_raw((b.raw() + a.raw()) / 2)),
        }
    }
}

#[derive(Debug, Clone)]
struct WorkingOrder {
    id: OrderId,
    req: OrderRequest,
    /// Total size; `None` for a notional order not yet sized.
    qty: Option<Quantity>,
    filled: Quantity,
    trigger: Trigger,
    expires: Option<UnixNanos>,
    /// The OCO group the order is a leg of.
    oco: Option<u64>,
}

impl WorkingOrder {
    fn remaining(&self) -> Option<Quantity> {
        self.qty.map(|q| q - self.filled)
    }

    /// The steps of `path` the order sees: IOC/FOK only the first price
    /// after they arrive.
    fn steps<'a>(&self, path: &'a [Step]) -> &'a [Step] {
        let immediate = matches!(self.req.tif, TimeInForce::Ioc | TimeInForce::Fok);
        if immediate && self.trigger.fresh { &path[..1] } else { path }
    }

    /// At which step of `path` the order would fill, without changing it.
    fn first_touch(&self, path: &[Step], rule: LimitFillRule) -> Option<usize> {
        let mut trigger = self.trigger;
        self.steps(path).iter().position(|step| trigger.check(*step, rule).is_some())
    }
}

/// One instrument's side of the venue.
#[derive(Debug, Default)]
struct InstrumentBook {
    orders: Vec<WorkingOrder>,
    market: MarketState,
    /// The account's net position as this venue has filled it.
    position: Quantity,
    /// OCO groups a leg of which filled in the current step: their other
    /// legs match no more and are cancelled when the step ends.
    fired_oco: Vec<u64>,
}

impl InstrumentBook {
    fn fired(&self, order: &WorkingOrder) -> bool {
        order.oco.is_some_and(|g| self.fired_oco.contains(&g))
    }
}

/// A simulated exchange for backtests and paper trading.
pub struct SimVenue {
    instruments: Vec<Instrument>,
    books: Vec<InstrumentBook>,
    config: SimConfig,
    fees: Box<dyn FeeModel>,
    slippage: Box<dyn SlippageModel>,
    next_oco: u64,
}

impl SimVenue {
    pub fn new(instruments: Vec<Instrument>, config: SimConfig) -> Self {
        let books = instruments.iter().map(|_| InstrumentBook::default()).collect();
        let fees = Box::new(config.fees.clone());
        let slippage = Box::new(config.slippage.clone());
        Self { instruments, books, config, fees, slippage, next_oco: 0 }
    }

    /// Replaces the fee model with a custom one.
    pub fn with_fee_model(mut self, fees: Box<dyn FeeModel>) -> Self {
        self.fees = fees;
        self
    }

    /// Replaces the slippage model with a custom one.
    pub fn with_slippage_model(mut self, slippage: Box<dyn SlippageModel>) -> Self {
        self.slippage = slippage;
        self
    }

    pub fn config(&self) -> &SimConfig {
        &self.config
    }

    /// Number of orders working at the venue.
    pub fn open_orders(&self) -> usize {
        self.books.iter().map(|b| b.orders.len()).sum()
    }

    /// The net position the venue has filled for `instrument`.
    pub fn position(&self, instrument: InstrumentId) -> Quantity {
        self.books.get(instrument.index()).map_or(Quantity::ZERO, |b| b.position)
    }

    /// Handles a command that reached the venue at `now`.
    pub fn handle(&mut self, cmd: VenueCommand, now: UnixNanos, out: &mut Vec<ExecutionReport>) {
        match cmd {
            VenueCommand::Submit { order_id, request } => {
                let i = request.instrument.index();
                if self.accept(order_id, request, now, None, out) {
                    self.match_on_arrival(i, order_id, now, out);
                }
            }
            VenueCommand::SubmitOco { legs } => self.submit_oco(legs, now, out),
            VenueCommand::Cancel { order_id } => {
                let was_open = self.take_order(order_id).is_some();
                out.push(crate::order_checks::cancel_answer(order_id, now, was_open));
            }
            VenueCommand::Modify { order_id, qty, price, trigger } => {
                let result = self.modify(order_id, qty, price, trigger);
                out.push(match result {
                    Ok((qty, price, trigger)) => ExecutionReport::Modified { order_id, ts: now, qty, price, trigger },
                    Err(reason) => ExecutionReport::CommandRejected { order_id, ts: now, reason },
                });
            }
        }
    }

    /// Validates an arriving order and, when it is good, accepts it into its
    /// instrument's working orders (last). Returns whether it was accepted.
    fn accept(
        &mut self,
        order_id: OrderId,
        req: OrderRequest,
        now: UnixNanos,
        oco: Option<u64>,
        out: &mut Vec<ExecutionReport>,
    ) -> bool {
        if let Err(reason) = self.validate(&req) {
            out.push(ExecutionReport::Rejected { order_id, ts: now, reason });
            return false;
        }
        let book = &self.books[req.instrument.index()];
        if req.post_only
            && let Some((price, _)) = book.market.price_for(req.side)
            && book.market.last_kind != LastKind::Bar
            && is_marketable(req.kind, req.side, price)
        {
            out.push(ExecutionReport::Rejected {
                order_id,
                ts: now,
                reason: "post-only order would take liquidity".into(),
            });
            return false;
        }
        let expires = crate::order_checks::expiry(req.tif, now);
        let qty = match req.qty {
            OrderQty::Base(q) => Some(q),
            OrderQty::Quote(_) => None,
        };
        let trigger = Trigger::new(req.kind, req.side, book.market.reference());
        let order = WorkingOrder { id: order_id, req, qty, filled: Quantity::ZERO, trigger, expires, oco };
        out.push(ExecutionReport::Accepted { order_id, ts: now });
        self.books[order.req.instrument.index()].orders.push(order);
        true
    }

    /// An OCO list, all or nothing as on an exchange: a leg that fails the
    /// checks rejects every leg. The legs all arrive before any of them
    /// meets the market, so one filling on arrival cancels the others.
    fn submit_oco(&mut self, legs: Vec<(OrderId, OrderRequest)>, now: UnixNanos, out: &mut Vec<ExecutionReport>) {
        let i = legs[0].1.instrument.index();
        let refused = legs.iter().find_map(|(id, req)| {
            let why = if req.instrument.index() != i {
                Err("the legs of an OCO must trade one instrument".to_string())
            } else {
                self.validate(req)
            };
            why.err().map(|why| format!("OCO leg {id} refused: {why}"))
        });
        if let Some(reason) = refused {
            for (order_id, _) in legs {
                out.push(ExecutionReport::Rejected { order_id, ts: now, reason: reason.clone() });
            }
            return;
        }
        let group = self.next_oco;
        self.next_oco += 1;
        let ids: Vec<OrderId> = legs.iter().map(|(id, _)| *id).collect();
        for (id, req) in legs {
            self.accept(id, req, now, Some(group), out);
        }
        for id in ids {
            self.match_on_arrival(i, id, now, out);
        }
        self.cancel_fired_oco(i, now, out);
    }

    /// Cancels the other legs of every OCO group that filled in this step.
    fn cancel_fired_oco(&mut self, i: usize, now: UnixNanos, out: &mut Vec<ExecutionReport>) {
        let book = &mut self.books[i];
        if book.fired_oco.is_empty() {
            return;
        }
        let fired = std::mem::take(&mut book.fired_oco);
        book.orders.retain(|o| {
            let cancel = o.oco.is_some_and(|g| fired.contains(&g));
            if cancel {
                out.push(ExecutionReport::Cancelled {
                    order_id: o.id,
                    ts: now,
                    reason: "OCO: another leg of the group filled".into(),
                });
            }
            !cancel
        });
    }

    fn validate(&self, req: &OrderRequest) -> Result<(), String> {
        crate::order_checks::validate(&self.instruments, req)
    }

    fn modify(
        &mut self,
        order_id: OrderId,
        qty: Option<Quantity>,
        price: Option<Price>,
        trigger: Option<Price>,
    ) -> Result<(Quantity, Option<Price>, Option<Price>), String> {
        let (i, pos) = self.find(order_id).ok_or("modify rejected: order is not open at the venue")?;
        let inst = &self.instruments[i];
        let order = &self.books[i].orders[pos];
        let mut kind = order.req.kind;
        match (&mut kind, price, trigger) {
            (_, None, None) => {}
            (OrderKind::Limit { price: p }, Some(new), None) => *p = new,
            (OrderKind::Stop { trigger: t }, None, Some(new)) => *t = new,
            (OrderKind::StopLimit { trigger: t, limit: l }, new_l, new_t) => {
                if let Some(x) = new_l {
                    *l = x;
                }
                if let Some(x) = new_t {
                    *t = x;
                }
            }
            _ => return Err(format!("modify rejected: a {} order has no such price to change", kind.name())),
        }
        if let Some(p) = price {
            inst.check_price(p).map_err(|e| format!("modify rejected: {e}"))?;
        }
        if let Some(t) = trigger {
            inst.check_price(t).map_err(|e| format!("modify rejected: {e}"))?;
        }
        let new_qty = match (qty, order.qty) {
            (Some(q), Some(_)) => {
                inst.check_quantity(q).map_err(|e| format!("modify rejected: {e}"))?;
                if q <= order.filled {
                    return Err(format!("modify rejected: new quantity {q} is not above the filled {}", order.filled));
                }
                q
            }
            (Some(_), None) => return Err("modify rejected: a notional order's size cannot be changed".into()),
            (None, q) => q.unwrap_or(Quantity::ZERO),
        };
        let order = &mut self.books[i].orders[pos];
        order.req.kind = kind;
        order.trigger.kind = kind;
        if qty.is_some() {
            order.qty = Some(new_qty);
        }
        let (p, t) = match kind {
            OrderKind::Limit { price } => (Some(price), None),
            OrderKind::Stop { trigger } => (None, Some(trigger)),
            OrderKind::StopLimit { trigger, limit } => (Some(limit), Some(trigger)),
            _ => (None, None),
        };
        Ok((new_qty, p, t))
    }

    fn find(&self, order_id: OrderId) -> Option<(usize, usize)> {
        self.books
            .iter()
            .enumerate()
            .find_map(|(i, b)| b.orders.iter().position(|o| o.id == order_id).map(|pos| (i, pos)))
    }

    fn take_order(&mut self, order_id: OrderId) -> Option<WorkingOrder> {
        let (i, pos) = self.find(order_id)?;
        Some(self.books[i].orders.remove(pos))
    }

    /// Checks newly arrived order `id` of instrument `i` against the
    /// current market (if it is still working).
    fn match_on_arrival(&mut self, i: usize, id: OrderId, now: UnixNanos, out: &mut Vec<ExecutionReport>) {
        let market = self.books[i].market;
        let Some(n) = self.books[i].orders.iter().position(|o| o.id == id) else { return };
        let order = &self.books[i].orders[n];
        let side = order.req.side;
        match market.last_kind {
            LastKind::None => {}
            // Bar data: the bar this order was decided on is over. Only the
            // close convention fills market orders at its close; the rest
            // waits for the next bar.
            LastKind::Bar => {
                if self.config.bar_fill == BarFill::Close && order.req.kind == OrderKind::Market {
                    let close = market.bar_close.expect("bar state has a close");
                    self.match_one(i, n, &[Step::Gap(close)], None, now, false, out);
                }
            }
            LastKind::Trade | LastKind::Quote => {
                let (price, quoted) = market.price_for(side).expect("market state has a price");
                self.match_one(i, n, &[Step::Print(price)], None, now, quoted, out);
            }
        }
        // IOC/FOK get their one chance on arrival where there is a price.
        self.expire_immediate(i, Some(id), now, market.last_kind == LastKind::Bar, out);
    }

    /// Cancels what is left of IOC/FOK orders (all, or only `only`) after
    /// their arrival check. On bar data the arrival check is the next bar's
    /// open, so they wait.
    fn expire_immediate(
        &mut self,
        i: usize,
        only: Option<OrderId>,
        now: UnixNanos,
        waiting_for_bar: bool,
        out: &mut Vec<ExecutionReport>,
    ) {
        let book = &mut self.books[i];
        book.orders.retain(|o| {
            let immediate =
                matches!(o.req.tif, TimeInForce::Ioc | TimeInForce::Fok) && only.is_none_or(|id| id == o.id);
            if immediate && !(waiting_for_bar && o.trigger.fresh) {
                out.push(ExecutionReport::Cancelled {
                    order_id: o.id,
                    ts: now,
                    reason: format!("{:?} order not filled on arrival", o.req.tif).to_uppercase(),
                });
                return false;
            }
            true
        });
    }

    /// Matches working orders against a new piece of market data.
    pub fn on_market(&mut self, event: &MarketEvent, out: &mut Vec<ExecutionReport>) {
        let i = event.instrument().index();
        if i >= self.books.len() {
            return;
        }
        let now = event.ts();
        if !self.books[i].orders.is_empty() {
            self.expire_due(i, now, out);
            match event {
                MarketEvent::Bar(bar) => self.match_bar(i, bar, out),
                MarketEvent::Trade(t) => self.match_all(i, &[Step::Print(t.price)], None, now, false, out),
                MarketEvent::Quote(q) => {
                    // Buys see the ask, sells the bid: match each side apart.
                    self.match_side(i, Side::Buy, q.ask, now, out);
                    self.match_side(i, Side::Sell, q.bid, now, out);
                }
                // Matching against a full depth book is the L2 venue's job
                // (issue 5); a lone delta moves no price here.
                MarketEvent::BookDelta(_) => {}
            }
            self.cancel_fired_oco(i, now, out);
        }
        let market = &mut self.books[i].market;
        match event {
            MarketEvent::Bar(b) => {
                market.bar_close = Some(b.close);
                market.last_kind = LastKind::Bar;
            }
            MarketEvent::Trade(t) => {
                market.last_trade = Some(t.price);
                market.last_kind = LastKind::Trade;
            }
            MarketEvent::Quote(q) => {
                market.quote = Some((q.bid, q.ask));
                market.last_kind = LastKind::Quote;
            }
            MarketEvent::BookDelta(_) => {}
        }
    }

    fn expire_due(&mut self, i: usize, now: UnixNanos, out: &mut Vec<ExecutionReport>) {
        self.books[i].orders.retain(|o| match o.expires {
            Some(t) if now >= t => {
                out.push(ExecutionReport::Expired { order_id: o.id, ts: now });
                false
            }
            _ => true,
        });
    }

    fn match_bar(&mut self, i: usize, bar: &Bar, out: &mut Vec<ExecutionReport>) {
        let steps = bar_steps(bar.open, bar.high, bar.low, bar.close);
        self.match_all(i, &steps, Some(bar.volume), bar.ts_recv, false, out);
        self.expire_immediate(i, None, bar.ts_recv, false, out);
    }

    fn match_side(&mut self, i: usize, side: Side, price: Price, now: UnixNanos, out: &mut Vec<ExecutionReport>) {
        let mut n = 0;
        while n < self.books[i].orders.len() {
            let removed = self.books[i].orders[n].req.side == side
                && self.match_one(i, n, &[Step::Print(price)], None, now, true, out);
            if !removed {
                n += 1;
            }
        }
    }

    fn match_all(
        &mut self,
        i: usize,
        steps: &[Step],
        volume: Option<Quantity>,
        now: UnixNanos,
        quoted: bool,
        out: &mut Vec<ExecutionReport>,
    ) {
        let mut budget = volume;
        let mut n = 0;
        while n < self.books[i].orders.len() {
            let before = self.books[i].position;
            let removed = self.match_one(i, n, steps, budget, now, quoted, out);
            if let Some(b) = &mut budget {
                *b -= (self.books[i].position - before).abs();
            }
            if !removed {
                n += 1;
            }
        }
    }

    /// Whether another leg of order `n`'s OCO group meets the market first
    /// on this path (or at the same step, having arrived earlier): then
    /// that leg fills and this one is cancelled, as the market reaches
    /// them in that order.
    fn oco_leg_beaten(&self, i: usize, n: usize, path: &[Step]) -> bool {
        let (orders, rule) = (&self.books[i].orders, self.config.limit_fill);
        let Some(group) = orders[n].oco else { return false };
        let Some(mine) = orders[n].first_touch(path, rule) else { return false };
        orders.iter().enumerate().any(|(m, other)| {
            m != n
                && other.oco == Some(group)
                && other.first_touch(path, rule).is_some_and(|theirs| theirs < mine || (theirs == mine && m < n))
        })
    }

    /// Runs order `n` of instrument `i` through `steps`; fills at most once.
    /// Returns whether the order left the book.
    #[allow(clippy::too_many_arguments)]
    fn match_one(
        &mut self,
        i: usize,
        n: usize,
        steps: &[Step],
        volume_left: Option<Quantity>,
        now: UnixNanos,
        quoted: bool,
        out: &mut Vec<ExecutionReport>,
    ) -> bool {
        let rule = self.config.limit_fill;
        let book = &self.books[i];
        if book.fired(&book.orders[n]) || self.oco_leg_beaten(i, n, steps) {
            return false;
        }
        let order = &mut self.books[i].orders[n];
        let was_triggered = order.trigger.triggered;
        let steps = order.steps(steps);
        let mut touch = None;
        for step in steps {
            touch = order.trigger.check(*step, rule);
            if touch.is_some() {
                break;
            }
            order.trigger.fresh = false;
        }
        order.trigger.fresh = false;
        let id = order.id;
        if order.trigger.triggered && !was_triggered && touch.is_none() {
            out.push(ExecutionReport::Triggered { order_id: id, ts: now });
        }
        let Some(touch) = touch else { return false };
        if touch.just_triggered && !was_triggered {
            out.push(ExecutionReport::Triggered { order_id: id, ts: now });
        }
        self.fill(i, n, touch.price, touch.liquidity, volume_left, now, quoted, out)
    }

    /// Fills order `n` at `reference` (before slippage). Returns whether the
    /// order left the book (filled, or cancelled by a fill rule).
    #[allow(clippy::too_many_arguments)]
    fn fill(
        &mut self,
        i: usize,
        n: usize,
        reference: Price,
        liquidity: Liquidity,
        volume_left: Option<Quantity>,
        now: UnixNanos,
        quoted: bool,
        out: &mut Vec<ExecutionReport>,
    ) -> bool {
        let inst = &self.instruments[i];
        let book = &mut self.books[i];
        let order = &book.orders[n];
        let side = order.req.side;
        let ctx = SlippageContext { bar_volume: volume_left, quoted };
        let cancel = |out: &mut Vec<ExecutionReport>, book: &mut InstrumentBook, reason: String| {
            let o = book.orders.remove(n);
            out.push(ExecutionReport::Cancelled { order_id: o.id, ts: now, reason });
            true
        };
        // Size: notional orders are sized once, at the first fill price.
        let price_for = |qty: Quantity| match liquidity {
            Liquidity::Taker => {
                round_against(side, self.slippage.taker_price(side, reference, qty, &ctx), inst.tick_size)
            }
            Liquidity::Maker => reference,
        };
        let mut qty = match (order.remaining(), order.req.qty) {
            (Some(q), _) => q,
            (None, OrderQty::Quote(amount)) => {
                let estimate = amount.lots_at(price_for(Quantity::ZERO), inst.lot_size);
                size_within_budget(amount, estimate, inst.lot_size, |q| {
                    let p = price_for(q);
                    Money::notional(p, q) + self.fees.fee(p, q, liquidity)
                })
            }
            (None, OrderQty::Base(q)) => q,
        };
        if qty.is_zero() {
            let reason = format!("notional too small to buy one lot of {} at {}", inst.symbol, reference);
            return cancel(out, book, reason);
        }
        if order.qty.is_none() {
            // Tell the owner what the notional bought before the fill lands.
            let order_id = order.id;
            book.orders[n].qty = Some(qty);
            out.push(ExecutionReport::Modified { order_id, ts: now, qty, price: None, trigger: None });
        }
        // Reduce-only: never grow or flip the position.
        if book.orders[n].req.reduce_only {
            let room = match side {
                Side::Buy => (-book.position).max(Quantity::ZERO),
                Side::Sell => book.position.max(Quantity::ZERO),
            };
            if room.is_zero() {
                return cancel(out, book, "reduce-only order would increase the position".into());
            }
            if qty > room {
                let o = &mut book.orders[n];
                o.qty = Some(o.filled + room);
                qty = room;
                out.push(ExecutionReport::Modified {
                    order_id: o.id,
                    ts: now,
                    qty: o.filled + room,
                    price: None,
                    trigger: None,
                });
            }
        }
        // Volume caps (participation) may allow only part of it now.
        let cap = self.slippage.max_fill(&ctx).map(|c| c.floor_to(inst.lot_size).max(Quantity::ZERO));
        let fill_qty = match cap {
            Some(c) if c < qty => c,
            _ => qty,
        };
        if book.orders[n].req.tif == TimeInForce::Fok && fill_qty < qty {
            return cancel(out, book, "FOK order could not be filled completely".into());
        }
        if fill_qty.is_zero() {
            return false;
        }
        let price = price_for(fill_qty);
        if !price.is_positive() {
            return false;
        }
        let fee = self.fees.fee(price, fill_qty, liquidity);
        let order = &mut book.orders[n];
        order.filled += fill_qty;
        book.position += Quantity::from_raw(fill_qty.raw() * side.sign());
        let fill = Fill {
            fee_base: Quantity::ZERO,
            order_id: order.id,
            instrument: order.req.instrument,
            side,
            price,
            qty: fill_qty,
            fee,
            liquidity,
            ts: now,
        };
        out.push(ExecutionReport::Filled(fill));
        if let Some(group) = order.oco {
            book.fired_oco.push(group);
        }
        if order.remaining().is_some_and(|r| r.is_zero()) {
            book.orders.remove(n);
            return true;
        }
        false
    }
}

/// The largest multiple of `lot` at or below `start` whose total cost fits
/// in `budget`. Costs grow with size, so a short walk down from the
/// fee-free estimate finds it.
fn size_within_budget(budget: Money, start: Quantity, lot: Quantity, cost: impl Fn(Quantity) -> Money) -> Quantity {
    let mut q = start;
    while q.is_positive() && cost(q) > budget {
        let over = cost(q) - budget;
        // Step down by at least one lot, and by the overshoot's worth of lots.
        let per_lot = (cost(q) - cost(q - lot)).max(Money::from_raw(1));
        let lots = (over.raw() / per_lot.raw()).max(1) as i64;
        q = (q - Quantity::from_raw(lot.raw() * lots)).max(Quantity::ZERO);
    }
    q
}

impl pyrt_model::Venue for SimVenue {
    fn handle(&mut self, cmd: VenueCommand, now: UnixNanos, out: &mut Vec<ExecutionReport>) {
        SimVenue::handle(self, cmd, now, out)
    }
    fn on_market(&mut self, event: &MarketEvent, _now: UnixNanos, out: &mut Vec<ExecutionReport>) {
        // Bars carry their own timing (the bar path); ticks are at receive time.
        SimVenue::on_market(self, event, out)
    }
}
