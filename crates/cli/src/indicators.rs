//! `pyrt indicators`: a feature spec over a bar file, to CSV or Parquet.
//!
//! CSV streams row by row (memory stays flat); Parquet collects the columns
//! and writes them at the end. Either appears only when the whole run
//! succeeded (`output::Staged`). Values are written in full precision (the
//! shortest text that reads back to the same float); warm-up values are
//! empty cells (CSV) or nulls (Parquet).

use std::io::{BufWriter, Write};
use std::path::Path;

use anyhow::{Result, bail};
use pyrt_data::format_timestamp;
use pyrt_indicators::{Candle, FeaturePipeline};
use pyrt_model::{Bar, MarketEvent};

use crate::backtest::open_data;
use crate::output::Staged;
use pyrt_settings::{Feed, RunConfig};

/// A bar as the indicators see it (floats: indicators are statistics).
pub fn candle(b: &Bar) -> Candle {
    Candle {
        ts: b.ts_event,
        open: b.open.to_f64(),
        high: b.high.to_f64(),
        low: b.low.to_f64(),
        close: b.close.to_f64(),
        volume: b.volume.to_f64(),
    }
}

pub fn run(data: &Path, spec: &str, out: Option<&Path>) -> Result<()> {
    let mut pipeline = FeaturePipeline::from_spec(spec)?;
    let config = RunConfig { feeds: vec![Feed::from_path(data.to_path_buf())], ..RunConfig::default() };
    let (_, events) = open_data(&config)?;
    let columns = pipeline.columns().to_vec();
    let mut row = vec![0.0; columns.len()];
    let candle_of = |e: MarketEvent| match e {
        MarketEvent::Bar(b) => Ok((b.ts_event, candle(&b))),
        other => bail!("expected bars, found {other:?}"),
    };
    let mut staged = Staged::new(out)?;
    if out.is_some_and(|path| path.extension().is_some_and(|e| e == "parquet")) {
        let mut times = Vec::new();
        let mut cols = vec![Vec::new(); columns.len()];
        for event in events {
            let (ts, candle) = candle_of(event?)?;
            pipeline.update(&candle, &mut row)?;
            times.push(ts);
            cols.iter_mut().zip(&row).for_each(|(c, v)| c.push(*v));
        }
        pyrt_data::write_columns_parquet(staged.path(), &times, &columns, &cols)?;
    } else {
        let mut w = BufWriter::new(staged.file());
        // `timestamp`, as the Parquet output and `pyrt bars` name it.
        writeln!(w, "timestamp,{}", columns.join(","))?;
        for event in events {
            let (ts, candle) = candle_of(event?)?;
            pipeline.update(&candle, &mut row)?;
            write!(w, "{}", format_timestamp(ts))?;
            for v in &row {
                if v.is_nan() {
                    w.write_all(b",")?;
                } else {
                    write!(w, ",{v}")?;
                }
            }
            w.write_all(b"\n")?;
        }
        w.flush()?;
    }
    staged.commit()?;
    Ok(())
}
