//! Time: nanoseconds since the UNIX epoch, UTC.

/// Nanoseconds since 1970-01-01T00:00:00Z. Covers the years 1677–2262.
pub type UnixNanos = i64;

pub const NANOS_PER_MICRO: i64 = 1_000;
pub const NANOS_PER_MILLI: i64 = 1_000_000;
pub const NANOS_PER_SECOND: i64 = 1_000_000_000;
pub const NANOS_PER_MINUTE: i64 = 60 * NANOS_PER_SECOND;
pub const NANOS_PER_DAY: i64 = 86_400 * NANOS_PER_SECOND;

/// The UTC day (days since the epoch) that `ts` falls in.
/// The wall clock now, in nanoseconds since the Unix epoch: the time of
/// paper and live trading (backtests run on event time instead).
pub fn wall_clock() -> UnixNanos {
    let since = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).expect("the clock is after 1970");
    since.as_nanos() as UnixNanos
}

pub const fn utc_day(ts: UnixNanos) -> i64 {
    ts.div_euclid(NANOS_PER_DAY)
}

/// `YYYY-MM-DD HH:MM:SS[.fffffffff]` for a timestamp, UTC.
pub fn format_timestamp(ts: UnixNanos) -> String {
    let days = ts.div_euclid(NANOS_PER_DAY);
    let in_day = ts.rem_euclid(NANOS_PER_DAY);
    // Civil from days (H. Hinnant).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + if m <= 2 { 1 } else { 0 };
    let secs = in_day / NANOS_PER_SECOND;
    let nanos = in_day % NANOS_PER_SECOND;
    let base = format!("{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02}", secs / 3600, secs / 60 % 60, secs % 60);
    if nanos == 0 {
        base
    } else {
        let frac = format!("{nanos:09}");
        format!("{base}.{}", frac.trim_end_matches('0'))
    }
}
