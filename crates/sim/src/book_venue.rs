//! A simulated venue for order-book (L2) data: market orders walk the
//! book, resting limit orders wait in a queue.
//!
//! The venue keeps its own copy of each instrument's book from the replayed
//! deltas, so it sees the market the exchange saw, independently of what a
//! strategy has read. Our orders are *not* inserted into that book: a replay
//! cannot know how other traders would have reacted to them, so, like
//! hftbacktest, the venue assumes no market impact. Two consequences are
//! worth knowing: an aggressive order takes the levels it walks without
//! removing them (a second order in the same instant sees them again), and a
//! resting order's queue position is an estimate.
//!
//! **Queue position (risk-averse model).** A limit order that rests joins
//! the back of its price level: the quantity ahead of it is the level's size
//! when it arrives. Only two things move it forward:
//!
//! * a trade at its price takes from the front of the queue: the quantity
//!   ahead falls by the trade's size, and whatever the trade had left over
//!   fills the order;
//! * the level shrinking below the quantity ahead (cancellations): the
//!   quantity ahead falls to the new level size — we assume the cancelled
//!   orders were ahead of us only as far as they must have been.
//!
//! A trade *through* the order's price (a sell below a resting buy), or the
//! opposite best price reaching it, fills the rest of the order at its own
//! price as a maker.
//!
//! Market and limit orders with every time in force, post-only and
//! reduce-only are supported, and stop, stop-limit and trailing stop orders
//! wait off the book until a trade fires them (`book_stops`). Notional
//! (quote-sized) orders are rejected with a reason.

use std::collections::HashMap;

use pyrt_book::L2Book;
use pyrt_model::{
    ExecutionReport, Fill, Instrument, InstrumentId, Liquidity, MarketEvent, OrderId, OrderKind, OrderQty,
    OrderRequest, Price, Quantity, Side, TimeInForce, Trade, UnixNanos, VenueCommand,
};

use crate::book_stops::{PendingStop, is_stop};
use crate::costs::{FeeModel, Fees};

#[derive(Debug, Clone)]
struct Resting {
    id: OrderId,
    req: OrderRequest,
    price: Price,
    qty: Quantity,
    filled: Quantity,
    /// Quantity queued ahead of this order at its price.
    ahead: Quantity,
    expires: Option<UnixNanos>,
}

impl Resting {
    fn remaining(&self) -> Quantity {
        self.qty - self.filled
    }
    /// `price` is at or through this order's limit from the other side.
    fn crossed_by(&self, price: Price) -> bool {
        match self.req.side {
            Side::Buy => price <= self.price,
            Side::Sell => price >= self.price,
        }
    }
}

#[derive(Debug, Clone)]
struct Market {
    book: L2Book,
    orders: Vec<Resting>,
    /// Stops waiting for their trigger, in the order they arrived.
    stops: Vec<PendingStop>,
    /// The last trade price: what fires stops.
    last_print: Option<Price>,
    position: Quantity,
}

/// A simulated exchange matching against replayed order books.
pub struct BookVenue {
    instruments: Vec<Instrument>,
    markets: Vec<Market>,
    fees: Box<dyn FeeModel>,
    oco: OcoGroups,
}

/// The venue's OCO lists: which group each leg belongs to, and the groups
/// a leg of which filled in the current step (their other legs fill no
/// more and are cancelled when the step ends).
#[derive(Debug, Default)]
struct OcoGroups {
    group_of: HashMap<OrderId, u64>,
    legs: HashMap<u64, Vec<OrderId>>,
    fired: Vec<u64>,
    next: u64,
}

impl OcoGroups {
    fn add(&mut self, ids: Vec<OrderId>) {
        let group = self.next;
        self.next += 1;
        for id in &ids {
            self.group_of.insert(*id, group);
        }
        self.legs.insert(group, ids);
    }

    /// Whether `id` is a leg of a group that already filled.
    fn beaten(&self, id: OrderId) -> bool {
        !self.fired.is_empty() && self.group_of.get(&id).is_some_and(|g| self.fired.contains(g))
    }

