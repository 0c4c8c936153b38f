//! The kernel: one thread, one clock, events in time order.
//!
//! For each market event the kernel
//! 1. delivers everything scheduled up to the event's time (timers, and
//!    orders still travelling to the venue under the latency model);
//! 2. lets the venue match working orders against the event, and books the
//!    resulting fills;
//! 3. marks positions and records equity;
//! 4. calls the strategies, then carries out what they asked for.
//!
//! Steps 2 and 4 are what make bar backtests free of look-ahead: an order
//! decided on bar *t* reaches the venue after bar *t* was matched, so the
//! first price it can meet is bar *t+1*'s open (or, under the opt-in close
//! convention, bar *t*'s close, which the strategy has already seen).
//!
//! The kernel only knows the [`Venue`] trait, which lives in `model` below
//! it. The simulated venues (`sim`) are implementations; a live adapter is
//! another, and nothing else changes.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};

use pyrt_book::L2Book;
use pyrt_execution::ChildCommand;
use pyrt_model::{
    ExecutionReport, Fill, Instrument, InstrumentId, MarketEvent, OrderId, OrderKind, OrderRequest, OrderStatus,
    Quantity, Side, UnixNanos, VenueCommand,
};
use pyrt_risk::{LimitsError, RiskAction, RiskEngine, RiskLimits, TradingState};

use crate::algo_desk::{AlgoDesk, ChildReport, DeskIo};
pub use crate::config::{AccountKind, EngineConfig, EngineError, VenueClock};
use crate::dual_clock::{DualClock, Step};
use crate::history::RecentLog;
use crate::orders::{FollowUp, OrderManager};
use crate::portfolio::Portfolio;
use crate::recorder::EquityRecorder;
use crate::schedule::{Scheduled, ScheduledKind, Unordered};
use crate::strategy::{Command, Context, OrderUpdate, Strategy, StrategyId, TimerEvent};

pub use pyrt_model::Venue;

/// The event-driven trading kernel.
pub struct Engine<V: Venue> {
    pub(crate) config: EngineConfig,
    pub(crate) now: UnixNanos,
    started: bool,
    pub(crate) instruments: Vec<Instrument>,
    strategies: Vec<Box<dyn Strategy>>,
    pub(crate) orders: OrderManager,
    pub(crate) portfolio: Portfolio,
    venue: V,
    recorder: EquityRecorder,
    fills: RecentLog<Fill>,
    scheduled: BinaryHeap<Reverse<Scheduled>>,
    seq: u64,
    commands: VecDeque<Command>,
    reports: VecDeque<ExecutionReport>,
    scratch: Vec<ExecutionReport>,
    pub(crate) next_order_id: u64,
    pub(crate) risk: RiskEngine,
    /// Time of each instrument's last market event (for stale-data checks).
    pub(crate) last_data: Vec<Option<UnixNanos>>,
    /// Each instrument's price-level book, as built from its book deltas:
    /// what strategies read through `Context::book`.
    books: Vec<L2Book>,
    /// Parent orders and their execution algorithms.
    algos: AlgoDesk,
    next_parent_id: u64,
}

impl<V: Venue> Engine<V> {
    pub fn new(instruments: Vec<Instrument>, venue: V, config: EngineConfig) -> Self {
        for (i, inst) in instruments.iter().enumerate() {
            assert_eq!(inst.id.index(), i, "instrument ids must be dense and in order");
        }
        let portfolio = Portfolio::new(config.initial_cash, instruments.len(), config.history_limit);
        let instrument_count = instruments.len();
        let recorder = EquityRecorder::new(config.sampling, config.initial_cash);
        let (orders, fills) = (OrderManager::new(config.history_limit), RecentLog::new(config.history_limit));
        let risk = RiskEngine::new(RiskLimits::default(), &instruments).expect("no limits always fit");
        let books = instruments.iter().map(|i| L2Book::with_tick(i.tick_size)).collect();
        Self {
            config,
            now: i64::MIN,
            started: false,
            instruments,
            strategies: Vec::new(),
            orders,
            portfolio,
            venue,
            recorder,
            fills,
            scheduled: BinaryHeap::new(),
            seq: 0,
            commands: VecDeque::new(),
            reports: VecDeque::new(),
            scratch: Vec::new(),
            next_order_id: 1,
            risk,
            last_data: vec![None; instrument_count],
            books,
            algos: AlgoDesk::default(),
            next_parent_id: 1,
        }
    }

