//! The event stream: everything the kernel processes or creates, in the
//! order it did, for whatever watches a run (a store, metrics, an API, a
//! bus, a divergence report).
//!
//! Each event is [`Sequenced`]: a gap-free sequence number stamped on the
//! kernel thread, the kernel's clock and, for market data, the exchange's.
//! Because the kernel is deterministic, the same inputs give the same
//! stream, line by line, in backtest, paper and live alike; that is what
//! lets a live session be replayed and compared.
//!
//! Sinks are registered before the run ([`Engine::add_sink`](crate::Engine::add_sink))
//! and called on the kernel thread, so a sink must never block. One that
//! hands events to another thread does it through a bounded queue
//! ([`ChannelSink`]) with an explicit overflow policy:
//!
//! * [`Overflow::Drop`]: a full queue drops the event and counts it (metrics,
//!   dashboards: better a gap than a stalled kernel);
//! * [`Overflow::Halt`]: a full queue asks the kernel to halt trading through
//!   the kill switch (a store, which may not lose events, and must not let
//!   trading run on unrecorded).
//!
//! With no sink attached nothing is built: each emission point costs one
//! test of an empty list.

use std::sync::mpsc::{Receiver, SyncSender, TrySendError, sync_channel};

use pyrt_model::{
    ExecutionReport, Fill, InstrumentId, MarketEvent, Money, OrderId, OrderRequest, Price, Quantity, UnixNanos,
};
use pyrt_risk::TradingState;
use serde::Serialize;

use crate::strategy::StrategyId;

/// One thing that happened in the kernel.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum NodeEvent {
    /// Market data, as the strategies saw it.
    Market {
        event: MarketEvent,
    },
    /// A venue's report delivered from outside (a live venue's answer,
    /// a reconciliation), before the kernel applies it. With `Market`
    /// and `Operator`, the kernel's inputs: replaying them replays a run.
    Report {
        report: ExecutionReport,
    },
    /// An operator's action on the kernel.
    Operator {
        action: OperatorAction,
    },
    /// A new order passed the pre-trade checks and left for the venue.
    OrderSubmitted {
        order_id: OrderId,
        strategy: StrategyId,
        request: OrderRequest,
    },
    /// Refused: by the kernel's checks (`local`, with the denial code) or by the venue.
    OrderRejected {
        order_id: OrderId,
        local: bool,
        code: &'static str,
        reason: String,
    },
    OrderAccepted {
        order_id: OrderId,
    },
    OrderTriggered {
        order_id: OrderId,
    },
    OrderModified {
        order_id: OrderId,
        qty: Quantity,
        price: Option<Price>,
        trigger: Option<Price>,
    },
    OrderCancelled {
        order_id: OrderId,
        reason: String,
    },
    OrderExpired {
        order_id: OrderId,
    },
    OrderFilled {
        fill: Fill,
        /// The order is filled whole: no quantity remains.
        complete: bool,
    },
    /// A cancel or modify the venue refused (the order itself goes on).
    CommandRejected {
        order_id: OrderId,
        reason: String,
    },
    /// A position after a fill.
    Position {
        instrument: InstrumentId,
        qty: Quantity,
        cost: Money,
    },
    /// Cash after a fill.
    Balance {
        cash: Money,
        equity: Money,
    },
    /// The risk engine's trading state changed (a breach, the kill switch, an operator).
    TradingState {
        state: TradingStateName,
        reason: String,
    },
    Timer {
        strategy: StrategyId,
        name: String,
    },
    /// A strategy failed and was stopped; its orders are being cancelled.
    StrategyFailed {
        strategy: StrategyId,
        reason: String,
    },
}

/// What an operator (or the node, for one) did to the kernel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum OperatorAction {
    KillSwitch {
        flatten: bool,
    },
    ResumeTrading,
    /// Stop the strategies (`on_stop`).
    Stop,
}

/// [`TradingState`] as it is written in the stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TradingStateName {
    Active,
    Reducing,
    Halted,
}

impl From<TradingState> for TradingStateName {
    fn from(s: TradingState) -> Self {
        match s {
            TradingState::Active => Self::Active,
            TradingState::Reducing => Self::Reducing,
            TradingState::Halted => Self::Halted,
        }
    }
}

