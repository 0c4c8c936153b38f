//! The kernel's execution desk: parent orders (TWAP, VWAP, POV, iceberg)
//! that strategies hand over, worked through ordinary child orders.
//!
//! The algorithms themselves live in `pyrt_execution`; this module hosts
//! them inside the kernel. It feeds each parent the market data of its
//! instrument and the reports of its children, turns what the parent
//! answers into the kernel's own submit and cancel commands (so every
//! child passes pre-trade risk like any order), and tells the owning
//! strategy how its parent is doing through `Strategy::on_algo_update`.

use std::collections::HashMap;

use pyrt_execution::{ChildCommand, MarketView, ParentError, ParentExecution, ParentId, ParentOrder, ParentStatus};
use pyrt_model::{Bar, Fill, Instrument, MarketEvent, OrderId, OrderStatus, Price, Quantity, UnixNanos};
use serde::Serialize;

use crate::strategy::StrategyId;

/// A change in one of a strategy's parent orders.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AlgoUpdate {
    pub parent: ParentId,
    pub status: ParentStatus,
    pub executed: Quantity,
    pub remaining: Quantity,
    pub ts: UnixNanos,
    /// Why it was refused, cancelled or failed.
    pub reason: Option<String>,
}

/// One call into the desk: the time, the kernel's order-id counter, and
/// what the desk asks of the kernel.
#[derive(Debug)]
pub(crate) struct DeskIo<'a> {
    pub now: UnixNanos,
    pub ids: &'a mut u64,
    /// Child commands, with the strategy that owns the parent.
    pub commands: Vec<(StrategyId, ChildCommand)>,
    pub updates: Vec<(StrategyId, AlgoUpdate)>,
}

impl<'a> DeskIo<'a> {
    pub fn new(now: UnixNanos, ids: &'a mut u64) -> Self {
        Self { now, ids, commands: Vec::new(), updates: Vec::new() }
    }
}

/// A report about a child order.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ChildReport<'a> {
    pub order: OrderId,
    pub status: OrderStatus,
    pub fill: Option<&'a Fill>,
    pub reason: Option<&'a str>,
}

struct Hosted {
    owner: StrategyId,
    exec: ParentExecution,
}

/// Every parent order of a run.
#[derive(Default)]
pub struct AlgoDesk {
    parents: HashMap<ParentId, Hosted>,
    /// Parents not yet ended, in arrival order (the ones market data wakes).
    active: Vec<ParentId>,
    /// Open child → its parent.
    by_child: HashMap<OrderId, ParentId>,
    scratch: Vec<ChildCommand>,
}

impl AlgoDesk {
    /// A parent order by id (kept after it ends).
    pub fn get(&self, id: ParentId) -> Option<&ParentExecution> {
        self.parents.get(&id).map(|h| &h.exec)
    }

    /// Every parent, in id order.
    pub fn all(&self) -> Vec<&ParentExecution> {
        let mut all: Vec<_> = self.parents.values().map(|h| &h.exec).collect();
        all.sort_by_key(|e| e.id());
        all
    }

    pub fn has_active(&self) -> bool {
        !self.active.is_empty()
    }

    /// Whether `order` is an open child (cheap when there are none: every
    /// report of a run asks).
    pub fn is_child(&self, order: OrderId) -> bool {
        !self.by_child.is_empty() && self.by_child.contains_key(&order)
    }

    /// Takes a parent from `owner`; a refused one is reported as failed
    /// and not kept.
    pub(crate) fn submit(
        &mut self,
        id: ParentId,
        owner: StrategyId,
        order: ParentOrder,
        instruments: &[Instrument],
        arrival: Option<Price>,
        io: &mut DeskIo,
    ) {
        let now = io.now;
        let made = instruments
            .get(order.instrument.index())
            .ok_or(ParentError::UnknownInstrument(order.instrument.0))
            .and_then(|inst| ParentExecution::new(id, order, inst, arrival));
        match made {
            Err(e) => io.updates.push((
                owner,
                AlgoUpdate {
                    parent: id,
                    status: ParentStatus::Failed,
                    executed: Quantity::ZERO,
                    remaining: Quantity::ZERO,
                    ts: now,
                    reason: Some(e.to_string()),
                },
            )),
            Ok(exec) => {
                self.parents.insert(id, Hosted { owner, exec });
                self.active.push(id);
                self.touch(id, io, |exec, ids, out| exec.step(now, ids, out));
            }
        }
    }