    /// Puts every order under `limits` (see `pyrt_risk`). Limits that name
    /// symbols this run does not trade are an error.
    pub fn with_risk(mut self, limits: RiskLimits) -> Result<Self, LimitsError> {
        self.risk = RiskEngine::new(limits, &self.instruments)?;
        Ok(self)
    }

    /// Changes the risk limits mid-run (an operator's decision); the risk
    /// engine keeps its state (see `RiskEngine::replace_limits`). Orders
    /// already sent are not re-checked.
    pub fn set_risk_limits(&mut self, limits: RiskLimits) -> Result<(), LimitsError> {
        self.risk.replace_limits(limits, &self.instruments)
    }

    pub fn risk(&self) -> &RiskEngine {
        &self.risk
    }

    /// Stops all order flow now: cancels every working order, blocks new
    /// ones, and with `flatten` closes every position.
    pub fn kill_switch(&mut self, flatten: bool) {
        let action = self.risk.kill_switch(flatten);
        self.apply_risk_action(action);
        self.pump();
    }

    /// Takes reports a venue sends later, outside `Venue::handle` and
    /// `Venue::on_market` (a live venue answers over the network). They are
    /// applied in order, as if the venue had returned them, at `now`.
    pub fn deliver(&mut self, now: UnixNanos, reports: impl IntoIterator<Item = ExecutionReport>) {
        if now > self.now {
            self.now = now;
        }
        self.reports.extend(reports);
        self.pump();
    }

    /// Mutable access to the venue (a live venue's outbox).
    pub fn venue_mut(&mut self) -> &mut V {
        &mut self.venue
    }

    /// Lifts a halt or reducing-only state (an operator's decision).
    pub fn resume_trading(&mut self) {
        self.risk.set_state(TradingState::Active);
    }

    pub fn add_strategy(&mut self, strategy: Box<dyn Strategy>) -> StrategyId {
        self.strategies.push(strategy);
        StrategyId(self.strategies.len() as u32 - 1)
    }

    pub fn instruments(&self) -> &[Instrument] {
        &self.instruments
    }
    pub fn portfolio(&self) -> &Portfolio {
        &self.portfolio
    }
    pub fn orders(&self) -> &OrderManager {
        &self.orders
    }
    pub fn recorder(&self) -> &EquityRecorder {
        &self.recorder
    }
    /// The fills kept in memory, oldest first.
    pub fn fills(&self) -> &VecDeque<Fill> {
        self.fills.kept()
    }
    /// The price-level book built from `instrument`'s book deltas.
    pub fn book(&self, instrument: InstrumentId) -> &L2Book {
        &self.books[instrument.index()]
    }
    pub fn venue(&self) -> &V {
        &self.venue
    }
    /// Parent orders (execution algorithms) and how they went.
    pub fn algos(&self) -> &AlgoDesk {
        &self.algos
    }
    pub fn now(&self) -> UnixNanos {
        self.now
    }

    /// Runs every event of `events`, then stops the strategies.
    pub fn run<E>(&mut self, events: impl IntoIterator<Item = Result<MarketEvent, E>>) -> Result<(), EngineError>
    where
        E: std::error::Error + Send + Sync + 'static,
    {
        let data = |e: E| EngineError::Data(Box::new(e));
        match self.config.venue_clock {
            VenueClock::Receive => {
                for event in events {
                    self.process(&event.map_err(data)?)?;
                }
            }
            VenueClock::Exchange => {
                for step in DualClock::new(events.into_iter()) {
                    match step.map_err(data)? {
                        Step::Exchange(event, at) => self.process_exchange(&event, at)?,
                        Step::Local(event) => self.process_local(&event)?,
                    }
                }
            }
        }
        self.stop();
        self.account_in_range()
    }

