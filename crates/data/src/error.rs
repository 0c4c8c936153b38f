//! Data errors that say where (file, line, field), what, and what to do.

use std::fmt;
use std::path::{Path, PathBuf};

/// A problem with input data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DataError {
    pub file: Option<PathBuf>,
    /// 1-based line in the file, when the problem is in a row.
    pub line: Option<u64>,
    /// The column name, when the problem is in one field.
    pub field: Option<String>,
    pub message: String,
    /// What the user can do about it.
    pub hint: Option<String>,
}

impl DataError {
    pub fn new(message: impl Into<String>) -> Self {
        Self { file: None, line: None, field: None, message: message.into(), hint: None }
    }
    pub fn in_file(mut self, file: &Path) -> Self {
        self.file = Some(file.to_path_buf());
        self
    }
    pub fn at_line(mut self, line: u64) -> Self {
        self.line = Some(line);
        self
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
        match (&self.file, self.line) {
            (Some(file), Some(line)) => write!(f, "{}:{line}: ", file.display())?,
            (Some(file), None) => write!(f, "{}: ", file.display())?,
            (None, Some(line)) => write!(f, "line {line}: ",)?,
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
