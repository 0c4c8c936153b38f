//! The `pyrt-bench` binary on small inputs: each benchmark runs and
//! measures what it says, and bad input gets a clear error.

use std::io::Write;
use std::process::{Command, Output};

fn bench(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_pyrt-bench")).args(args).output().expect("pyrt-bench runs")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn file(content: &str, suffix: &str) -> tempfile::NamedTempFile {
    let mut f = tempfile::Builder::new().suffix(suffix).tempfile().unwrap();
    f.write_all(content.as_bytes()).unwrap();
    f
}

#[test]
fn book_decision_and_l2_replay_a_small_capture_and_names_bad_input() {
    let capture = file(
        concat!(
            "1 {\"e\":\"depthUpdate\",\"E\":1,\"s\":\"X\",\"U\":5,\"u\":6,\"b\":[[\"9\",\"1\"]],\"a\":[]}\n",
            "2 {\"lastUpdateId\":5,\"bids\":[[\"9\",\"2\"],[\"8\",\"1\"]],\"asks\":[[\"10\",\"1\"]]}\n",
            "3 {\"e\":\"depthUpdate\",\"E\":3,\"s\":\"X\",\"U\":7,\"u\":9,\"b\":[[\"9\",\"0\"]],\"a\":[[\"11\",\"4\"]]}\n",
        ),
        ".txt",
    );
    let path = capture.path().to_str().unwrap();
    let o = bench(&["book", "--capture", path, "--market", "spot", "--format", "json", "--repeats", "1"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!((v["messages"].as_u64(), v["depth_messages"].as_u64()), (Some(3), Some(2)));
    // Both diffs are timed; the snapshot's own levels are not level changes.
    assert_eq!(v["message"]["samples"].as_u64(), Some(2));
    assert_eq!(v["level"]["samples"].as_u64(), Some(3));

    // The same capture through the live decision path: the second diff
    // moves the touch, so the market maker quotes again.
    let o = bench(&["decision", "--capture", path, "--market", "spot", "--format", "json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["frames"].as_u64(), Some(3));
    assert!(v["commands"].as_u64().unwrap() >= 2, "{v}");

    // The same capture as an order-book backtest.
    let o = bench(&["l2", "--capture", path, "--market", "spot", "--format", "json", "--repeats", "1"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    // clear + 3 snapshot levels, then the joined diff (1 level) and the last one (2 levels).
    assert_eq!(v["book_deltas"].as_u64(), Some(7), "{v}");
    let o = bench(&["l2", "--capture", path, "--tick-size", "0.3"]);
    assert!(!o.status.success());
    assert!(stderr(&o).contains("not a multiple of the tick size 0.3"), "{}", stderr(&o));

    let o = bench(&["book", "--capture", "/nonexistent/cap.gz"]);
    assert!(!o.status.success());
    assert!(stderr(&o).contains("capture /nonexistent/cap.gz not found; pass --capture"), "{}", stderr(&o));

    let bad = file("1 {\"e\":\"depthUpdate\",\"E\":1}\n", ".txt");
    let o = bench(&["book", "--capture", bad.path().to_str().unwrap()]);
    assert!(!o.status.success());
    assert!(stderr(&o).contains("message 1") && stderr(&o).contains("missing field"), "{}", stderr(&o));

    let gap = file(
        concat!(
            "1 {\"lastUpdateId\":5,\"bids\":[[\"9\",\"2\"]],\"asks\":[[\"10\",\"1\"]]}\n",
            "2 {\"e\":\"depthUpdate\",\"E\":3,\"s\":\"X\",\"U\":8,\"u\":9,\"b\":[],\"a\":[]}\n",
        ),
        ".txt",
    );
    let o = bench(&["book", "--capture", gap.path().to_str().unwrap(), "--market", "spot"]);
    assert!(!o.status.success());
    assert!(stderr(&o).contains("lost sync"), "{}", stderr(&o));
}

#[test]
fn the_engine_benchmark_reports_throughput_on_synthetic_bars() {
    let o = bench(&["engine", "--bars", "20000", "--stream-bars", "1000", "--repeats", "1", "--format", "json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert!(v["bars_per_sec_best"].as_f64().unwrap() > 0.0 && v["fills"].as_u64().unwrap() > 0, "{v}");
}

#[test]
fn the_venue_load_benchmark_places_orders_and_reads_books_without_errors() {
    for endpoint in ["order", "depth", "mixed"] {
        let out =
            bench(&["venue-load", "--endpoint", endpoint, "--clients", "4", "--seconds", "1", "--format", "json"]);
        assert!(out.status.success(), "{}", stderr(&out));
        let r: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(r["errors"], 0, "{r:#}");
        assert!(r["requests"].as_u64().unwrap() > 0, "{r:#}");
        assert_eq!(r["slices"].as_array().unwrap().len(), 1);
        assert!(r["p99_us"].as_f64().unwrap() >= r["p50_us"].as_f64().unwrap());
        let kinds: Vec<&str> =
            r["by_endpoint"].as_array().unwrap().iter().map(|l| l["endpoint"].as_str().unwrap()).collect();
        let want: &[&str] = if endpoint == "mixed" { &["order", "depth"] } else { &[endpoint] };
        assert_eq!(kinds, want, "{r:#}");
    }
    let bad = bench(&["venue-load", "--clients", "0"]);
    assert!(!bad.status.success());
    assert!(stderr(&bad).contains("--clients must be at least 1"), "{}", stderr(&bad));
}

#[test]
fn the_inference_benchmark_times_every_row() {
    if std::env::var_os("ORT_DYLIB_PATH").is_none() {
        eprintln!("skipped: ORT_DYLIB_PATH is not set (scripts/test.sh sets it to the onnxruntime wheel's library)");
        return;
    }
    let model = concat!(env!("CARGO_MANIFEST_DIR"), "/../ml/tests/data/linear.onnx");
    let out = bench(&["ml", "--model", model, "--rows", "2000", "--format", "json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let r: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!((r["rows"].as_u64(), r["features"].as_u64()), (Some(2000), Some(3)), "{r:#}");
    assert!(r["p99_ns"].as_f64().unwrap() >= r["p50_ns"].as_f64().unwrap() && r["p50_ns"].as_f64().unwrap() > 0.0);
    let missing = bench(&["ml", "--model", "/nonexistent.onnx"]);
    assert!(!missing.status.success() && stderr(&missing).contains("nonexistent.onnx"), "{}", stderr(&missing));
}