    /// Processes one market event: the venue and the strategies both see
    /// it at its receive time.
    #[inline]
    pub fn process(&mut self, event: &MarketEvent) -> Result<(), EngineError> {
        self.begin_step(event, event.ts())?;
        self.venue_sees(event);
        self.strategies_see(event)
    }

    /// An error once the account could not book a fill or mark (it no
    /// longer follows the venue, so the run must not go on). Checked where
    /// the account is marked (every step the strategies see) and at the
    /// end of a run, so a fill that overflowed stops the run no later than
    /// the step that delivered it.
    #[inline]
    fn account_in_range(&self) -> Result<(), EngineError> {
        match self.portfolio.overflow() {
            None => Ok(()),
            Some(e) => Err(EngineError::Account { ts: self.now, source: e }),
        }
    }

    /// The venue's view of `event`, at exchange time `at`
    /// ([`VenueClock::Exchange`]); the strategies see it later through
    /// [`process_local`](Self::process_local).
    pub fn process_exchange(&mut self, event: &MarketEvent, at: UnixNanos) -> Result<(), EngineError> {
        self.begin_step(event, at)?;
        self.venue_sees(event);
        Ok(())
    }

    /// The strategies' view of `event`, at its receive time, after the
    /// venue saw it through [`process_exchange`](Self::process_exchange).
    pub fn process_local(&mut self, event: &MarketEvent) -> Result<(), EngineError> {
        self.begin_step(event, event.ts())?;
        self.strategies_see(event)
    }

    /// Checks an event, and moves the clock to `ts` with everything due
    /// before it.
    #[inline]
    fn begin_step(&mut self, event: &MarketEvent, ts: UnixNanos) -> Result<(), EngineError> {
        if ts < self.now {
            return Err(EngineError::OutOfOrder { ts, previous: self.now });
        }
        let instrument = event.instrument();
        if instrument.index() >= self.instruments.len() {
            return Err(EngineError::UnknownInstrument(instrument.0));
        }
        if !self.started {
            self.start(ts);
        }
        self.advance_to(ts);
        self.now = ts;
        Ok(())
    }

    #[inline]
    fn venue_sees(&mut self, event: &MarketEvent) {
        self.venue.on_market(event, self.now, &mut self.scratch);
        if !self.scratch.is_empty() {
            self.take_venue_reports();
            self.pump();
        }
    }

    /// The kernel's own books, marks, risk and the strategies.
    #[inline]
    fn strategies_see(&mut self, event: &MarketEvent) -> Result<(), EngineError> {
        let (ts, instrument) = (self.now, event.instrument());
        self.last_data[instrument.index()] = Some(ts);
        if let MarketEvent::BookDelta(delta) = event {
            self.books[instrument.index()].apply(delta).map_err(|source| EngineError::Book {
                symbol: self.instruments[instrument.index()].symbol.clone(),
                ts,
                source,
            })?;
        }

        let mark = match event {
            MarketEvent::Bar(bar) => {
                self.portfolio.mark_bar(bar);
                Some(bar.close)
            }
            // A book is consistent only after the last delta of a venue
            // message; mid-message it may be half updated.
            MarketEvent::BookDelta(delta) => {
                let mid = if delta.is_last() { self.books[instrument.index()].mid() } else { None };
                if let Some(price) = mid {
                    self.portfolio.mark(instrument, price);
                }
                mid
            }
            other => {
                let price = other.mark_price();
                if let Some(price) = price {
                    self.portfolio.mark(instrument, price);
                }
                price
            }
        };
        self.account_in_range()?;
        if let Some(mark) = mark
            && self.risk.tracks_var()
        {
            self.risk.on_price(instrument, mark, ts);
        }
        if let Some(mark) = mark
            && self.risk.has_position_stops()
        {
            let position = &self.portfolio.positions()[instrument.index()];
            let (qty, avg) = (position.qty, position.avg_price());
            if self.risk.on_position_mark(instrument, qty, avg, mark).is_some() {
                let open: Vec<OrderId> =
                    self.orders.open().filter(|o| o.instrument() == instrument).map(|o| o.id).collect();
                for id in open {
                    self.send(VenueCommand::Cancel { order_id: id });
                }
                self.close_now(instrument, qty);
                self.pump();
            }
        }
        // Equity moves with marks (fills are marked when the next price
        // arrives), so a delta inside a book message records nothing.
        if mark.is_some() || !matches!(event, MarketEvent::BookDelta(_)) {
            let equity = self.portfolio.equity();
            self.recorder.record(ts, equity, self.portfolio.is_exposed());
            if let Some(action) = self.risk.on_equity(ts, equity) {
                self.apply_risk_action(action);
                self.pump();
            }
        }

        // Parents look at a book only once a message's deltas are all in.
        let book_ready = !matches!(event, MarketEvent::BookDelta(d) if !d.is_last());
        if self.algos.has_active() && book_ready {
            self.with_desk(|desk, _, io| desk.on_market(event, mark, io));
            self.pump();
        }

        for sid in 0..self.strategies.len() {
            self.call(StrategyId(sid as u32), |s, ctx| match event {
                MarketEvent::Bar(b) => s.on_bar(ctx, b),
                MarketEvent::Trade(t) => s.on_trade(ctx, t),
                MarketEvent::Quote(q) => s.on_quote(ctx, q),
                MarketEvent::BookDelta(d) => s.on_book_delta(ctx, d),
            });
            if !self.commands.is_empty() {
                self.pump();
            }
        }
        Ok(())
    }

