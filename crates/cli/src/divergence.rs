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
/// `round_trip_ns`: the backtest's order round trip (`None`: measured).
pub fn run(path: &Path, fees: Option<&str>, round_trip_ns: Option<i64>, format: Format) -> Result<bool> {
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
    let report = Divergence::of(&recording, make, fees, round_trip_ns)?;
    match format {
        Format::Json => println!("{}", serde_json::to_string_pretty(&report)?),
        Format::Table => print!("{report}"),
    }
    Ok(report.replay.identical())
}

/// `--round-trip-ms`: milliseconds, zero or more and at most a day, as ns.
pub fn round_trip_ms(text: &str) -> Result<i64, String> {
    let ms: f64 = text.parse().map_err(|_| format!("`{text}` is not a number of milliseconds"))?;
    pyrt_divergence::latency::round_trip_ns(ms).ok_or_else(|| format!("{ms} ms: give between 0 and 86400000 (a day)"))
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_round_trip_is_milliseconds_within_a_day() {
        assert_eq!(super::round_trip_ms("2.5"), Ok(2_500_000));
        assert_eq!(super::round_trip_ms("0"), Ok(0));
        for bad in ["-1", "NaN", "1e9", "fast"] {
            assert!(super::round_trip_ms(bad).is_err(), "{bad}");
        }
    }
}
