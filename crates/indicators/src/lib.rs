//! Streaming technical indicators: one value in, one value out, O(1) each.
//!
//! Every indicator follows TA-Lib's conventions (warm-up length, seeding)
//! so a value computed live equals the value computed in research. Each
//! streaming type has a batch twin over a slice that yields the identical
//! numbers (`NaN` during warm-up, as TA-Lib and pandas do).
//!
//! Indicators are statistics, so they work in `f64`; money never does.

mod adaptive;
mod average;
mod candle;
mod directional;
mod distribution;
pub mod features;
pub mod kernels;
mod oscillator;
mod stats;
mod wilder;
mod window;

pub use adaptive::{Kama, T3};
pub use average::{Dema, Ema, ExactSma, Sma, Tema, Trima, Wma};
pub use candle::{
    Ad, AdOsc, Aroon, AroonValue, Atr, Bands, BarShape, CalendarField, Candle, CandleIndicator, Cci, Donchian, Gap,
    Keltner, Mfi, Natr, Obv, RangeAverage, RangeMeasure, Sar, Stoch, StochF, StochValue, TrueRange, UltOsc, Vwap,
    WillR, batch_candles,
};
pub use directional::{Directional, DirectionalValue};
pub use distribution::{Efficiency, Moment, ReturnMoment, RollingRank, UpFraction};
pub use features::{CatalogEntry, Columns, FeaturePipeline, FeatureSpec, SpecError, compute_columns};
pub use oscillator::{Macd, MacdValue, Mom, Ppo, Rsi, StochRsi, Trix, rsi};
pub use stats::{Beta, Correl, LinRegSlope, LogReturn, RealizedVol, ZScore};
pub use window::{Bollinger, BollingerValue, Roc, RollingStd};

/// A streaming indicator over one input series.
pub trait Indicator {
    /// Feeds the next value; returns the indicator once it is warmed up.
    fn update(&mut self, value: f64) -> Option<f64>;
    /// Whether enough values were seen to produce output.
    fn is_ready(&self) -> bool;
    /// Forgets everything seen.
    fn reset(&mut self);
}

/// Runs a streaming indicator over a slice: `NaN` until it is ready.
pub fn batch<I: Indicator>(mut indicator: I, values: &[f64]) -> Vec<f64> {
    values.iter().map(|&v| indicator.update(v).unwrap_or(f64::NAN)).collect()
}

/// Why an indicator could not be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IndicatorError {
    #[error("{name}: period must be at least {min}, got {got}")]
    Period { name: &'static str, min: usize, got: usize },
    #[error("{name}: {message}")]
    Parameter { name: &'static str, message: &'static str },
}

pub(crate) fn check_period(name: &'static str, period: usize, min: usize) -> Result<(), IndicatorError> {
    if period < min { Err(IndicatorError::Period { name, min, got: period }) } else { Ok(()) }
}
