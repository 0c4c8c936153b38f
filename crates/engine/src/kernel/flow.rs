//! The kernel's order flow: commands from strategies and the engine
//! (checked, then sent to the venue), the venue's reports (applied to the
//! order manager and the portfolio, then told to the owner), and the risk
//! engine's actions (cancel all, flatten).

use pyrt_book::L2Book;
use pyrt_execution::ChildCommand;
use pyrt_model::{
    ExecutionReport, Fill, Instrument, InstrumentId, OrderId, OrderKind, OrderRequest, OrderStatus, Quantity, Side,
    VenueCommand,
};
use pyrt_risk::RiskAction;

use super::{Engine, Venue};
use crate::algo_desk::{AlgoDesk, ChildReport, DeskIo};
use crate::events::NodeEvent;
use crate::orders::FollowUp;
use crate::schedule::{ScheduledKind, Unordered};
use crate::strategy::{Command, OrderUpdate, StrategyId};

impl<V: Venue> Engine<V> {
    pub(super) fn on_command(&mut self, cmd: Command) {
        match cmd {
            Command::Submit { strategy, id, request, client_id } => {
                self.orders.create(id, strategy, request, self.now);
                if let Some(client_id) = client_id
                    && let Err(used_by) = self.orders.set_client_id(id, client_id.clone())
                {
                    let denial = pyrt_risk::Denial {
                        code: pyrt_risk::DenialCode::DuplicateClientOrderId,
                        message: format!("client order id `{client_id}` is already used by open order {used_by}"),
                    };
                    return self.reject_new(id, denial);
                }
                self.send_new(id);
            }
            Command::SubmitOco { strategy, ids, requests } => {
                for (id, request) in ids.iter().zip(requests) {
                    self.orders.create(*id, strategy, request, self.now);
                }
                self.orders.link_oco(&ids);
                // Legs go to the venue together (its OCO, where it has one);
                // a leg refused here leaves the others as a smaller group.
                let mut legs: Vec<_> = ids.into_iter().filter_map(|id| Some((id, self.checked(id, false)?))).collect();
                match legs.len() {
                    0 => {}
                    1 => {
                        let (order_id, request) = legs.pop().expect("one leg");
                        self.send(VenueCommand::Submit { order_id, request });
                    }
                    _ => self.send(VenueCommand::SubmitOco { legs }),
                }
            }
            Command::SubmitBracket { strategy, id, entry, take_profit, stop_loss } => {
                self.orders.create(id, strategy, entry, self.now);
                self.orders.set_bracket(id, take_profit, stop_loss);
                self.send_new(id);
            }
            Command::Cancel { id } => {
                if self.orders.get(id).is_some_and(|o| o.is_open()) {
                    self.send(VenueCommand::Cancel { order_id: id });
                }
            }
            Command::Modify { id, qty, price, trigger } => {
                if self.orders.get(id).is_some_and(|o| o.is_open()) {
                    self.send(VenueCommand::Modify { order_id: id, qty, price, trigger });
                }
            }
            Command::Timer { strategy, at, name } => {
                self.schedule(at.max(self.now), ScheduledKind::Timer { strategy: strategy.0, name })
            }
            Command::KillSwitch { flatten } => {
                let action = self.risk.kill_switch(flatten);
                self.apply_risk_action(action);
            }
            Command::SubmitAlgo { strategy, id, order } => {
                let at = order.instrument.index();
                let mark = self.portfolio.positions().get(at).and_then(|p| p.mark);
                let arrival = self.books.get(at).and_then(L2Book::mid).or(mark);
                self.with_desk(|desk, instruments, io| desk.submit(id, strategy, order, instruments, arrival, io));
            }
            Command::CancelAlgo { strategy, id } => {
                self.with_desk(|desk, _, io| desk.cancel(strategy, id, io));
            }
            Command::Close { id, request } => {
                self.orders.create(id, StrategyId(0), request, self.now);
                self.send_checked(id, true);
            }
        }
    }

    /// Carries out what the risk engine decided.
    pub(super) fn apply_risk_action(&mut self, action: RiskAction) {
        let state = self.risk.state().into();
        let (flatten, reason) = match action {
            RiskAction::Reduce { reason } => {
                return self.emit(None, || NodeEvent::TradingState { state, reason });
            }
            RiskAction::CancelAll { reason } => (false, reason),
            RiskAction::Flatten { reason } => (true, reason),
        };
        self.emit(None, || NodeEvent::TradingState { state, reason: reason.clone() });
        // Parents first, so none places a child after the cancels.
        self.with_desk(|desk, _, io| desk.cancel_all(&reason, io));
        let open: Vec<OrderId> = self.orders.open().map(|o| o.id).collect();
        for id in open {
            self.send(VenueCommand::Cancel { order_id: id });
        }
        if flatten {
            let open: Vec<(usize, Quantity)> = self
                .portfolio
                .positions()
                .iter()
                .enumerate()
                .filter(|(_, p)| !p.qty.is_zero())
                .map(|(i, p)| (i, p.qty))
                .collect();
            for (i, qty) in open {
                self.close_now(InstrumentId(i as u32), qty, true);
            }
        }
    }