    fn filled(&mut self, id: OrderId) {
        if let Some(&g) = self.group_of.get(&id)
            && !self.fired.contains(&g)
        {
            self.fired.push(g);
        }
    }

    /// Forgets a leg that left the book on its own (cancel, expiry).
    fn forget(&mut self, id: OrderId) {
        if let Some(g) = self.group_of.remove(&id)
            && let Some(legs) = self.legs.get_mut(&g)
        {
            legs.retain(|l| *l != id);
            if legs.is_empty() {
                self.legs.remove(&g);
            }
        }
    }

    /// The other legs of the groups that fired, to cancel; forgets the groups.
    fn take_beaten(&mut self) -> Vec<OrderId> {
        let mut out = Vec::new();
        for g in std::mem::take(&mut self.fired) {
            for id in self.legs.remove(&g).unwrap_or_default() {
                self.group_of.remove(&id);
                out.push(id);
            }
        }
        out
    }
}

impl BookVenue {
    pub fn new(instruments: Vec<Instrument>, fees: Fees) -> Self {
        let markets = instruments
            .iter()
            .map(|i| Market {
                book: L2Book::with_tick(i.tick_size),
                orders: Vec::new(),
                stops: Vec::new(),
                last_print: None,
                position: Quantity::ZERO,
            })
            .collect();
        Self { instruments, markets, fees: Box::new(fees), oco: OcoGroups::default() }
    }

    /// The venue's book for an instrument.
    pub fn book(&self, instrument: InstrumentId) -> &L2Book {
        &self.markets[instrument.index()].book
    }

    /// Resting orders and stops waiting for their trigger.
    pub fn open_orders(&self) -> usize {
        self.markets.iter().map(|m| m.orders.len() + m.stops.len()).sum()
    }

    /// The net position this venue has filled.
    pub fn position(&self, instrument: InstrumentId) -> Quantity {
        self.markets[instrument.index()].position
    }

    /// The quantity the venue estimates is queued ahead of a resting order.
    pub fn queue_ahead(&self, order_id: OrderId) -> Option<Quantity> {
        self.markets.iter().flat_map(|m| &m.orders).find(|o| o.id == order_id).map(|o| o.ahead)
    }

    /// Handles a command that reached the venue at `now`.
    pub fn handle(&mut self, cmd: VenueCommand, now: UnixNanos, out: &mut Vec<ExecutionReport>) {
        match cmd {
            VenueCommand::Submit { order_id, request } => self.submit(order_id, request, now, out),
            VenueCommand::SubmitOco { legs } => {
                // All or nothing, as on an exchange.
                if let Some(reason) = legs
                    .iter()
                    .find_map(|(id, r)| self.check(r).err().map(|why| format!("OCO leg {id} refused: {why}")))
                {
                    for (order_id, _) in legs {
                        out.push(ExecutionReport::Rejected { order_id, ts: now, reason: reason.clone() });
                    }
                    return;
                }
                self.oco.add(legs.iter().map(|(id, _)| *id).collect());
                for (order_id, request) in legs {
                    self.submit(order_id, request, now, out);
                }
                self.cancel_beaten(now, out);
            }
            VenueCommand::Cancel { order_id } => {
                self.oco.forget(order_id);
                let was_open = self.take(order_id);
                out.push(crate::order_checks::cancel_answer(order_id, now, was_open));
            }
            VenueCommand::Modify { order_id, qty, price, trigger } => {
                let report = match self.modify(order_id, qty, price, trigger) {
                    Ok((qty, price)) => {
                        ExecutionReport::Modified { order_id, ts: now, qty, price: Some(price), trigger: None }
                    }
                    Err(reason) => ExecutionReport::CommandRejected { order_id, ts: now, reason },
                };
                out.push(report);
            }
        }
    }

