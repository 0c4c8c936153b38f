//! Timestamp text to nanoseconds since the epoch, UTC.
//!
//! Accepted (naive times are taken as UTC):
//! * `2014-12-31`, `2014-12-31 09:30`, `2014-12-31T09:30:00.123456789`,
//!   with an optional `Z` or `±HH:MM` offset (`2012-02-01 00:00:00+00:00`);
//! * HistData's `20200101 170000065` (date, then `HHMMSSmmm`) and a bare
//!   `20200101`;
//! * integer epochs, whose unit is read from their size: up to 11 digits
//!   seconds, 12–14 milliseconds, 15–17 microseconds, more nanoseconds.
//!
//! Parsing is by hand rather than through a format string: it is exact to
//! the nanosecond and fast enough for a hundred million rows.

use pyrt_model::UnixNanos;
use pyrt_model::time::{NANOS_PER_DAY, NANOS_PER_SECOND};

/// Parses a timestamp; the error says which form was expected.
pub fn parse_timestamp(text: &str) -> Result<UnixNanos, String> {
    let s = text.trim();
    let b = s.as_bytes();
    let bad = || {
        format!(
            "`{}` is not a timestamp (expected e.g. 2014-12-31, 2014-12-31 09:30:00.5, 2014-12-31T09:30:00Z or an epoch number)",
            pyrt_model::decimal::excerpt(s)
        )
    };
    if b.is_empty() {
        return Err("empty timestamp".into());
    }
    if b.iter().all(u8::is_ascii_digit) {
        if b.len() == 8 {
            return civil(num(&b[0..4]), num(&b[4..6]), num(&b[6..8])).ok_or_else(bad);
        }
        let v: i64 = s.parse().map_err(|_| bad())?;
        let unit = match b.len() {
            0..=11 => NANOS_PER_SECOND,
            12..=14 => 1_000_000,
            15..=17 => 1_000,
            _ => 1,
        };
        return v.checked_mul(unit).ok_or_else(|| {
            format!("`{s}` is beyond the epoch timestamps the engine holds (nanoseconds up to the year 2262)")
        });
    }
    // HistData: YYYYMMDD HHMMSSmmm
    if b.len() == 18 && b[8] == b' ' && b.iter().enumerate().all(|(i, c)| i == 8 || c.is_ascii_digit()) {
        let day = civil(num(&b[0..4]), num(&b[4..6]), num(&b[6..8])).ok_or_else(bad)?;
        let (h, m, sec, ms) = (num(&b[9..11]), num(&b[11..13]), num(&b[13..15]), num(&b[15..18]));
        let t = clock(h, m, sec).ok_or_else(bad)?;
        return day.checked_add(t + ms * 1_000_000).ok_or_else(bad);
    }
    if b.len() < 10 || b[4] != b'-' || b[7] != b'-' || !digits(&b[0..4]) || !digits(&b[5..7]) || !digits(&b[8..10]) {
        return Err(bad());
    }
    let day = civil(num(&b[0..4]), num(&b[5..7]), num(&b[8..10])).ok_or_else(bad)?;
    let mut rest = &b[10..];
    if rest.is_empty() {
        return Ok(day);
    }
    if rest[0] != b' ' && rest[0] != b'T' {
        return Err(bad());
    }
    rest = &rest[1..];
    if rest.len() < 5 || rest[2] != b':' || !digits(&rest[0..2]) || !digits(&rest[3..5]) {
        return Err(bad());
    }
    let (h, m) = (num(&rest[0..2]), num(&rest[3..5]));
    rest = &rest[5..];
    let mut sec = 0;
    let mut nanos = 0i64;
    if rest.first() == Some(&b':') {
        if rest.len() < 3 || !digits(&rest[1..3]) {
            return Err(bad());
        }
        sec = num(&rest[1..3]);
        rest = &rest[3..];
        if rest.first() == Some(&b'.') {
            let n = rest[1..].iter().take_while(|c| c.is_ascii_digit()).count();
            if n == 0 || n > 9 {
                return Err(bad());
            }
            nanos = num(&rest[1..1 + n]) * 10i64.pow(9 - n as u32);
            rest = &rest[1 + n..];
        }
    }
    let offset = match rest {
        [] | [b'Z'] => 0,
        [sign @ (b'+' | b'-'), h1, h2, b':', m1, m2] if digits(&[*h1, *h2, *m1, *m2]) => {
            let secs = (num(&[*h1, *h2]) * 3600 + num(&[*m1, *m2]) * 60) * NANOS_PER_SECOND;
            if *sign == b'+' { secs } else { -secs }
        }
        _ => return Err(bad()),
    };
    let t = clock(h, m, sec).ok_or_else(bad)?;
    day.checked_add(t + nanos - offset).ok_or_else(bad)
}

