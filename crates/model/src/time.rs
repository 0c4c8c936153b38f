//! Time: nanoseconds since the UNIX epoch, UTC.

/// Nanoseconds since 1970-01-01T00:00:00Z. Covers the years 1677–2262.
pub type UnixNanos = i64;

pub const NANOS_PER_MICRO: i64 = 1_000;
pub const NANOS_PER_MILLI: i64 = 1_000_000;
pub const NANOS_PER_SECOND: i64 = 1_000_000_000;
pub const NANOS_PER_MINUTE: i64 = 60 * NANOS_PER_SECOND;
pub const NANOS_PER_DAY: i64 = 86_400 * NANOS_PER_SECOND;

/// The UTC day (days since the epoch) that `ts` falls in.
pub const fn utc_day(ts: UnixNanos) -> i64 {
    ts.div_euclid(NANOS_PER_DAY)
}