    fn submit(&mut self, id: OrderId, req: OrderRequest, now: UnixNanos, out: &mut Vec<ExecutionReport>) {
        if let Err(reason) = self.check(&req) {
            out.push(ExecutionReport::Rejected { order_id: id, ts: now, reason });
            return;
        }
        let limit = match req.kind {
            OrderKind::Limit { price } => Some(price),
            _ => None,
        };
        let i = req.instrument.index();
        let book = &self.markets[i].book;
        let best_other = book.side(req.side.opposite()).best().map(|l| l.price);
        let marketable = |p: Price| match req.side {
            Side::Buy => best_other.is_some_and(|a| a <= p),
            Side::Sell => best_other.is_some_and(|b| b >= p),
        };
        if req.post_only && limit.is_some_and(marketable) {
            let reason = "post-only order would take liquidity".into();
            out.push(ExecutionReport::Rejected { order_id: id, ts: now, reason });
            return;
        }
        out.push(ExecutionReport::Accepted { order_id: id, ts: now });
        let expires = crate::order_checks::expiry(req.tif, now);
        if is_stop(req.kind) {
            let m = &mut self.markets[i];
            let mut stop = PendingStop::new(id, req, expires, m.last_print);
            if m.last_print.is_some_and(|print| stop.fires_on(print)) {
                out.push(ExecutionReport::Triggered { order_id: id, ts: now });
                self.enter(id, stop.fired(), expires, now, out);
            } else {
                m.stops.push(stop);
            }
            return;
        }
        self.enter(id, req, expires, now, out);
    }

    /// An accepted market or limit order (or a fired stop) meets the book:
    /// it takes what it can and rests, or is cancelled, as its kind says.
    fn enter(
        &mut self,
        id: OrderId,
        req: OrderRequest,
        expires: Option<UnixNanos>,
        now: UnixNanos,
        out: &mut Vec<ExecutionReport>,
    ) {
        let OrderQty::Base(qty) = req.qty else { unreachable!("checked: base quantity") };
        let limit = match req.kind {
            OrderKind::Limit { price } => Some(price),
            _ => None,
        };
        let (i, side, tif) = (req.instrument.index(), req.side, req.tif);
        let order = Resting {
            id,
            req,
            price: limit.unwrap_or(Price::ZERO),
            qty,
            filled: Quantity::ZERO,
            ahead: Quantity::ZERO,
            expires,
        };
        let m = &mut self.markets[i];
        m.orders.push(order);
        let n = m.orders.len() - 1;
        if tif == TimeInForce::Fok {
            let within = self.takeable(i, side, limit, qty);
            if within < qty {
                self.markets[i].orders.remove(n);
                let reason = format!("FOK order could not be filled completely: the book offers {within} of {qty}");
                out.push(ExecutionReport::Cancelled { order_id: id, ts: now, reason });
                return;
            }
        }
        if self.take_liquidity(i, n, limit, now, out) {
            return;
        }
        let m = &mut self.markets[i];
        let order = &mut m.orders[n];
        let unfilled = order.remaining();
        let reason = match (order.req.kind, order.req.tif) {
            (OrderKind::Market, _) => Some(format!("market order took all visible liquidity; {unfilled} unfilled")),
            (_, TimeInForce::Ioc) => Some(format!("IOC order not filled on arrival; {unfilled} unfilled")),
            _ => None,
        };
        if let Some(reason) = reason {
            m.orders.remove(n);
            out.push(ExecutionReport::Cancelled { order_id: id, ts: now, reason });
            return;
        }
        order.ahead = m.book.qty_at(side, order.price);
    }

    fn check(&self, req: &OrderRequest) -> Result<(), String> {
        crate::order_checks::validate(&self.instruments, req)?;
        if matches!(req.qty, OrderQty::Quote(_)) {
            return Err("notional orders are not supported on order-book data; size the order in base units".into());
        }
        Ok(())
    }

