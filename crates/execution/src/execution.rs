//! The state machine that works one parent order.
//!
//! The host (the kernel) feeds it three things: market data for the
//! parent's instrument ([`ParentExecution::on_market`]), fills of its
//! children, and the end of each child. After each it calls
//! [`ParentExecution::step`], which answers with [`ChildCommand`]s: place
//! a child, cancel a child. A step decides in this order:
//!
//! 1. before `start`, nothing;
//! 2. when stopping (cancelled, a child refused, the end reached), cancel
//!    what is open and end once nothing is;
//! 3. a child placed for an earlier schedule point that is still open is
//!    cancelled, so its rest can be re-sliced with the current target;
//! 4. while any child is open, nothing new: the open quantity therefore
//!    never exceeds what is left, even when a cancel races a fill;
//! 5. otherwise one child for what the algorithm wants done by now, less
//!    what is done: the schedule's target (TWAP, VWAP), the participation
//!    target (POV), or the display size (iceberg).

use pyrt_model::{
    Fill, Instrument, Money, OrderId, OrderRequest, OrderStatus, Price, Quantity, Side, UnixNanos,
    fixed::{FIXED_SCALE, div_round_half_even},
};
use serde::Serialize;

use crate::benchmark::{Benchmarks, ExecutionSummary, shortfall_bps};
use crate::parent::{Algo, AtEnd, ParentError, ParentId, ParentOrder};
use crate::schedule::Schedule;

/// Where a parent order is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ParentStatus {
    /// Accepted; its start has not come.
    Waiting,
    Working,
    /// All of it was executed.
    Completed,
    /// Stopped by its owner, the kill switch or a risk action.
    Cancelled,
    /// The end came first (see [`AtEnd`]).
    Expired,
    /// A child was refused or ended by the venue; the parent stopped.
    Failed,
}

impl ParentStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Waiting => "waiting",
            Self::Working => "working",
            Self::Completed => "completed",
            Self::Cancelled => "cancelled",
            Self::Expired => "expired",
            Self::Failed => "failed",
        }
    }

    pub fn is_terminal(self) -> bool {
        matches!(self, Self::Completed | Self::Cancelled | Self::Expired | Self::Failed)
    }
}

/// One market event as a parent sees it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MarketView {
    pub now: UnixNanos,
    /// The price of the event: a trade's price, a bar's typical price, a
    /// quote's or book's mid (arrival price, benchmark VWAP).
    pub price: Option<Price>,
    /// What the market traded in the event (POV, benchmark VWAP).
    pub volume: Quantity,
}

/// What a parent asks its host to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChildCommand {
    Place { id: OrderId, request: OrderRequest },
    Cancel { id: OrderId },
}

#[derive(Debug, Clone)]
struct Child {
    id: OrderId,
    /// The schedule point it was placed for.
    epoch: usize,
    cancel_sent: bool,
}

/// One parent order being worked.
#[derive(Debug, Clone)]
pub struct ParentExecution {
    id: ParentId,
    order: ParentOrder,
    lot: Quantity,
    tick: Price,
    schedule: Option<Schedule>,
    status: ParentStatus,
    /// Set when stopping: the status to take once no child is open.
    stopping: Option<ParentStatus>,
    reason: Option<String>,
    executed: Quantity,
    notional: Money,
    fees: Money,
    children: Vec<Child>,
    child_count: u32,
    final_sent: bool,
    benchmarks: Benchmarks,
    /// Market volume since the start (POV's base).
    observed: Quantity,
    started: Option<UnixNanos>,
    finished: Option<UnixNanos>,
}

impl ParentExecution {
    /// Validates `order` against `inst`; `arrival` is the price when it
    /// arrived, if one is known yet (else the first price seen).
    pub fn new(
        id: ParentId,
        order: ParentOrder,
        inst: &Instrument,
        arrival: Option<Price>,
    ) -> Result<Self, ParentError> {
        order.validate(inst)?;
        let schedule = match &order.algo {
            Algo::Twap { slices, jitter, seed } => {
                Some(Schedule::twap(order.start, order.end, *slices, *jitter, *seed))
            }
            Algo::Vwap { profile } => Some(Schedule::vwap(profile, order.start, order.end)),
            Algo::Pov { .. } | Algo::Iceberg { .. } => None,
        };
        Ok(Self {
            id,
            lot: inst.lot_size,
            tick: inst.tick_size,
            schedule,
            order,
            status: ParentStatus::Waiting,
            stopping: None,
            reason: None,
            executed: Quantity::ZERO,
            notional: Money::ZERO,
            fees: Money::ZERO,
            children: Vec::new(),
            child_count: 0,
            final_sent: false,
            benchmarks: Benchmarks::arriving_at(arrival),
            observed: Quantity::ZERO,
            started: None,
            finished: None,
        })
    }