    /// Queues the engine's own market order closing `qty` of `instrument`
    /// (risk actions and position stops, reduce-only; a carried position
    /// at the end of a warm-up, not; either passes a halt). It
    /// goes through the queue because ids must be created in the order
    /// they were handed out, and a strategy may hold queued ones.
    pub(super) fn close_now(&mut self, instrument: InstrumentId, qty: Quantity, reduce_only: bool) {
        let side = if qty.is_positive() { Side::Sell } else { Side::Buy };
        let mut request = OrderRequest::market(instrument, side, qty.abs());
        request.reduce_only = reduce_only;
        let id = OrderId(self.next_order_id);
        self.next_order_id += 1;
        self.commands.push_back(Command::Close { id, request });
    }

    /// Runs `f` on the execution desk, then queues the child commands it
    /// asked for and tells strategies about their parents.
    pub(super) fn with_desk(&mut self, f: impl FnOnce(&mut AlgoDesk, &[Instrument], &mut DeskIo)) {
        let mut io = DeskIo::new(self.now, &mut self.next_order_id);
        f(&mut self.algos, &self.instruments, &mut io);
        let DeskIo { commands, updates, .. } = io;
        for (strategy, cmd) in commands {
            self.commands.push_back(match cmd {
                ChildCommand::Place { id, request } => Command::Submit { strategy, id, request, client_id: None },
                ChildCommand::Cancel { id } => Command::Cancel { id },
            });
        }
        for (strategy, update) in updates {
            self.call(strategy, |s, ctx| s.on_algo_update(ctx, &update));
        }
    }

    /// Tells the desk about a report on one of its children.
    pub(super) fn child_report(&mut self, id: OrderId, status: OrderStatus, fill: Option<&Fill>, reason: Option<&str>) {
        if !self.algos.is_child(id) {
            return;
        }
        self.with_desk(|desk, _, io| desk.on_child_report(ChildReport { order: id, status, fill, reason }, io));
    }

    /// Checks a new order and sends it, or rejects it here.
    fn send_new(&mut self, id: OrderId) {
        self.send_checked(id, false);
    }

    /// `flattening`: the engine's own closing order after a kill switch or
    /// breach, which passes a halt.
    fn send_checked(&mut self, id: OrderId, flattening: bool) {
        if let Some(request) = self.checked(id, flattening) {
            self.send(VenueCommand::Submit { order_id: id, request });
        }
    }

    /// New order `id`'s request once it passed the pre-trade checks and
    /// was counted as sent; `None` when it was rejected here instead.
    fn checked(&mut self, id: OrderId, flattening: bool) -> Option<OrderRequest> {
        if self.config.round_prices {
            let instrument = self.orders.get(id).expect("order was just created").instrument();
            if let Some(inst) = self.instruments.get(instrument.index()) {
                self.orders.round_prices(id, inst.tick_size);
            }
        }
        if self.warming_up() && !flattening {
            let message = "the run trades from the end of its warm-up; this order came before".to_string();
            self.reject_new(id, pyrt_risk::Denial { code: pyrt_risk::DenialCode::WarmingUp, message });
            return None;
        }
        let order = self.orders.get(id).expect("order was just created");
        if let Err(denial) = self.pre_trade_check(id, &order.request, flattening) {
            self.reject_new(id, denial);
            return None;
        }
        let (request, strategy) = (order.request.clone(), order.strategy);
        let expected = match request.kind {
            OrderKind::Limit { price } | OrderKind::StopLimit { limit: price, .. } => Some(price),
            OrderKind::Stop { trigger } => Some(trigger),
            _ => self.portfolio.position(request.instrument).mark,
        };
        self.orders.set_expected_price(id, expected);
        self.risk.record_order(self.now, request.instrument);
        self.emit(None, || NodeEvent::OrderSubmitted { order_id: id, strategy, request: request.clone() });
        Some(request)
    }

    /// Refuses a new order here, before any venue sees it.
    fn reject_new(&mut self, id: OrderId, denial: pyrt_risk::Denial) {
        let strategy = self.orders.get(id).expect("order was just created").strategy;
        let reason = denial.to_string();
        self.orders.reject_locally(id, self.now, denial.code.as_str(), reason.clone());
        let code = denial.code.as_str();
        self.emit(None, || NodeEvent::OrderRejected { order_id: id, local: true, code, reason: reason.clone() });
        self.child_report(id, OrderStatus::Rejected, None, Some(&reason));
        let update = OrderUpdate { order_id: id, status: OrderStatus::Rejected, ts: self.now, reason: Some(reason) };
        self.call(strategy, |s, ctx| s.on_order_update(ctx, &update));
    }