    /// How much of `qty` the opposite side offers within `limit`.
    fn takeable(&self, i: usize, side: Side, limit: Option<Price>, qty: Quantity) -> Quantity {
        let mut total = Quantity::ZERO;
        for level in self.markets[i].book.side(side.opposite()).levels() {
            if total >= qty || limit.is_some_and(|p| !within(side, level.price, p)) {
                break;
            }
            total += level.qty;
        }
        total.min(qty)
    }

    /// Walks the opposite side up to `limit`, filling order `n` level by
    /// level as a taker. Returns whether the order left the book.
    fn take_liquidity(
        &mut self,
        i: usize,
        n: usize,
        limit: Option<Price>,
        now: UnixNanos,
        out: &mut Vec<ExecutionReport>,
    ) -> bool {
        let side = self.markets[i].orders[n].req.side;
        // Copy the levels first: filling borrows the market mutably.
        let levels: Vec<_> = self.markets[i]
            .book
            .side(side.opposite())
            .levels()
            .take_while(|l| limit.is_none_or(|p| within(side, l.price, p)))
            .collect();
        for level in levels {
            let remaining = self.markets[i].orders[n].remaining();
            if let Some(removed) = self.fill(i, n, level.price, remaining.min(level.qty), Liquidity::Taker, now, out) {
                return removed;
            }
        }
        false
    }

    /// Fills `qty` of order `n` at `price`. `Some(removed)` when the order
    /// is done (filled, or cancelled by reduce-only) and matching must stop.
    #[allow(clippy::too_many_arguments)]
    fn fill(
        &mut self,
        i: usize,
        n: usize,
        price: Price,
        qty: Quantity,
        liquidity: Liquidity,
        now: UnixNanos,
        out: &mut Vec<ExecutionReport>,
    ) -> Option<bool> {
        let m = &mut self.markets[i];
        let order = &m.orders[n];
        if self.oco.beaten(order.id) {
            return None;
        }
        let side = order.req.side;
        let mut qty = qty;
        if order.req.reduce_only {
            let room = match side {
                Side::Buy => (-m.position).max(Quantity::ZERO),
                Side::Sell => m.position.max(Quantity::ZERO),
            };
            if room.is_zero() {
                let o = m.orders.remove(n);
                let reason = "reduce-only order would increase the position".into();
                out.push(ExecutionReport::Cancelled { order_id: o.id, ts: now, reason });
                return Some(true);
            }
            qty = qty.min(room);
        }
        if !qty.is_positive() {
            return None;
        }
        let fee = self.fees.fee(price, qty, liquidity);
        let order = &mut m.orders[n];
        order.filled += qty;
        m.position += Quantity::from_raw(qty.raw() * side.sign());
        let fill = Fill {
            fee_base: Quantity::ZERO,
            order_id: order.id,
            instrument: order.req.instrument,
            side,
            price,
            qty,
            fee,
            liquidity,
            ts: now,
        };
        out.push(ExecutionReport::Filled(fill));
        self.oco.filled(order.id);
        if order.remaining().is_zero() {
            m.orders.remove(n);
            return Some(true);
        }
        None
    }

    /// Cancels the other legs of every OCO group that filled in this step.
    fn cancel_beaten(&mut self, now: UnixNanos, out: &mut Vec<ExecutionReport>) {
        for id in self.oco.take_beaten() {
            if self.take(id) {
                let reason = "OCO: another leg of the group filled".into();
                out.push(ExecutionReport::Cancelled { order_id: id, ts: now, reason });
            }
        }
    }

