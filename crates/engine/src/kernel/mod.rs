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
use pyrt_model::{ExecutionReport, Fill, Instrument, InstrumentId, MarketEvent, OrderId, UnixNanos, VenueCommand};
use pyrt_risk::{LimitsError, RiskEngine, RiskLimits, TradingState};

use crate::algo_desk::AlgoDesk;
pub use crate::config::{AccountKind, EngineConfig, EngineError, VenueClock};
use crate::dual_clock::{DualClock, Step};
use crate::events::{EventSink, NodeEvent, OperatorAction, Stream};
use crate::history::RecentLog;
use crate::orders::OrderManager;
use crate::portfolio::Portfolio;
use crate::recorder::EquityRecorder;
use crate::schedule::{Scheduled, ScheduledKind, Unordered};
use crate::sleeves::Sleeves;
use crate::strategy::{Command, Context, Strategy, StrategyId, TimerEvent};

mod failure;
mod flow;
mod warm_up;

pub use failure::StrategyFailure;

pub use pyrt_model::Venue;

/// The event-driven trading kernel.
pub struct Engine<V: Venue> {
    pub(crate) config: EngineConfig,
    pub(crate) now: UnixNanos,
    pub(crate) started: bool,
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
    /// The event stream's sinks and sequence.
    stream: Stream,
    /// Strategies that failed (see `failure`), and whether the run goes on.
    failures: Vec<StrategyFailure>,
    isolate_failures: bool,
    /// Trading starts later than the first event (see `warm_up`).
    warm_up: Option<warm_up::WarmUp>,
    /// Strategies with capital of their own (see `sleeves`).
    pub(crate) sleeves: Sleeves,
}

