//! Decimal text to fixed-point integers: the one number reader of every
//! file, config, venue message and request parameter.
//!
//! Two readings of the same grammar:
//!
//! * [`parse_decimal`], for data files and configs, accepts an optional
//!   sign, an exponent (`1.5e-3`) and surrounding whitespace, and rounds
//!   digits beyond the scale half-to-even (market data carries more
//!   decimals than a tick, and a file's `0.30000000000000004` is 0.3);
//! * [`parse_strict`], for what a venue receives, accepts exactly what
//!   Binance does (`digits[.digits]`, at most the scale's decimals) and
//!   refuses everything else with a reason, because a venue that rounds a
//!   quantity trades an amount the client did not ask for.
//!
//! Both bound their input before doing any work: a number longer than
//! [`MAX_NUMBER_LEN`] characters or with an exponent beyond
//! ±[`MAX_EXPONENT`] is refused at once, so a hostile cell
//! (`1e-2147483648`, a 200 MB run of digits) costs microseconds, not
//! gigabytes.

use crate::fixed::FIXED_DECIMALS;
use crate::fixed::FIXED_SCALE;

/// The longest number text read (sign, digits, point and exponent).
pub const MAX_NUMBER_LEN: usize = 64;
/// The largest exponent magnitude read; beyond it a value is out of range
/// or rounds to zero long before.
pub const MAX_EXPONENT: i64 = 64;

/// Why a text or float could not become a fixed-point value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ValueError {
    #[error("empty value")]
    Empty,
    #[error("`{0}` is not a number")]
    NotANumber(String),
    #[error("NaN is not a valid value")]
    NaN,
    #[error("infinite values are not allowed")]
    Infinite,
    #[error("`{0}` is out of range for a fixed-point value")]
    OutOfRange(String),
    #[error("value {0} must not be negative")]
    Negative(String),
    #[error("value {0} must be greater than zero")]
    NotPositive(String),
    #[error("a number of {0} characters is longer than the {MAX_NUMBER_LEN} read")]
    TooLong(usize),
    #[error("`{text}` has more than {decimals} decimal places")]
    TooPrecise { text: String, decimals: u32 },
}

/// `text` cut to a length fit for an error message.
pub fn excerpt(text: &str) -> String {
    const SHOWN: usize = 40;
    match text.char_indices().nth(SHOWN) {
        Some((cut, _)) => format!("{}… ({} bytes)", &text[..cut], text.len()),
        None => text.to_string(),
    }
}

/// Parses a decimal string into an integer count of `10^-decimals` units.
///
/// Accepts an optional sign, digits with an optional fraction, and an
/// optional exponent (`1.5e-3`). Digits beyond `decimals` are rounded
/// half-to-even. Names like `NaN` and `inf` get their own errors so the
/// caller can say exactly what was wrong.
pub fn parse_decimal(text: &str, decimals: u32) -> Result<i128, ValueError> {
    if let Some(value) = parse_plain_decimal(text.as_bytes(), decimals) {
        return Ok(value);
    }
    let s = text.trim();
    if s.is_empty() {
        return Err(ValueError::Empty);
    }
    if s.len() > MAX_NUMBER_LEN {
        return Err(ValueError::TooLong(s.len()));
    }
    let lower = s.to_ascii_lowercase();
    let unsigned = lower.trim_start_matches(['+', '-']);
    if unsigned == "nan" {
        return Err(ValueError::NaN);
    }
    if unsigned == "inf" || unsigned == "infinity" {
        return Err(ValueError::Infinite);
    }
    let bad = || ValueError::NotANumber(s.to_string());
    let (negative, body) = match s.as_bytes()[0] {
        b'-' => (true, &s[1..]),
        b'+' => (false, &s[1..]),
        _ => (false, s),
    };
    let (mantissa, exponent) = match body.find(['e', 'E']) {
        Some(i) => {
            let text = &body[i + 1..];
            let digits = text.strip_prefix(['+', '-']).unwrap_or(text);
            if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
                return Err(bad());
            }
            // All digits: a parse failure is an exponent beyond i64.
            let exp: i64 = text.parse().unwrap_or(i64::MAX);
            if exp.unsigned_abs() > MAX_EXPONENT as u64 {
                return Err(ValueError::OutOfRange(s.to_string()));
            }
            (&body[..i], exp)
        }
        None => (body, 0),
    };
    let (int_part, frac_part) = match mantissa.find('.') {
        Some(i) => (&mantissa[..i], &mantissa[i + 1..]),
        None => (mantissa, ""),
    };
    if int_part.is_empty() && frac_part.is_empty() {
        return Err(bad());
    }
    if !int_part.bytes().all(|b| b.is_ascii_digit()) || !frac_part.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad());
    }
    // All significant digits as one integer, with the decimal point moved
    // by the exponent; `shift` is how many of them sit right of the point.
    let digits = format!("{int_part}{frac_part}");
    let digits = digits.trim_start_matches('0');
    let shift = frac_part.len() as i64 - exponent;
    let keep = decimals as i64 - shift; // >0: append zeros, <0: drop digits
    let out_of_range = || ValueError::OutOfRange(s.to_string());
    if digits.is_empty() {
        return Ok(0);
    }
    let value: i128 = if keep >= 0 {
        if digits.len() as i64 + keep > 38 {
            return Err(out_of_range());
        }
        let base: i128 = digits.parse().map_err(|_| out_of_range())?;
        base.checked_mul(10i128.pow(keep as u32)).ok_or_else(out_of_range)?
    } else {
        let drop = (-keep) as usize;
        if drop > digits.len() {
            // Everything is below half of the last kept decimal.
            0
        } else if drop == digits.len() {
            // Everything is below the last kept decimal: 0 or one unit after rounding.
            round_half_even(0, digits) as i128
        } else {
            let (head, tail) = digits.split_at(digits.len() - drop);
            if head.len() > 38 {
                return Err(out_of_range());
            }
            let base: i128 = head.parse().map_err(|_| out_of_range())?;
            base + round_half_even(base, tail) as i128
        }
    };
    Ok(if negative { -value } else { value })
}

