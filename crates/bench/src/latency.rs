//! Latency samples and their percentiles, for the `bench-*` commands.
//!
//! Each operation is timed on its own with `Instant`; the cost of reading
//! the clock twice, measured the same way, is subtracted so sub-100 ns
//! operations are not swamped by it.

use std::time::Instant;

use serde::Serialize;

/// Percentiles of one set of timings, in nanoseconds.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Percentiles {
    pub samples: usize,
    pub p50_ns: f64,
    pub p99_ns: f64,
    pub p999_ns: f64,
    pub max_ns: f64,
    pub mean_ns: f64,
}

impl Percentiles {
    /// One table row: `name` in `width` columns, then p50, p99, p99.9, max
    /// and mean in nanoseconds, under [`header`].
    pub fn row(&self, name: &str, width: usize) -> String {
        format!(
            "{name:<width$} {:>8.0} {:>8.0} {:>8.0} {:>9.0} {:>8.0}\n",
            self.p50_ns, self.p99_ns, self.p999_ns, self.max_ns, self.mean_ns
        )
    }
}

/// The header line above [`Percentiles::row`]s.
pub fn header(width: usize) -> String {
    format!("{:<width$} {:>8} {:>8} {:>8} {:>9} {:>8}\n", "latency (ns)", "p50", "p99", "p99.9", "max", "mean")
}

/// Collects timings with the clock overhead removed.
pub struct Recorder {
    samples: Vec<f64>,
    overhead: f64,
}

impl Recorder {
    pub fn new(capacity: usize) -> Self {
        let mut clock: Vec<f64> = (0..1000)
            .map(|_| {
                let t = Instant::now();
                t.elapsed().as_nanos() as f64
            })
            .collect();
        clock.sort_by(f64::total_cmp);
        Self { samples: Vec::with_capacity(capacity), overhead: clock[clock.len() / 2] }
    }

    /// The median cost of one `Instant::now()` + `elapsed()` pair.
    pub fn clock_overhead_ns(&self) -> f64 {
        self.overhead
    }

    /// Runs `op`, records how long it took, and returns its result.
    #[inline]
    pub fn time<T>(&mut self, op: impl FnOnce() -> T) -> T {
        let t = Instant::now();
        let out = op();
        let ns = t.elapsed().as_nanos() as f64;
        self.samples.push((ns - self.overhead).max(0.0));
        out
    }

    /// Records a timing taken elsewhere (the clock's cost is removed).
    pub fn push(&mut self, ns: f64) {
        self.samples.push((ns - self.overhead).max(0.0));
    }

    pub fn percentiles(mut self) -> Percentiles {
        self.samples.sort_by(f64::total_cmp);
        let s = &self.samples;
        let q = |p: f64| if s.is_empty() { 0.0 } else { s[((s.len() - 1) as f64 * p) as usize] };
        Percentiles {
            samples: s.len(),
            p50_ns: q(0.5),
            p99_ns: q(0.99),
            p999_ns: q(0.999),
            max_ns: s.last().copied().unwrap_or(0.0),
            mean_ns: if s.is_empty() { 0.0 } else { s.iter().sum::<f64>() / s.len() as f64 },
        }
    }
}