    fn start(&mut self, ts: UnixNanos) {
        self.started = true;
        self.now = ts;
        for sid in 0..self.strategies.len() {
            self.call(StrategyId(sid as u32), |s, ctx| s.on_start(ctx));
            self.pump();
        }
    }

    /// Stops the strategies at the time of the last event. Orders still
    /// travelling or working stay as they are (reported as open).
    pub fn stop(&mut self) {
        if !self.started {
            return;
        }
        for sid in 0..self.strategies.len() {
            self.call(StrategyId(sid as u32), |s, ctx| s.on_stop(ctx));
            self.pump();
        }
        self.advance_to(self.now);
    }

    /// Delivers scheduled timers and venue commands due at or before `ts`.
    fn advance_to(&mut self, ts: UnixNanos) {
        while let Some(Reverse(next)) = self.scheduled.peek() {
            if next.ts > ts {
                break;
            }
            let Reverse(item) = self.scheduled.pop().expect("peeked");
            self.now = item.ts;
            match item.what {
                ScheduledKind::Timer { strategy, name } => {
                    let timer = TimerEvent { name, ts: item.ts };
                    self.call(StrategyId(strategy), |s, ctx| s.on_timer(ctx, &timer));
                }
                ScheduledKind::ToVenue(Unordered(cmd)) => {
                    self.venue.handle(cmd, item.ts, &mut self.scratch);
                    self.take_venue_reports();
                }
                ScheduledKind::FromVenue(Unordered(report)) => self.reports.push_back(report),
            }
            self.pump();
        }
    }

    /// The venue's new reports: handled now, or after the response latency.
    fn take_venue_reports(&mut self) {
        if self.config.response_latency_ns > 0 {
            let at = self.now + self.config.response_latency_ns;
            // Borrowed out and handed back, so the buffer keeps its capacity.
            let mut reports = std::mem::take(&mut self.scratch);
            for report in reports.drain(..) {
                self.schedule(at, ScheduledKind::FromVenue(Unordered(report)));
            }
            self.scratch = reports;
        } else {
            self.reports.extend(self.scratch.drain(..));
        }
    }

    fn schedule(&mut self, ts: UnixNanos, what: ScheduledKind) {
        self.seq += 1;
        self.scheduled.push(Reverse(Scheduled { ts, seq: self.seq, what }));
    }

    /// Calls strategy `sid` with a fresh context.
    fn call(&mut self, sid: StrategyId, f: impl FnOnce(&mut dyn Strategy, &mut Context)) {
        let Self {
            strategies,
            instruments,
            portfolio,
            orders,
            commands,
            next_order_id,
            now,
            risk,
            books,
            algos,
            next_parent_id,
            ..
        } = self;
        let mut ctx = Context {
            now: *now,
            trading_state: risk.state(),
            strategy: sid,
            instruments,
            books,
            portfolio,
            orders,
            commands,
            next_id: next_order_id,
            algos,
            next_parent_id,
        };
        f(strategies[sid.0 as usize].as_mut(), &mut ctx);
    }