/// The common case without allocating: unsigned `digits[.digits]` with at
/// most `decimals` fraction digits and at most 18 integer digits, as venues
/// send prices and sizes (`"61837.63000000"`). Anything else (signs,
/// exponents, whitespace, rounding) returns `None` and takes the general path,
/// so both paths give the same value for every input.
#[inline]
pub(crate) fn parse_plain_decimal(bytes: &[u8], decimals: u32) -> Option<i128> {
    let mut int: u64 = 0;
    let mut i = 0;
    while i < bytes.len() && bytes[i].is_ascii_digit() {
        int = int * 10 + (bytes[i] - b'0') as u64;
        i += 1;
        if i > 18 {
            return None;
        }
    }
    let int_digits = i;
    let mut frac: u64 = 0;
    let mut frac_digits = 0u32;
    if i < bytes.len() {
        if bytes[i] != b'.' {
            return None;
        }
        i += 1;
        while i < bytes.len() {
            let b = bytes[i];
            if !b.is_ascii_digit() || frac_digits == decimals {
                return None;
            }
            frac = frac * 10 + (b - b'0') as u64;
            frac_digits += 1;
            i += 1;
        }
    }
    if int_digits == 0 && frac_digits == 0 {
        return None;
    }
    Some(int as i128 * 10i128.pow(decimals) + frac as i128 * 10i128.pow(decimals - frac_digits))
}

/// The spelling venues send — digits, optionally a point and at most
/// [`FIXED_DECIMALS`] more digits — read from the front of `bytes` straight
/// into raw `i64` units with `u64` arithmetic, stopping at the first other
/// byte. Returns the raw value and the bytes read.
///
/// This is the hot path of every price in a depth message: a reader that
/// knows where a number ends (a closing quote) parses it in the same pass as
/// it finds the end. `None` for a number this path does not take (no
/// digits, more than 18 integer or [`FIXED_DECIMALS`] fraction digits, out
/// of range); the general parser then reads or refuses it, and where both
/// read a number they agree.
#[inline]
pub fn parse_plain_prefix(bytes: &[u8]) -> Option<(i64, usize)> {
    // 10^(FIXED_DECIMALS - n) for n fraction digits.
    const FRACTION_SCALE: [u64; 10] =
        [1_000_000_000, 100_000_000, 10_000_000, 1_000_000, 100_000, 10_000, 1_000, 100, 10, 1];
    // A digit at a time: prices and sizes are short, and this loop's steps
    // overlap in the CPU. An eight-bytes-at-once (SWAR) version was measured
    // slower on depth messages (37 against 28 ns a level).
    let mut i = 0;
    let mut int: u64 = 0;
    while let Some(&b) = bytes.get(i) {
        let digit = b.wrapping_sub(b'0');
        if digit > 9 {
            break;
        }
        if i == 18 {
            return None;
        }
        int = int * 10 + digit as u64;
        i += 1;
    }
    let int_digits = i;
    let mut frac: u64 = 0;
    let mut frac_digits = 0;
    if bytes.get(i) == Some(&b'.') {
        i += 1;
        while let Some(&b) = bytes.get(i) {
            let digit = b.wrapping_sub(b'0');
            if digit > 9 {
                break;
            }
            if frac_digits == FIXED_DECIMALS as usize {
                return None;
            }
            frac = frac * 10 + digit as u64;
            frac_digits += 1;
            i += 1;
        }
    }
    if int_digits == 0 && frac_digits == 0 {
        return None;
    }
    let raw = int.checked_mul(FIXED_SCALE as u64)?.checked_add(frac * FRACTION_SCALE[frac_digits])?;
    Some((i64::try_from(raw).ok()?, i))
}

