//! The ports around the kernel: how market data comes in and orders go out
//! when the world is a network.
//!
//! The kernel (`engine`) is single-threaded and never waits; venues and
//! feeds live at the edge, on their own tasks. A port is the small contract
//! between them:
//!
//! * a [`MarketDataPort`] yields [`FeedItem`]s: the kernel's market events,
//!   each with its exchange and receive times, and, as events rather than
//!   errors hidden in a task, the feed's gaps, disconnections and
//!   reconnections;
//! * an [`ExecutionPort`] takes [`VenueCommand`]s without waiting
//!   ([`send`](ExecutionPort::send) only queues: the network is the port's
//!   business, so the kernel keeps reading its feeds while an order is in
//!   flight) and yields [`AccountItem`]s: acknowledgements, fills and
//!   rejections as execution reports, and reconnections, after which the
//!   node reconciles by asking [`order_states`](ExecutionPort::order_states).
//!
//! Client order ids carry the node's stable run id, so a restarted node
//! recognises its own orders at the venue.
//!
//! [`InProcess`] puts any in-process [`Venue`] (the simulated venues)
//! behind the execution port, for paper trading on live or replayed data
//! with the backtest's fill rules; the Binance adapter implements both
//! ports over the network. The same conformance tests run against both.

use std::collections::VecDeque;
use std::future::Future;

use pyrt_model::{
    ExecutionReport, InstrumentId, MarketEvent, Money, OrderId, OrderQty, OrderStatus, Quantity, UnixNanos, Venue,
    VenueCommand, VenueOrderState,
};

/// What a market-data port yields.
#[derive(Debug, Clone, PartialEq)]
pub enum FeedItem {
    /// A market event (its `ts_event` the exchange's time, `ts_recv` ours).
    Market(MarketEvent),
    /// Connected (or connected again); books re-sync from snapshots.
    Connected,
    /// An instrument's book was (re)built from a snapshot.
    Synced { instrument: InstrumentId },
    /// Updates were lost: the instrument's book was discarded until a new
    /// snapshot arrives.
    Gap { instrument: InstrumentId, reason: String },
    /// A message that could not be read, skipped.
    BadMessage { reason: String },
    /// The connection ended; the port reconnects by itself.
    Disconnected { reason: String },
}

/// What an execution port yields.
#[derive(Debug, Clone, PartialEq)]
pub enum AccountItem {
    /// The venue's answer about an order: accepted, filled, cancelled, ...
    /// With a fill, `filled_total` is the order's whole filled quantity at
    /// the venue after it, when the venue says: a fill the node already
    /// booked through reconciliation (its report was in flight) is then
    /// recognised and not booked twice.
    Report { report: ExecutionReport, filled_total: Option<Quantity> },
    /// The account stream is up; reports follow.
    Ready,
    /// The account stream was down and is back: reports in between may be
    /// lost, so the node reconciles its open orders.
    Reconnected,
    /// The account stream dropped; the port reconnects by itself.
    Disconnected { reason: String },
    /// The venue refused the account stream for good (bad keys).
    Refused { reason: String },
}

/// What a venue takes itself. The node emulates the rest (see
/// `pyrt_live::Emulated`), so a strategy's orders behave the same on every
/// venue: an order kind missing here is held, or watched, by the node.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Offers {
    /// Time in force DAY (expires at the end of the UTC day).
    pub day: bool,
    /// Time in force GTD (good till a given time).
    pub good_till_date: bool,
    /// Trailing stops whose distance is a price (not basis points).
    pub trailing_by_price: bool,
}

impl Offers {
    /// Everything the kernel can ask for (a simulated venue).
    pub const ALL: Offers = Offers { day: true, good_till_date: true, trailing_by_price: true };
    /// None of the optional kinds: the node emulates them all.
    pub const NONE: Offers = Offers { day: false, good_till_date: false, trailing_by_price: false };
}

/// A port's failure to answer a query.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct PortError(pub String);

