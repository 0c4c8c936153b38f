//! The strategy interface and the context a strategy acts through.
//!
//! A strategy is a set of callbacks. The kernel calls them in event-time
//! order, one at a time, on one thread, in backtest, paper and live alike.
//! Inside a callback the strategy reads state (clock, positions, cash,
//! orders) and *asks* for actions (submit, cancel, modify, timers) through
//! the [`Context`]. The asks are queued and carried out by the kernel when
//! the callback returns, the same way an order leaves for a real venue
//! after the decision is made: a strategy never sees the effect of its own
//! order inside the callback that sent it.

use pyrt_book::L2Book;
use pyrt_execution::{ParentExecution, ParentId, ParentOrder, RoutePlan, VenueBook};
use pyrt_model::{
    Bar, BookDelta, Fill, Instrument, InstrumentId, Money, OrderId, OrderQty, OrderRequest, OrderStatus, Price,
    Quantity, Quote, Rate, Side, TimeInForce, Trade, UnixNanos,
};
use serde::Serialize;

use crate::algo_desk::{AlgoDesk, AlgoUpdate};
use crate::orders::{OrderManager, OrderRecord};
use crate::portfolio::{Portfolio, Position};

/// Index of a strategy within a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct StrategyId(pub u32);

/// A timer a strategy set, delivered to [`Strategy::on_timer`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TimerEvent {
    pub name: String,
    pub ts: UnixNanos,
}

/// A change in one of the strategy's orders.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderUpdate {
    pub order_id: OrderId,
    pub status: OrderStatus,
    pub ts: UnixNanos,
    /// Why it was rejected or cancelled, if it was.
    pub reason: Option<String>,
}

/// Trading logic. Every callback has a default that does nothing, so a
/// strategy implements only what it uses.
pub trait Strategy {
    /// Called once before the first event.
    fn on_start(&mut self, _ctx: &mut Context) {}
    fn on_bar(&mut self, _ctx: &mut Context, _bar: &Bar) {}
    fn on_trade(&mut self, _ctx: &mut Context, _trade: &Trade) {}
    fn on_quote(&mut self, _ctx: &mut Context, _quote: &Quote) {}
    /// A change to an order book (L2 level or L3 order).
    fn on_book_delta(&mut self, _ctx: &mut Context, _delta: &BookDelta) {}
    /// Any status change of one of this strategy's orders.
    fn on_order_update(&mut self, _ctx: &mut Context, _update: &OrderUpdate) {}
    /// A fill of one of this strategy's orders (after its order update).
    fn on_fill(&mut self, _ctx: &mut Context, _fill: &Fill) {}
    fn on_timer(&mut self, _ctx: &mut Context, _timer: &TimerEvent) {}
    /// A change in one of this strategy's parent orders (status or
    /// executed quantity). Its children's own updates and fills also reach
    /// `on_order_update` and `on_fill`.
    fn on_algo_update(&mut self, _ctx: &mut Context, _update: &AlgoUpdate) {}
    /// Called once after the last event.
    fn on_stop(&mut self, _ctx: &mut Context) {}
}

/// Something a strategy asked for, carried out after its callback returns.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Command {
    Submit {
        strategy: StrategyId,
        id: OrderId,
        request: OrderRequest,
        client_id: Option<String>,
    },
    SubmitOco {
        strategy: StrategyId,
        ids: Vec<OrderId>,
        requests: Vec<OrderRequest>,
    },
    SubmitBracket {
        strategy: StrategyId,
        id: OrderId,
        entry: OrderRequest,
        take_profit: Price,
        stop_loss: Price,
    },
    Cancel {
        id: OrderId,
    },
    Modify {
        id: OrderId,
        qty: Option<Quantity>,
        price: Option<Price>,
        trigger: Option<Price>,
    },
    Timer {
        strategy: StrategyId,
        at: UnixNanos,
        name: String,
    },
    KillSwitch {
        flatten: bool,
    },
    SubmitAlgo {
        strategy: StrategyId,
        id: ParentId,
        order: ParentOrder,
    },
    CancelAlgo {
        strategy: StrategyId,
        id: ParentId,
    },
    /// The engine's own closing order (risk actions, position stops).
    Close {
        id: OrderId,
        request: OrderRequest,
    },
}

/// What a strategy sees and acts through during a callback.
pub struct Context<'a> {
    pub(crate) account: crate::AccountKind,
    /// The risk limits' `margin.max_leverage`.
    pub(crate) max_leverage: Option<f64>,
    pub(crate) now: UnixNanos,
    pub(crate) trading_state: pyrt_risk::TradingState,
    pub(crate) strategy: StrategyId,
    pub(crate) instruments: &'a [Instrument],
    pub(crate) books: &'a [L2Book],
    pub(crate) portfolio: &'a Portfolio,
    pub(crate) orders: &'a OrderManager,
    pub(crate) commands: &'a mut std::collections::VecDeque<Command>,
    /// Ids handed out in this callback but not yet created.
    pub(crate) next_id: &'a mut u64,
    pub(crate) algos: &'a AlgoDesk,
    pub(crate) next_parent_id: &'a mut u64,
    /// Set by [`Context::fail`].
    pub(crate) failure: Option<String>,
}

