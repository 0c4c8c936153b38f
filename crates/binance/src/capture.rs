//! Recorded WebSocket sessions.
//!
//! The format is hftbacktest's: one message per line, prefixed by the local
//! receive time in nanoseconds and a space, gzip-compressed or plain:
//!
//! ```text
//! 1723161254036059768 {"stream":"btcusdt@depth@100ms","data":{"e":"depthUpdate",...}}
//! ```
//!
//! A REST depth snapshot taken during the recording appears as a line of
//! its own. Lines are read one at a time into a reused buffer, so memory
//! stays flat however long the recording.

use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

use flate2::read::MultiGzDecoder;
use pyrt_model::UnixNanos;

/// One recorded line.
#[derive(Debug, Clone, Copy)]
pub struct Record<'a> {
    /// 1-based line number in the (decompressed) file.
    pub line: usize,
    /// When the recording host received the message (its clock).
    pub ts_recv: UnixNanos,
    /// The raw message as received.
    pub message: &'a str,
}

#[derive(Debug, thiserror::Error)]
pub enum CaptureError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}:{line}: {problem}")]
    BadLine { path: PathBuf, line: usize, problem: String },
}

/// Reads a capture file line by line.
pub struct CaptureReader {
    path: PathBuf,
    reader: Box<dyn BufRead + Send>,
    buf: String,
    line: usize,
}

impl CaptureReader {
    /// Opens a capture, gzip-compressed or not (decided by the file's first
    /// bytes, not its name).
    pub fn open(path: impl AsRef<Path>) -> Result<Self, CaptureError> {
        let path = path.as_ref().to_path_buf();
        let io = |source| CaptureError::Io { path: path.clone(), source };
        let mut file = File::open(&path).map_err(io)?;
        let mut magic = [0u8; 2];
        let n = file.read(&mut magic).map_err(io)?;
        let head = std::io::Cursor::new(magic[..n].to_vec()).chain(file);
        let reader: Box<dyn BufRead + Send> = if magic[..n] == [0x1f, 0x8b] {
            Box::new(BufReader::with_capacity(1 << 16, MultiGzDecoder::new(head)))
        } else {
            Box::new(BufReader::with_capacity(1 << 16, head))
        };
        Ok(Self::from_reader(path, reader))
    }

    /// Reads from any buffered source; `name` appears in error messages.
    pub fn from_reader(name: impl Into<PathBuf>, reader: Box<dyn BufRead + Send>) -> Self {
        Self { path: name.into(), reader, buf: String::new(), line: 0 }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The next non-empty line, or `None` at the end of the file.
    pub fn next_record(&mut self) -> Option<Result<Record<'_>, CaptureError>> {
        // Find the next non-empty line first, then borrow the buffer once.
        loop {
            self.buf.clear();
            match self.reader.read_line(&mut self.buf) {
                Ok(0) => return None,
                Ok(_) => {}
                Err(source) => return Some(Err(CaptureError::Io { path: self.path.clone(), source })),
            }
            self.line += 1;
            if !self.buf.trim().is_empty() {
                break;
            }
        }
        let text = self.buf.trim_end_matches(['\n', '\r']);
        let bad = |problem: String| CaptureError::BadLine { path: self.path.clone(), line: self.line, problem };
        let Some((ts, message)) = text.split_once(' ') else {
            return Some(Err(bad(
                "expected `<receive time in ns> <message>`, found no space after the timestamp".into()
            )));
        };
        match ts.parse::<i64>() {
            Ok(ts_recv) if ts_recv > 0 => Some(Ok(Record { line: self.line, ts_recv, message })),
            _ => Some(Err(bad(format!("receive timestamp `{ts}` is not a positive integer count of nanoseconds")))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reader(text: &'static str) -> CaptureReader {
        CaptureReader::from_reader("mem.txt", Box::new(text.as_bytes()))
    }

    #[test]
    fn reads_timestamp_and_message() {
        let mut r = reader("17 {\"a\":1}\n\n18 {\"b\": 2}\r\n");
        let first = r.next_record().unwrap().unwrap();
        assert_eq!((first.line, first.ts_recv, first.message), (1, 17, "{\"a\":1}"));
        let second = r.next_record().unwrap().unwrap();
        assert_eq!((second.line, second.ts_recv, second.message), (3, 18, "{\"b\": 2}"));
        assert!(r.next_record().is_none());
    }

    #[test]
    fn bad_lines_name_file_and_line() {
        let mut r = reader("17 {}\nabc {}\n");
        r.next_record().unwrap().unwrap();
        let err = r.next_record().unwrap().unwrap_err();
        assert_eq!(
            err.to_string(),
            "mem.txt:2: receive timestamp `abc` is not a positive integer count of nanoseconds"
        );
        let err = reader("{\"no\":\"timestamp\"}").next_record().unwrap().unwrap_err();
        assert!(err.to_string().starts_with("mem.txt:1: expected `<receive time in ns> <message>`"), "{err}");
    }

    #[test]
    fn missing_file_is_named() {
        let err = CaptureReader::open("/nonexistent/capture.gz").err().unwrap();
        assert!(err.to_string().starts_with("/nonexistent/capture.gz: "), "{err}");
    }
}