/// Market data in.
///
/// `next` must be cancel-safe, as the node selects over several ports and
/// drops the futures that lose: an item is taken only in the poll that
/// returns it.
pub trait MarketDataPort: Send {
    /// The next item; `None` once the port has ended (its task stopped).
    fn next(&mut self) -> impl Future<Output = Option<FeedItem>> + Send;
}

/// Orders out, reports back. `next` must be cancel-safe (see [`MarketDataPort`]).
pub trait ExecutionPort: Send {
    /// Queues `cmd`, sent at `now`; returns at once, never waiting on the
    /// network. What the venue answers arrives through [`next`](Self::next).
    fn send(&mut self, cmd: VenueCommand, now: UnixNanos);
    /// Whether the venue sizes notional (quote-amount) orders itself; if
    /// not, the node sizes them before they leave.
    fn sizes_notional(&self) -> bool {
        false
    }
    /// The order kinds and times in force the venue takes itself.
    fn offers(&self) -> Offers {
        Offers::ALL
    }
    /// Market data, for a port whose venue matches against it (a simulated
    /// one); a real venue has its own market and ignores it.
    fn on_market(&mut self, _event: &MarketEvent, _now: UnixNanos) {}
    /// The next account item; `None` once the port has ended.
    fn next(&mut self) -> impl Future<Output = Option<AccountItem>> + Send;
    /// An item that has already arrived, without waiting. The node takes
    /// these between handing market data to the venue and to the kernel,
    /// so a simulated venue's fills reach the kernel in the order a
    /// backtest's would.
    fn try_next(&mut self) -> Option<AccountItem>;
    /// What the venue says about these orders now (for reconciliation).
    fn order_states(&mut self, ids: &[OrderId])
    -> impl Future<Output = Result<Vec<VenueOrderState>, PortError>> + Send;
}

/// An in-process venue (a simulated one) behind the execution port: it
/// answers at once, and its answers wait in a queue for [`next`](ExecutionPort::next).
pub struct InProcess<V> {
    venue: V,
    queue: VecDeque<AccountItem>,
    scratch: Vec<ExecutionReport>,
    /// Each order's totals as the venue reported them, for `order_states`.
    states: Vec<Option<Tracked>>,
    ready_told: bool,
}

impl<V: Venue + Send> InProcess<V> {
    pub fn new(venue: V) -> Self {
        Self { venue, queue: VecDeque::new(), scratch: Vec::new(), states: Vec::new(), ready_told: false }
    }

    pub fn venue(&self) -> &V {
        &self.venue
    }

    fn take(&mut self) {
        for report in self.scratch.drain(..) {
            track(&mut self.states, &report);
            self.queue.push_back(AccountItem::Report { report, filled_total: None });
        }
    }
}

/// What an in-process venue has said about one order.
#[derive(Debug, Clone, Copy)]
struct Tracked {
    state: VenueOrderState,
    /// The base quantity asked for (none for a notional order until sized).
    qty: Option<Quantity>,
}

/// Keeps the venue's view of order `report.order_id()` in step.
fn track(states: &mut [Option<Tracked>], report: &ExecutionReport) {
    let id = report.order_id();
    let Some(Some(t)) = states.get_mut(id.0 as usize) else { return };
    let s = &mut t.state;
    match report {
        ExecutionReport::Accepted { .. } => s.status = OrderStatus::Accepted,
        ExecutionReport::Rejected { .. } => s.status = OrderStatus::Rejected,
        ExecutionReport::Triggered { .. } => s.status = OrderStatus::Triggered,
        ExecutionReport::Cancelled { .. } => s.status = OrderStatus::Cancelled,
        ExecutionReport::Expired { .. } => s.status = OrderStatus::Expired,
        ExecutionReport::Filled(f) => {
            s.filled += f.qty;
            s.notional += Money::notional(f.price, f.qty);
            s.fee = Some(s.fee.unwrap_or(Money::ZERO) + f.fee);
            s.status =
                if t.qty.is_some_and(|q| s.filled >= q) { OrderStatus::Filled } else { OrderStatus::PartiallyFilled };
        }
        // A notional order's size, or a new size, as the venue set it.
        ExecutionReport::Modified { qty, .. } if !qty.is_zero() => t.qty = Some(*qty),
        ExecutionReport::Modified { .. } | ExecutionReport::CommandRejected { .. } => {}
    }
}

