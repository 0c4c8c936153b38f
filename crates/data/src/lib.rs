//! Market data in: CSV and Parquet readers (bars, trades, quotes) with validation, seeded synthetic data,
//! the time-merge of several streams, and bars built from trades.
//!
//! Every reader is an iterator of `Result<MarketEvent, DataError>` that
//! holds one row at a time, so the kernel can replay files of any length
//! in flat memory. Errors name the file, line and field, and say what to do.

pub mod aggregate;
pub mod bars_csv;
pub mod columns;
mod csv_source;
pub mod error;
pub mod merge;
#[cfg(feature = "parquet")]
pub mod parquet_reader;
#[cfg(feature = "parquet")]
pub mod parquet_writer;
pub mod synthetic;
pub mod ticks_csv;
pub mod timestamp;
mod validate;

pub use aggregate::{AggregateError, BarAggregator, BarRule, BarRuleError};
pub use bars_csv::{BarColumns, BarCsvOptions, BarCsvReader};
pub use columns::{BarSlices, bars_from_slices};
pub use csv_source::OnInvalid;
pub use error::{DataError, Position};
pub use merge::Merge;
#[cfg(feature = "parquet")]
pub use parquet_reader::{ParquetContent, ParquetOptions, ParquetReader};
#[cfg(feature = "parquet")]
pub use parquet_writer::{write_bars_parquet, write_columns_parquet};
pub use synthetic::{GbmBars, GbmParams, GbmTicks};
pub use ticks_csv::{QuoteCsvReader, TickColumns, TickCsvOptions, TradeCsvReader};
pub use timestamp::{format_timestamp, parse_timestamp};
