//! Bars to Parquet, exactly: prices and volumes as `Decimal128(18, 9)`
//! (the fixed-point raw values, no float rounding), times as UTC
//! nanosecond timestamps. pandas and pyarrow read it as is.

use std::fs::File;
use std::path::Path;
use std::sync::Arc;

use arrow_array::{ArrayRef, Decimal128Array, RecordBatch, TimestampNanosecondArray};
use arrow_schema::{DataType, Field, Schema, TimeUnit};
use parquet::arrow::ArrowWriter;
use pyrt_model::Bar;

use crate::error::DataError;

/// Writes `bars` to `path` with columns `timestamp, open, high, low, close, volume`.
pub fn write_bars_parquet(path: &Path, bars: &[Bar]) -> Result<(), DataError> {
    let fail = |e: &dyn std::fmt::Display| DataError::new(format!("cannot write Parquet: {e}")).in_file(path);
    let decimal = || DataType::Decimal128(18, 9);
    let schema = Arc::new(Schema::new(vec![
        Field::new("timestamp", DataType::Timestamp(TimeUnit::Nanosecond, Some("UTC".into())), false),
        Field::new("open", decimal(), false),
        Field::new("high", decimal(), false),
        Field::new("low", decimal(), false),
        Field::new("close", decimal(), false),
        Field::new("volume", decimal(), false),
    ]));
    let column = |f: fn(&Bar) -> i64| -> Result<ArrayRef, DataError> {
        let a = Decimal128Array::from_iter_values(bars.iter().map(|b| f(b) as i128))
            .with_precision_and_scale(18, 9)
            .map_err(|e| fail(&e))?;
        Ok(Arc::new(a))
    };
    let columns: Vec<ArrayRef> = vec![
        Arc::new(TimestampNanosecondArray::from_iter_values(bars.iter().map(|b| b.ts_event)).with_timezone("UTC")),
        column(|b| b.open.raw())?,
        column(|b| b.high.raw())?,
        column(|b| b.low.raw())?,
        column(|b| b.close.raw())?,
        column(|b| b.volume.raw())?,
    ];
    let batch = RecordBatch::try_new(schema.clone(), columns).map_err(|e| fail(&e))?;
    let file = File::create(path).map_err(|e| fail(&e))?;
    let mut writer = ArrowWriter::try_new(file, schema, None).map_err(|e| fail(&e))?;
    writer.write(&batch).map_err(|e| fail(&e))?;
    writer.close().map_err(|e| fail(&e))?;
    Ok(())
}

/// Writes float columns with a leading UTC `timestamp` column (features,
/// research output). `NaN`s are written as nulls so pandas and pyarrow see
/// missing values.
pub fn write_columns_parquet(
    path: &Path,
    times: &[i64],
    names: &[String],
    columns: &[Vec<f64>],
) -> Result<(), DataError> {
    use arrow_array::Float64Array;
    let fail = |e: &dyn std::fmt::Display| DataError::new(format!("cannot write Parquet: {e}")).in_file(path);
    let mut fields =
        vec![Field::new("timestamp", DataType::Timestamp(TimeUnit::Nanosecond, Some("UTC".into())), false)];
    fields.extend(names.iter().map(|n| Field::new(n, DataType::Float64, true)));
    let schema = Arc::new(Schema::new(fields));
    let mut arrays: Vec<ArrayRef> =
        vec![Arc::new(TimestampNanosecondArray::from_iter_values(times.iter().copied()).with_timezone("UTC"))];
    arrays.extend(columns.iter().map(|c| {
        Arc::new(c.iter().map(|v| if v.is_nan() { None } else { Some(*v) }).collect::<Float64Array>()) as ArrayRef
    }));
    let batch = RecordBatch::try_new(schema.clone(), arrays).map_err(|e| fail(&e))?;
    let file = File::create(path).map_err(|e| fail(&e))?;
    let mut writer = ArrowWriter::try_new(file, schema, None).map_err(|e| fail(&e))?;
    writer.write(&batch).map_err(|e| fail(&e))?;
    writer.close().map_err(|e| fail(&e))?;
    Ok(())
}
