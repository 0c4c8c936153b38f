//! Time: nanoseconds since the UNIX epoch, UTC.

/// Nanoseconds since 1970-01-01T00:00:00Z. Covers the years 1677–2262.
pub type UnixNanos = i64;

pub const NANOS_PER_MICRO: i64 = 1_000;
pub const NANOS_PER_MILLI: i64 = 1_000_000;
pub const NANOS_PER_SECOND: i64 = 1_000_000_000;
pub const NANOS_PER_MINUTE: i64 = 60 * NANOS_PER_SECOND;
pub const NANOS_PER_DAY: i64 = 86_400 * NANOS_PER_SECOND;

/// The wall clock now, in nanoseconds since the Unix epoch: the time of
/// paper and live trading (backtests run on event time instead).
pub fn wall_clock() -> UnixNanos {
    let since = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).expect("the clock is after 1970");
    since.as_nanos() as UnixNanos
}

/// The UTC day (days since the epoch) that `ts` falls in.
pub const fn utc_day(ts: UnixNanos) -> i64 {
    ts.div_euclid(NANOS_PER_DAY)
}

/// `YYYY-MM-DD HH:MM:SS[.fffffffff]` for a timestamp, UTC.
pub fn format_timestamp(ts: UnixNanos) -> String {
    let (y, m, d) = civil_from_days(ts.div_euclid(NANOS_PER_DAY));
    let in_day = ts.rem_euclid(NANOS_PER_DAY);
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

/// The calendar date (year, month 1-12, day 1-31) of a day counted from
/// 1970-01-01, proleptic Gregorian (H. Hinnant's algorithm).
pub const fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + if m <= 2 { 1 } else { 0 };
    (y, m, d)
}

/// Days from 1970-01-01 to a calendar date, the inverse of
/// [`civil_from_days`]; `None` if the date does not exist.
pub const fn days_from_civil(y: i64, m: i64, d: i64) -> Option<i64> {
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let days_in_month = [31, if leap { 29 } else { 28 }, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
    if m < 1 || m > 12 || d < 1 || d > days_in_month[(m - 1) as usize] {
        return None;
    }
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    Some(era * 146_097 + doe - 719_468)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn calendar_dates_round_trip_through_day_numbers() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(days_from_civil(2024, 2, 29), Some(19_782));
        assert_eq!(days_from_civil(2023, 2, 29), None);
        assert_eq!(days_from_civil(2024, 13, 1), None);
        for days in (-800_000..800_000).step_by(997) {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), Some(days), "{y}-{m}-{d}");
        }
    }
}