    fn modify(
        &mut self,
        id: OrderId,
        qty: Option<Quantity>,
        price: Option<Price>,
        trigger: Option<Price>,
    ) -> Result<(Quantity, Price), String> {
        if self.markets.iter().any(|m| m.stops.iter().any(|s| s.id == id)) {
            return Err("modify rejected: a stop waiting for its trigger cannot be modified on order-book data; \
                        cancel it and send a new one"
                .into());
        }
        let (i, n) = self.find(id).ok_or("modify rejected: order is not open at the venue")?;
        if trigger.is_some() {
            return Err("modify rejected: a limit order has no trigger price".into());
        }
        let inst = &self.instruments[i];
        let order = &self.markets[i].orders[n];
        let new_price = price.unwrap_or(order.price);
        let new_qty = qty.unwrap_or(order.qty);
        inst.check_price(new_price).map_err(|e| format!("modify rejected: {e}"))?;
        inst.check_quantity(new_qty).map_err(|e| format!("modify rejected: {e}"))?;
        if new_qty <= order.filled {
            return Err(format!("modify rejected: new quantity {new_qty} is not above the filled {}", order.filled));
        }
        let best_other = self.markets[i].book.side(order.req.side.opposite()).best().map(|l| l.price);
        if best_other.is_some_and(|p| within(order.req.side, p, new_price)) {
            return Err(format!(
                "modify rejected: price {new_price} would cross the book; cancel and send a new order to take liquidity"
            ));
        }
        // A smaller order at the same price keeps its place; anything else
        // goes to the back of the queue.
        let keeps_place = new_price == order.price && new_qty <= order.qty;
        let level = self.markets[i].book.qty_at(order.req.side, new_price);
        let order = &mut self.markets[i].orders[n];
        order.price = new_price;
        order.qty = new_qty;
        order.req.kind = OrderKind::Limit { price: new_price };
        if !keeps_place {
            order.ahead = level;
        }
        Ok((new_qty, new_price))
    }

    fn find(&self, id: OrderId) -> Option<(usize, usize)> {
        self.markets.iter().enumerate().find_map(|(i, m)| m.orders.iter().position(|o| o.id == id).map(|n| (i, n)))
    }

    /// Removes an open order or waiting stop; whether there was one.
    fn take(&mut self, id: OrderId) -> bool {
        if let Some((i, n)) = self.find(id) {
            self.markets[i].orders.remove(n);
            return true;
        }
        for m in &mut self.markets {
            if let Some(k) = m.stops.iter().position(|s| s.id == id) {
                m.stops.remove(k);
                return true;
            }
        }
        false
    }

    /// Updates the book and moves resting orders forward, at the event's
    /// receive time.
    pub fn on_market(&mut self, event: &MarketEvent, out: &mut Vec<ExecutionReport>) {
        self.on_market_at(event, event.ts(), out)
    }

    /// [`on_market`](Self::on_market) at `now`: fills are stamped with it
    /// (the exchange time, when the venue runs on the exchange's clock).
    pub fn on_market_at(&mut self, event: &MarketEvent, now: UnixNanos, out: &mut Vec<ExecutionReport>) {
        self.on_market_step(event, now, out);
        if !self.oco.fired.is_empty() {
            self.cancel_beaten(now, out);
        }
    }

    fn on_market_step(&mut self, event: &MarketEvent, now: UnixNanos, out: &mut Vec<ExecutionReport>) {
        let i = event.instrument().index();
        if i >= self.markets.len() {
            return;
        }
        match event {
            MarketEvent::BookDelta(d) => {
                let m = &mut self.markets[i];
                // The kernel refuses a bad delta before the venue sees it.
                if m.book.apply(d).is_err() {
                    return;
                }
                if m.orders.is_empty() && m.stops.is_empty() {
                    return;
                }
                for o in m.orders.iter_mut().filter(|o| o.req.side == d.side && o.price == d.price) {
                    o.ahead = o.ahead.min(m.book.qty_at(d.side, d.price));
                }
                self.expire_due(i, now, out);
                if d.is_last() {
                    self.fill_crossed(i, now, out);
                }
            }
            MarketEvent::Trade(t) => {
                let m = &mut self.markets[i];
                m.last_print = Some(t.price);
                if m.orders.is_empty() && m.stops.is_empty() {
                    return;
                }
                self.expire_due(i, now, out);
                self.on_trade(i, t, now, out);
                self.fire_stops(i, t.price, now, out);
            }
            // Quotes and bars carry no queue information.
            MarketEvent::Quote(_) | MarketEvent::Bar(_) => {}
        }
    }

