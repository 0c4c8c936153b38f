//! The equity curve, sampled so memory stays flat however long the run.
//!
//! Drawdown and exposure are tracked at full resolution (every event) in
//! O(1); the curve itself keeps one point per sampling bucket (the last
//! equity of each UTC day by default), which is what return statistics use.
//! A year of one-second bars therefore stores 365 points, not 31 million.

use pyrt_model::time::NANOS_PER_DAY;
use pyrt_model::{Money, UnixNanos};

/// How the equity curve is sampled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sampling {
    /// One point per event time: events at the same time (several
    /// instruments' bars of one day) leave one point, the equity after the
    /// last of them, when every instrument has its price of that time.
    EveryEvent,
    /// The last point of each bucket of this many nanoseconds (UTC-aligned).
    Bucket(i64),
}

impl Default for Sampling {
    fn default() -> Self {
        Sampling::Bucket(NANOS_PER_DAY)
    }
}

/// Equity over time, plus running drawdown and exposure.
#[derive(Debug, Clone)]
pub struct EquityRecorder {
    sampling: Sampling,
    points: Vec<(UnixNanos, Money)>,
    /// Start of the bucket after the current one: crossing it starts a new
    /// point (a comparison per event instead of a division).
    next_bucket: UnixNanos,
    peak: Money,
    peak_ts: UnixNanos,
    max_drawdown: f64,
    /// Equity below which the drawdown from `peak` exceeds `max_drawdown`:
    /// an integer compare per event instead of float arithmetic. `None`
    /// when stale (a new peak or a new maximum since it was computed).
    drawdown_floor: Option<Money>,
    max_drawdown_ts: UnixNanos,
    max_drawdown_duration: i64,
    events: u64,
    exposed_events: u64,
    first_ts: Option<UnixNanos>,
    last_ts: UnixNanos,
}

impl EquityRecorder {
    pub fn new(sampling: Sampling, initial: Money) -> Self {
        Self {
            sampling,
            points: Vec::new(),
            next_bucket: i64::MIN,
            peak: initial,
            peak_ts: 0,
            max_drawdown: 0.0,
            drawdown_floor: None,
            max_drawdown_ts: 0,
            max_drawdown_duration: 0,
            events: 0,
            exposed_events: 0,
            first_ts: None,
            last_ts: 0,
        }
    }

    /// Records equity at `ts`; `exposed` says whether any position is open.
    #[inline]
    pub fn record(&mut self, ts: UnixNanos, equity: Money, exposed: bool) {
        if self.first_ts.is_none() {
            self.first_ts = Some(ts);
            self.peak_ts = ts;
        }
        self.events += 1;
        self.exposed_events += exposed as u64;
        self.last_ts = ts;
        if equity >= self.peak {
            self.max_drawdown_duration = self.max_drawdown_duration.max(ts - self.peak_ts);
            if equity > self.peak {
                self.drawdown_floor = None;
            }
            self.peak = equity;
            self.peak_ts = ts;
        } else if self.peak.is_positive() {
            let floor = *self.drawdown_floor.get_or_insert_with(|| {
                // peak × (1 − max drawdown), nudged up: a floor a little high
                // only costs an exact check, a floor too low would miss one.
                let keep = self.peak.to_f64_approx() * (1.0 - self.max_drawdown) * (1.0 + 1e-12);
                Money::from_raw((keep * pyrt_model::fixed::MONEY_SCALE as f64) as i128)
            });
            if equity < floor {
                let dd = (self.peak - equity).ratio(self.peak);
                if dd > self.max_drawdown {
                    self.max_drawdown = dd;
                    self.max_drawdown_ts = ts;
                }
                self.drawdown_floor = None;
            }
        }
        match self.sampling {
            Sampling::EveryEvent => match self.points.last_mut() {
                Some(last) if last.0 == ts => last.1 = equity,
                _ => self.points.push((ts, equity)),
            },
            Sampling::Bucket(width) => {
                if ts < self.next_bucket {
                    *self.points.last_mut().expect("a bucket has a point") = (ts, equity);
                } else {
                    self.next_bucket = (ts.div_euclid(width) + 1) * width;
                    self.points.push((ts, equity));
                }
            }
        }
    }

    /// The sampled curve: `(time, equity)`.
    pub fn points(&self) -> &[(UnixNanos, Money)] {
        &self.points
    }
    /// Deepest fall from a running peak, as a fraction (0.25 = −25 %).
    pub fn max_drawdown(&self) -> f64 {
        self.max_drawdown
    }
    pub fn max_drawdown_ts(&self) -> UnixNanos {
        self.max_drawdown_ts
    }
    /// Longest time spent below a previous peak (an unrecovered drawdown
    /// counts up to the last event).
    pub fn max_drawdown_duration(&self) -> i64 {
        self.max_drawdown_duration.max(self.last_ts - self.peak_ts)
    }
    /// Fraction of events during which a position was open.
    pub fn exposure(&self) -> f64 {
        if self.events == 0 { 0.0 } else { self.exposed_events as f64 / self.events as f64 }
    }
    pub fn events(&self) -> u64 {
        self.events
    }
    pub fn span(&self) -> (UnixNanos, UnixNanos) {
        (self.first_ts.unwrap_or(0), self.last_ts)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn samples_the_last_point_of_each_day_and_tracks_drawdown_at_every_event() {
        let mut r = EquityRecorder::new(Sampling::default(), Money::from_int(100));
        let h = NANOS_PER_DAY / 24;
        r.record(0, Money::from_int(100), false);
        r.record(h, Money::from_int(120), true);
        r.record(2 * h, Money::from_int(90), true); // intraday low: -25 %
        r.record(3 * h, Money::from_int(110), true);
        r.record(NANOS_PER_DAY + h, Money::from_int(121), false);
        assert_eq!(r.points(), &[(3 * h, Money::from_int(110)), (NANOS_PER_DAY + h, Money::from_int(121))]);
        assert!((r.max_drawdown() - 0.25).abs() < 1e-12);
        assert_eq!(r.max_drawdown_ts(), 2 * h);
        assert_eq!(r.max_drawdown_duration(), NANOS_PER_DAY);
        assert!((r.exposure() - 0.6).abs() < 1e-12);
    }

    #[test]
    fn an_unrecovered_drawdown_lasts_to_the_end() {
        let mut r = EquityRecorder::new(Sampling::EveryEvent, Money::from_int(100));
        r.record(10, Money::from_int(100), false);
        r.record(20, Money::from_int(80), false);
        r.record(50, Money::from_int(90), false);
        assert_eq!(r.max_drawdown_duration(), 40);
        assert_eq!(r.points().len(), 3);
    }

    #[test]
    fn every_event_keeps_one_point_per_time() {
        // Three instruments' bars at t = 1, then at t = 2: the point of a
        // time is the equity after its last bar.
        let mut r = EquityRecorder::new(Sampling::EveryEvent, Money::from_int(100));
        for (t, e) in [(1, 100), (1, 97), (1, 101), (2, 102), (2, 99)] {
            r.record(t, Money::from_int(e), true);
        }
        assert_eq!(r.points(), [(1, Money::from_int(101)), (2, Money::from_int(99))]);
        assert_eq!(r.events(), 5);
    }
}