impl Context<'_> {
    /// The current time (event time in backtests, wall time live).
    pub fn now(&self) -> UnixNanos {
        self.now
    }
    pub fn strategy_id(&self) -> StrategyId {
        self.strategy
    }
    /// Ends this strategy: what it asked for in this callback is dropped,
    /// its orders and parents are cancelled, and it gets no more
    /// callbacks (see the kernel's `failure` module). A Python strategy's
    /// exception ends it this way.
    pub fn fail(&mut self, reason: impl Into<String>) {
        self.failure = Some(reason.into());
    }
    /// The most gross exposure the account may hold, as a multiple of its
    /// equity: 1 for a cash account (which cannot go short either), the
    /// risk limits' `margin.max_leverage` for a margin account, `None`
    /// when nothing limits it.
    pub fn leverage_limit(&self) -> Option<f64> {
        match self.account {
            crate::AccountKind::Cash => Some(1.0),
            crate::AccountKind::Margin => self.max_leverage,
        }
    }
    pub fn account_kind(&self) -> crate::AccountKind {
        self.account
    }
    /// Whether the account may trade (see `pyrt_risk::TradingState`).
    pub fn trading_state(&self) -> pyrt_risk::TradingState {
        self.trading_state
    }
    /// Stops all order flow at once: every working order is cancelled and
    /// new ones are denied; with `flatten`, every position is closed.
    pub fn kill_switch(&mut self, flatten: bool) {
        self.commands.push_back(Command::KillSwitch { flatten });
    }
    pub fn instruments(&self) -> &[Instrument] {
        self.instruments
    }
    pub fn instrument(&self, id: InstrumentId) -> &Instrument {
        &self.instruments[id.index()]
    }
    pub fn instrument_by_symbol(&self, symbol: &str) -> Option<&Instrument> {
        self.instruments.iter().find(|i| i.symbol == symbol)
    }
    /// The instrument's price-level book, built from its book deltas
    /// (empty for instruments traded on bars, trades or quotes only).
    pub fn book(&self, id: InstrumentId) -> &L2Book {
        &self.books[id.index()]
    }
    pub fn cash(&self) -> Money {
        self.portfolio.cash()
    }
    pub fn equity(&self) -> Money {
        self.portfolio.equity()
    }
    pub fn position(&self, id: InstrumentId) -> &Position {
        self.portfolio.position(id)
    }
    /// Signed position size: positive long, negative short.
    pub fn position_qty(&self, id: InstrumentId) -> Quantity {
        self.portfolio.position(id).qty
    }
    pub fn portfolio(&self) -> &Portfolio {
        self.portfolio
    }
    pub fn order(&self, id: OrderId) -> Option<&OrderRecord> {
        self.orders.get(id)
    }
    /// This strategy's orders that are still working.
    pub fn open_orders(&self) -> impl Iterator<Item = &OrderRecord> {
        let me = self.strategy;
        self.orders.open().filter(move |o| o.strategy == me)
    }
    /// Whether this strategy has a working order on `id` (queued ones included).
    pub fn has_open_orders(&self, id: InstrumentId) -> bool {
        self.open_orders().any(|o| o.instrument() == id)
            || self.commands.iter().any(|c| match c {
                Command::Submit { strategy, request, .. } => *strategy == self.strategy && request.instrument == id,
                _ => false,
            })
    }

    fn take_id(&mut self) -> OrderId {
        let id = OrderId(*self.next_id);
        *self.next_id += 1;
        id
    }

    /// Sends an order; returns its id at once. Its fate arrives through
    /// [`Strategy::on_order_update`].
    pub fn submit(&mut self, request: OrderRequest) -> OrderId {
        let id = self.take_id();
        self.commands.push_back(Command::Submit { strategy: self.strategy, id, request, client_id: None });
        id
    }

    /// Sends an order under the strategy's own client order id (what a
    /// venue echoes back). An id already used by one of the account's open
    /// orders is refused (`DUPLICATE_CLIENT_ORDER_ID`), as venues do, so a
    /// strategy retrying after a timeout cannot double its order.
    pub fn submit_with_client_id(&mut self, request: OrderRequest, client_id: impl Into<String>) -> OrderId {
        let id = self.take_id();
        let client_id = Some(client_id.into());
        self.commands.push_back(Command::Submit { strategy: self.strategy, id, request, client_id });
        id
    }

    /// Sends orders that cancel each other: the first fill (or end) of one
    /// cancels the rest.
    pub fn submit_oco(&mut self, requests: Vec<OrderRequest>) -> Vec<OrderId> {
        let ids: Vec<_> = requests.iter().map(|_| self.take_id()).collect();
        self.commands.push_back(Command::SubmitOco { strategy: self.strategy, ids: ids.clone(), requests });
        ids
    }

    /// Sends an entry order; once it is done, a reduce-only take-profit
    /// limit and stop-loss stop for the filled quantity are placed as an
    /// OCO pair. Returns the entry's id.
    pub fn submit_bracket(&mut self, entry: OrderRequest, take_profit: Price, stop_loss: Price) -> OrderId {
        let id = self.take_id();
        self.commands.push_back(Command::SubmitBracket { strategy: self.strategy, id, entry, take_profit, stop_loss });
        id
    }

    /// Hands `order` to an execution algorithm, which works it through
    /// child orders (see `pyrt_execution`). Returns its id at once; its
    /// progress arrives through [`Strategy::on_algo_update`], and a parent
    /// the desk refuses is reported there as `Failed` with the reason.
    pub fn submit_algo(&mut self, order: ParentOrder) -> ParentId {
        let id = ParentId(*self.next_parent_id);
        *self.next_parent_id += 1;
        self.commands.push_back(Command::SubmitAlgo { strategy: self.strategy, id, order });
        id
    }

    /// Stops one of this strategy's parent orders: its open children are
    /// cancelled and it ends `Cancelled`.
    pub fn cancel_algo(&mut self, id: ParentId) {
        self.commands.push_back(Command::CancelAlgo { strategy: self.strategy, id });
    }

    /// A parent order and its progress (`summary()` for its shortfall).
    pub fn algo(&self, id: ParentId) -> Option<&ParentExecution> {
        self.algos.get(id)
    }

    /// Splits `qty` across the instruments in `venues` (the same asset on
    /// several venues, each with its taker fee) by price net of fees and
    /// the depth of the books this context shows, and sends each part as
    /// an immediate-or-cancel limit at the worst price it plans to reach.
    /// Returns the plan and the orders, one per part.
    pub fn route(&mut self, side: Side, qty: Quantity, venues: &[(InstrumentId, Rate)]) -> (RoutePlan, Vec<OrderId>) {
        let books: Vec<VenueBook> = venues
            .iter()
            .map(|&(id, fee)| VenueBook {
                instrument: id,
                book: &self.books[id.index()],
                taker_fee: fee,
                lot: self.instruments[id.index()].lot_size,
            })
            .collect();
        let plan = pyrt_execution::router::plan(side, qty, &books);
        let orders = plan
            .routes
            .iter()
            .map(|r| self.submit(OrderRequest::limit(r.instrument, side, r.qty, r.limit).with_tif(TimeInForce::Ioc)))
            .collect();
        (plan, orders)
    }

    pub fn cancel(&mut self, id: OrderId) {
        self.commands.push_back(Command::Cancel { id });
    }

    /// Cancels every working order of this strategy on `instrument`.
    pub fn cancel_all(&mut self, instrument: InstrumentId) {
        let ids: Vec<_> = self.open_orders().filter(|o| o.instrument() == instrument).map(|o| o.id).collect();
        for id in ids {
            self.cancel(id);
        }
    }

    /// Changes a working order's total quantity and/or prices.
    pub fn modify(&mut self, id: OrderId, qty: Option<Quantity>, price: Option<Price>, trigger: Option<Price>) {
        self.commands.push_back(Command::Modify { id, qty, price, trigger });
    }

    /// Calls [`Strategy::on_timer`] at `at` (if the data reaches that time).
    pub fn set_timer(&mut self, at: UnixNanos, name: impl Into<String>) {
        self.commands.push_back(Command::Timer { strategy: self.strategy, at, name: name.into() });
    }

    /// Buys as many whole lots as `amount` pays for at the fill price.
    pub fn buy_notional(&mut self, instrument: InstrumentId, amount: Money) -> OrderId {
        self.submit(OrderRequest::market_notional(instrument, Side::Buy, amount))
    }

    /// Flattens the position in `instrument` with a reduce-only market
    /// order for its whole lots. Returns `None` when already flat, or when
    /// only dust below one lot is left (a venue that takes a buy's fee in
    /// the coins bought leaves such dust; no order could sell it).
    pub fn close_position(&mut self, instrument: InstrumentId) -> Option<OrderId> {
        let held = self.position_qty(instrument);
        let lot = self.instrument(instrument).lot_size;
        let qty = if lot.is_positive() { held.abs().floor_to(lot) } else { held.abs() };
        if qty.is_zero() {
            return None;
        }
        let qty = if held.is_positive() { qty } else { -qty };
        let side = if qty.is_positive() { Side::Sell } else { Side::Buy };
        Some(
            self.submit(
                OrderRequest { qty: OrderQty::Base(qty.abs()), ..OrderRequest::market(instrument, side, qty.abs()) }
                    .reduce_only(),
            ),
        )
    }
}
