//! The backtest–live divergence report: can the backtest be trusted?
//!
//! A paper or live session recorded with `--record` (see
//! [`pyrt_live::recording`]) holds the kernel's inputs in the order it saw
//! them: market data, the venue's reports, the operator's actions. From
//! one recording this crate answers two questions.
//!
//! * **Replay** ([`replay`]): fed the recorded inputs, does the kernel with
//!   the same strategy make exactly the same decisions (orders, in order,
//!   and its own refusals)? Any difference is a determinism bug: in the
//!   strategy (wall-clock reads, randomness) or in the engine.
//! * **Realism** ([`realism`]): the backtester with its simulated venue on
//!   the recorded market data, against what really happened, order by
//!   order: orders missing or extra, fill price, quantity and time, and
//!   the P&L difference attributed to fees, latency, slippage and queue
//!   position, with what is left named as the path (a position the two
//!   runs no longer share).
//!
//! The replay's engine also gives the live books back exactly (it applied
//! the same reports), which is what realism compares the backtest with.

pub mod latency;
pub mod realism;
pub mod replay;

use pyrt_engine::{ChannelVenue, Engine, EngineConfig, Strategy};
use pyrt_live::recording::Recording;

pub use latency::Latency;
pub use realism::{Attribution, OrderDiff, RealismReport};
pub use replay::{Decision, ReplayReport};

/// Why a divergence report could not be made.
#[derive(Debug, thiserror::Error)]
pub enum DivergenceError {
    #[error("recorded event {seq}: {reason}")]
    BadEvent { seq: u64, reason: String },
    #[error("the replay stopped at event {seq}: {source}")]
    Replay { seq: u64, source: pyrt_engine::EngineError },
    #[error("the backtest stopped: {0}")]
    Backtest(pyrt_engine::EngineError),
    #[error("the recording's risk limits or adoption do not fit: {0}")]
    Limits(String),
    #[error("fees `{spec}`: {reason}")]
    Fees { spec: String, reason: String },
}

/// Both answers.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Divergence {
    pub replay: ReplayReport,
    pub realism: RealismReport,
}

impl Divergence {
    /// Replays `recording` and backtests it, with a fresh strategy from
    /// `strategy` for each. `fees`: the simulated venue's fee spec
    /// (`bps:10`); `None` takes the rate the live fills paid.
    /// `round_trip_ns`: the backtest's order round trip; `None` takes the
    /// median the recording measured (see [`latency`]).
    pub fn of(
        recording: &Recording,
        mut strategy: impl FnMut() -> Box<dyn Strategy>,
        fees: Option<&str>,
        round_trip_ns: Option<i64>,
    ) -> Result<Self, DivergenceError> {
        let (replay, live) = replay::replay(recording, strategy())?;
        let latency = Latency::of(recording, round_trip_ns);
        let realism = realism::compare(recording, &live, strategy(), fees, latency)?;
        Ok(Self { replay, realism })
    }
}

impl std::fmt::Display for Divergence {
    /// The table `pyrt divergence` prints.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let r = &self.replay;
        writeln!(
            f,
            "replay             {} ({} decisions recorded, {} replayed; {} market events, {} reports, {} operator actions)",
            if r.identical() { "identical" } else { "DIFFERS" },
            r.recorded_decisions,
            r.replayed_decisions,
            r.market_events,
            r.reports,
            r.operator_actions
        )?;
        for d in r.differences.iter().take(5) {
            let show = |x: &Option<Decision>| {
                x.as_ref()
                    .map_or("nothing".to_string(), |d| format!("{} {} at {}: {}", d.kind, d.order_id, d.ts, d.detail))
            };
            writeln!(f, "  decision {}: recorded {}; replayed {}", d.index, show(&d.recorded), show(&d.replayed))?;
        }
        let m = &self.realism;
        writeln!(f, "realism            backtest on the recorded market ({} venue, fees {})", m.venue, m.fees)?;
        let l = &m.latency;
        let ms = |ns: Option<i64>| ns.map_or("-".to_string(), |ns| format!("{:.3} ms", ns as f64 / 1e6));
        writeln!(
            f,
            "round trip         {} ({}: p50 {}, p90 {}, max {} over {} orders)",
            ms(Some(l.order_latency_ns + l.response_latency_ns)),
            l.source,
            ms(l.p50_ns),
            ms(l.p90_ns),
            ms(l.max_ns),
            l.samples
        )?;
        writeln!(f, "{:<18} {:>14} {:>14}", "", "live", "backtest")?;
        let rows = [
            ("orders", m.live.orders.to_string(), m.backtest.orders.to_string()),
            ("fills", m.live.fills.to_string(), m.backtest.fills.to_string()),
            ("filled quantity", m.live.filled_qty.to_string(), m.backtest.filled_qty.to_string()),
            ("fees", format!("{:.2}", m.live.fees), format!("{:.2}", m.backtest.fees)),
            ("P&L", format!("{:.2}", m.live.pnl), format!("{:.2}", m.backtest.pnl)),
        ];
        for (k, a, b) in rows {
            writeln!(f, "{k:<18} {a:>14} {b:>14}")?;
        }
        let a = &m.attribution;
        writeln!(f, "P&L difference     {:.2} (live - backtest)", a.total)?;
        for (k, v) in [
            ("fees", a.fees),
            ("latency", a.latency),
            ("slippage", a.slippage),
            ("queue position", a.queue_position),
            ("path", a.path),
        ] {
            writeln!(f, "  {k:<16} {v:>14.2}")?;
        }
        let differing = m.orders.iter().filter(|o| !o.categories.is_empty()).count();
        writeln!(f, "orders that differ {differing} of {}", m.orders.len())?;
        Ok(())
    }
}

/// The kernel as the recorded run had it, around `venue`, with the
/// backtest's `latency` (none for a replay, whose reports are recorded).
pub(crate) fn engine_like<V: pyrt_engine::Venue>(
    recording: &Recording,
    venue: V,
    strategy: Box<dyn Strategy>,
    latency: Option<&Latency>,
) -> Result<Engine<V>, DivergenceError> {
    let h = &recording.header;
    let (order_latency_ns, response_latency_ns) =
        latency.map_or((0, 0), |l| (l.order_latency_ns, l.response_latency_ns));
    let config = EngineConfig {
        initial_cash: h.initial_cash,
        account: h.account,
        order_latency_ns,
        response_latency_ns,
        ..EngineConfig::default()
    };
    let mut engine = Engine::new(h.instruments.clone(), venue, config);
    if let Some(limits) = h.risk_limits.clone() {
        engine.set_risk_limits(limits).map_err(|e| DivergenceError::Limits(e.to_string()))?;
    }
    engine.add_strategy(strategy);
    if let Some(adoption) = h.adoption.clone() {
        engine.adopt(adoption).map_err(|e| DivergenceError::Limits(format!("the recorded adoption: {e}")))?;
    }
    Ok(engine)
}

/// The live seam of the recorded run.
pub(crate) fn channel_venue(recording: &Recording) -> ChannelVenue {
    let mut venue = ChannelVenue::new(recording.header.instruments.clone());
    venue.set_native_notional(recording.header.native_notional);
    venue
}