impl<V: Venue> Engine<V> {
    pub fn new(instruments: Vec<Instrument>, venue: V, config: EngineConfig) -> Self {
        for (i, inst) in instruments.iter().enumerate() {
            assert_eq!(inst.id.index(), i, "instrument ids must be dense and in order");
        }
        let portfolio = Portfolio::new(config.initial_cash, instruments.len(), config.history_limit)
            .with_cost_basis(config.cost_basis);
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
            stream: Stream::default(),
            failures: Vec::new(),
            isolate_failures: false,
            warm_up: None,
            sleeves: Sleeves::default(),
        }
        .with_warm_up_from_config()
    }

    pub(crate) fn strategies_len(&self) -> usize {
        self.strategies.len()
    }

    /// Starts the equity record again from the account as it is (after
    /// positions were carried in, before the first event).
    pub(crate) fn reset_recorder(&mut self) {
        self.recorder = EquityRecorder::new(self.config.sampling, self.portfolio.equity());
        self.sleeves.reset_recorders(self.config.sampling);
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
        self.emit(None, || NodeEvent::Operator { action: OperatorAction::KillSwitch { flatten } });
        let action = self.risk.kill_switch(flatten);
        self.apply_risk_action(action);
        self.pump();
    }

    /// Takes reports a venue sends later, outside `Venue::handle` and
    /// `Venue::on_market` (a live venue answers over the network). They are
    /// applied in order, as if the venue had returned them, at `now`.
    pub fn deliver(&mut self, now: UnixNanos, reports: impl IntoIterator<Item = ExecutionReport>) {
        self.advance(now);
        for report in reports {
            self.emit(None, || NodeEvent::Report { report: report.clone() });
            self.reports.push_back(report);
        }
        self.pump();
    }

    /// Moves a live kernel's clock to `now` with no event: timers due by
    /// then fire, each at its own time. A node calls it through quiet
    /// spells, so a timer is not held back until the next market event.
    /// Timers fire in the same order whether or not it is called (an
    /// event or report at a later time fires them first), which keeps a
    /// recorded session's replay exact. Never moves the clock back.
    pub fn advance(&mut self, now: UnixNanos) {
        if self.started {
            self.advance_to(now);
        }
        if now > self.now {
            self.now = now;
        }
    }

    /// Mutable access to the venue (a live venue's outbox).
    pub fn venue_mut(&mut self) -> &mut V {
        &mut self.venue
    }

    /// Lifts a halt or reducing-only state (an operator's decision).
    pub fn resume_trading(&mut self) {
        self.emit(None, || NodeEvent::Operator { action: OperatorAction::ResumeTrading });
        self.risk.set_state(TradingState::Active);
        let state = TradingState::Active.into();
        self.emit(None, || NodeEvent::TradingState { state, reason: "resumed by the operator".into() });
    }

    /// Registers a sink of the event stream (see [`crate::events`]); call
    /// before the run, so it sees the stream from its first event.
    pub fn add_sink(&mut self, sink: Box<dyn EventSink>) {
        self.stream.add(sink);
    }

    /// Publishes an event built by `make`, if anything listens: with no
    /// sink, nothing is built (one test of an empty list).
    #[inline(always)]
    pub(crate) fn emit(&mut self, ts_exchange: Option<UnixNanos>, make: impl FnOnce() -> NodeEvent) {
        if self.stream.is_on() {
            self.emit_now(ts_exchange, make());
        }
    }

    #[inline(never)]
    fn emit_now(&mut self, ts_exchange: Option<UnixNanos>, event: NodeEvent) {
        if self.stream.publish(self.now, ts_exchange, event) {
            // A sink that may not lose events fell behind: stop trading
            // rather than trade on unrecorded.
            let action = self.risk.kill_switch(false);
            self.apply_risk_action(action);
        }
    }

    pub fn add_strategy(&mut self, strategy: Box<dyn Strategy>) -> StrategyId {
        self.strategies.push(strategy);
        StrategyId(self.strategies.len() as u32 - 1)
    }

    /// Adds a strategy that trades `capital` of the account's cash as its
    /// own (see `sleeves`). The capital given to strategies may not exceed
    /// the account's starting cash; what is left stays unallocated.
    pub fn add_strategy_with_capital(
        &mut self,
        strategy: Box<dyn Strategy>,
        capital: pyrt_model::Money,
    ) -> Result<StrategyId, EngineError> {
        let allocated = self.sleeves.allocated();
        if !capital.is_positive() || allocated + capital > self.config.initial_cash || self.started {
            return Err(EngineError::Allocation { capital, allocated, cash: self.config.initial_cash });
        }
        let id = self.add_strategy(strategy);
        let sleeve = Portfolio::new(capital, self.instruments.len(), self.config.history_limit)
            .with_cost_basis(self.config.cost_basis);
        self.sleeves.add(id, sleeve, self.config.sampling);
        Ok(id)
    }

    /// The strategies' own shares of the account (empty without allocations).
    pub fn sleeves(&self) -> &Sleeves {
        &self.sleeves
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
        self.replay(events, |_| true).map(|_| ())
    }

    /// The one replay loop every backtest goes through (the CLI, Python,
    /// the optimiser, the divergence report): each event under the
    /// configured [`VenueClock`], then `step(events so far)`, which may
    /// stop the run early by returning false (a progress bar, a Python
    /// strategy's exception). At the end the strategies are stopped and the
    /// account checked; returns how many events were replayed. On an error
    /// the engine stays as it was then (not stopped), for a partial report.
    pub fn replay<E>(
        &mut self,
        events: impl IntoIterator<Item = Result<MarketEvent, E>>,
        mut step: impl FnMut(u64) -> bool,
    ) -> Result<u64, EngineError>
    where
        E: std::error::Error + Send + Sync + 'static,
    {
        let data = |e: E| EngineError::Data(Box::new(e));
        let mut seen = 0u64;
        match self.config.venue_clock {
            VenueClock::Receive => {
                for event in events {
                    self.process(&event.map_err(data)?)?;
                    seen += 1;
                    if !step(seen) {
                        break;
                    }
                }
            }
            VenueClock::Exchange => {
                for s in DualClock::new(events.into_iter()) {
                    // An event counts once, when the strategies see it.
                    match s.map_err(data)? {
                        Step::Exchange(event, at) => self.process_exchange(&event, at)?,
                        Step::Local(event) => {
                            self.process_local(&event)?;
                            seen += 1;
                            if !step(seen) {
                                break;
                            }
                        }
                    }
                }
            }
        }
        self.stop();
        self.failures_stop_the_run()?;
        self.account_in_range()?;
        Ok(seen)
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
        match self.portfolio.overflow().or_else(|| self.sleeves.overflow()) {
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
        // A failure in the last step's reports or timers.
        self.failures_stop_the_run()?;
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
        if self.warm_up.is_some() {
            self.end_warm_up_if_due().map_err(|source| EngineError::Account { ts, source })?;
        }
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
        self.emit(Some(event.ts_event()), || NodeEvent::Market { event: *event });
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
                if !self.sleeves.is_empty() {
                    self.sleeves.mark_bar(bar);
                }
                Some(bar.close)
            }
            // A book is consistent only after the last delta of a venue
            // message; mid-message it may be half updated.
            MarketEvent::BookDelta(delta) => {
                let mid = if delta.is_last() { self.books[instrument.index()].mid() } else { None };
                if let Some(price) = mid {
                    self.mark(instrument, price);
                }
                mid
            }
            other => {
                let price = other.mark_price();
                if let Some(price) = price {
                    self.mark(instrument, price);
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
                self.close_now(instrument, qty, true);
                self.pump();
            }
        }
        // Equity moves with marks (fills are marked when the next price
        // arrives), so a delta inside a book message records nothing.
        if (mark.is_some() || !matches!(event, MarketEvent::BookDelta(_))) && !self.warming_up() {
            let equity = self.portfolio.equity();
            self.recorder.record(ts, equity, self.portfolio.is_exposed());
            if !self.sleeves.is_empty() {
                self.sleeves.record(ts);
            }
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
        self.failures_stop_the_run()
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
        self.emit(None, || NodeEvent::Operator { action: OperatorAction::Stop });
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
                    self.emit(None, || NodeEvent::Timer { strategy: StrategyId(strategy), name: name.clone() });
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

    /// Calls strategy `sid` with a fresh context, unless it has failed; a
    /// callback that panics or calls `Context::fail` fails it.
    fn call(&mut self, sid: StrategyId, f: impl FnOnce(&mut dyn Strategy, &mut Context)) {
        if !self.failures.is_empty() && self.has_failed(sid) {
            return;
        }
        // What the callback may add, so a failure can take it back.
        let before = (self.commands.len(), self.next_order_id, self.next_parent_id);
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
            config,
            sleeves,
            ..
        } = self;
        let mut ctx = Context {
            account: config.account,
            max_leverage: risk.limits().margin.max_leverage,
            now: *now,
            trading_state: risk.state(),
            strategy: sid,
            instruments,
            books,
            // A strategy with capital of its own sees its sleeve.
            portfolio: sleeves.of(sid).map_or(&*portfolio, |s| &s.portfolio),
            orders,
            commands,
            next_id: next_order_id,
            algos,
            next_parent_id,
            failure: None,
        };
        let strategy = strategies[sid.0 as usize].as_mut();
        // The kernel's state stays whole across a strategy's panic: the
        // strategy holds only this context, whose commands are dropped.
        let failure = match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| f(strategy, &mut ctx))) {
            Ok(()) => ctx.failure.take(),
            Err(payload) => Some(failure::panic_message(payload.as_ref())),
        };
        if let Some(reason) = failure {
            self.fail_strategy(sid, before, reason);
        }
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

    /// Marks the account to `price` for `instrument` without an event
    /// (used by callers that price positions from elsewhere).
    pub fn mark(&mut self, instrument: InstrumentId, price: pyrt_model::Price) {
        self.portfolio.mark(instrument, price);
        if !self.sleeves.is_empty() {
            self.sleeves.mark(instrument, price);
        }
    }
}