    pub(super) fn send(&mut self, cmd: VenueCommand) {
        if self.config.order_latency_ns > 0 {
            let at = self.now + self.config.order_latency_ns;
            self.schedule(at, ScheduledKind::ToVenue(Unordered(cmd)));
        } else {
            self.venue.handle(cmd, self.now, &mut self.scratch);
            self.take_venue_reports();
        }
    }

    pub(super) fn on_report(&mut self, report: ExecutionReport) {
        let mut follow = Vec::new();
        let Some(status) = self.orders.apply(&report, &mut follow) else {
            return; // counted in OrderManager::invalid_reports
        };
        let id = report.order_id();
        self.emit(None, || report_event(&report, status));
        let order = self.orders.get(id).expect("applied reports have an order");
        let strategy = order.strategy;
        let reason = match &report {
            ExecutionReport::Rejected { reason, .. }
            | ExecutionReport::Cancelled { reason, .. }
            | ExecutionReport::CommandRejected { reason, .. } => Some(reason.clone()),
            _ => None,
        };
        let ts = match &report {
            ExecutionReport::Filled(f) => f.ts,
            _ => order.ts_updated,
        };
        let expected = order.expected_price;
        let breaker = match &report {
            ExecutionReport::Filled(fill) => {
                if self.portfolio.apply_fill(fill).is_err() || self.sleeves.apply_fill(strategy, fill).is_err() {
                    return; // Portfolio::overflow: the run stops at the end of this step
                }
                if self.stream.is_on() {
                    let (p, cash, equity) =
                        (self.portfolio.position(fill.instrument), self.portfolio.cash(), self.portfolio.equity());
                    let position = NodeEvent::Position { instrument: fill.instrument, qty: p.qty, cost: p.cost };
                    self.emit(None, || position);
                    self.emit(None, || NodeEvent::Balance { cash, equity });
                }
                if self.risk.tracks_var() {
                    self.risk.on_position(fill.instrument, self.portfolio.position(fill.instrument).qty);
                }
                self.fills.push(*fill);
                self.risk.on_fill(expected, fill.price)
            }
            ExecutionReport::Rejected { .. } => self.risk.on_venue_reject(),
            _ => None,
        };
        let fill = match &report {
            ExecutionReport::Filled(fill) => Some(fill),
            _ => None,
        };
        self.child_report(id, status, fill, reason.as_deref());
        let update = OrderUpdate { order_id: id, status, ts, reason };
        self.call(strategy, |s, ctx| {
            s.on_order_update(ctx, &update);
            if let Some(fill) = fill {
                s.on_fill(ctx, fill);
            }
        });
        for f in follow {
            match f {
                FollowUp::Cancel(other) => self.commands.push_back(Command::Cancel { id: other }),
                FollowUp::PlaceExits { strategy, exits } => {
                    let ids: Vec<_> = exits
                        .iter()
                        .map(|_| {
                            let id = OrderId(self.next_order_id);
                            self.next_order_id += 1;
                            id
                        })
                        .collect();
                    self.commands.push_back(Command::SubmitOco { strategy, ids, requests: exits.to_vec() });
                }
            }
        }
        if let Some(action) = breaker {
            self.apply_risk_action(action);
        }
    }
}

/// A venue's report as an event of the stream.
fn report_event(report: &ExecutionReport, status: OrderStatus) -> NodeEvent {
    match report {
        ExecutionReport::Accepted { order_id, .. } => NodeEvent::OrderAccepted { order_id: *order_id },
        ExecutionReport::Rejected { order_id, reason, .. } => NodeEvent::OrderRejected {
            order_id: *order_id,
            local: false,
            code: crate::rejections::VENUE_REJECTED,
            reason: reason.clone(),
        },
        ExecutionReport::Triggered { order_id, .. } => NodeEvent::OrderTriggered { order_id: *order_id },
        ExecutionReport::Cancelled { order_id, reason, .. } => {
            NodeEvent::OrderCancelled { order_id: *order_id, reason: reason.clone() }
        }
        ExecutionReport::Expired { order_id, .. } => NodeEvent::OrderExpired { order_id: *order_id },
        ExecutionReport::Filled(fill) => {
            NodeEvent::OrderFilled { fill: *fill, complete: status == OrderStatus::Filled }
        }
        ExecutionReport::Modified { order_id, qty, price, trigger, .. } => {
            NodeEvent::OrderModified { order_id: *order_id, qty: *qty, price: *price, trigger: *trigger }
        }
        ExecutionReport::CommandRejected { order_id, reason, .. } => {
            NodeEvent::CommandRejected { order_id: *order_id, reason: reason.clone() }
        }
    }
}
