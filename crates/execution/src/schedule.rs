//! TWAP and VWAP as one thing: a list of times, each with the fraction of
//! the parent that should be done once that time has come.
//!
//! TWAP's points are its slice times with fractions 1/N, 2/N, ...; VWAP's
//! are the starts of the profile's buckets with the expected volume up to
//! and including each bucket. The execution state machine only asks
//! "how much should be done by now" and "which point are we in", so it
//! does not care which algorithm produced the list.

use pyrt_model::{Quantity, Rate, UnixNanos};
use rand::{RngExt, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;

use crate::profile::VolumeProfile;

/// Times and cumulative target fractions, both increasing; the last
/// fraction is exactly 1.
#[derive(Debug, Clone, PartialEq)]
pub struct Schedule {
    points: Vec<(UnixNanos, f64)>,
}

impl Schedule {
    /// `slices` equal parts between `start` and `end`; slice *i* starts at
    /// its even time plus up to `jitter` × the interval, drawn from `seed`.
    pub fn twap(start: UnixNanos, end: UnixNanos, slices: u32, jitter: Rate, seed: u64) -> Self {
        let n = slices.max(1) as i64;
        let interval = (end - start) / n;
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
        let points = (0..n)
            .map(|i| {
                let delay = if jitter.is_positive() {
                    let u: f64 = rng.random();
                    (u * jitter.to_f64() * interval as f64) as i64
                } else {
                    0
                };
                let at = start + i * interval + delay.min(interval.saturating_sub(1));
                (at, (i + 1) as f64 / n as f64)
            })
            .collect();
        Self::from_points(points)
    }

    /// One point per profile bucket overlapping `[start, end)`, at the
    /// later of the bucket's start and `start`, with the profile's
    /// expected volume up to the end of that bucket.
    pub fn vwap(profile: &VolumeProfile, start: UnixNanos, end: UnixNanos) -> Self {
        let total = profile.expected_volume(start, end);
        let mut points = Vec::new();
        let mut done = 0.0;
        let mut at = start;
        while at < end {
            let bucket_end = profile.bucket_end(at).min(end);
            done += profile.expected_volume(at, bucket_end);
            if done > 0.0 {
                points.push((at, (done / total).min(1.0)));
            }
            at = bucket_end;
        }
        Self::from_points(points)
    }

    fn from_points(mut points: Vec<(UnixNanos, f64)>) -> Self {
        if let Some(last) = points.last_mut() {
            last.1 = 1.0;
        }
        Self { points }
    }

    /// How many points have come by `now` (0 before the first).
    pub fn reached(&self, now: UnixNanos) -> usize {
        self.points.partition_point(|(t, _)| *t <= now)
    }

    /// The fraction that should be done by `now`.
    pub fn fraction_at(&self, now: UnixNanos) -> f64 {
        match self.reached(now) {
            0 => 0.0,
            k => self.points[k - 1].1,
        }
    }

    /// The quantity of `total` that should be done by `now`, in whole
    /// `lot`s (all of it once the last point has come).
    pub fn target(&self, total: Quantity, lot: Quantity, now: UnixNanos) -> Quantity {
        let fraction = self.fraction_at(now);
        if fraction >= 1.0 {
            return total;
        }
        // Round to the raw unit first so 0.3 × 10 is 3, not 2.999...
        let raw = (total.raw() as f64 * fraction).round() as i64;
        Quantity::from_raw(raw).floor_to(lot)
    }

    pub fn points(&self) -> &[(UnixNanos, f64)] {
        &self.points
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIN: i64 = 60_000_000_000;

    #[test]
    fn twap_without_jitter_is_even() {
        let s = Schedule::twap(0, 10 * MIN, 5, Rate::ZERO, 1);
        let times: Vec<_> = s.points().iter().map(|p| p.0 / MIN).collect();
        assert_eq!(times, [0, 2, 4, 6, 8]);
        let lot = Quantity::from_int(1);
        let total = Quantity::from_int(10);
        assert_eq!(s.target(total, lot, -1), Quantity::ZERO);
        assert_eq!(s.target(total, lot, 0), Quantity::from_int(2));
        assert_eq!(s.target(total, lot, 5 * MIN), Quantity::from_int(6));
        assert_eq!(s.target(total, lot, 8 * MIN), total);
        // 3 of 10 slices of 10 lots is exactly 3 lots, not 2.
        let s = Schedule::twap(0, 10 * MIN, 10, Rate::ZERO, 1);
        assert_eq!(s.target(total, lot, 2 * MIN), Quantity::from_int(3));
    }

    #[test]
    fn twap_jitter_stays_inside_each_interval_and_depends_on_the_seed() {
        let jitter = "0.9".parse().unwrap();
        let a = Schedule::twap(0, 100 * MIN, 20, jitter, 7);
        for (i, (t, _)) in a.points().iter().enumerate() {
            let even = i as i64 * 5 * MIN;
            assert!(*t >= even && *t < even + 5 * MIN, "slice {i} at {t}");
        }
        assert_ne!(a, Schedule::twap(0, 100 * MIN, 20, jitter, 8));
        assert_eq!(a, Schedule::twap(0, 100 * MIN, 20, jitter, 7));
    }

    #[test]
    fn vwap_points_follow_the_profile() {
        // Four 6-hour buckets of a day with volume 1, 3, 4, 2.
        let p = VolumeProfile::from_weights(6 * 60 * MIN, vec![1.0, 3.0, 4.0, 2.0]).unwrap();
        let s = Schedule::vwap(&p, 0, 24 * 60 * MIN);
        let fractions: Vec<_> = s.points().iter().map(|p| p.1).collect();
        assert_eq!(fractions, [0.1, 0.4, 0.8, 1.0]);
        // A window starting mid-bucket gets the bucket's remaining share.
        let s = Schedule::vwap(&p, 3 * 60 * MIN, 18 * 60 * MIN);
        assert_eq!(s.points()[0], (3 * 60 * MIN, 0.5 / 7.5));
        assert_eq!(s.points().len(), 3);
    }
}
