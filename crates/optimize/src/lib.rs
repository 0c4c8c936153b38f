//! Parameter sweeps: the same strategy over the same bars, once per
//! parameter set, spread over every core.
//!
//! [`Backtester`] holds what does not change between runs (instruments,
//! venue and engine settings, risk limits, the events in memory) and runs
//! one strategy to completion. [`sweep`] runs a built-in strategy for each
//! parameter set on rayon's pool and keeps only each run's [`Stats`], so a
//! sweep of ten thousand runs holds ten thousand small structs, not ten
//! thousand trade logs.
//!
//! Runs are independent and deterministic: a sweep's results do not depend
//! on the number of threads or their scheduling, and equal a one-off run
//! with the same settings.

use std::collections::BTreeMap;

use pyrt_analytics::{Stats, equity_points, stats_of};
use pyrt_engine::{Engine, EngineConfig, Strategy};
use pyrt_model::{Instrument, MarketEvent, Money};
use pyrt_risk::RiskLimits;
use pyrt_sim::{SimConfig, SimVenue};
use pyrt_strategies::ParamError;
use rayon::prelude::*;

/// Everything about a backtest except the strategy.
#[derive(Debug, Clone)]
pub struct Backtester<'a> {
    pub instruments: Vec<Instrument>,
    pub sim: SimConfig,
    pub engine: EngineConfig,
    pub risk: Option<RiskLimits>,
    /// Time-ordered market events.
    pub events: &'a [MarketEvent],
}

impl Backtester<'_> {
    /// Runs `strategy` over every event and stops the engine.
    pub fn run(&self, strategy: Box<dyn Strategy>) -> Result<Engine<SimVenue>, String> {
        self.run_while(strategy, || true)
    }

    /// Like [`Backtester::run`], but checks `keep_going` after each event
    /// and stops early (still stopping the engine) when it says no; the
    /// Python bridge uses it to end a run on a strategy's exception.
    pub fn run_while(
        &self,
        strategy: Box<dyn Strategy>,
        keep_going: impl FnMut() -> bool,
    ) -> Result<Engine<SimVenue>, String> {
        self.run_several(vec![(strategy, None)], keep_going)
    }

    /// Runs several strategies in one account, each with capital of its
    /// own (`Some`: a sleeve of the account, see `pyrt_engine::sleeves`) or
    /// trading the whole account (`None`), checking `keep_going` after each
    /// event as [`Backtester::run_while`] does.
    pub fn run_several(
        &self,
        strategies: Vec<(Box<dyn Strategy>, Option<Money>)>,
        keep_going: impl FnMut() -> bool,
    ) -> Result<Engine<SimVenue>, String> {
        match self.run_until_stopped(strategies, keep_going)? {
            (engine, None) => Ok(engine),
            (_, Some(stopped)) => Err(stopped),
        }
    }

    /// Like [`Backtester::run_several`], but an error that stops the run
    /// (a failing strategy, an account overflow) comes back beside the
    /// engine as it was then, so a caller can report the run up to it.
    /// Only set-up errors (risk limits, allocations) are `Err`.
    #[allow(clippy::type_complexity)]
    pub fn run_until_stopped(
        &self,
        strategies: Vec<(Box<dyn Strategy>, Option<Money>)>,
        mut keep_going: impl FnMut() -> bool,
    ) -> Result<(Engine<SimVenue>, Option<String>), String> {
        let venue = SimVenue::new(self.instruments.clone(), self.sim.clone());
        let mut engine = Engine::new(self.instruments.clone(), venue, self.engine.clone());
        if let Some(limits) = &self.risk {
            engine = engine.with_risk(limits.clone()).map_err(|e| format!("risk limits: {e}"))?;
        }
        for (strategy, capital) in strategies {
            match capital {
                None => {
                    engine.add_strategy(strategy);
                }
                Some(capital) => {
                    engine.add_strategy_with_capital(strategy, capital).map_err(|e| e.to_string())?;
                }
            }
        }
        let events = self.events.iter().map(|e| Ok::<_, std::convert::Infallible>(*e));
        let stopped = match engine.replay(events, |_| keep_going()) {
            Ok(_) => None,
            Err(e) => {
                engine.stop();
                Some(format!("the backtest stopped: {e}"))
            }
        };
        Ok((engine, stopped))
    }
}

