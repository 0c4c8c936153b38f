//! Order kinds a venue lacks, emulated by the node, so a strategy's
//! orders behave the same on every venue.
//!
//! [`Emulated`] wraps an execution port and is one itself. What the venue
//! offers ([`ExecutionPort::offers`]) passes through untouched; for the
//! rest:
//!
//! * **DAY and GTD** are sent as GTC, and cancelled by the node when their
//!   time comes (the end of the UTC day, or the given time). The venue's
//!   answer to that cancel reaches the kernel as `Expired`, as a venue
//!   with the time in force would say it. An order that is already done
//!   by then loses the race quietly.
//! * **Trailing stops by price** are held by the node, off the venue. The
//!   node follows the market's prints with the simulated venue's own
//!   trigger rule (`pyrt_sim::book_stops`: the reference starts at the
//!   last print and follows the best one since); when a print reaches the
//!   trigger, the kernel hears `Triggered` and a market order of the same
//!   id goes to the venue. Cancels and size changes of a held order are
//!   answered by the node.
//!
//! The cost of emulation is the node's reaction time: a held stop fires
//! when the node sees the print, not when the venue matches it, and an
//! emulated expiry lands one network trip late. Both stop working when
//! the node does; a venue's native kinds do not. That is why a venue's
//! own kinds are always preferred.

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use pyrt_model::time::wall_clock;
use pyrt_model::{
    ExecutionReport, InstrumentId, MarketEvent, Money, OrderId, OrderKind, OrderQty, OrderRequest, OrderStatus, Price,
    Quantity, TimeInForce, TrailingOffset, UnixNanos, VenueCommand, VenueOrderState,
};
use pyrt_ports::{AccountItem, ExecutionPort, Offers, PortError};
use pyrt_sim::book_stops::PendingStop;

/// An execution port with what its venue lacks emulated by the node.
pub struct Emulated<E> {
    inner: E,
    offers: Offers,
    /// Trailing stops held here until they fire.
    held: Vec<PendingStop>,
    /// Orders sent as GTC that the node expires: id → (expiry, size).
    expiries: HashMap<OrderId, (UnixNanos, Option<Quantity>)>,
    /// Orders the node sent a cancel to expire: the venue calls them
    /// cancelled, the kernel hears expired.
    expiring: HashSet<OrderId>,
    /// Held stops that fired: the venue's ack of their market order is not news.
    fired: HashSet<OrderId>,
    /// The last print of each instrument, and whether it trades (else bars
    /// stand in for prints).
    last_print: HashMap<InstrumentId, Price>,
    has_trades: HashSet<InstrumentId>,
    /// The node's own answers, before the venue's.
    ready: std::collections::VecDeque<AccountItem>,
    /// Orders emulated so far.
    emulated: u64,
}

impl<E: ExecutionPort> Emulated<E> {
    /// Emulates what `inner`'s venue does not offer.
    pub fn new(inner: E) -> Self {
        let offers = inner.offers();
        Self::with_offers(inner, offers)
    }

    /// Emulates everything `offers` lacks (the conformance tests emulate
    /// every optional kind on every venue).
    pub fn with_offers(inner: E, offers: Offers) -> Self {
        Self {
            inner,
            offers,
            held: Vec::new(),
            expiries: HashMap::new(),
            expiring: HashSet::new(),
            fired: HashSet::new(),
            last_print: HashMap::new(),
            has_trades: HashSet::new(),
            ready: Default::default(),
            emulated: 0,
        }
    }

    pub fn inner(&self) -> &E {
        &self.inner
    }

    /// How many orders the node has emulated (held or expired itself).
    pub fn emulated_orders(&self) -> u64 {
        self.emulated
    }

    fn answer(&mut self, report: ExecutionReport) {
        self.ready.push_back(AccountItem::Report { report, filled_total: None });
    }

