//! Output that appears whole or not at all.
//!
//! A command that fails half-way (a bad row on line 90,000) must not leave
//! a truncated CSV behind, or half of one on standard output, that looks
//! like a result. So every output is written to a temporary file first: on
//! success it is renamed into place (same directory, so the rename is
//! atomic) or copied to standard output; on failure it is deleted.

use std::fs::File;
use std::io::{Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result};
use tempfile::NamedTempFile;

pub struct Staged {
    tmp: NamedTempFile,
    /// Where it goes on success; standard output when `None`.
    dest: Option<PathBuf>,
}

impl Staged {
    pub fn new(dest: Option<&Path>) -> Result<Self> {
        let tmp = match dest {
            Some(path) => {
                let dir = path.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
                NamedTempFile::new_in(dir).with_context(|| format!("cannot create {}", path.display()))?
            }
            None => NamedTempFile::new().context("cannot create a temporary file for the output")?,
        };
        Ok(Self { tmp, dest: dest.map(Path::to_path_buf) })
    }

    /// The file to write to.
    pub fn file(&mut self) -> &mut File {
        self.tmp.as_file_mut()
    }

    /// Its path, for writers that open the file themselves.
    pub fn path(&self) -> &Path {
        self.tmp.path()
    }

    /// Moves the finished output into place.
    pub fn commit(mut self) -> Result<()> {
        match self.dest {
            Some(path) => {
                self.tmp.persist(&path).with_context(|| format!("cannot write {}", path.display()))?;
            }
            None => {
                let file = self.tmp.as_file_mut();
                file.seek(SeekFrom::Start(0))?;
                let mut stdout = std::io::stdout().lock();
                std::io::copy(file, &mut stdout)?;
                stdout.flush()?;
            }
        }
        Ok(())
    }
}
