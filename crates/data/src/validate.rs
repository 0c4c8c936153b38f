//! The consistency rules every reader applies to what it parsed, whatever
//! the file format, so CSV and Parquet accept and refuse the same rows.

use pyrt_model::{Price, ValueError};

/// The field of a bar a broken rule points at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BarField {
    Open,
    High,
    Close,
}

/// `low <= open, close <= high`.
pub(crate) fn check_bar(open: Price, high: Price, low: Price, close: Price) -> Result<(), (BarField, String)> {
    if high < low {
        return Err((BarField::High, format!("high {high} is below low {low}")));
    }
    for (field, v) in [(BarField::Open, open), (BarField::Close, close)] {
        if v > high || v < low {
            return Err((field, format!("{v} is outside the bar's range [{low}, {high}]")));
        }
    }
    Ok(())
}

/// `bid <= ask` (a locked book is allowed, a crossed one is not).
pub(crate) fn check_quote(bid: Price, ask: Price) -> Result<(), String> {
    if bid > ask { Err(format!("crossed quote: bid {bid} is above ask {ask}")) } else { Ok(()) }
}

/// What is wrong with a value that is not a usable number, in the words
/// every reader uses.
pub(crate) fn describe_value(e: &ValueError) -> String {
    match e {
        ValueError::Empty => "empty value where a number is required".into(),
        ValueError::NaN => "NaN is not a valid price or quantity".into(),
        ValueError::Infinite => "infinite values are not allowed".into(),
        other => other.to_string(),
    }
}
