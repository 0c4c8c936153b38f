//! ONNX inference in the signal path: one row at a time, as a strategy asks
//! on each bar, timed per row (p50/p99/p99.9), after the model's load.
//!
//! The model comes from `benches/ml_inference.sh` (a 200-tree LightGBM on
//! real ORCL features, exported by onnxmltools), or any float-input model;
//! rows are drawn at random around zero in the model's width.

use std::path::Path;
use std::time::Instant;

use anyhow::Result;
use rand::{RngExt, SeedableRng};
use serde::Serialize;

use crate::latency::Recorder;

#[derive(Debug, Serialize)]
pub struct MlBench {
    pub model: String,
    pub features: usize,
    pub rows: usize,
    pub load_ms: f64,
    pub p50_ns: f64,
    pub p99_ns: f64,
    pub p999_ns: f64,
    pub mean_ns: f64,
    pub clock_overhead_ns: f64,
}

pub fn run(model: &Path, rows: usize) -> Result<MlBench> {
    let runtime = pyrt_ml::Runtime::load()?;
    let started = Instant::now();
    let mut m = pyrt_ml::Model::load(&runtime, model)?;
    let load_ms = started.elapsed().as_secs_f64() * 1e3;
    let width = m.width();
    let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(11);
    let data: Vec<f32> = (0..rows * width).map(|_| rng.random_range(-1.0f32..1.0)).collect();
    // Warm-up: the first rows pay for lazy allocations.
    for row in data.chunks(width).take(100) {
        m.predict(row)?;
    }
    let mut rec = Recorder::new(rows);
    let mut sink = 0.0f32;
    for row in data.chunks(width) {
        sink += rec.time(|| m.predict(row))?;
    }
    std::hint::black_box(sink);
    let clock_overhead_ns = rec.clock_overhead_ns();
    let p = rec.percentiles();
    Ok(MlBench {
        model: model.display().to_string(),
        features: width,
        rows,
        load_ms,
        p50_ns: p.p50_ns,
        p99_ns: p.p99_ns,
        p999_ns: p.p999_ns,
        mean_ns: p.mean_ns,
        clock_overhead_ns,
    })
}

pub fn table(r: &MlBench) -> String {
    format!(
        "ONNX inference, one row at a time: {} ({} features), {} rows, loaded in {:.1} ms\n\
         p50   {:>9.0} ns\np99   {:>9.0} ns\np99.9 {:>9.0} ns\nmean  {:>9.0} ns\n(clock read overhead {:.1} ns subtracted)\n",
        r.model, r.features, r.rows, r.load_ms, r.p50_ns, r.p99_ns, r.p999_ns, r.mean_ns, r.clock_overhead_ns
    )
}
