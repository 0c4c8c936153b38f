//! What `pyrt backtest` reports beyond the statistics: rejected orders
//! (counted in the table and the JSON, an error under `--strict`), and
//! adjusted prices from a Yahoo file's "Adj Close".

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Output};

fn pyrt(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_pyrt")).args(args).output().expect("pyrt runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn risk_file() -> tempfile::NamedTempFile {
    let mut f = tempfile::Builder::new().suffix(".toml").tempfile().unwrap();
    f.write_all(b"[order_limits]\nmax_notional = 1000\n").unwrap();
    f
}

#[test]
fn rejected_orders_are_counted_and_named_in_json_and_table() {
    let risk = risk_file();
    let risk = risk.path().to_str().unwrap();
    let o = pyrt(&["backtest", "--format", "json", "--risk", risk]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let n = v["num_rejected"].as_u64().unwrap();
    assert!(n > 0 && v["num_fills"] == 0, "{v}");
    assert_eq!(v["rejections"]["total"], n);
    assert_eq!(v["rejections"]["by_code"]["MAX_ORDER_NOTIONAL"], n);
    let first = &v["rejections"]["examples"][0];
    assert_eq!(first["code"], "MAX_ORDER_NOTIONAL");
    assert!(first["reason"].as_str().unwrap().contains("exceeds the limit 1000"), "{first}");

    let o = pyrt(&["backtest", "--risk", risk]);
    assert!(o.status.success());
    let table = text(&o.stdout);
    assert!(
        table.lines().any(|l| l.starts_with("rejected orders") && l.trim_end().ends_with(&n.to_string())),
        "{table}"
    );
    let err = text(&o.stderr);
    assert!(err.contains(&format!("warning: {n} orders rejected (MAX_ORDER_NOTIONAL {n}); first: O-1 at")), "{err}");
    assert!(err.contains("--strict makes this an error"), "{err}");

    let clean = pyrt(&["backtest", "--format", "json"]);
    let v: serde_json::Value = serde_json::from_slice(&clean.stdout).unwrap();
    assert_eq!((v["num_rejected"].as_u64(), v["rejections"]["total"].as_u64()), (Some(0), Some(0)));
    assert!(text(&clean.stderr).is_empty(), "{}", text(&clean.stderr));
}

#[test]
fn strict_fails_a_run_with_rejections_and_still_writes_its_report() {
    let risk = risk_file();
    let dir = tempfile::tempdir().unwrap();
    let args = ["backtest", "--strict", "--format", "json", "--risk", risk.path().to_str().unwrap()];
    let o = pyrt(&[&args[..], &["--out", dir.path().to_str().unwrap()]].concat());
    assert!(!o.status.success());
    let err = text(&o.stderr);
    assert!(err.contains("orders rejected (MAX_ORDER_NOTIONAL") && err.contains("strict run"), "{err}");
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("summary.json")).unwrap()).unwrap();
    assert!(summary["num_rejected"].as_u64().unwrap() > 0);
    // A strict run without rejections passes.
    assert!(pyrt(&["backtest", "--strict", "--format", "json"]).status.success());
}

fn orcl() -> Option<PathBuf> {
    let dir = std::env::var_os("PYRT_SHARED_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data"));
    let path = dir.join("backtrader/orcl-1995-2014.txt");
    if !path.exists() {
        eprintln!("skipped: {} not found (set PYRT_SHARED_DATA)", path.display());
        return None;
    }
    Some(path)
}

#[test]
fn adj_close_trades_on_adjusted_bars() {
    let Some(orcl) = orcl() else { return };
    let orcl = orcl.to_str().unwrap();
    let run = |extra: &[&str]| {
        let o = pyrt(&[&["backtest", "--data", orcl, "--format", "json"], extra].concat());
        assert!(o.status.success(), "{}", text(&o.stderr));
        serde_json::from_slice::<serde_json::Value>(&o.stdout).unwrap()
    };
    let raw = run(&[]);
    let adjusted = run(&["--close-column", "Adj Close"]);
    assert!(adjusted["num_fills"].as_u64().unwrap() > 10);
    // Dividends make the adjusted series rise faster than the raw one: the
    // same strategy ends elsewhere.
    assert_ne!(raw["final_equity"], adjusted["final_equity"]);
}

#[test]
fn fill_rules_read_the_same_in_every_spelling() {
    let Some(orcl) = orcl() else { return };
    let orcl = orcl.to_str().unwrap();
    // `next_open` (Python's spelling) and `next-open` are one setting.
    let run = |fill: &str| {
        let o = pyrt(&["backtest", "--data", orcl, "--fill", fill, "--format", "json"]);
        assert!(o.status.success(), "{fill}: {}", text(&o.stderr));
        serde_json::from_slice::<serde_json::Value>(&o.stdout).unwrap()["final_equity_exact"].clone()
    };
    assert_eq!(run("next_open"), run("next-open"));
    assert_ne!(run("close"), run("next-open"));
}
