//! A strategy that fails: a callback panics, or the strategy says it
//! cannot go on ([`Context::fail`](crate::Context::fail), which is how a
//! Python strategy's exception arrives).
//!
//! The kernel contains the failure to that strategy. What it asked for in
//! the failing callback is dropped (half a decision is not sent), its
//! working orders and parent orders are cancelled, it gets no further
//! callbacks, and the event stream says why. The other strategies run on.
//!
//! Whether the run then goes on is the caller's choice: a backtest stops
//! with [`EngineError::StrategyFailed`] (a result without one of its
//! strategies answers nothing), a node keeps trading the others
//! ([`Engine::isolate_failures`]).

use std::any::Any;

use pyrt_model::{OrderId, VenueCommand};

use super::Engine;
use crate::config::EngineError;
use crate::events::NodeEvent;
use crate::strategy::StrategyId;
use pyrt_model::Venue;

/// A failed strategy and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StrategyFailure {
    pub strategy: StrategyId,
    pub ts: pyrt_model::UnixNanos,
    pub reason: String,
}

impl<V: Venue> Engine<V> {
    /// A failed strategy stops alone and the run goes on (a node); without
    /// this, the run stops at the first failure (a backtest).
    pub fn isolate_failures(&mut self, isolate: bool) {
        self.isolate_failures = isolate;
    }

    /// The strategies that failed, in the order they did.
    pub fn strategy_failures(&self) -> &[StrategyFailure] {
        &self.failures
    }

    /// Strategies still running (not failed).
    pub fn active_strategies(&self) -> usize {
        self.strategies_len() - self.failures.len()
    }

    pub(crate) fn has_failed(&self, sid: StrategyId) -> bool {
        self.failures.iter().any(|f| f.strategy == sid)
    }

    /// The first failure as the run's error, unless failures are isolated.
    #[inline]
    pub(super) fn failures_stop_the_run(&self) -> Result<(), EngineError> {
        match self.failures.first() {
            Some(f) if !self.isolate_failures => {
                Err(EngineError::StrategyFailed { strategy: f.strategy.0, ts: f.ts, reason: f.reason.clone() })
            }
            _ => Ok(()),
        }
    }

    /// Contains strategy `sid`'s failure. `before` is the command queue's
    /// length and the next order and parent ids before its failing
    /// callback: what the callback asked for is taken back, ids included
    /// (orders are created in id order).
    pub(super) fn fail_strategy(&mut self, sid: StrategyId, before: (usize, u64, u64), reason: String) {
        let (queued, next_order_id, next_parent_id) = before;
        self.commands.truncate(queued);
        (self.next_order_id, self.next_parent_id) = (next_order_id, next_parent_id);
        self.failures.push(StrategyFailure { strategy: sid, ts: self.now, reason: reason.clone() });
        self.emit(None, || NodeEvent::StrategyFailed { strategy: sid, reason: reason.clone() });
        let why = format!("its strategy failed: {reason}");
        self.with_desk(|desk, _, io| desk.cancel_owned(sid, &why, io));
        let open: Vec<OrderId> = self.orders.open().filter(|o| o.strategy == sid).map(|o| o.id).collect();
        for id in open {
            self.send(VenueCommand::Cancel { order_id: id });
        }
    }
}

/// What a panic said, for the failure's reason.
pub(super) fn panic_message(payload: &(dyn Any + Send)) -> String {
    let text = match (payload.downcast_ref::<&str>(), payload.downcast_ref::<String>()) {
        (Some(s), _) => s,
        (_, Some(s)) => s.as_str(),
        _ => "a panic with no message",
    };
    format!("panicked: {text}")
}
