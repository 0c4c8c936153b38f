//! Data errors that say where (file, line, field), what, and what to do.

use std::fmt;
use std::path::{Path, PathBuf};

/// A place in a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Position {
    /// 1-based line of a text file.
    Line(u64),
    /// 1-based row of a columnar file.
    Row(u64),
}

/// A problem with input data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DataError {
    pub file: Option<PathBuf>,
    /// Where in the file, when the problem is in one row.
    pub position: Option<Position>,
    /// The column name, when the problem is in one field.
    pub field: Option<String>,
    pub message: String,
    /// What the user can do about it.
    pub hint: Option<String>,
}

impl DataError {
    pub fn new(message: impl Into<String>) -> Self {
        Self { file: None, position: None, field: None, message: message.into(), hint: None }
    }
    pub fn in_file(mut self, file: &Path) -> Self {
        self.file = Some(file.to_path_buf());
        self
    }
    pub fn at_line(mut self, line: u64) -> Self {
        self.position = Some(Position::Line(line));
        self
    }
    pub fn at_row(mut self, row: u64) -> Self {
        self.position = Some(Position::Row(row));
        self
    }
    /// The 1-based line, for errors in text files.
    pub fn line(&self) -> Option<u64> {
        match self.position {
            Some(Position::Line(l)) => Some(l),
            _ => None,
        }
    }
    pub fn in_field(mut self, field: impl Into<String>) -> Self {
        self.field = Some(field.into());
        self
    }
    pub fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }
}

impl fmt::Display for DataError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.file, self.position) {
            (Some(file), Some(Position::Line(line))) => write!(f, "{}:{line}: ", file.display())?,
            (Some(file), Some(Position::Row(row))) => write!(f, "{}: row {row}: ", file.display())?,
            (Some(file), None) => write!(f, "{}: ", file.display())?,
            (None, Some(Position::Line(line))) => write!(f, "line {line}: ")?,
            (None, Some(Position::Row(row))) => write!(f, "row {row}: ")?,
            (None, None) => {}
        }
        if let Some(field) = &self.field {
            write!(f, "field `{field}`: ")?;
        }
        f.write_str(&self.message)?;
        if let Some(hint) = &self.hint {
            write!(f, " ({hint})")?;
        }
        Ok(())
    }
}

impl std::error::Error for DataError {}
