//! The order round trip a recorded session saw, for the realism backtest.
//!
//! A recording holds, on the kernel's clock, when each order left
//! (`order_submitted`) and when the venue's first answer about it reached
//! the kernel (the next `report` naming it: an ack, a fill or a refusal).
//! The difference is the round trip as the strategy lived it: the network
//! both ways, the venue's own time and the node's. The backtest replays it
//! split evenly: half before the order reaches the simulated venue, half
//! before its answers reach the strategy. A backtest with no latency is
//! asked for with a round trip of zero.

use std::collections::HashMap;

use pyrt_live::recording::Recording;
use serde::Serialize;

/// The round trips measured, and what the backtest used.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Latency {
    /// `measured` (from the recording), `given` (by the caller), or `none`
    /// (nothing measured: no order was answered).
    pub source: &'static str,
    /// Orders whose first answer the recording holds.
    pub samples: usize,
    pub p50_ns: Option<i64>,
    pub p90_ns: Option<i64>,
    pub max_ns: Option<i64>,
    /// The backtest's: the way to the venue, and the answer's way back.
    pub order_latency_ns: i64,
    pub response_latency_ns: i64,
}

impl Latency {
    /// What the backtest of `recording` uses: `round_trip_ns` when given,
    /// else the median round trip the recording measured.
    pub fn of(recording: &Recording, round_trip_ns: Option<i64>) -> Self {
        let mut trips = round_trips(recording);
        trips.sort_unstable();
        let at = |q: f64| (!trips.is_empty()).then(|| trips[((trips.len() - 1) as f64 * q).round() as usize]);
        let (p50, p90, max) = (at(0.5), at(0.9), trips.last().copied());
        let (source, trip) = match (round_trip_ns, p50) {
            (Some(given), _) => ("given", given.max(0)),
            (None, Some(p50)) => ("measured", p50),
            (None, None) => ("none", 0),
        };
        let order_latency_ns = trip / 2;
        Self {
            source,
            samples: trips.len(),
            p50_ns: p50,
            p90_ns: p90,
            max_ns: max,
            order_latency_ns,
            response_latency_ns: trip - order_latency_ns,
        }
    }
}

/// The longest round trip a caller may give: a day, in milliseconds.
pub const MAX_ROUND_TRIP_MS: f64 = 86_400_000.0;

/// A round trip given in milliseconds, as nanoseconds; `None` unless it is
/// a number from 0 to [`MAX_ROUND_TRIP_MS`].
pub fn round_trip_ns(ms: f64) -> Option<i64> {
    (0.0..=MAX_ROUND_TRIP_MS).contains(&ms).then(|| (ms * 1e6).round() as i64)
}

/// Each answered order's round trip (ns), in submission order.
pub fn round_trips(recording: &Recording) -> Vec<i64> {
    let mut sent: HashMap<u64, i64> = HashMap::new();
    let mut trips = Vec::new();
    for e in &recording.events {
        let (event, ts) = (&e["event"], e["ts"].as_i64());
        let Some(ts) = ts else { continue };
        match event["type"].as_str() {
            Some("order_submitted") => {
                if let Some(id) = event["order_id"].as_u64() {
                    sent.insert(id, ts);
                }
            }
            Some("report") => {
                let id = event["report"]["order_id"].as_u64();
                if let Some(at) = id.and_then(|id| sent.remove(&id)) {
                    trips.push((ts - at).max(0));
                }
            }
            _ => {}
        }
    }
    trips
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn recording(events: Vec<serde_json::Value>) -> Recording {
        let header = pyrt_live::recording::RecordingHeader::new(
            Vec::new(),
            pyrt_model::Money::ZERO,
            pyrt_engine::AccountKind::Cash,
            pyrt_live::recording::RecordedStrategy {
                name: "x".into(),
                params: Default::default(),
                kind: "builtin".into(),
            },
        );
        Recording { header, events }
    }

    fn submitted(ts: i64, id: u64) -> serde_json::Value {
        json!({"seq": 0, "ts": ts, "event": {"type": "order_submitted", "order_id": id}})
    }

    fn report(ts: i64, id: u64) -> serde_json::Value {
        json!({"seq": 0, "ts": ts, "event": {"type": "report", "report": {"kind": "accepted", "order_id": id, "ts": ts}}})
    }

    #[test]
    fn the_first_answer_about_each_order_times_its_round_trip() {
        let events = vec![
            submitted(1_000, 1),
            submitted(1_500, 2),
            report(4_000, 1), // 3,000
            report(9_000, 1), // a later answer: not a round trip
            report(2_500, 2), // 1,000
            submitted(10_000, 3),
            report(20_000, 3),    // 10,000
            submitted(30_000, 4), // never answered
        ];
        let r = recording(events);
        assert_eq!(round_trips(&r), vec![3_000, 1_000, 10_000]);
        let l = Latency::of(&r, None);
        assert_eq!((l.source, l.samples, l.p50_ns, l.max_ns), ("measured", 3, Some(3_000), Some(10_000)));
        assert_eq!((l.order_latency_ns, l.response_latency_ns), (1_500, 1_500));
        let given = Latency::of(&r, Some(7));
        assert_eq!((given.source, given.order_latency_ns, given.response_latency_ns), ("given", 3, 4));
        let none = Latency::of(&recording(Vec::new()), None);
        assert_eq!((none.source, none.samples, none.order_latency_ns), ("none", 0, 0));
    }
}