    pub fn id(&self) -> ParentId {
        self.id
    }
    pub fn order(&self) -> &ParentOrder {
        &self.order
    }
    pub fn status(&self) -> ParentStatus {
        self.status
    }
    /// Why it was cancelled or failed.
    pub fn reason(&self) -> Option<&str> {
        self.reason.as_deref()
    }
    pub fn executed(&self) -> Quantity {
        self.executed
    }
    pub fn remaining(&self) -> Quantity {
        self.order.qty - self.executed
    }
    /// The children still open (or not yet known to be done).
    pub fn open_children(&self) -> impl Iterator<Item = OrderId> + '_ {
        self.children.iter().map(|c| c.id)
    }
    pub fn has_child(&self, id: OrderId) -> bool {
        self.children.iter().any(|c| c.id == id)
    }
    /// Market volume seen since the start.
    pub fn observed_volume(&self) -> Quantity {
        self.observed
    }

    /// Market data for the parent's instrument, then a step.
    pub fn on_market(&mut self, view: &MarketView, ids: &mut u64, out: &mut Vec<ChildCommand>) {
        if self.status.is_terminal() {
            return;
        }
        if self.benchmarks.arrival.is_none() {
            self.benchmarks.arrival = view.price;
        }
        if view.now >= self.order.start {
            self.observed += view.volume;
            if let Some(price) = view.price {
                self.benchmarks.observe(price, view.volume);
            }
        }
        self.step(view.now, ids, out);
    }

    /// A fill of one of its children.
    pub fn on_fill(&mut self, fill: &Fill) {
        self.executed += fill.qty;
        self.notional += Money::notional(fill.price, fill.qty);
        self.fees += fill.fee;
    }

    /// A child ended with `status`. One the parent did not cancel itself
    /// that ends unfilled stops the parent: a refusal repeated on every
    /// step would flood the venue.
    pub fn on_child_done(&mut self, id: OrderId, status: OrderStatus, reason: Option<&str>) {
        let Some(at) = self.children.iter().position(|c| c.id == id) else { return };
        let child = self.children.swap_remove(at);
        let unexpected = match status {
            OrderStatus::Rejected => Some("refused"),
            OrderStatus::Cancelled | OrderStatus::Expired if !child.cancel_sent => Some("ended by the venue"),
            _ => None,
        };
        if let Some(what) = unexpected
            && self.stopping.is_none()
        {
            self.stopping = Some(ParentStatus::Failed);
            self.reason = Some(format!("child {id} {what}: {}", reason.unwrap_or("no reason given")));
        }
    }

    /// Stops the parent: open children are cancelled and it ends
    /// `Cancelled` once none is open.
    pub fn cancel(&mut self, reason: &str, now: UnixNanos, out: &mut Vec<ChildCommand>) {
        if self.status.is_terminal() || self.stopping.is_some() {
            return;
        }
        self.stopping = Some(ParentStatus::Cancelled);
        self.reason = Some(reason.to_string());
        self.step(now, &mut 0, out);
    }

    /// Decides what to do at `now` (see the module docs).
    pub fn step(&mut self, now: UnixNanos, ids: &mut u64, out: &mut Vec<ChildCommand>) {
        if self.status.is_terminal() {
            return;
        }
        if let Some(end_as) = self.stopping {
            return self.wind_down(end_as, now, out);
        }
        if now < self.order.start {
            return;
        }
        if self.status == ParentStatus::Waiting {
            self.status = ParentStatus::Working;
            self.started = Some(now);
        }
        if self.executed >= self.order.qty {
            return self.wind_down(ParentStatus::Completed, now, out);
        }
        if now >= self.order.end {
            match self.order.at_end {
                AtEnd::Stop => self.wind_down(ParentStatus::Expired, now, out),
                // The last child is left to finish.
                AtEnd::Complete if self.final_sent => {
                    if self.children.is_empty() {
                        self.wind_down(ParentStatus::Expired, now, out);
                    }
                }
                AtEnd::Complete => {
                    self.cancel_open(|_| true, out);
                    if self.children.is_empty() {
                        self.final_sent = true;
                        self.place(self.remaining(), usize::MAX, ids, out);
                    }
                }
            }
            return;
        }
        let epoch = self.schedule.as_ref().map_or(0, |s| s.reached(now));
        self.cancel_open(|c| c.epoch < epoch, out);
        if !self.children.is_empty() {
            return;
        }
        let wanted = self.wanted(now);
        if wanted.is_positive() {
            self.place(wanted, epoch, ids, out);
        }
    }

    /// What the algorithm wants sent now, with nothing open.
    fn wanted(&self, now: UnixNanos) -> Quantity {
        let remaining = self.remaining();
        let lot = self.lot;
        let qty = match &self.order.algo {
            Algo::Twap { .. } | Algo::Vwap { .. } => {
                let schedule = self.schedule.as_ref().expect("TWAP and VWAP have a schedule");
                schedule.target(self.order.qty, lot, now) - self.executed
            }
            Algo::Pov { rate, min_child, max_child } => {
                let target = self.observed.mul_ratio(rate.raw(), FIXED_SCALE).floor_to(lot).min(self.order.qty);
                let deficit = target - self.executed;
                if deficit < (*min_child).min(remaining) {
                    Quantity::ZERO
                } else {
                    max_child.map_or(deficit, |max| deficit.min(max))
                }
            }
            Algo::Iceberg { display, .. } => *display,
        };
        qty.min(remaining).floor_to(lot)
    }

    /// The price no child may go beyond: the tighter of the limit and the
    /// arrival price moved by the allowed slippage. `Err` when slippage
    /// protection waits for an arrival price.
    fn protection(&self) -> Result<Option<Price>, ()> {
        let slip = match self.order.max_slippage {
            None => None,
            Some(fraction) => {
                let arrival = self.benchmarks.arrival.ok_or(())?;
                let moved = fraction.of_price(arrival);
                Some(match self.order.side {
                    Side::Buy => (arrival + moved).floor_to(self.tick),
                    Side::Sell => (arrival - moved).ceil_to(self.tick),
                })
            }
        };
        Ok(match (self.order.limit, slip) {
            (Some(a), Some(b)) => Some(self.tighter(a, b)),
            (a, b) => a.or(b),
        })
    }

    fn tighter(&self, a: Price, b: Price) -> Price {
        match self.order.side {
            Side::Buy => a.min(b),
            Side::Sell => a.max(b),
        }
    }

    fn place(&mut self, qty: Quantity, epoch: usize, ids: &mut u64, out: &mut Vec<ChildCommand>) {
        let Ok(cap) = self.protection() else { return };
        let (instrument, side) = (self.order.instrument, self.order.side);
        let price = match (&self.order.algo, cap) {
            (Algo::Iceberg { price, .. }, cap) => Some(cap.map_or(*price, |c| self.tighter(*price, c))),
            (_, cap) => cap,
        };
        let request = match price {
            Some(price) => OrderRequest::limit(instrument, side, qty, price),
            None => OrderRequest::market(instrument, side, qty),
        };
        let id = OrderId(*ids);
        *ids += 1;
        self.children.push(Child { id, epoch, cancel_sent: false });
        self.child_count += 1;
        out.push(ChildCommand::Place { id, request });
    }

    fn cancel_open(&mut self, which: impl Fn(&Child) -> bool, out: &mut Vec<ChildCommand>) {
        for child in self.children.iter_mut().filter(|c| !c.cancel_sent && which(c)) {
            child.cancel_sent = true;
            out.push(ChildCommand::Cancel { id: child.id });
        }
    }

    fn wind_down(&mut self, end_as: ParentStatus, now: UnixNanos, out: &mut Vec<ChildCommand>) {
        self.cancel_open(|_| true, out);
        if self.children.is_empty() {
            let done = self.executed >= self.order.qty;
            self.status = if done && end_as != ParentStatus::Failed { ParentStatus::Completed } else { end_as };
            self.finished = Some(now);
        }
    }

    /// The outcome so far (final once the status is terminal).
    pub fn summary(&self) -> ExecutionSummary {
        let avg = (!self.executed.is_zero())
            .then(|| Price::from_raw(div_round_half_even(self.notional.raw(), self.executed.raw() as i128) as i64));
        let avg_f = (!self.executed.is_zero()).then(|| self.notional.to_f64() / self.executed.to_f64());
        let vwap = self.benchmarks.interval_vwap();
        let side = self.order.side;
        let volume = self.benchmarks.market_volume();
        ExecutionSummary {
            parent: self.id,
            algo: self.order.algo.name(),
            instrument: self.order.instrument,
            status: self.status,
            reason: self.reason.clone(),
            side,
            qty: self.order.qty,
            executed: self.executed,
            notional: self.notional,
            fees: self.fees,
            avg_price: avg,
            arrival_price: self.benchmarks.arrival,
            interval_vwap: vwap,
            shortfall_arrival_bps: avg_f
                .zip(self.benchmarks.arrival)
                .map(|(a, arrival)| shortfall_bps(side, a, arrival.to_f64())),
            shortfall_vwap_bps: avg_f.zip(vwap).map(|(a, v)| shortfall_bps(side, a, v)),
            participation: (volume > 0.0).then(|| self.executed.to_f64() / volume),
            children: self.child_count,
            started: self.started,
            finished: self.finished,
        }
    }
}