/// What one parameter set gave.
#[derive(Debug, Clone)]
pub enum Outcome {
    Ran(Box<Stats>),
    /// The parameters are valid one by one but not together (e.g. `fast >=
    /// slow`); a grid usually contains such points, so they are reported,
    /// not fatal.
    Skipped(String),
}

/// Runs built-in strategy `name` once per parameter set, in parallel.
///
/// Fails before running anything when a parameter set names an unknown
/// strategy or parameter, or a value out of range, since that is a typo
/// rather than a point of the grid; inconsistent combinations are
/// [`Outcome::Skipped`]. `progress` is called after each run with the
/// number finished so far (from worker threads).
pub fn sweep(
    bt: &Backtester,
    name: &str,
    sets: &[BTreeMap<String, String>],
    risk_free: f64,
    progress: &(dyn Fn(usize) + Sync),
) -> Result<Vec<Outcome>, String> {
    for set in sets {
        match pyrt_strategies::build(name, set) {
            Ok(_) | Err(ParamError::Inconsistent { .. }) => {}
            Err(e) => return Err(e.to_string()),
        }
    }
    let done = std::sync::atomic::AtomicUsize::new(0);
    sets.par_iter()
        .map(|set| {
            let outcome = match pyrt_strategies::build(name, set) {
                Err(e) => Ok(Outcome::Skipped(e.to_string())),
                Ok(strategy) => bt.run(strategy).map(|engine| {
                    let equity = equity_points(&engine);
                    Outcome::Ran(Box::new(stats_of(&engine, &equity, risk_free)))
                }),
            };
            progress(done.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1);
            outcome
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use pyrt_analytics::RunReport;
    use pyrt_data::{GbmBars, GbmParams};
    use pyrt_model::{InstrumentId, Money, Price, Quantity};

    /// Seeded GBM bars: a thousand days with crosses both ways.
    fn events() -> Vec<MarketEvent> {
        let params = GbmParams { seed: 11, ..GbmParams::default() };
        GbmBars::new(params).take(1000).map(|r| r.unwrap_or_else(|never| match never {})).collect()
    }

    fn backtester(events: &[MarketEvent]) -> Backtester<'_> {
        Backtester {
            instruments: vec![Instrument::new(
                InstrumentId(0),
                "X",
                Price::from_raw(10_000_000),
                Quantity::from_int(1),
            )],
            sim: SimConfig::default(),
            engine: EngineConfig { initial_cash: Money::from_int(100_000), ..EngineConfig::default() },
            risk: None,
            events,
        }
    }

    fn set(fast: u32, slow: u32) -> BTreeMap<String, String> {
        [("fast".to_string(), fast.to_string()), ("slow".to_string(), slow.to_string())].into()
    }

    #[test]
    fn sweep_equals_one_off_runs_and_skips_inconsistent_points() {
        let events = events();
        let bt = backtester(&events);
        let sets = vec![set(5, 20), set(20, 5), set(10, 30)];
        let out = sweep(&bt, "sma_cross", &sets, 0.0, &|_| {}).unwrap();
        assert!(matches!(&out[1], Outcome::Skipped(m) if m.contains("must be shorter")));
        for i in [0, 2] {
            let Outcome::Ran(stats) = &out[i] else { panic!("{i} did not run") };
            let one = bt.run(pyrt_strategies::build("sma_cross", &sets[i]).unwrap()).unwrap();
            let report = RunReport::from_engine(&one, 0.0);
            assert_eq!(**stats, report.stats);
            assert!(stats.num_fills > 0);
        }
    }

    #[test]
    fn typos_fail_the_whole_sweep() {
        let events = events();
        let bt = backtester(&events);
        let mut bad = set(5, 20);
        bad.insert("fsat".into(), "3".into());
        let e = sweep(&bt, "sma_cross", &[set(5, 20), bad], 0.0, &|_| {}).unwrap_err();
        assert!(e.contains("unknown parameter `fsat`"), "{e}");
    }
}