    /// Resting orders the opposite best price has reached fill at their
    /// own price.
    fn fill_crossed(&mut self, i: usize, now: UnixNanos, out: &mut Vec<ExecutionReport>) {
        let mut n = 0;
        while n < self.markets[i].orders.len() {
            let o = &self.markets[i].orders[n];
            let best_other = self.markets[i].book.side(o.req.side.opposite()).best().map(|l| l.price);
            if best_other.is_some_and(|p| o.crossed_by(p)) {
                let (price, qty) = (o.price, o.remaining());
                if self.fill(i, n, price, qty, Liquidity::Maker, now, out) == Some(true) {
                    continue;
                }
            }
            n += 1;
        }
    }

    fn on_trade(&mut self, i: usize, t: &Trade, now: UnixNanos, out: &mut Vec<ExecutionReport>) {
        let mut n = 0;
        while n < self.markets[i].orders.len() {
            let o = &mut self.markets[i].orders[n];
            // A trade fills resting orders on the side its aggressor hit.
            let hits = t.aggressor.is_none_or(|a| a != o.req.side);
            let fill = if !hits {
                None
            } else if t.price == o.price {
                let left = t.size - o.ahead;
                o.ahead = (o.ahead - t.size).max(Quantity::ZERO);
                left.is_positive().then(|| left.min(o.remaining()))
            } else if o.crossed_by(t.price) {
                Some(o.remaining())
            } else {
                None
            };
            if let Some(qty) = fill {
                let price = o.price;
                if self.fill(i, n, price, qty, Liquidity::Maker, now, out) == Some(true) {
                    continue;
                }
            }
            n += 1;
        }
    }

    /// Stops this print fires, in the order they arrived, each entering
    /// the venue as its market or limit order.
    fn fire_stops(&mut self, i: usize, print: Price, now: UnixNanos, out: &mut Vec<ExecutionReport>) {
        let mut k = 0;
        while k < self.markets[i].stops.len() {
            let stop = &mut self.markets[i].stops[k];
            if self.oco.beaten(stop.id) || !stop.fires_on(print) {
                k += 1;
                continue;
            }
            let stop = self.markets[i].stops.remove(k);
            out.push(ExecutionReport::Triggered { order_id: stop.id, ts: now });
            self.enter(stop.id, stop.fired(), stop.expires, now, out);
        }
    }

    fn expire_due(&mut self, i: usize, now: UnixNanos, out: &mut Vec<ExecutionReport>) {
        let due = |expires: Option<UnixNanos>| expires.is_some_and(|t| now >= t);
        let (m, oco) = (&mut self.markets[i], &mut self.oco);
        m.orders.retain(|o| !due(o.expires) || !out_expired(out, oco, o.id, now));
        m.stops.retain(|s| !due(s.expires) || !out_expired(out, oco, s.id, now));
    }
}

/// Reports an order expired; always true, for use in `retain`.
fn out_expired(out: &mut Vec<ExecutionReport>, oco: &mut OcoGroups, order_id: OrderId, now: UnixNanos) -> bool {
    oco.forget(order_id);
    out.push(ExecutionReport::Expired { order_id, ts: now });
    true
}

/// `level` is at or better than `limit` for an order on `side`.
fn within(side: Side, level: Price, limit: Price) -> bool {
    match side {
        Side::Buy => level <= limit,
        Side::Sell => level >= limit,
    }
}

impl pyrt_model::Venue for BookVenue {
    fn handle(&mut self, cmd: VenueCommand, now: UnixNanos, out: &mut Vec<ExecutionReport>) {
        BookVenue::handle(self, cmd, now, out)
    }
    fn on_market(&mut self, event: &MarketEvent, now: UnixNanos, out: &mut Vec<ExecutionReport>) {
        BookVenue::on_market_at(self, event, now, out)
    }
}
