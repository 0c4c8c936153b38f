//! Bars from columns already in memory (numpy arrays, pandas frames), under
//! the same rules the file readers apply.
//!
//! The Python package hands the engine whole float columns. Converting them
//! here, rather than in the bindings, keeps one definition of a valid bar:
//! prices finite and above zero, `low <= open, close <= high`, volume not
//! negative, timestamps strictly increasing. Errors name the 1-based row
//! and the column, as for a Parquet file.

use pyrt_model::{Bar, InstrumentId, Price, Quantity, UnixNanos, ValueError};

use crate::error::DataError;
use crate::validate::{BarField, check_bar, describe_value};

/// Borrowed bar columns; every slice has the length of `ts`.
#[derive(Debug, Clone, Copy)]
pub struct BarSlices<'a> {
    /// Unix nanoseconds.
    pub ts: &'a [i64],
    pub open: &'a [f64],
    pub high: &'a [f64],
    pub low: &'a [f64],
    pub close: &'a [f64],
    /// Missing volume is read as zero.
    pub volume: Option<&'a [f64]>,
}

/// Converts columns to bars of `instrument`, checking every row.
///
/// Prices are rounded to the nearest 1e-9 (the fixed-point grid), so a
/// float such as `23.450000000000003` becomes exactly `23.45`.
pub fn bars_from_slices(instrument: InstrumentId, cols: &BarSlices) -> Result<Vec<Bar>, DataError> {
    let n = cols.ts.len();
    let lengths =
        [("open", cols.open.len()), ("high", cols.high.len()), ("low", cols.low.len()), ("close", cols.close.len())];
    for (field, len) in lengths.into_iter().chain(cols.volume.map(|v| ("volume", v.len()))) {
        if len != n {
            return Err(DataError::new(format!("column has {len} values but there are {n} timestamps")).in_field(field));
        }
    }
    let mut bars = Vec::with_capacity(n);
    let mut last: Option<UnixNanos> = None;
    for i in 0..n {
        let err = |field: &str, message: String| DataError::new(message).at_row(i as u64 + 1).in_field(field);
        let ts = cols.ts[i];
        match last {
            Some(prev) if ts == prev => {
                return Err(err("timestamp", "duplicate timestamp (same as the previous row)".into())
                    .hint("drop or aggregate duplicate rows first"));
            }
            Some(prev) if ts < prev => {
                return Err(err("timestamp", "timestamp is earlier than the previous row's".into())
                    .hint("sort the rows by time, oldest first"));
            }
            _ => {}
        }
        last = Some(ts);
        let price = |field: &str, v: f64| {
            let p = Price::from_f64(v).map_err(|e| value_error(err(field, describe_value(&e)), &e))?;
            if p.is_positive() { Ok(p) } else { Err(err(field, format!("price {v} must be greater than zero"))) }
        };
        let (o, h, l, c) = (
            price("open", cols.open[i])?,
            price("high", cols.high[i])?,
            price("low", cols.low[i])?,
            price("close", cols.close[i])?,
        );
        check_bar(o, h, l, c).map_err(|(field, message)| {
            let name = match field {
                BarField::Open => "open",
                BarField::High => "high",
                BarField::Close => "close",
            };
            err(name, message)
        })?;
        let volume = match cols.volume {
            None => Quantity::ZERO,
            Some(v) => {
                let q = Quantity::from_f64(v[i]).map_err(|e| value_error(err("volume", describe_value(&e)), &e))?;
                if q.is_negative() {
                    return Err(err("volume", format!("volume {} must not be negative", v[i])));
                }
                q
            }
        };
        bars.push(Bar { instrument, ts_event: ts, ts_recv: ts, open: o, high: h, low: l, close: c, volume });
    }
    Ok(bars)
}

/// A missing value in memory is usually a gap the caller can fill or drop.
fn value_error(error: DataError, e: &ValueError) -> DataError {
    if *e == ValueError::NaN { error.hint("fill or drop missing rows first") } else { error }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn slices<'a>(ts: &'a [i64], close: &'a [f64]) -> BarSlices<'a> {
        BarSlices { ts, open: close, high: close, low: close, close, volume: None }
    }

    #[test]
    fn converts_exactly_to_the_grid() {
        let bars = bars_from_slices(InstrumentId(3), &slices(&[1, 2], &[23.450000000000003, 10.0])).unwrap();
        assert_eq!(bars[0].close, "23.45".parse().unwrap());
        assert_eq!(bars[1].instrument, InstrumentId(3));
        assert_eq!(bars[1].volume, Quantity::ZERO);
    }

    #[test]
    fn bad_rows_name_row_and_column() {
        let e = bars_from_slices(InstrumentId(0), &slices(&[1, 2, 3], &[1.0, f64::NAN, 2.0])).unwrap_err();
        assert_eq!(
            e.to_string(),
            "row 2: field `open`: NaN is not a valid price or quantity (fill or drop missing rows first)"
        );
        let e = bars_from_slices(InstrumentId(0), &slices(&[1, 3, 2], &[1.0, 1.0, 1.0])).unwrap_err();
        assert!(e.to_string().starts_with("row 3: field `timestamp`: timestamp is earlier"), "{e}");
        let e = bars_from_slices(InstrumentId(0), &slices(&[1, 1], &[1.0, 1.0])).unwrap_err();
        assert!(e.to_string().contains("duplicate timestamp"), "{e}");
        let e = bars_from_slices(InstrumentId(0), &slices(&[1], &[-1.0])).unwrap_err();
        assert!(e.to_string().contains("must be greater than zero"), "{e}");
        let cols =
            BarSlices { ts: &[1], open: &[1.0], high: &[0.5], low: &[1.0], close: &[1.0], volume: Some(&[-2.0]) };
        let e = bars_from_slices(InstrumentId(0), &cols).unwrap_err();
        assert!(e.to_string().starts_with("row 1: field `high`: high"), "{e}");
        let cols =
            BarSlices { ts: &[1], open: &[1.0], high: &[1.0], low: &[1.0], close: &[1.0], volume: Some(&[-2.0]) };
        let e = bars_from_slices(InstrumentId(0), &cols).unwrap_err();
        assert!(e.to_string().contains("volume -2 must not be negative"), "{e}");
        let cols = BarSlices { ts: &[1, 2], open: &[1.0], high: &[1.0], low: &[1.0], close: &[1.0], volume: None };
        let e = bars_from_slices(InstrumentId(0), &cols).unwrap_err();
        assert_eq!(e.to_string(), "field `open`: column has 1 values but there are 2 timestamps");
    }
}