    /// Carries out queued commands and reports until both queues are empty.
    fn pump(&mut self) {
        loop {
            if let Some(report) = self.reports.pop_front() {
                self.on_report(report);
            } else if let Some(cmd) = self.commands.pop_front() {
                self.on_command(cmd);
            } else {
                break;
            }
        }
    }

    fn on_command(&mut self, cmd: Command) {
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
    fn apply_risk_action(&mut self, action: RiskAction) {
        let (flatten, reason) = match action {
            RiskAction::Reduce { .. } => return,
            RiskAction::CancelAll { reason } => (false, reason),
            RiskAction::Flatten { reason } => (true, reason),
        };
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
                self.close_now(InstrumentId(i as u32), qty);
            }
        }
    }

    /// Queues the engine's own reduce-only market order closing `qty` of
    /// `instrument` (risk actions and position stops; passes a halt). It
    /// goes through the queue because ids must be created in the order
    /// they were handed out, and a strategy may hold queued ones.
    fn close_now(&mut self, instrument: InstrumentId, qty: Quantity) {
        let side = if qty.is_positive() { Side::Sell } else { Side::Buy };
        let request = OrderRequest::market(instrument, side, qty.abs()).reduce_only();
        let id = OrderId(self.next_order_id);
        self.next_order_id += 1;
        self.commands.push_back(Command::Close { id, request });
    }

    /// Runs `f` on the execution desk, then queues the child commands it
    /// asked for and tells strategies about their parents.
    fn with_desk(&mut self, f: impl FnOnce(&mut AlgoDesk, &[Instrument], &mut DeskIo)) {
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
    fn child_report(&mut self, id: OrderId, status: OrderStatus, fill: Option<&Fill>, reason: Option<&str>) {
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
        let order = self.orders.get(id).expect("order was just created");
        if let Err(denial) = self.pre_trade_check(id, &order.request, flattening) {
            self.reject_new(id, denial);
            return None;
        }
        let request = order.request.clone();
        let expected = match request.kind {
            OrderKind::Limit { price } | OrderKind::StopLimit { limit: price, .. } => Some(price),
            OrderKind::Stop { trigger } => Some(trigger),
            _ => self.portfolio.position(request.instrument).mark,
        };
        self.orders.set_expected_price(id, expected);
        self.risk.record_order(self.now, request.instrument);
        Some(request)
    }

    /// Refuses a new order here, before any venue sees it.
    fn reject_new(&mut self, id: OrderId, denial: pyrt_risk::Denial) {
        let strategy = self.orders.get(id).expect("order was just created").strategy;
        let reason = denial.to_string();
        self.orders.reject_locally(id, self.now, denial.code.as_str(), reason.clone());
        self.child_report(id, OrderStatus::Rejected, None, Some(&reason));
        let update = OrderUpdate { order_id: id, status: OrderStatus::Rejected, ts: self.now, reason: Some(reason) };
        self.call(strategy, |s, ctx| s.on_order_update(ctx, &update));
    }

    fn send(&mut self, cmd: VenueCommand) {
        if self.config.order_latency_ns > 0 {
            let at = self.now + self.config.order_latency_ns;
            self.schedule(at, ScheduledKind::ToVenue(Unordered(cmd)));
        } else {
            self.venue.handle(cmd, self.now, &mut self.scratch);
            self.take_venue_reports();
        }
    }

    fn on_report(&mut self, report: ExecutionReport) {
        let mut follow = Vec::new();
        let Some(status) = self.orders.apply(&report, &mut follow) else {
            return; // counted in OrderManager::invalid_reports
        };
        let id = report.order_id();
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
                if self.portfolio.apply_fill(fill).is_err() {
                    return; // Portfolio::overflow: the run stops at the end of this step
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

    /// Marks the account to `price` for `instrument` without an event
    /// (used by callers that price positions from elsewhere).
    pub fn mark(&mut self, instrument: InstrumentId, price: pyrt_model::Price) {
        self.portfolio.mark(instrument, price);
    }
}
