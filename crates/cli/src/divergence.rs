//! `pyrt divergence RECORDING`: a recorded paper or live session replayed
//! (same decisions?) and backtested (same results?), for a built-in
//! strategy; a Python strategy's recording is compared from Python
//! (`py_rt.divergence`).

use std::path::Path;

use anyhow::{Context as _, Result, bail};
use pyrt_divergence::Divergence;
use pyrt_live::recording::Recording;

use crate::Format;

/// Prints the report. `Ok(false)` when the replay decided differently.
pub fn run(path: &Path, fees: Option<&str>, format: Format) -> Result<bool> {
    let recording = Recording::read(path)?;
    let s = &recording.header.strategy;
    if s.kind != "builtin" {
        bail!(
            "{} was recorded with the Python strategy `{}`: compare it from Python with \
             py_rt.divergence({:?}, {})",
            path.display(),
            s.name,
            path.display().to_string(),
            s.name
        );
    }
    pyrt_strategies::build(&s.name, &s.params).with_context(|| format!("the recorded strategy `{}`", s.name))?;
    let make = || pyrt_strategies::build(&s.name, &s.params).expect("built once above");
    let report = Divergence::of(&recording, make, fees)?;
    match format {
        Format::Json => println!("{}", serde_json::to_string_pretty(&report)?),
        Format::Table => print!("{report}"),
    }
    Ok(report.replay.identical())
}