    /// Market data: every active parent on the event's instrument looks.
    pub(crate) fn on_market(&mut self, event: &MarketEvent, mark: Option<Price>, io: &mut DeskIo) {
        let view = view_of(event, mark);
        let instrument = event.instrument();
        for i in 0..self.active.len() {
            let id = self.active[i];
            if self.parents[&id].exec.order().instrument == instrument {
                self.touch(id, io, |exec, ids, out| exec.on_market(&view, ids, out));
            }
        }
        self.retire();
    }

    /// A report about `order`, if it is a child: fills and ends reach the
    /// parent, which then steps.
    pub(crate) fn on_child_report(&mut self, report: ChildReport, io: &mut DeskIo) {
        let ChildReport { order, status, fill, reason } = report;
        let Some(&parent) = self.by_child.get(&order) else { return };
        if status.is_terminal() {
            self.by_child.remove(&order);
        }
        let now = io.now;
        self.touch(parent, io, |exec, ids, out| {
            if let Some(fill) = fill {
                exec.on_fill(fill);
            }
            if status.is_terminal() {
                exec.on_child_done(order, status, reason);
            }
            exec.step(now, ids, out);
        });
        self.retire();
    }

    /// Stops one parent of `owner` (a strategy can stop only its own).
    pub(crate) fn cancel(&mut self, owner: StrategyId, id: ParentId, io: &mut DeskIo) {
        if self.parents.get(&id).is_some_and(|h| h.owner == owner) {
            let now = io.now;
            self.touch(id, io, |exec, _, out| exec.cancel("cancelled by its strategy", now, out));
            self.retire();
        }
    }

    /// Stops every parent of `owner` (its strategy failed).
    pub(crate) fn cancel_owned(&mut self, owner: StrategyId, reason: &str, io: &mut DeskIo) {
        let now = io.now;
        let owned: Vec<ParentId> =
            self.active.iter().copied().filter(|id| self.parents.get(id).is_some_and(|h| h.owner == owner)).collect();
        for id in owned {
            self.touch(id, io, |exec, _, out| exec.cancel(reason, now, out));
        }
        self.retire();
    }

    /// Stops every parent (kill switch, risk actions).
    pub(crate) fn cancel_all(&mut self, reason: &str, io: &mut DeskIo) {
        let now = io.now;
        for i in 0..self.active.len() {
            let id = self.active[i];
            self.touch(id, io, |exec, _, out| exec.cancel(reason, now, out));
        }
        self.retire();
    }

    /// Runs `f` on a parent, records its children and reports a change.
    fn touch(
        &mut self,
        id: ParentId,
        io: &mut DeskIo,
        f: impl FnOnce(&mut ParentExecution, &mut u64, &mut Vec<ChildCommand>),
    ) {
        let hosted = self.parents.get_mut(&id).expect("active parents are kept");
        let before = (hosted.exec.status(), hosted.exec.executed());
        self.scratch.clear();
        f(&mut hosted.exec, io.ids, &mut self.scratch);
        for cmd in self.scratch.drain(..) {
            if let ChildCommand::Place { id: child, .. } = &cmd {
                self.by_child.insert(*child, id);
            }
            io.commands.push((hosted.owner, cmd));
        }
        let exec = &hosted.exec;
        if (exec.status(), exec.executed()) != before {
            let reason = exec.reason().map(str::to_string);
            io.updates.push((
                hosted.owner,
                AlgoUpdate {
                    parent: id,
                    status: exec.status(),
                    executed: exec.executed(),
                    remaining: exec.remaining(),
                    ts: io.now,
                    reason,
                },
            ));
        }
    }

    fn retire(&mut self) {
        let parents = &self.parents;
        self.active.retain(|id| !parents[id].exec.status().is_terminal());
    }
}

/// One market event as a parent sees it: its time, a representative price
/// and the volume it traded.
fn view_of(event: &MarketEvent, mark: Option<Price>) -> MarketView {
    let (price, volume) = match event {
        MarketEvent::Bar(bar) => (Some(typical_price(bar)), bar.volume),
        MarketEvent::Trade(trade) => (Some(trade.price), trade.size),
        MarketEvent::Quote(_) | MarketEvent::BookDelta(_) => (mark, Quantity::ZERO),
    };
    MarketView { now: event.ts(), price, volume }
}

/// (high + low + close) / 3: where a bar's volume traded, on average.
fn typical_price(bar: &Bar) -> Price {
    Price::from_raw((bar.high.raw() as i128 + bar.low.raw() as i128 + bar.close.raw() as i128).div_euclid(3) as i64)
}
