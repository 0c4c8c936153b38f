//! Refused orders, counted by reason.
//!
//! A rejected order is an answer, not an error: the run goes on and the
//! strategy hears of it in `on_order_update`. But a run whose orders were
//! refused must say so in its result, not only in a row of its order table,
//! or a researcher reads a quiet equity curve as "the strategy did nothing
//! wrong". Every rejection, local (risk, account and instrument checks) or
//! from a venue, is counted here by its code, with the first few of each
//! code kept as examples, whatever the run's history limit forgets.

use std::collections::BTreeMap;

use pyrt_model::time::format_timestamp;
use pyrt_model::{OrderId, UnixNanos};
use serde::Serialize;

/// The code of a rejection that came from a venue rather than the engine's
/// own checks (whose codes are `pyrt_risk::DenialCode`s).
pub const VENUE_REJECTED: &str = "VENUE_REJECTED";

/// How many examples of each code are kept.
const EXAMPLES_PER_CODE: u64 = 3;

/// One refused order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Rejection {
    pub order_id: OrderId,
    pub ts: UnixNanos,
    /// `INSUFFICIENT_POSITION`, `MAX_ORDER_NOTIONAL`, …, or [`VENUE_REJECTED`].
    pub code: &'static str,
    /// The full reason, as the strategy was told.
    pub reason: String,
}

/// Every rejection of a run: the count by code and the first examples.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Rejections {
    pub total: u64,
    /// Code → how many orders were refused with it.
    pub by_code: BTreeMap<&'static str, u64>,
    /// The first rejections of each code, in the order they happened.
    pub examples: Vec<Rejection>,
    /// Orders a strategy sent before the run's trading started (the
    /// warm-up of a walk-forward window); not in `total`.
    #[serde(skip_serializing_if = "is_zero")]
    pub warming_up: u64,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

impl Rejections {
    pub(crate) fn record(&mut self, order_id: OrderId, ts: UnixNanos, code: &'static str, reason: &str) {
        if code == "WARMING_UP" {
            // By design, not a rejection: counted apart.
            self.warming_up += 1;
            return;
        }
        self.total += 1;
        let seen = self.by_code.entry(code).or_insert(0);
        *seen += 1;
        if *seen <= EXAMPLES_PER_CODE {
            self.examples.push(Rejection { order_id, ts, code, reason: reason.to_string() });
        }
    }

    pub fn is_empty(&self) -> bool {
        self.total == 0
    }

    /// The first rejection of the run.
    pub fn first(&self) -> Option<&Rejection> {
        self.examples.first()
    }

    /// One line for a person: `3 orders rejected (INSUFFICIENT_CASH 2,
    /// VENUE_REJECTED 1); first: O-4 at 2024-01-02 00:00:00: <reason>`.
    pub fn describe(&self) -> String {
        if self.is_empty() {
            return "no orders rejected".into();
        }
        let counts: Vec<String> = self.by_code.iter().map(|(code, n)| format!("{code} {n}")).collect();
        let plural = if self.total == 1 { "" } else { "s" };
        let mut line = format!("{} order{plural} rejected ({})", self.total, counts.join(", "));
        if let Some(first) = self.first() {
            let at = format_timestamp(first.ts);
            line.push_str(&format!("; first: {} at {at}: {}", first.order_id, first.reason));
        }
        line
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_every_rejection_and_keeps_the_first_examples_of_each_code() {
        let mut r = Rejections::default();
        for i in 0..5 {
            r.record(OrderId(i + 1), i as i64, "INSUFFICIENT_CASH", "no cash");
        }
        r.record(OrderId(9), 9, VENUE_REJECTED, "post-only order would take liquidity");
        assert_eq!(r.total, 6);
        assert_eq!(r.by_code["INSUFFICIENT_CASH"], 5);
        assert_eq!(r.by_code[VENUE_REJECTED], 1);
        assert_eq!(r.examples.len(), 4, "three of the first code, one of the second");
        assert_eq!(r.first().unwrap().order_id, OrderId(1));
        assert_eq!(
            r.describe(),
            "6 orders rejected (INSUFFICIENT_CASH 5, VENUE_REJECTED 1); first: O-1 at 1970-01-01 00:00:00: no cash"
        );
    }
}
