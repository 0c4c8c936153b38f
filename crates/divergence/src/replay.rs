//! Replay: the recorded inputs, fed to the kernel again, must give the
//! same decisions.
//!
//! The inputs are the stream's `market` events (given to the kernel at
//! their recorded time, as the node gave them), its `report` events (each
//! delivered at the kernel time it was recorded at) and its `operator`
//! events (kill switch, resume, stop). Everything else in the stream is
//! what the kernel made of them; of that, the decisions are compared: each
//! order submitted (its id, request and time) and each order the kernel's
//! own checks refused (its id, code and time), in order.

use pyrt_engine::{ChannelVenue, Engine, MemorySink};
use pyrt_live::recording::{Recording, as_json};
use pyrt_model::{ExecutionReport, MarketEvent};
use serde::Serialize;
use serde_json::Value;

use crate::{DivergenceError, channel_venue, engine_like};

/// One decision of the kernel.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Decision {
    /// The kernel's clock when it decided (a replay reproduces it exactly).
    pub ts: i64,
    pub order_id: u64,
    /// `submit` (with the request) or `refuse` (with the denial code).
    pub kind: &'static str,
    pub detail: Value,
}

/// Where the recorded and replayed decisions part.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DecisionDiff {
    /// The position in the sequence of decisions.
    pub index: usize,
    pub recorded: Option<Decision>,
    pub replayed: Option<Decision>,
}

/// The replay's answer.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ReplayReport {
    /// Inputs replayed: market events, reports, operator actions.
    pub market_events: u64,
    pub reports: u64,
    pub operator_actions: u64,
    pub recorded_decisions: usize,
    pub replayed_decisions: usize,
    /// Every position where the two disagree (empty: deterministic).
    pub differences: Vec<DecisionDiff>,
}

impl ReplayReport {
    pub fn identical(&self) -> bool {
        self.differences.is_empty()
    }
}

/// The decisions in a stream, as JSON events.
pub fn decisions(events: &[Value]) -> Vec<Decision> {
    events
        .iter()
        .filter_map(|e| match e["event"]["type"].as_str()? {
            "order_submitted" => Some(Decision {
                ts: e["ts"].as_i64()?,
                order_id: e["event"]["order_id"].as_u64()?,
                kind: "submit",
                detail: e["event"]["request"].clone(),
            }),
            "order_rejected" if e["event"]["local"] == true => Some(Decision {
                ts: e["ts"].as_i64()?,
                order_id: e["event"]["order_id"].as_u64()?,
                kind: "refuse",
                detail: e["event"]["code"].clone(),
            }),
            _ => None,
        })
        .collect()
}

/// Replays `recording` with `strategy`; the report, and the engine, whose
/// books are the live run's.
pub fn replay(
    recording: &Recording,
    strategy: Box<dyn pyrt_engine::Strategy>,
) -> Result<(ReplayReport, Engine<ChannelVenue>), DivergenceError> {
    let mut engine = engine_like(recording, channel_venue(recording), strategy, None)?;
    let sink = MemorySink::default();
    engine.add_sink(Box::new(sink.clone()));
    let mut report = ReplayReport::default();
    for e in &recording.events {
        let seq = e["seq"].as_u64().unwrap_or(0);
        let bad = |reason: String| DivergenceError::BadEvent { seq, reason };
        let event = &e["event"];
        match event["type"].as_str() {
            Some("market") => {
                let market: MarketEvent =
                    serde_json::from_value(event["event"].clone()).map_err(|e| bad(e.to_string()))?;
                engine.process(&market).map_err(|source| DivergenceError::Replay { seq, source })?;
                report.market_events += 1;
            }
            Some("report") => {
                let r: ExecutionReport =
                    serde_json::from_value(event["report"].clone()).map_err(|e| bad(e.to_string()))?;
                let ts = e["ts"].as_i64().ok_or_else(|| bad("no ts".into()))?;
                engine.deliver(ts, [r]);
                report.reports += 1;
            }
            Some("operator") => {
                match event["action"]["action"].as_str() {
                    Some("kill_switch") => engine.kill_switch(event["action"]["flatten"] == true),
                    Some("resume_trading") => engine.resume_trading(),
                    Some("stop") => engine.stop(),
                    other => return Err(bad(format!("unknown operator action {other:?}"))),
                }
                report.operator_actions += 1;
            }
            Some(_) => {}
            None => return Err(bad("an event without a type".into())),
        }
        // Nothing goes out: the recorded reports stand for the venue.
        engine.venue_mut().take_commands();
    }
    let recorded = decisions(&recording.events);
    let replayed = decisions(&as_json(&sink.0.borrow()));
    report.recorded_decisions = recorded.len();
    report.replayed_decisions = replayed.len();
    for index in 0..recorded.len().max(replayed.len()) {
        let (a, b) = (recorded.get(index), replayed.get(index));
        if a != b {
            report.differences.push(DecisionDiff { index, recorded: a.cloned(), replayed: b.cloned() });
        }
    }
    Ok((report, engine))
}
