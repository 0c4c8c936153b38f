//! The `pyrt` binary as a user runs it: outputs and error messages.

use std::io::Write;
use std::process::{Command, Output};

fn pyrt(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_pyrt")).args(args).output().expect("pyrt runs")
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
fn default_backtest_runs_on_synthetic_data_and_json_has_the_contract_keys() {
    let o = pyrt(&["backtest", "--format", "json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    for key in ["final_equity", "total_return", "sharpe", "max_drawdown", "num_fills", "num_round_trips"] {
        assert!(v.get(key).is_some(), "missing {key} in {v}");
    }
    assert!(v["num_fills"].as_u64().unwrap() > 10);
    // Deterministic: the same seed gives the same result.
    let again: serde_json::Value = serde_json::from_slice(&pyrt(&["backtest", "--format", "json"]).stdout).unwrap();
    assert_eq!(v, again);
    let other: serde_json::Value =
        serde_json::from_slice(&pyrt(&["backtest", "--format", "json", "--seed", "7"]).stdout).unwrap();
    assert_ne!(v["final_equity"], other["final_equity"]);
}

#[test]
fn every_builtin_strategy_runs() {
    for name in ["sma_cross", "rsi_reversion", "bollinger_breakout", "momentum"] {
        let o = pyrt(&["backtest", "--strategy", name, "--format", "json", "--bars", "1000"]);
        assert!(o.status.success(), "{name}: {}", stderr(&o));
        let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        assert!(v["num_fills"].as_u64().unwrap() > 0, "{name} never traded");
    }
}

#[test]
fn out_dir_gets_every_report_file() {
    let dir = tempfile::tempdir().unwrap();
    let o = pyrt(&["backtest", "--out", dir.path().to_str().unwrap(), "--format", "json", "--fees", "bps:5"]);
    assert!(o.status.success(), "{}", stderr(&o));
    for f in ["summary.json", "equity.csv", "trades.csv", "fills.csv", "report.html"] {
        assert!(dir.path().join(f).exists(), "{f} missing");
    }
    let html = std::fs::read_to_string(dir.path().join("report.html")).unwrap();
    assert!(html.contains("<svg") && html.contains("Max drawdown") && !html.contains("<script"));
    let fills = std::fs::read_to_string(dir.path().join("fills.csv")).unwrap();
    assert!(fills.lines().nth(1).unwrap().split(',').nth(6).unwrap() != "0", "fees charged: {fills}");
}

#[test]
fn fifo_writes_the_lot_report_and_leaves_equity_as_average_cost_has_it() {
    let run = |basis: &str| {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().to_str().unwrap().to_string();
        let o = pyrt(&["backtest", "--out", &out, "--format", "json", "--cost-basis", basis, "--account", "margin"]);
        assert!(o.status.success(), "{}", stderr(&o));
        let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        let lots = std::fs::read_to_string(dir.path().join("lots.csv")).ok();
        (v["final_equity_exact"].clone(), lots)
    };
    let (average, no_lots) = run("average");
    let (fifo, lots) = run("fifo");
    assert_eq!(average, fifo, "the basis never changes equity");
    assert!(no_lots.is_none(), "average cost keeps no lots");
    let lots = lots.expect("lots.csv under fifo");
    let mut lines = lots.lines();
    assert_eq!(
        lines.next(),
        Some("symbol,side,qty,open_time,open_order_id,open_price,close_time,close_order_id,close_price,pnl")
    );
    assert!(lines.count() > 5, "{lots}");
}

#[test]
fn bad_parameters_and_flags_fail_with_a_message() {
    let cases: &[(&[&str], &str)] = &[
        (
            &["backtest", "--param", "fsat=3"],
            "unknown parameter `fsat` for strategy sma_cross; valid parameters: fast, slow",
        ),
        (&["backtest", "--param", "fast=40"], "fast (40) must be shorter than slow (30)"),
        (&["backtest", "--strategy", "nope"], "unknown strategy `nope`; available:"),
        (&["backtest", "--param", "fast"], "invalid --param `fast`: expected NAME=VALUE"),
        (&["backtest", "--fill", "tomorrow"], "invalid --fill `tomorrow`"),
        (&["backtest", "--cost-basis", "hifo"], "invalid --cost-basis: cost basis `hifo`: use average, fifo or lifo"),
        (&["backtest", "--fees", "bps:x"], "--fees: invalid fees `bps:x`"),
        (&["backtest", "--cash=-5"], "account.cash must be greater than zero"),
        (&["backtest", "--cash", "NaN"], "invalid --cash `NaN`"),
        (&["backtest", "--data", "/no/such.csv"], "/no/such.csv: cannot open"),
    ];
    for (args, want) in cases {
        let o = pyrt(args);
        assert!(!o.status.success(), "{args:?} should fail");
        assert!(stderr(&o).contains(want), "{args:?}: {}", stderr(&o));
        assert!(!stderr(&o).contains("panicked"), "{args:?} panicked");
    }
}

#[test]
fn unknown_config_keys_are_errors_with_the_key_named() {
    let cfg = file("[account]\ncash = 1000\ncahs = 5\n", ".toml");
    let o = pyrt(&["backtest", "--config", cfg.path().to_str().unwrap()]);
    assert!(!o.status.success());
    let err = stderr(&o);
    assert!(err.contains("invalid config") && err.contains("unknown field `cahs`"), "{err}");
}

#[test]
fn malformed_data_names_file_line_and_field() {
    let csv = file("Date,Open,High,Low,Close,Volume\n2020-01-01,1,2,0.5,1,10\n2020-01-02,1,2,0.5,oops,10\n", ".csv");
    let o = pyrt(&["backtest", "--data", csv.path().to_str().unwrap()]);
    assert!(!o.status.success());
    let want = format!("{}:3: field `Close`: `oops` is not a number", csv.path().display());
    assert!(stderr(&o).contains(&want), "{}", stderr(&o));
}

#[test]
fn config_file_and_flags_combine() {
    let csv = file(
        "Date,Open,High,Low,Close,Volume\n2020-01-01,10,11,9,10,10\n2020-01-02,10,11,9,10.5,10\n2020-01-03,10,11,9,11,10\n",
        ".csv",
    );
    let cfg = file(
        &format!(
            "[[feeds]]\npath = \"{}\"\nsymbol = \"ABC\"\n[strategy]\nname = \"momentum\"\nparams = {{ lookback = 1 }}\n",
            csv.path().display()
        ),
        ".toml",
    );
    let o = pyrt(&["backtest", "--config", cfg.path().to_str().unwrap(), "--format", "json", "--cash", "1000"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["symbols"][0], "ABC");
    assert_eq!(v["initial_equity"], 1000.0);
    // Momentum enters after bar 2 (+5 %): one fill at bar 3's open (10), 100 shares.
    assert_eq!(v["num_fills"], 1);
    assert_eq!(v["final_equity"], 1100.0);
}

#[test]
fn strategies_lists_parameters() {
    let o = pyrt(&["strategies"]);
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(out.contains("sma_cross") && out.contains("--param fast=<int> (default 10)"), "{out}");
}

#[test]
fn parquet_and_csv_feeds_give_the_same_backtest() {
    let day = 86_400_000_000_000i64;
    let rows: String = (0..60)
        .map(|d| {
            let c = 10.0 + ((d as f64) * 0.7).sin() * 2.0;
            let date = &pyrt_data::format_timestamp(1_577_836_800_000_000_000 + d * day)[..10];
            format!("{date},{c:.2},{:.2},{:.2},{c:.2},100\n", c + 0.5, c - 0.5)
        })
        .collect();
    let csv = file(&format!("Date,Open,High,Low,Close,Volume\n{rows}"), ".csv");
    let bars: Vec<_> = pyrt_data::BarCsvReader::open(csv.path(), Default::default())
        .unwrap()
        .map(|e| match e.unwrap() {
            pyrt_model::MarketEvent::Bar(b) => b,
            _ => unreachable!(),
        })
        .collect();
    let pq = tempfile::Builder::new().suffix(".parquet").tempfile().unwrap();
    pyrt_data::write_bars_parquet(pq.path(), &bars).unwrap();
    let args = ["--param", "fast=3", "--param", "slow=8", "--format", "json", "--symbol", "X"];
    let a = pyrt(&[&["backtest", "--data", csv.path().to_str().unwrap()], &args[..]].concat());
    let b = pyrt(&[&["backtest", "--data", pq.path().to_str().unwrap()], &args[..]].concat());
    assert!(a.status.success() && b.status.success(), "{} {}", stderr(&a), stderr(&b));
    assert_eq!(a.stdout, b.stdout);
    let v: serde_json::Value = serde_json::from_slice(&a.stdout).unwrap();
    assert!(v["num_fills"].as_u64().unwrap() > 2);
}

#[test]
fn indicators_to_csv_and_parquet_and_bad_specs() {
    let rows: String = (0..40)
        .map(|d| {
            let c = 10.0 + (d as f64 * 0.5).sin();
            let date = &pyrt_data::format_timestamp(1_577_836_800_000_000_000 + d * 86_400_000_000_000)[..10];
            format!("{date},{c:.2},{:.2},{:.2},{c:.2},100\n", c + 0.5, c - 0.5)
        })
        .collect();
    let csv = file(&format!("Date,Open,High,Low,Close,Volume\n{rows}"), ".csv");
    let dir = tempfile::tempdir().unwrap();
    let (out_csv, out_pq) = (dir.path().join("f.csv"), dir.path().join("f.parquet"));
    for out in [&out_csv, &out_pq] {
        let o = pyrt(&[
            "indicators",
            "--data",
            csv.path().to_str().unwrap(),
            "--spec",
            "sma:3,macd:3:5:2",
            "--out",
            out.to_str().unwrap(),
        ]);
        assert!(o.status.success(), "{}", stderr(&o));
    }
    let text = std::fs::read_to_string(&out_csv).unwrap();
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some("timestamp,sma:3,macd:3:5:2.macd,macd:3:5:2.signal,macd:3:5:2.hist"));
    let row3: Vec<&str> = lines.nth(2).unwrap().split(',').collect();
    assert!(!row3[1].is_empty() && row3[2].is_empty(), "sma warm by row 3, macd not: {row3:?}");
    assert_eq!(text.lines().count(), 41);
    assert!(std::fs::metadata(&out_pq).unwrap().len() > 0);
    let o = pyrt(&["indicators", "--data", csv.path().to_str().unwrap(), "--spec", "sma:3,rsx:2"]);
    assert!(!o.status.success());
    assert!(stderr(&o).contains("unknown feature `rsx` in `rsx:2`; valid names:"), "{}", stderr(&o));
}

#[test]
fn risk_limits_from_a_file_deny_orders_and_bad_files_are_named() {
    let risk = file("[order_limits]\nmax_notional = 1000\n", ".toml");
    let base = pyrt(&["backtest", "--format", "json"]);
    let limited = pyrt(&["backtest", "--format", "json", "--risk", risk.path().to_str().unwrap()]);
    assert!(limited.status.success(), "{}", stderr(&limited));
    let (a, b): (serde_json::Value, serde_json::Value) =
        (serde_json::from_slice(&base.stdout).unwrap(), serde_json::from_slice(&limited.stdout).unwrap());
    assert!(a["num_fills"].as_u64().unwrap() > 0);
    assert_eq!(b["num_fills"], 0, "every all-in order is over the 1000 notional limit");
    let bad = file("[order_limits]\nmax_qty = 3\n", ".toml");
    let o = pyrt(&["backtest", "--risk", bad.path().to_str().unwrap()]);
    assert!(!o.status.success());
    assert!(stderr(&o).contains("unknown field `max_qty`"), "{}", stderr(&o));
}

#[test]
fn bars_from_trades_to_csv_and_parquet_and_bad_input() {
    let trades = file(
        "timestamp,price,size\n2024-01-01 00:00:01,10,1\n2024-01-01 00:00:30,12,2\n2024-01-01 00:01:05,11,1\n",
        ".csv",
    );
    let path = trades.path().to_str().unwrap();
    let o = pyrt(&["bars", "--trades", path, "--rule", "1m"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(
        String::from_utf8_lossy(&o.stdout),
        "timestamp,open,high,low,close,volume\n2024-01-01 00:00:00,10,12,10,12,3\n2024-01-01 00:01:00,11,11,11,11,1\n"
    );
    assert!(stderr(&o).contains("3 trades -> 2 bars"));
    // An unfinished count bar is left out unless asked for.
    let o = pyrt(&["bars", "--trades", path, "--rule", "tick:2"]);
    assert_eq!(String::from_utf8_lossy(&o.stdout).lines().count(), 2);
    let o = pyrt(&["bars", "--trades", path, "--rule", "tick:2", "--keep-partial"]);
    assert_eq!(String::from_utf8_lossy(&o.stdout).lines().count(), 3);

    // Parquet bars read back through the backtest's reader.
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("bars.parquet");
    let o = pyrt(&["bars", "--trades", path, "--rule", "1m", "--out", out.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    let o = pyrt(&["backtest", "--data", out.to_str().unwrap(), "--format", "json"]);
    assert!(o.status.success(), "{}", stderr(&o));

    let o = pyrt(&["bars", "--trades", path, "--rule", "7y"]);
    assert!(stderr(&o).contains("bar rule `7y`: unknown time unit `y`"), "{}", stderr(&o));
    let unsorted = file("timestamp,price,size\n2024-01-01 00:00:05,10,1\n2024-01-01 00:00:01,12,2\n", ".csv");
    let o = pyrt(&["bars", "--trades", unsorted.path().to_str().unwrap(), "--rule", "1m"]);
    assert!(!o.status.success());
    assert!(stderr(&o).contains(":3"), "names the line: {}", stderr(&o));
}

#[test]
fn venue_and_paper_flags_are_checked_before_anything_starts() {
    let cases: &[(&[&str], &str)] = &[
        (&["venue", "--listen", "127.0.0.1:0", "--fee-bps", "5000"], "--fee-bps 5000 must be between 0 and 1000"),
        (
            &["venue", "--listen", "127.0.0.1:0", "--replay", "/nonexistent/rec.gz", "--speed=-1"],
            "--speed -1 must be a number ≥ 0",
        ),
        (&["venue", "--listen", "127.0.0.1:0", "--replay", "/nonexistent/rec.gz"], "/nonexistent/rec.gz"),
        (&["venue", "--listen", "127.0.0.1:0", "--tick-size", "abc"], "--tick-size abc"),
        (&["paper", "--param", "fast"], "--param takes NAME=VALUE"),
        (&["paper", "--duration-s", "0"], "--duration-s must be a number of seconds above 0"),
        (&["venue", "--listen", "127.0.0.1:0", "--listen-key-ttl-s", "0"], "--listen-key-ttl-s 0 must be between"),
        (&["venue", "--listen", "127.0.0.1:0", "--weight-limit", "0"], "--weight-limit, --order-limit-10s"),
        (&["venue", "--listen", "127.0.0.1:0", "--order-limit-1d", "0"], "must be at least 1 (--no-rate-limits lifts"),
        (&["venue", "--listen", "127.0.0.1:0", "--tls-cert", "/tmp/c.pem"], "--tls-key"),
        (
            &[
                "venue",
                "--listen",
                "127.0.0.1:0",
                "--tls-cert",
                "/nonexistent/c.pem",
                "--tls-key",
                "/nonexistent/k.pem",
            ],
            "/nonexistent/c.pem",
        ),
        (&["paper", "--risk", "/nonexistent/risk.toml"], "cannot read risk limits /nonexistent/risk.toml"),
        (&["paper", "--ca-file", "/nonexistent/ca.pem"], "cannot read CA file /nonexistent/ca.pem"),
    ];
    for (args, want) in cases {
        let o = pyrt(args);
        assert!(!o.status.success(), "{args:?} succeeded");
        assert!(stderr(&o).contains(want), "{args:?}: {}", stderr(&o));
    }
}