/// [`parse_plain_prefix`] over the whole of `bytes`.
#[inline]
pub(crate) fn parse_plain_fixed(bytes: &[u8]) -> Option<i64> {
    parse_plain_prefix(bytes).and_then(|(raw, read)| (read == bytes.len()).then_some(raw))
}

/// 1 if the dropped digits `tail` round `base` up (half to even), else 0.
fn round_half_even(base: i128, tail: &str) -> u8 {
    let first = tail.as_bytes()[0];
    let rest_nonzero = tail.as_bytes()[1..].iter().any(|&b| b != b'0');
    match first.cmp(&b'5') {
        std::cmp::Ordering::Greater => 1,
        std::cmp::Ordering::Less => 0,
        std::cmp::Ordering::Equal if rest_nonzero => 1,
        std::cmp::Ordering::Equal => (base & 1) as u8,
    }
}

/// Reads `text` exactly as a venue must: unsigned `digits[.digits]` with
/// at most `decimals` fraction digits, nothing around it, no exponent and
/// no rounding. The refusals say what was wrong (the venue turns them into
/// its error codes).
pub fn parse_strict(text: &str, decimals: u32) -> Result<i128, ValueError> {
    if text.is_empty() {
        return Err(ValueError::Empty);
    }
    if text.len() > MAX_NUMBER_LEN {
        return Err(ValueError::TooLong(text.len()));
    }
    let bad = || ValueError::NotANumber(text.to_string());
    let (int_part, frac_part) = match text.split_once('.') {
        Some((i, f)) => (i, f),
        None => (text, ""),
    };
    let digits = |part: &str| part.bytes().all(|b| b.is_ascii_digit());
    if int_part.is_empty() || !digits(int_part) || !digits(frac_part) || (text.contains('.') && frac_part.is_empty()) {
        return Err(bad());
    }
    let significant = frac_part.trim_end_matches('0');
    if significant.len() > decimals as usize {
        return Err(ValueError::TooPrecise { text: text.to_string(), decimals });
    }
    // Now a plain decimal within the scale: the general reader's value is exact.
    parse_decimal(text, decimals)
}

/// [`parse_strict`] at the [`FIXED_DECIMALS`] scale of prices and
/// quantities, as raw `i64` units.
pub fn parse_strict_fixed(text: &str) -> Result<i64, ValueError> {
    let raw = parse_strict(text, FIXED_DECIMALS)?;
    i64::try_from(raw).map_err(|_| ValueError::OutOfRange(text.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hostile_numbers_are_refused_before_any_work() {
        assert_eq!(parse_decimal("1e-2147483648", 9), Err(ValueError::OutOfRange("1e-2147483648".into())));
        assert_eq!(parse_decimal("1e2147483647", 9), Err(ValueError::OutOfRange("1e2147483647".into())));
        let huge = "1e-99999999999999999999";
        assert_eq!(parse_decimal(huge, 9), Err(ValueError::OutOfRange(huge.into())));
        let long = "1".repeat(200_000_000);
        assert_eq!(parse_decimal(&long, 9), Err(ValueError::TooLong(200_000_000)));
        // (The refusals above took seconds and gigabytes when the digits
        // were built first; the hostile-input suite runs them under a
        // memory limit.)
        assert_eq!(excerpt(&long).len(), 40 + " (200000000 bytes)".len() + "…".len());
    }

    #[test]
    fn tiny_values_round_without_building_their_digits() {
        assert_eq!(parse_decimal("1e-64", 9), Ok(0));
        assert_eq!(parse_decimal("5e-10", 9), Ok(0), "half of the last unit rounds to even");
        assert_eq!(parse_decimal("6e-10", 9), Ok(1));
        assert_eq!(parse_decimal("1.5e-9", 9), Ok(2));
        assert_eq!(parse_decimal("4e-11", 9), Ok(0));
    }

    #[test]
    fn strict_reading_takes_only_what_a_venue_takes() {
        assert_eq!(parse_strict_fixed("0.001"), Ok(1_000_000));
        assert_eq!(parse_strict_fixed("50000.00000000"), Ok(50_000 * FIXED_SCALE));
        assert_eq!(parse_strict_fixed("0.0010000000"), Ok(1_000_000), "trailing zeros are not precision");
        for bad in ["1e3", " 1", "1 ", "+1", "-1", ".5", "5.", "0x10", "1,5", "", "١"] {
            assert!(parse_strict_fixed(bad).is_err(), "{bad:?}");
        }
        assert_eq!(
            parse_strict_fixed("0.00100000001"),
            Err(ValueError::TooPrecise { text: "0.00100000001".into(), decimals: 9 })
        );
        assert!(matches!(parse_strict("50000.0000000001", 8), Err(ValueError::TooPrecise { .. })));
        assert!(matches!(parse_strict_fixed("99999999999"), Err(ValueError::OutOfRange(_))));
    }
}
