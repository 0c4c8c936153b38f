//! Parquet: the real files in shared/data, an exact round trip, and bad values.

use std::sync::Arc;

use arrow_array::{ArrayRef, Float64Array, Int64Array, RecordBatch, StringArray};
use arrow_schema::{Field, Schema};
use parquet::arrow::ArrowWriter;
use pyrt_data::{
    BarColumns, BarCsvOptions, BarCsvReader, ParquetContent, ParquetOptions, ParquetReader, TickColumns,
    format_timestamp, write_bars_parquet,
};
use pyrt_model::{MarketEvent, Side};

mod common;
use common::shared_data;

fn read(path: &std::path::Path, content: ParquetContent) -> Vec<MarketEvent> {
    ParquetReader::open(path, ParquetOptions::new(content)).unwrap().collect::<Result<_, _>>().unwrap()
}

#[test]
fn binance_trades_and_quotes_from_parquet() {
    let Some(dir) = shared_data() else { return };
    let trades = read(
        &dir.join("nautilus_trader/binance_btcusdt-trades.parquet"),
        ParquetContent::Trades(TickColumns::default()),
    );
    assert_eq!(trades.len(), 2001);
    let MarketEvent::Trade(t) = trades[0] else { panic!() };
    assert_eq!(format_timestamp(t.ts_event), "2021-01-08 00:00:00.278");
    assert!(t.price.is_positive() && t.size.is_positive());
    assert!(trades.iter().any(|e| matches!(e, MarketEvent::Trade(t) if t.aggressor == Some(Side::Sell))));
    assert!(trades.iter().any(|e| matches!(e, MarketEvent::Trade(t) if t.aggressor == Some(Side::Buy))));

    let quotes = read(
        &dir.join("nautilus_trader/binance_btcusdt-quotes.parquet"),
        ParquetContent::Quotes(TickColumns::default()),
    );
    assert_eq!(quotes.len(), 451);
    let MarketEvent::Quote(q) = quotes[0] else { panic!() };
    assert!(q.bid <= q.ask && q.bid_size.is_positive());
}

#[test]
fn bars_round_trip_exactly_through_parquet() {
    let Some(dir) = shared_data() else { return };
    let csv: Vec<_> = BarCsvReader::open(dir.join("backtrader/orcl-1995-2014.txt"), BarCsvOptions::default())
        .unwrap()
        .map(|e| match e.unwrap() {
            MarketEvent::Bar(b) => b,
            _ => unreachable!(),
        })
        .collect();
    let out = tempfile::Builder::new().suffix(".parquet").tempfile().unwrap();
    write_bars_parquet(out.path(), &csv).unwrap();
    let mut options = ParquetOptions::new(ParquetContent::Bars(BarColumns::default()));
    options.batch_size = 1000; // several batches
    let back: Vec<_> = ParquetReader::open(out.path(), options)
        .unwrap()
        .map(|e| match e.unwrap() {
            MarketEvent::Bar(b) => b,
            _ => unreachable!(),
        })
        .collect();
    assert_eq!(back, csv);
}

fn write_batch(columns: Vec<(&str, ArrayRef)>) -> tempfile::NamedTempFile {
    let schema = Arc::new(Schema::new(
        columns.iter().map(|(n, a)| Field::new(*n, a.data_type().clone(), true)).collect::<Vec<_>>(),
    ));
    let batch = RecordBatch::try_new(schema.clone(), columns.into_iter().map(|(_, a)| a).collect()).unwrap();
    let f = tempfile::Builder::new().suffix(".parquet").tempfile().unwrap();
    let mut w = ArrowWriter::try_new(f.reopen().unwrap(), schema, None).unwrap();
    w.write(&batch).unwrap();
    w.close().unwrap();
    f
}

fn first_error(f: &tempfile::NamedTempFile, content: ParquetContent) -> String {
    let e = ParquetReader::open(f.path(), ParquetOptions::new(content)).unwrap().find_map(Result::err).unwrap();
    e.to_string().replace(&f.path().display().to_string(), "FILE")
}

#[test]
fn bad_values_name_the_row_and_column() {
    let bars = |close: Vec<f64>| {
        write_batch(vec![
            ("timestamp", Arc::new(Int64Array::from(vec![1_600_000_000_000i64, 1_600_000_060_000])) as ArrayRef),
            ("open", Arc::new(Float64Array::from(vec![10.0, 10.0]))),
            ("high", Arc::new(Float64Array::from(vec![11.0, 11.0]))),
            ("low", Arc::new(Float64Array::from(vec![9.0, 9.0]))),
            ("close", Arc::new(Float64Array::from(close))),
        ])
    };
    let content = || ParquetContent::Bars(BarColumns::default());
    assert_eq!(
        first_error(&bars(vec![10.0, f64::NAN]), content()),
        "FILE: row 2: field `close`: NaN is not a valid price or quantity"
    );
    assert_eq!(
        first_error(&bars(vec![10.0, 12.0]), content()),
        "FILE: row 2: field `close`: 12 is outside the bar's range [9, 11]"
    );
    assert_eq!(
        first_error(&bars(vec![-1.0, 10.0]), content()),
        "FILE: row 1: field `close`: price -1 must be greater than zero"
    );

    let unsorted = write_batch(vec![
        ("timestamp", Arc::new(StringArray::from(vec!["2020-01-02", "2020-01-01"])) as ArrayRef),
        ("price", Arc::new(StringArray::from(vec!["10.5", "10.25"]))),
        ("qty", Arc::new(StringArray::from(vec!["1", "2"]))),
    ]);
    let e = first_error(&unsorted, ParquetContent::Trades(TickColumns::default()));
    assert!(e.starts_with("FILE: row 2: timestamp is earlier than the previous row's"), "{e}");

    let missing = write_batch(vec![("when", Arc::new(Int64Array::from(vec![1i64])) as ArrayRef)]);
    let e = ParquetReader::open(missing.path(), ParquetOptions::new(content())).err().unwrap();
    assert!(e.to_string().contains("no timestamp column in the file (when)"), "{e}");
    let not_parquet = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(not_parquet.path(), "Date,Open\n").unwrap();
    let e = ParquetReader::open(not_parquet.path(), ParquetOptions::new(content())).err().unwrap();
    assert!(e.to_string().contains("not a readable Parquet file"), "{e}");
}

#[test]
fn decimal_and_text_prices_are_exact() {
    let f = write_batch(vec![
        ("timestamp", Arc::new(Int64Array::from(vec![1_600_000_000_000i64])) as ArrayRef),
        ("price", Arc::new(StringArray::from(vec!["45.549999"]))),
        ("qty", Arc::new(Float64Array::from(vec![0.1]))),
        ("side", Arc::new(StringArray::from(vec!["BUY"]))),
    ]);
    let events = read(f.path(), ParquetContent::Trades(TickColumns::default()));
    let MarketEvent::Trade(t) = events[0] else { panic!() };
    assert_eq!(
        (t.price.to_string(), t.size.to_string(), t.aggressor),
        ("45.549999".into(), "0.1".into(), Some(Side::Buy))
    );
}