/// Starts tracking the orders `cmd` submits.
fn submitted(states: &mut Vec<Option<Tracked>>, cmd: &VenueCommand) {
    let mut add = |id: OrderId, qty: OrderQty| {
        let index = id.0 as usize;
        if states.len() <= index {
            states.resize(index + 1, None);
        }
        let qty = match qty {
            OrderQty::Base(q) => Some(q),
            OrderQty::Quote(_) => None,
        };
        let state = VenueOrderState {
            order_id: id,
            status: OrderStatus::Submitted,
            filled: Quantity::ZERO,
            notional: Money::ZERO,
            fee: Some(Money::ZERO),
        };
        states[index] = Some(Tracked { state, qty });
    };
    match cmd {
        VenueCommand::Submit { order_id, request } => add(*order_id, request.qty),
        VenueCommand::SubmitOco { legs } => legs.iter().for_each(|(id, r)| add(*id, r.qty)),
        VenueCommand::Cancel { .. } | VenueCommand::Modify { .. } => {}
    }
}

impl<V: Venue + Send> ExecutionPort for InProcess<V> {
    /// The simulated venues size notional orders at the fill price.
    fn sizes_notional(&self) -> bool {
        true
    }

    fn send(&mut self, cmd: VenueCommand, now: UnixNanos) {
        submitted(&mut self.states, &cmd);
        self.venue.handle(cmd, now, &mut self.scratch);
        self.take();
    }

    fn on_market(&mut self, event: &MarketEvent, now: UnixNanos) {
        self.venue.on_market(event, now, &mut self.scratch);
        self.take();
    }

    // Taken when polled, not when called: the node drops this future
    // whenever another branch wins, and nothing may be lost then.
    async fn next(&mut self) -> Option<AccountItem> {
        match self.try_next() {
            Some(item) => Some(item),
            // Nothing queued: answers only follow sends and market data,
            // which the caller drives; wait until it does.
            None => std::future::pending().await,
        }
    }

    fn try_next(&mut self) -> Option<AccountItem> {
        if !self.ready_told {
            self.ready_told = true;
            return Some(AccountItem::Ready);
        }
        self.queue.pop_front()
    }

    fn order_states(
        &mut self,
        ids: &[OrderId],
    ) -> impl Future<Output = Result<Vec<VenueOrderState>, PortError>> + Send {
        let found: Vec<VenueOrderState> =
            ids.iter().filter_map(|id| self.states.get(id.0 as usize).copied().flatten().map(|t| t.state)).collect();
        async move { Ok(found) }
    }
}

/// Market events from memory or a file, as a market-data port: each as
/// fast as the node takes it. Ends (`None`) after the last.
pub struct Replay<I> {
    events: I,
}

impl<I> Replay<I> {
    pub fn new(events: I) -> Self {
        Self { events }
    }
}

impl<I: Iterator<Item = MarketEvent> + Send> MarketDataPort for Replay<I> {
    async fn next(&mut self) -> Option<FeedItem> {
        // Let the node's other branches run between events; the event is
        // taken only in the poll that returns it (cancel safety).
        tokio_yield().await;
        self.events.next().map(FeedItem::Market)
    }
}

/// Yields once to the executor (without depending on a runtime).
async fn tokio_yield() {
    let mut yielded = false;
    std::future::poll_fn(|cx| {
        if yielded {
            std::task::Poll::Ready(())
        } else {
            yielded = true;
            cx.waker().wake_by_ref();
            std::task::Poll::Pending
        }
    })
    .await
}
