//! The shape of bars: where the close sits in the bar's range, how large
//! the range is, range-based volatility, and the bar's calendar position.
//!
//! All are ratios or counts, so they mean the same on any instrument and
//! price level, which is what a model trained on several needs.

use super::{Candle, CandleIndicator};
use crate::{Indicator, IndicatorError, Sma, check_period};

/// A measure of one bar on its own (no window).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BarShape {
    /// Close location value: `((c − l) − (h − c)) / (h − l)`, in [−1, 1];
    /// 0 for a bar with no range.
    Clv,
    /// Body over range: `(c − o) / (h − l)`, in [−1, 1]; 0 with no range.
    Body,
    /// Upper shadow over range: `(h − max(o, c)) / (h − l)`; 0 with no range.
    UpperShadow,
    /// Lower shadow over range: `(min(o, c) − l) / (h − l)`; 0 with no range.
    LowerShadow,
}

impl BarShape {
    #[inline]
    pub fn of(self, c: &Candle) -> f64 {
        let range = c.high - c.low;
        if range == 0.0 {
            return 0.0;
        }
        match self {
            BarShape::Clv => ((c.close - c.low) - (c.high - c.close)) / range,
            BarShape::Body => (c.close - c.open) / range,
            BarShape::UpperShadow => (c.high - c.open.max(c.close)) / range,
            BarShape::LowerShadow => (c.open.min(c.close) - c.low) / range,
        }
    }
}

impl CandleIndicator for BarShape {
    type Output = f64;
    fn update(&mut self, c: &Candle) -> Option<f64> {
        Some(self.of(c))
    }
    fn reset(&mut self) {}
}

/// The opening gap: `open / previous close − 1`, from the second bar.
#[derive(Debug, Clone, Default)]
pub struct Gap {
    previous_close: Option<f64>,
}

impl CandleIndicator for Gap {
    type Output = f64;
    fn update(&mut self, c: &Candle) -> Option<f64> {
        self.previous_close.replace(c.close).map(|p| c.open / p - 1.0)
    }
    fn reset(&mut self) {
        self.previous_close = None;
    }
}

/// Which per-bar quantity [`RangeAverage`] averages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RangeMeasure {
    /// `(h − l) / c`: the bar's range relative to its close.
    Relative,
    /// Parkinson's estimator: `ln(h / l)² / (4 ln 2)`; reported as the
    /// square root of its average, a per-bar volatility.
    Parkinson,
    /// Garman–Klass: `½ ln(h / l)² − (2 ln 2 − 1) ln(c / o)²`; reported as
    /// the square root of its average (0 if the average is negative).
    GarmanKlass,
}

/// A per-bar range quantity averaged over `period` bars (TA-Lib's SMA
/// arithmetic). The volatility estimators are per bar, not annualised.
#[derive(Debug, Clone)]
pub struct RangeAverage {
    measure: RangeMeasure,
    mean: Sma,
}

impl RangeAverage {
    pub fn new(measure: RangeMeasure, period: usize) -> Result<Self, IndicatorError> {
        check_period("RANGE", period, 1)?;
        Ok(Self { measure, mean: Sma::new(period)? })
    }
}

impl CandleIndicator for RangeAverage {
    type Output = f64;
    #[inline]
    fn update(&mut self, c: &Candle) -> Option<f64> {
        let hl = (c.high / c.low).ln();
        let term = match self.measure {
            RangeMeasure::Relative => (c.high - c.low) / c.close,
            RangeMeasure::Parkinson => hl * hl / (4.0 * std::f64::consts::LN_2),
            RangeMeasure::GarmanKlass => {
                let co = (c.close / c.open).ln();
                0.5 * hl * hl - (2.0 * std::f64::consts::LN_2 - 1.0) * co * co
            }
        };
        let mean = self.mean.update(term)?;
        Some(match self.measure {
            RangeMeasure::Relative => mean,
            _ => mean.max(0.0).sqrt(),
        })
    }
    fn reset(&mut self) {
        self.mean.reset();
    }
}

/// A field of the bar's time, in UTC, as a number a model can split on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CalendarField {
    /// Day of the week, Monday 0 … Sunday 6.
    DayOfWeek,
    /// Day of the month, 1 … 31.
    DayOfMonth,
    /// Month, 1 … 12.
    Month,
    /// Hour of the day, 0 … 23.
    Hour,
    /// Minute of the hour, 0 … 59.
    Minute,
    /// Minute of the day, 0 … 1439.
    MinuteOfDay,
}

impl CalendarField {
    /// The field of a timestamp in nanoseconds since the epoch.
    pub fn of(self, ts: i64) -> f64 {
        use chrono::{Datelike, Timelike};
        let t = chrono::DateTime::from_timestamp_nanos(ts);
        (match self {
            CalendarField::DayOfWeek => t.weekday().num_days_from_monday(),
            CalendarField::DayOfMonth => t.day(),
            CalendarField::Month => t.month(),
            CalendarField::Hour => t.hour(),
            CalendarField::Minute => t.minute(),
            CalendarField::MinuteOfDay => t.hour() * 60 + t.minute(),
        }) as f64
    }
}

impl CandleIndicator for CalendarField {
    type Output = f64;
    fn update(&mut self, c: &Candle) -> Option<f64> {
        Some(self.of(c.ts))
    }
    fn reset(&mut self) {}
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bar(open: f64, high: f64, low: f64, close: f64) -> Candle {
        Candle { ts: 0, open, high, low, close, volume: 1.0 }
    }

    #[test]
    fn shapes_of_a_bar() {
        let c = bar(10.0, 14.0, 9.0, 13.0);
        assert_eq!(BarShape::Clv.of(&c), (4.0 - 1.0) / 5.0);
        assert_eq!(BarShape::Body.of(&c), 3.0 / 5.0);
        assert_eq!(BarShape::UpperShadow.of(&c), 1.0 / 5.0);
        assert_eq!(BarShape::LowerShadow.of(&c), 1.0 / 5.0);
        assert_eq!(BarShape::Clv.of(&bar(5.0, 5.0, 5.0, 5.0)), 0.0);
        let mut g = Gap::default();
        assert_eq!(g.update(&c), None);
        assert_eq!(g.update(&bar(13.65, 14.0, 13.0, 13.5)), Some(13.65 / 13.0 - 1.0));
    }

    #[test]
    fn range_volatility_of_a_known_bar() {
        let c = bar(100.0, 110.0, 100.0, 105.0);
        let mut p = RangeAverage::new(RangeMeasure::Parkinson, 1).unwrap();
        let want = (1.1f64.ln().powi(2) / (4.0 * 2f64.ln())).sqrt();
        assert!((p.update(&c).unwrap() - want).abs() < 1e-15);
        let mut r = RangeAverage::new(RangeMeasure::Relative, 2).unwrap();
        assert_eq!(r.update(&c), None);
        assert_eq!(r.update(&c), Some(10.0 / 105.0));
    }

    #[test]
    fn calendar_fields_in_utc() {
        // 2024-03-15 (a Friday) 13:45:00 UTC.
        let ts = 1_710_510_300_000_000_000;
        let f = |field: CalendarField| field.of(ts);
        assert_eq!(f(CalendarField::DayOfWeek), 4.0);
        assert_eq!(f(CalendarField::DayOfMonth), 15.0);
        assert_eq!(f(CalendarField::Month), 3.0);
        assert_eq!(f(CalendarField::Hour), 13.0);
        assert_eq!(f(CalendarField::Minute), 45.0);
        assert_eq!(f(CalendarField::MinuteOfDay), 825.0);
    }
}
