//! The built-in strategies, by name, with documented parameters.
//!
//! `pyrt strategies` prints [`catalog`]; `pyrt backtest --strategy NAME
//! --param k=v` goes through [`build`], which refuses unknown names,
//! unknown parameters and out-of-range values with a message saying what
//! is valid.

mod long_flat;
mod market_making;
pub mod model;
mod params;
mod scheduled;
mod signals;

use std::collections::BTreeMap;

pub use long_flat::{Decision, LongFlat, Signal};
pub use market_making::QuoteAtTouch;
pub use params::{ParamError, ParamSpec, Params};
use pyrt_engine::Strategy;
pub use scheduled::ScheduledSignal;
pub use signals::{BollingerBreakout, Momentum, RsiReversion, SmaCross};

/// A built-in strategy's name, description and parameters.
#[derive(Debug, Clone, Copy, serde::Serialize)]
pub struct StrategyInfo {
    pub name: &'static str,
    pub summary: &'static str,
    pub params: &'static [ParamSpec],
}

const fn param(name: &'static str, default: f64, integer: bool, min: f64, help: &'static str) -> ParamSpec {
    ParamSpec { name, default, integer, min, help }
}

const CATALOG: &[StrategyInfo] = &[
    StrategyInfo {
        name: "sma_cross",
        summary: "Long-only moving-average crossover: all in (notional market order) when the fast SMA crosses above the slow SMA, flat when it crosses below.",
        params: &[
            param("fast", 10.0, true, 1.0, "period of the fast simple moving average"),
            param("slow", 30.0, true, 2.0, "period of the slow simple moving average (> fast)"),
        ],
    },
    StrategyInfo {
        name: "rsi_reversion",
        summary: "Long-only mean reversion: all in when Wilder's RSI falls below `lower`, flat when it rises above `upper`.",
        params: &[
            param("period", 14.0, true, 2.0, "RSI period"),
            param("lower", 30.0, false, 0.0, "enter below this RSI level"),
            param("upper", 70.0, false, 0.0, "exit above this RSI level (> lower)"),
        ],
    },
    StrategyInfo {
        name: "bollinger_breakout",
        summary: "Long-only breakout: all in when the close is above the upper Bollinger band, flat when it is below the middle band.",
        params: &[
            param("period", 20.0, true, 2.0, "band period (SMA and standard deviation)"),
            param("k", 2.0, false, 0.0, "band width in standard deviations"),
        ],
    },
    StrategyInfo {
        name: "momentum",
        summary: "Long-only time-series momentum: all in when the rate of change over `lookback` bars exceeds `entry` %, flat when it drops below `exit` %.",
        params: &[
            param("lookback", 20.0, true, 1.0, "bars in the rate of change"),
            param("entry", 0.0, false, f64::MIN, "enter above this rate of change, in percent"),
            param("exit", 0.0, false, f64::MIN, "exit below this rate of change, in percent (<= entry)"),
        ],
    },
    StrategyInfo {
        name: "model",
        summary: "An ONNX model with its card (py_rt.ml.export), long or flat: computes the card's features on each bar, and once they are warmed up buys all in when the prediction is at least `enter` and closes when it is below `exit`. Give the card with `card=PATH`.",
        params: &[
            param("enter", 0.55, false, f64::MIN, "buy when flat and the prediction is at least this"),
            param("exit", 0.5, false, f64::MIN, "close when long and the prediction is below this (<= enter)"),
        ],
    },
];

/// Every built-in strategy.
pub fn catalog() -> &'static [StrategyInfo] {
    CATALOG
}

/// Builds a built-in strategy from its name and parameters (name → text).
pub fn build(name: &str, given: &BTreeMap<String, String>) -> Result<Box<dyn Strategy>, ParamError> {
    let info = CATALOG.iter().find(|i| i.name == name).ok_or_else(|| ParamError::UnknownStrategy {
        name: name.to_string(),
        available: CATALOG.iter().map(|i| i.name).collect::<Vec<_>>().join(", "),
    })?;
    // The model strategy's card is a path, the one parameter that is not a number.
    let mut given = given.clone();
    let card = if info.name == "model" { given.remove("card") } else { None };
    let p = Params::resolve(info.name, info.params, &given)?;
    let inconsistent = |message: String| ParamError::Inconsistent { strategy: info.name, message };
    Ok(match info.name {
        "sma_cross" => {
            let (fast, slow) = (p.period("fast"), p.period("slow"));
            if fast >= slow {
                return Err(inconsistent(format!("fast ({fast}) must be shorter than slow ({slow})")));
            }
            Box::new(LongFlat::new(move || SmaCross::new(fast, slow)))
        }
        "rsi_reversion" => {
            let (period, lower, upper) = (p.period("period"), p.get("lower"), p.get("upper"));
            if lower >= upper || upper > 100.0 {
                return Err(inconsistent(format!("need 0 <= lower < upper <= 100, got lower {lower}, upper {upper}")));
            }
            Box::new(LongFlat::new(move || RsiReversion::new(period, lower, upper)))
        }
        "bollinger_breakout" => {
            let (period, k) = (p.period("period"), p.get("k"));
            Box::new(LongFlat::new(move || BollingerBreakout::new(period, k)))
        }
        "momentum" => {
            let (lookback, entry, exit) = (p.period("lookback"), p.get("entry"), p.get("exit"));
            if exit > entry {
                return Err(inconsistent(format!("exit ({exit}) must not exceed entry ({entry})")));
            }
            Box::new(LongFlat::new(move || Momentum::new(lookback, entry, exit)))
        }
        "model" => {
            let (enter, exit) = (p.get("enter"), p.get("exit"));
            if exit > enter {
                return Err(inconsistent(format!("exit ({exit}) must not exceed enter ({enter})")));
            }
            let card = card.ok_or_else(|| {
                inconsistent("give the model card with card=PATH (py_rt.ml.export writes it)".to_string())
            })?;
            let predictor = model::open(std::path::Path::new(&card)).map_err(inconsistent)?;
            Box::new(LongFlat::new(move || model::ModelSignal::new(predictor.clone(), enter, exit)))
        }
        other => unreachable!("catalog entry {other} has no builder"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn given(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn every_catalog_entry_builds_with_defaults() {
        for info in catalog().iter().filter(|i| i.name != "model") {
            assert!(build(info.name, &BTreeMap::new()).is_ok(), "{}", info.name);
        }
        // The model strategy needs its card.
        let e = build("model", &BTreeMap::new()).err().unwrap().to_string();
        assert_eq!(e, "model: give the model card with card=PATH (py_rt.ml.export writes it)");
    }

    #[test]
    fn errors_say_what_is_valid() {
        let e = build("sma_crossover", &BTreeMap::new()).err().unwrap();
        assert!(e.to_string().contains("available: sma_cross, rsi_reversion"), "{e}");
        let e = build("sma_cross", &given(&[("fast", "30"), ("slow", "10")])).err().unwrap();
        assert_eq!(e.to_string(), "sma_cross: fast (30) must be shorter than slow (10)");
        let e = build("rsi_reversion", &given(&[("lower", "80")])).err().unwrap();
        assert!(e.to_string().contains("lower < upper"), "{e}");
    }
}
