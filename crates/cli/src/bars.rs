//! `pyrt bars`: trades in, bars out (time, tick, volume or dollar bars).
//!
//! Trades come from a CSV (optionally gzipped; the trade readers' column
//! detection applies) or a Parquet file; bars go to CSV (streamed, flat
//! memory) or Parquet (exact decimals), in the layout `pyrt backtest`
//! reads back; the output appears only when the whole run succeeded.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;

use anyhow::{Context as _, Result};
use pyrt_data::{
    BarAggregator, BarRule, DataError, ParquetContent, ParquetOptions, ParquetReader, TickCsvOptions, TradeCsvReader,
    format_timestamp,
};
use pyrt_model::{Bar, MarketEvent};

use crate::output::Staged;

/// What a run produced.
pub struct BarsSummary {
    pub trades: u64,
    pub bars: u64,
}

pub fn run(trades: &Path, rule: &str, out: Option<&Path>, keep_partial: bool) -> Result<BarsSummary> {
    let rule: BarRule = rule.parse()?;
    let events: Box<dyn Iterator<Item = Result<MarketEvent, DataError>>> =
        if trades.extension().is_some_and(|e| e == "parquet") {
            let options = ParquetOptions::new(ParquetContent::Trades(Default::default()));
            Box::new(ParquetReader::open(trades, options)?)
        } else {
            Box::new(TradeCsvReader::open(trades, TickCsvOptions::default())?)
        };
    let mut agg = BarAggregator::new(rule);
    let mut summary = BarsSummary { trades: 0, bars: 0 };
    let mut sink = BarSink::open(out)?;
    for event in events {
        let MarketEvent::Trade(trade) = event? else { continue };
        summary.trades += 1;
        let bar = agg.on_trade(&trade).with_context(|| format!("in {}", trades.display()))?;
        if let Some(bar) = bar {
            sink.push(&bar)?;
            summary.bars += 1;
        }
    }
    // The last time bucket ends with the data; an unfinished count bar
    // has not reached its threshold and is left out unless asked for.
    if let Some(bar) = agg.finish()
        && (keep_partial || matches!(rule, BarRule::Time(_)))
    {
        sink.push(&bar)?;
        summary.bars += 1;
    }
    sink.finish()?;
    Ok(summary)
}

/// Where bars go: CSV as they come, or Parquet at the end; either way
/// staged, so a failed run leaves no partial output.
struct BarSink {
    staged: Staged,
    kind: SinkKind,
}

enum SinkKind {
    Csv(BufWriter<File>),
    Parquet(Vec<Bar>),
}

impl BarSink {
    fn open(out: Option<&Path>) -> Result<Self> {
        let mut staged = Staged::new(out)?;
        let kind = if out.is_some_and(|p| p.extension().is_some_and(|e| e == "parquet")) {
            SinkKind::Parquet(Vec::new())
        } else {
            let mut w = BufWriter::new(staged.file().try_clone()?);
            writeln!(w, "timestamp,open,high,low,close,volume")?;
            SinkKind::Csv(w)
        };
        Ok(BarSink { staged, kind })
    }

    fn push(&mut self, bar: &Bar) -> Result<()> {
        match &mut self.kind {
            SinkKind::Csv(w) => writeln!(
                w,
                "{},{},{},{},{},{}",
                format_timestamp(bar.ts_event),
                bar.open,
                bar.high,
                bar.low,
                bar.close,
                bar.volume
            )?,
            SinkKind::Parquet(bars) => bars.push(*bar),
        }
        Ok(())
    }

    fn finish(self) -> Result<()> {
        match self.kind {
            SinkKind::Csv(mut w) => w.flush()?,
            SinkKind::Parquet(bars) => pyrt_data::write_bars_parquet(self.staged.path(), &bars)?,
        }
        self.staged.commit()
    }
}
