//! Recordings: a session's event stream in a file, to replay and compare.
//!
//! A recording is JSON lines: first a [`RecordingHeader`] (what the run
//! traded and how: instruments, cash, account, risk limits, strategy, bar
//! rule), then every [`Sequenced`] event of the stream in order. The
//! kernel's inputs are in it (market data as the strategies saw it, the
//! venue's reports as they arrived, the operator's actions), so a replay
//! gives the kernel exactly what it had (`pyrt divergence`).
//!
//! The file is written on a thread of its own behind a bounded queue with
//! the [`Overflow::Halt`] policy: if the writer falls behind or fails,
//! trading halts (the kill switch) rather than going on unrecorded, and
//! [`Recorder::finish`] says how many events were lost and why.

use std::collections::BTreeMap;
use std::io::{BufRead, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::thread::JoinHandle;

use pyrt_engine::events::DroppedCounter;
use pyrt_engine::{AccountKind, ChannelSink, Overflow, Sequenced};
use pyrt_model::{Instrument, Money};
use serde::{Deserialize, Serialize};

/// What the first line of a recording says it is.
pub const FORMAT: &str = "pyrt-recording";
pub const VERSION: u32 = 1;

/// Events the writer may fall behind by before trading halts.
pub const QUEUE: usize = 1 << 16;

/// The strategy a recorded run traded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordedStrategy {
    /// A built-in strategy's name, or a Python class's.
    pub name: String,
    /// Its parameters as text (for a Python strategy, as `str()` gave them).
    pub params: BTreeMap<String, String>,
    /// `"builtin"` or `"python"`.
    pub kind: String,
}

/// Everything a replay needs besides the events.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RecordingHeader {
    pub format: String,
    pub version: u32,
    pub instruments: Vec<Instrument>,
    pub initial_cash: Money,
    pub account: AccountKind,
    pub risk_limits: Option<pyrt_risk::RiskLimits>,
    pub strategy: RecordedStrategy,
    /// The rule bars were built by (`1m`, `tick:100`, …).
    pub bars: Option<String>,
    /// The venue sized notional orders itself (else the kernel's channel did).
    #[serde(default)]
    pub native_notional: bool,
    /// What the session took over from its run's earlier sessions
    /// (`Engine::adopt`), applied before the first event on replay too.
    #[serde(default)]
    pub adoption: Option<pyrt_engine::Adoption>,
}

impl RecordingHeader {
    pub fn new(
        instruments: Vec<Instrument>,
        initial_cash: Money,
        account: AccountKind,
        strategy: RecordedStrategy,
    ) -> Self {
        Self {
            format: FORMAT.into(),
            version: VERSION,
            instruments,
            initial_cash,
            account,
            risk_limits: None,
            strategy,
            bars: None,
            native_notional: false,
            adoption: None,
        }
    }
}

/// Why a recording could not be written or read.
#[derive(Debug, thiserror::Error)]
pub enum RecordingError {
    #[error("{path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    #[error("{path} already exists; record to a new file (a recording is never overwritten)")]
    Exists { path: PathBuf },
    #[error("{path} line {line}: {reason}")]
    Bad { path: PathBuf, line: usize, reason: String },
}

/// How a recording went.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct RecordingStats {
    pub path: PathBuf,
    pub events: u64,
    /// Events that never reached the file (trading was halted for them).
    pub lost: u64,
    /// Why the writer stopped early, if it did.
    pub error: Option<String>,
}

/// The writer thread of a recording.
pub struct Recorder {
    path: PathBuf,
    thread: JoinHandle<(u64, Option<String>)>,
    dropped: DroppedCounter,
}

/// Starts a recording at `path` (which must not exist): the sink to add
/// to the engine, and the recorder to finish once the engine is dropped.
pub fn record(path: &Path, header: &RecordingHeader) -> Result<(ChannelSink, Recorder), RecordingError> {
    let io = |source| RecordingError::Io { path: path.to_path_buf(), source };
    let file = match std::fs::OpenOptions::new().write(true).create_new(true).open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            return Err(RecordingError::Exists { path: path.to_path_buf() });
        }
        Err(e) => return Err(io(e)),
    };
    let mut out = BufWriter::new(file);
    serde_json::to_writer(&mut out, header).map_err(|e| io(e.into()))?;
    out.write_all(b"\n").map_err(io)?;
    out.flush().map_err(io)?;
    let (sink, rx, dropped) = ChannelSink::new(QUEUE, Overflow::Halt);
    let thread = std::thread::Builder::new()
        .name("pyrt-recorder".into())
        .spawn(move || {
            let mut written = 0u64;
            for event in rx {
                let line = serde_json::to_writer(&mut out, &event).map_err(std::io::Error::from);
                if let Err(e) = line.and_then(|()| out.write_all(b"\n")) {
                    // Dropping the receiver tells the sink: trading halts.
                    return (written, Some(e.to_string()));
                }
                written += 1;
            }
            match out.flush().and_then(|()| out.get_ref().sync_all()) {
                Ok(()) => (written, None),
                Err(e) => (written, Some(e.to_string())),
            }
        })
        .map_err(io)?;
    Ok((sink, Recorder { path: path.to_path_buf(), thread, dropped }))
}