fn digits(b: &[u8]) -> bool {
    b.iter().all(u8::is_ascii_digit)
}

fn num(b: &[u8]) -> i64 {
    b.iter().fold(0, |acc, c| acc * 10 + (c - b'0') as i64)
}

fn clock(h: i64, m: i64, s: i64) -> Option<i64> {
    (h < 24 && m < 60 && s < 61).then(|| (h * 3600 + m * 60 + s) * NANOS_PER_SECOND)
}

/// Midnight UTC of a calendar date, in nanoseconds; `None` if no such date.
fn civil(y: i64, m: i64, d: i64) -> Option<i64> {
    // Beyond 1677-2262 the nanoseconds do not fit an i64: no such time here.
    pyrt_model::time::days_from_civil(y, m, d)?.checked_mul(NANOS_PER_DAY)
}

pub use pyrt_model::time::format_timestamp;

#[cfg(test)]
mod tests {
    use super::*;

    const DAY: i64 = NANOS_PER_DAY;
    const SEC: i64 = NANOS_PER_SECOND;

    #[test]
    fn dates_and_times() {
        assert_eq!(parse_timestamp("1970-01-01"), Ok(0));
        assert_eq!(parse_timestamp("1995-01-03"), Ok(9133 * DAY));
        assert_eq!(parse_timestamp("2000-02-29T00:00:01Z"), Ok(11_016 * DAY + SEC));
        assert_eq!(parse_timestamp("1970-01-01 00:00:00.000000123"), Ok(123));
        assert_eq!(parse_timestamp("2015-09-23T20:57:42.146").map(|t| t % SEC), Ok(146_000_000));
        assert_eq!(parse_timestamp("1970-01-01 01:00:00+01:00"), Ok(0));
        assert_eq!(parse_timestamp("1970-01-01 00:00:00-00:30"), Ok(1800 * SEC));
        assert_eq!(parse_timestamp("1970-01-02 09:05"), Ok(DAY + (9 * 3600 + 300) * SEC));
    }

    #[test]
    fn histdata_and_epochs() {
        assert_eq!(parse_timestamp("19700102 000001500"), Ok(DAY + SEC + 500_000_000));
        assert_eq!(parse_timestamp("19700102"), Ok(DAY));
        assert_eq!(parse_timestamp("1583020803"), Ok(1_583_020_803 * SEC));
        assert_eq!(parse_timestamp("1583020803145"), Ok(1_583_020_803_145_000_000));
        assert_eq!(parse_timestamp("1583020803145000"), Ok(1_583_020_803_145_000_000));
        assert_eq!(parse_timestamp("1583020803145000001"), Ok(1_583_020_803_145_000_001));
        // Beyond i64 nanoseconds: an error, not a wrapped time.
        for huge in ["99999999999", "99999999999999", "99999999999999999", "99999999999999999999"] {
            assert!(parse_timestamp(huge).is_err(), "{huge}");
        }
        assert!(parse_timestamp("99999999999").unwrap_err().contains("year 2262"));
        for far in ["9999-12-31", "1000-01-01", "2262-04-11 23:47:16.854775808", "99991231 235959999"] {
            assert!(parse_timestamp(far).is_err(), "{far}");
        }
    }

    #[test]
    fn rejects_impossible_dates_and_junk() {
        for bad in
            ["2014-02-30", "2014-13-01", "2014-12-31 24:00", "2014/12/31", "yesterday", "2014-12-31 09:30:00.", ""]
        {
            assert!(parse_timestamp(bad).is_err(), "{bad}");
        }
        assert!(parse_timestamp("2014-02-30").unwrap_err().contains("not a timestamp"));
    }

    #[test]
    fn format_roundtrips() {
        for ts in [0, 9133 * DAY, 1_583_020_803_145_000_001, -DAY + 5] {
            assert_eq!(parse_timestamp(&format_timestamp(ts)), Ok(ts), "{}", format_timestamp(ts));
        }
        assert_eq!(format_timestamp(9133 * DAY), "1995-01-03 00:00:00");
    }
}