/// An event with its place in the stream.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Sequenced {
    /// 1, 2, 3, … with no gaps, per kernel.
    pub seq: u64,
    /// The kernel's clock when the event happened.
    pub ts: UnixNanos,
    /// The exchange's time, for market data.
    pub ts_exchange: Option<UnixNanos>,
    pub event: NodeEvent,
}

/// Something that watches the stream. Called on the kernel thread: it must
/// return at once.
pub trait EventSink {
    fn publish(&mut self, event: &Sequenced);
    /// Whether the sink asks the kernel to halt trading (see [`Overflow::Halt`]).
    fn wants_halt(&self) -> bool {
        false
    }
}

/// What a [`ChannelSink`] does when its queue is full.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Overflow {
    /// Drop the event and count it.
    Drop,
    /// Drop it, count it, and ask the kernel to halt trading.
    Halt,
}

/// A sink that hands events to another thread through a bounded queue.
pub struct ChannelSink {
    tx: SyncSender<Sequenced>,
    policy: Overflow,
    dropped: std::sync::Arc<std::sync::atomic::AtomicU64>,
    halt: bool,
}

impl ChannelSink {
    /// A sink and the receiving end of its queue of `capacity` events. The
    /// counter says how many were dropped, for the consumer to report.
    pub fn new(capacity: usize, policy: Overflow) -> (Self, Receiver<Sequenced>, DroppedCounter) {
        let (tx, rx) = sync_channel(capacity);
        let dropped = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
        (Self { tx, policy, dropped: dropped.clone(), halt: false }, rx, DroppedCounter(dropped))
    }
}

/// How many events a [`ChannelSink`] dropped.
#[derive(Debug, Clone)]
pub struct DroppedCounter(std::sync::Arc<std::sync::atomic::AtomicU64>);

impl DroppedCounter {
    pub fn get(&self) -> u64 {
        self.0.load(std::sync::atomic::Ordering::Relaxed)
    }
}

impl EventSink for ChannelSink {
    fn publish(&mut self, event: &Sequenced) {
        match self.tx.try_send(event.clone()) {
            Ok(()) => {}
            Err(TrySendError::Full(_)) => {
                self.dropped.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                self.halt |= self.policy == Overflow::Halt;
            }
            // The consumer is gone: a dashboard closed (nothing to keep
            // up with), or a store failed (trading must not go on unrecorded).
            Err(TrySendError::Disconnected(_)) => {
                if self.policy == Overflow::Halt {
                    self.dropped.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    self.halt = true;
                }
            }
        }
    }

    fn wants_halt(&self) -> bool {
        self.halt
    }
}

/// A sink that keeps every event in memory (tests, short runs).
#[derive(Debug, Default, Clone)]
pub struct MemorySink(pub std::rc::Rc<std::cell::RefCell<Vec<Sequenced>>>);

impl EventSink for MemorySink {
    fn publish(&mut self, event: &Sequenced) {
        self.0.borrow_mut().push(event.clone());
    }
}

/// The kernel's side: the sinks and the next sequence number.
#[derive(Default)]
pub(crate) struct Stream {
    sinks: Vec<Box<dyn EventSink>>,
    next_seq: u64,
    halt_requested: bool,
}

impl Stream {
    pub(crate) fn add(&mut self, sink: Box<dyn EventSink>) {
        self.sinks.push(sink);
    }

    #[inline(always)]
    pub(crate) fn is_on(&self) -> bool {
        !self.sinks.is_empty()
    }

    /// Stamps and publishes an event. Returns true once a sink first asks
    /// for trading to halt.
    pub(crate) fn publish(&mut self, ts: UnixNanos, ts_exchange: Option<UnixNanos>, event: NodeEvent) -> bool {
        self.next_seq += 1;
        let sequenced = Sequenced { seq: self.next_seq, ts, ts_exchange, event };
        for sink in &mut self.sinks {
            sink.publish(&sequenced);
        }
        if !self.halt_requested && self.sinks.iter().any(|s| s.wants_halt()) {
            self.halt_requested = true;
            return true;
        }
        false
    }
}