    /// Takes one new order: holds it, or sends it on as the venue can take
    /// it (`None` then: it was answered here).
    fn take(&mut self, order_id: OrderId, mut request: OrderRequest, now: UnixNanos) -> Option<OrderRequest> {
        let expiry = match request.tif {
            TimeInForce::Day if !self.offers.day => pyrt_sim::order_checks::expiry(request.tif, now),
            TimeInForce::Gtd(_) if !self.offers.good_till_date => pyrt_sim::order_checks::expiry(request.tif, now),
            _ => None,
        };
        if let Some(at) = expiry {
            if at <= now {
                let reason = format!("its good-till time {at} has passed (now {now})");
                self.answer(ExecutionReport::Rejected { order_id, ts: now, reason });
                return None;
            }
            request.tif = TimeInForce::Gtc;
        }
        let held = matches!(request.kind, OrderKind::TrailingStop { offset: TrailingOffset::Price(_) })
            && !self.offers.trailing_by_price;
        if held || expiry.is_some() {
            self.emulated += 1;
        }
        if held {
            let last = self.last_print.get(&request.instrument).copied();
            self.held.push(PendingStop::new(order_id, request, expiry, last));
            self.answer(ExecutionReport::Accepted { order_id, ts: now });
            return None;
        }
        if let Some(at) = expiry {
            let size = match request.qty {
                OrderQty::Base(q) => Some(q),
                OrderQty::Quote(_) => None,
            };
            self.expiries.insert(order_id, (at, size));
        }
        Some(request)
    }

    /// Fires the held stops `price` reaches, and expires what is due.
    fn on_print(&mut self, instrument: InstrumentId, price: Price, now: UnixNanos) {
        self.last_print.insert(instrument, price);
        let mut i = 0;
        while i < self.held.len() {
            let stop = &mut self.held[i];
            if stop.req.instrument == instrument && stop.fires_on(price) {
                let stop = self.held.swap_remove(i);
                self.answer(ExecutionReport::Triggered { order_id: stop.id, ts: now });
                self.fired.insert(stop.id);
                self.inner.send(VenueCommand::Submit { order_id: stop.id, request: stop.fired() }, now);
            } else {
                i += 1;
            }
        }
    }

    /// Expires what is due at `now`: held stops here, sent orders by a cancel.
    fn expire_due(&mut self, now: UnixNanos) {
        if self.next_expiry().is_none_or(|at| at > now) {
            return;
        }
        let mut i = 0;
        while i < self.held.len() {
            if self.held[i].expires.is_some_and(|at| at <= now) {
                let stop = self.held.swap_remove(i);
                self.answer(ExecutionReport::Expired { order_id: stop.id, ts: now });
            } else {
                i += 1;
            }
        }
        let due: Vec<OrderId> = self.expiries.iter().filter(|(_, (at, _))| *at <= now).map(|(id, _)| *id).collect();
        for order_id in due {
            self.expiries.remove(&order_id);
            self.expiring.insert(order_id);
            self.inner.send(VenueCommand::Cancel { order_id }, now);
        }
    }

    /// The earliest emulated expiry still ahead.
    fn next_expiry(&self) -> Option<UnixNanos> {
        let held = self.held.iter().filter_map(|s| s.expires);
        held.chain(self.expiries.values().map(|(at, _)| *at)).min()
    }

    /// The venue's item as the kernel should hear it (`None`: not news).
    fn translate(&mut self, item: AccountItem) -> Option<AccountItem> {
        let AccountItem::Report { report, filled_total } = item else { return Some(item) };
        let id = report.order_id();
        let report = match report {
            // The node already said the held stop was accepted.
            ExecutionReport::Accepted { .. } if self.fired.contains(&id) => return None,
            ExecutionReport::Rejected { ts, reason, .. } if self.fired.remove(&id) => ExecutionReport::Cancelled {
                order_id: id,
                ts,
                reason: format!("the venue refused the stop's market order when it fired: {reason}"),
            },
            ExecutionReport::Cancelled { ts, .. } if self.expiring.contains(&id) => {
                ExecutionReport::Expired { order_id: id, ts }
            }
            // The expiry's cancel lost the race with a fill or a cancel.
            ExecutionReport::CommandRejected { .. } if self.expiring.remove(&id) => return None,
            other => other,
        };
        match &report {
            ExecutionReport::Filled(_) => {
                let done = match (self.expiries.get(&id), filled_total) {
                    (Some((_, Some(size))), Some(total)) => total >= *size,
                    _ => false,
                };
                if done {
                    self.expiries.remove(&id);
                }
            }
            ExecutionReport::Rejected { .. } | ExecutionReport::Cancelled { .. } | ExecutionReport::Expired { .. } => {
                self.expiries.remove(&id);
                self.fired.remove(&id);
            }
            _ => {}
        }
        Some(AccountItem::Report { report, filled_total })
    }

    fn held_index(&self, id: OrderId) -> Option<usize> {
        self.held.iter().position(|s| s.id == id)
    }
}

