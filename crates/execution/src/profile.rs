//! The intraday volume profile a VWAP parent follows.
//!
//! Markets trade more at some hours than others (the open and close of an
//! equity session, the US afternoon in crypto). A profile is the share of a
//! day's volume that falls in each bucket of the UTC day, learned by
//! averaging historical bars: VWAP then trades in proportion, so its
//! average price tracks the market's volume-weighted price.

use pyrt_model::time::NANOS_PER_DAY;
use pyrt_model::{Bar, UnixNanos};

/// The share of a day's volume in each bucket of the UTC day.
#[derive(Debug, Clone, PartialEq)]
pub struct VolumeProfile {
    bucket_ns: i64,
    /// One per bucket; they sum to 1.
    shares: Vec<f64>,
}

impl VolumeProfile {
    /// Learns the profile from `bars`: each bar's volume is added to the
    /// bucket of the day its timestamp falls in.
    pub fn learn<'a>(bars: impl IntoIterator<Item = &'a Bar>, bucket_ns: i64) -> Result<Self, ProfileError> {
        let buckets = bucket_count(bucket_ns)?;
        let mut volume = vec![0.0; buckets];
        for bar in bars {
            let of_day = bar.ts_event.rem_euclid(NANOS_PER_DAY);
            volume[(of_day / bucket_ns) as usize] += bar.volume.to_f64();
        }
        Self::from_weights(bucket_ns, volume)
    }

    /// A profile from one weight per bucket (any scale; they are
    /// normalised). Weights must be finite and not negative, and not all 0.
    pub fn from_weights(bucket_ns: i64, weights: Vec<f64>) -> Result<Self, ProfileError> {
        let buckets = bucket_count(bucket_ns)?;
        if weights.len() != buckets {
            return Err(ProfileError::WeightCount { got: weights.len(), want: buckets });
        }
        if let Some((i, w)) = weights.iter().enumerate().find(|(_, w)| !w.is_finite() || **w < 0.0) {
            return Err(ProfileError::BadWeight { bucket: i, weight: *w });
        }
        let total: f64 = weights.iter().sum();
        if total <= 0.0 {
            return Err(ProfileError::NoVolume);
        }
        Ok(Self { bucket_ns, shares: weights.iter().map(|w| w / total).collect() })
    }

    pub fn bucket_ns(&self) -> i64 {
        self.bucket_ns
    }

    /// The share of a day's volume in each bucket, from midnight UTC.
    pub fn shares(&self) -> &[f64] {
        &self.shares
    }

    /// Where the bucket holding `ts` ends.
    pub fn bucket_end(&self, ts: UnixNanos) -> UnixNanos {
        ts - ts.rem_euclid(self.bucket_ns) + self.bucket_ns
    }

    /// Expected volume in `[start, end)` in days' volumes; a bucket partly
    /// inside counts in proportion to the part inside.
    pub fn expected_volume(&self, start: UnixNanos, end: UnixNanos) -> f64 {
        let mut total = 0.0;
        let mut at = start;
        while at < end {
            let bucket_end = self.bucket_end(at).min(end);
            let bucket = (at.rem_euclid(NANOS_PER_DAY) / self.bucket_ns) as usize;
            total += self.shares[bucket] * (bucket_end - at) as f64 / self.bucket_ns as f64;
            at = bucket_end;
        }
        total
    }
}

fn bucket_count(bucket_ns: i64) -> Result<usize, ProfileError> {
    if bucket_ns <= 0 || NANOS_PER_DAY % bucket_ns != 0 {
        return Err(ProfileError::BucketSize(bucket_ns));
    }
    Ok((NANOS_PER_DAY / bucket_ns) as usize)
}

/// Why a profile could not be made.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ProfileError {
    #[error("volume profile bucket of {0} ns does not divide a day: use e.g. 1, 5, 15, 30 or 60 minutes")]
    BucketSize(i64),
    #[error("volume profile has {got} weights but the bucket size gives {want} buckets per day")]
    WeightCount { got: usize, want: usize },
    #[error("volume profile weight of bucket {bucket} is {weight}: weights must be finite and not negative")]
    BadWeight { bucket: usize, weight: f64 },
    #[error("volume profile has no volume: learn it from bars that have volume")]
    NoVolume,
}

#[cfg(test)]
mod tests {
    use super::*;
    use pyrt_model::{InstrumentId, Price, Quantity};

    const HOUR: i64 = 3_600_000_000_000;

    fn bar(ts: i64, volume: i64) -> Bar {
        Bar::flat(InstrumentId(0), ts, Price::from_int(1), Quantity::from_int(volume))
    }

    #[test]
    fn learns_shares_by_hour_of_day_across_days() {
        let bars = [bar(HOUR, 10), bar(2 * HOUR + 5, 30), bar(NANOS_PER_DAY + HOUR, 30), bar(-HOUR, 30)];
        let p = VolumeProfile::learn(&bars, HOUR).unwrap();
        assert_eq!(p.shares().len(), 24);
        assert_eq!((p.shares()[1], p.shares()[2], p.shares()[23]), (0.4, 0.3, 0.3));
        assert_eq!(p.expected_volume(HOUR, 3 * HOUR), 0.7);
        assert_eq!(p.expected_volume(HOUR + HOUR / 2, 2 * HOUR), 0.2);
        assert_eq!(p.expected_volume(0, NANOS_PER_DAY), 1.0);
    }

    #[test]
    fn refuses_bad_buckets_and_weights() {
        let seven_minutes = 7 * 60_000_000_000;
        assert!(VolumeProfile::learn(&[], seven_minutes).unwrap_err().to_string().contains("does not divide a day"));
        assert_eq!(VolumeProfile::learn(&[], HOUR).unwrap_err(), ProfileError::NoVolume);
        assert_eq!(
            VolumeProfile::from_weights(HOUR, vec![1.0; 3]).unwrap_err(),
            ProfileError::WeightCount { got: 3, want: 24 }
        );
        let mut w = vec![1.0; 24];
        w[5] = f64::NAN;
        let e = VolumeProfile::from_weights(HOUR, w).unwrap_err();
        assert!(e.to_string().starts_with("volume profile weight of bucket 5 is NaN"), "{e}");
    }
}