impl Recorder {
    /// Waits for the writer to drain (the engine, which holds the sink,
    /// must be dropped first) and says how it went.
    pub fn finish(self) -> RecordingStats {
        let (events, error) =
            self.thread.join().unwrap_or_else(|_| (0, Some("the recording's writer panicked".to_string())));
        RecordingStats { path: self.path, events, lost: self.dropped.get(), error }
    }
}

/// A recording read back: its header and its events as JSON (the reader
/// takes what it needs from each; the event types are the stream's).
pub struct Recording {
    pub header: RecordingHeader,
    pub events: Vec<serde_json::Value>,
}

impl Recording {
    pub fn read(path: &Path) -> Result<Self, RecordingError> {
        let bad = |line: usize, reason: String| RecordingError::Bad { path: path.to_path_buf(), line, reason };
        let file =
            std::fs::File::open(path).map_err(|source| RecordingError::Io { path: path.to_path_buf(), source })?;
        let mut lines = std::io::BufReader::new(file).lines();
        let first = lines
            .next()
            .ok_or_else(|| bad(1, "empty file: not a recording".into()))?
            .map_err(|e| bad(1, e.to_string()))?;
        let header: RecordingHeader = serde_json::from_str(&first)
            .map_err(|e| bad(1, format!("not a {FORMAT} header ({e}); was this file written by --record?")))?;
        if header.format != FORMAT || header.version != VERSION {
            return Err(bad(
                1,
                format!("{} version {}; this build reads {FORMAT} version {VERSION}", header.format, header.version),
            ));
        }
        let mut events = Vec::new();
        for (i, line) in lines.enumerate() {
            let n = i + 2;
            let line = line.map_err(|e| bad(n, e.to_string()))?;
            if line.trim().is_empty() {
                continue;
            }
            let value: serde_json::Value = serde_json::from_str(&line).map_err(|e| {
                bad(n, format!("{e}; a recording cut short by a crash ends in a partial line: remove it and replay"))
            })?;
            let expected = events.len() as u64 + 1;
            if value["seq"].as_u64() != Some(expected) {
                return Err(bad(n, format!("sequence {} where {expected} was due: events are missing", value["seq"])));
            }
            events.push(value);
        }
        Ok(Self { header, events })
    }
}

/// The recorded events of a sink that keeps them (tests): as the file would hold them.
pub fn as_json(events: &[Sequenced]) -> Vec<serde_json::Value> {
    events.iter().map(|e| serde_json::to_value(e).expect("events serialize")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use pyrt_engine::{EventSink, NodeEvent};
    use pyrt_model::{InstrumentId, Price, Quantity};

    fn header() -> RecordingHeader {
        let instrument = Instrument::new(InstrumentId(0), "BTCUSDT", Price::from_int(1), Quantity::from_int(1));
        let strategy = RecordedStrategy { name: "sma_cross".into(), params: BTreeMap::new(), kind: "builtin".into() };
        RecordingHeader::new(vec![instrument], Money::from_int(1000), AccountKind::Cash, strategy)
    }

    fn event(seq: u64) -> Sequenced {
        let event = NodeEvent::Timer { strategy: pyrt_engine::StrategyId(0), name: format!("t{seq}") };
        Sequenced { seq, ts: seq as i64, ts_exchange: None, event }
    }

    #[test]
    fn a_recording_reads_back_as_written_and_is_never_overwritten() {
        let dir = std::env::temp_dir().join(format!("pyrt-recording-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("run.jsonl");
        let _ = std::fs::remove_file(&path);
        let (mut sink, recorder) = record(&path, &header()).unwrap();
        for seq in 1..=3 {
            sink.publish(&event(seq));
        }
        drop(sink);
        let stats = recorder.finish();
        assert_eq!((stats.events, stats.lost, stats.error), (3, 0, None));
        let back = Recording::read(&path).unwrap();
        assert_eq!(back.header, header());
        assert_eq!(back.events, as_json(&[event(1), event(2), event(3)]));
        assert!(matches!(record(&path, &header()), Err(RecordingError::Exists { .. })));

        // A gap and a cut line are named, by line.
        let text = std::fs::read_to_string(&path).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        let gap = dir.join("gap.jsonl");
        std::fs::write(&gap, [lines[0], lines[1], lines[3]].join("\n")).unwrap();
        let err = Recording::read(&gap).err().unwrap().to_string();
        assert!(err.contains("line 3: sequence 3 where 2 was due"), "{err}");
        let cut = dir.join("cut.jsonl");
        std::fs::write(&cut, format!("{}\n{}\n{}", lines[0], lines[1], &lines[2][..10])).unwrap();
        let err = Recording::read(&cut).err().unwrap().to_string();
        assert!(err.contains("line 3") && err.contains("partial line"), "{err}");
        let other = dir.join("other.jsonl");
        std::fs::write(&other, "{\"a\": 1}\n").unwrap();
        assert!(Recording::read(&other).err().unwrap().to_string().contains("written by --record"));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