impl<E: ExecutionPort> ExecutionPort for Emulated<E> {
    fn send(&mut self, cmd: VenueCommand, now: UnixNanos) {
        self.expire_due(now);
        match cmd {
            VenueCommand::Submit { order_id, request } => {
                if let Some(request) = self.take(order_id, request, now) {
                    self.inner.send(VenueCommand::Submit { order_id, request }, now);
                }
            }
            VenueCommand::SubmitOco { legs } => {
                let mut sent: Vec<(OrderId, OrderRequest)> = Vec::with_capacity(legs.len());
                for (id, request) in legs {
                    if let Some(request) = self.take(id, request, now) {
                        sent.push((id, request));
                    }
                }
                match sent.len() {
                    0 => {}
                    1 => {
                        let (order_id, request) = sent.pop().expect("one leg");
                        self.inner.send(VenueCommand::Submit { order_id, request }, now);
                    }
                    _ => self.inner.send(VenueCommand::SubmitOco { legs: sent }, now),
                }
            }
            VenueCommand::Cancel { order_id } => match self.held_index(order_id) {
                Some(i) => {
                    self.held.swap_remove(i);
                    self.answer(ExecutionReport::Cancelled { order_id, ts: now, reason: "cancelled".into() });
                }
                None => self.inner.send(VenueCommand::Cancel { order_id }, now),
            },
            VenueCommand::Modify { order_id, qty, price, trigger } => match self.held_index(order_id) {
                Some(i) => {
                    let stop = &mut self.held[i];
                    if let Some(q) = qty {
                        stop.req.qty = OrderQty::Base(q);
                    }
                    let qty = match stop.req.qty {
                        OrderQty::Base(q) => q,
                        OrderQty::Quote(_) => Quantity::ZERO,
                    };
                    self.answer(ExecutionReport::Modified { order_id, ts: now, qty, price: None, trigger: None });
                }
                None => self.inner.send(VenueCommand::Modify { order_id, qty, price, trigger }, now),
            },
        }
    }

    fn sizes_notional(&self) -> bool {
        self.inner.sizes_notional()
    }

    fn offers(&self) -> Offers {
        Offers::ALL
    }

    fn on_market(&mut self, event: &MarketEvent, now: UnixNanos) {
        self.inner.on_market(event, now);
        self.expire_due(now);
        let instrument = event.instrument();
        match event {
            MarketEvent::Trade(t) => {
                self.has_trades.insert(instrument);
                self.on_print(instrument, t.price, now);
            }
            // Bars stand in for prints where no trades come, along the
            // path the bar venue assumes (open, the extreme against the
            // bar's direction, the other, close).
            MarketEvent::Bar(b) if !self.has_trades.contains(&instrument) => {
                let path =
                    if b.close >= b.open { [b.open, b.low, b.high, b.close] } else { [b.open, b.high, b.low, b.close] };
                for price in path {
                    self.on_print(instrument, price, now);
                }
            }
            _ => {}
        }
    }

    async fn next(&mut self) -> Option<AccountItem> {
        loop {
            if let Some(item) = self.ready.pop_front() {
                return Some(item);
            }
            let wake = self.next_expiry();
            let wait = wake.map(|at| Duration::from_nanos((at - wall_clock()).max(0) as u64));
            tokio::select! {
                item = self.inner.next() => {
                    if let Some(item) = self.translate(item?) {
                        return Some(item);
                    }
                }
                () = tokio::time::sleep(wait.unwrap_or_default()), if wait.is_some() => {
                    self.expire_due(wall_clock());
                }
            }
        }
    }

    fn try_next(&mut self) -> Option<AccountItem> {
        if let Some(item) = self.ready.pop_front() {
            return Some(item);
        }
        while let Some(item) = self.inner.try_next() {
            if let Some(item) = self.translate(item) {
                return Some(item);
            }
        }
        None
    }

    async fn order_states(&mut self, ids: &[OrderId]) -> Result<Vec<VenueOrderState>, PortError> {
        let (held, sent): (Vec<OrderId>, Vec<OrderId>) = ids.iter().partition(|id| self.held_index(**id).is_some());
        let mut states = if sent.is_empty() { Vec::new() } else { self.inner.order_states(&sent).await? };
        for state in &mut states {
            if state.status == OrderStatus::Cancelled && self.expiring.contains(&state.order_id) {
                state.status = OrderStatus::Expired;
            }
        }
        states.extend(held.into_iter().map(|order_id| VenueOrderState {
            order_id,
            status: OrderStatus::Accepted,
            filled: Quantity::ZERO,
            notional: Money::ZERO,
            fee: Some(Money::ZERO),
        }));
        Ok(states)
    }
}
