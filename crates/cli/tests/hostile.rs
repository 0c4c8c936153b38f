//! Hostile input, as the hardening issue found it: every case must exit
//! non-zero with a message that names the input, print no panic, leave no
//! partial output, and stay within 1 GiB of address space (run under
//! `prlimit --as`), however large the input pretends to be.

use std::io::Write;
use std::process::{Command, Output};

const LIMIT: &str = "--as=1073741824";

/// `pyrt args...` under a 1 GiB address-space limit (plain when `prlimit`
/// is missing, which the message says).
fn pyrt_limited(args: &[&str]) -> Output {
    let bin = env!("CARGO_BIN_EXE_pyrt");
    if Command::new("prlimit").arg("--version").output().is_ok() {
        Command::new("prlimit").arg(LIMIT).arg(bin).args(args).output().expect("prlimit runs pyrt")
    } else {
        eprintln!("prlimit not found: running without the memory limit");
        Command::new(bin).args(args).output().expect("pyrt runs")
    }
}

fn file(content: &[u8], suffix: &str) -> tempfile::NamedTempFile {
    let mut f = tempfile::Builder::new().suffix(suffix).tempfile().unwrap();
    f.write_all(content).unwrap();
    f
}

/// The case failed cleanly and its message contains every one of `names`.
fn refused(case: &str, o: &Output, names: &[&str]) {
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(!o.status.success(), "{case}: succeeded\n{err}");
    assert_eq!(o.status.code(), Some(1), "{case}: killed or aborted ({:?})\n{err}", o.status);
    assert!(!err.contains("panicked") && !err.contains("memory allocation"), "{case}: {err}");
    assert!(err.len() < 2_000, "{case}: a message of {} bytes echoes its input", err.len());
    for name in names {
        assert!(err.contains(name), "{case}: the message does not name `{name}`:\n{err}");
    }
}

const ORCL_HEAD: &str = "Date,Open,High,Low,Close,Adj Close,Volume\n";

fn bars_csv(rows: &str) -> tempfile::NamedTempFile {
    file(format!("{ORCL_HEAD}{rows}").as_bytes(), ".csv")
}

fn good_rows(n: usize) -> String {
    (0..n).map(|i| format!("2020-01-{:02},10,11,9,10,10,100\n", i + 1)).collect()
}

#[test]
fn cost_parameters_outside_their_bounds() {
    let data = bars_csv(&good_rows(5));
    let d = data.path().to_str().unwrap();
    for (flag, value, names) in [
        ("--fees", "bps:-99999", &["bps:-99999", "taker rate -99999 bp", "0 to 1000 bp"][..]),
        ("--fees", "bps:-9999", &["bps:-9999"]),
        ("--fees", "bps:-500/5", &["maker rate -500 bp", "-100 bp (a rebate)"]),
        ("--slippage", "bps:-5000", &["bps:-5000", "rate -5000 bp"]),
        ("--fees", "fixed:-3", &["amount per fill -3"]),
        ("--slippage", "sqrt:0.1,cap=7", &["cap 7"]),
    ] {
        refused(&format!("{flag} {value}"), &pyrt_limited(&["backtest", "--data", d, flag, value]), names);
    }
}

#[test]
fn sizes_that_would_exhaust_memory() {
    let data = bars_csv(&good_rows(5));
    let d = data.path().to_str().unwrap();
    for spec in ["sma:99999999999", "willr:99999999999", "sma:5@lag99999999999"] {
        refused(spec, &pyrt_limited(&["indicators", "--data", d, "--spec", spec]), &[spec, "10000000"]);
    }
    // An exponent of two billion in one cell.
    let cell = bars_csv(&format!("{}2020-02-01,10,11,9,1e-2147483648,10,100\n", good_rows(3)));
    let o = pyrt_limited(&["backtest", "--data", cell.path().to_str().unwrap()]);
    refused("1e-2147483648", &o, &[":5:", "field `Close`", "1e-2147483648", "out of range"]);
    // An endless line.
    refused(
        "/dev/zero",
        &pyrt_limited(&["backtest", "--data", "/dev/zero"]),
        &["/dev/zero", "longer than 1048576 bytes"],
    );
    // A 500 KB number: refused, and not echoed whole.
    let wide = bars_csv(&format!("2020-01-01,10,11,9,{},10,100\n", "9".repeat(500_000)));
    refused(
        "500 KB field",
        &pyrt_limited(&["backtest", "--data", wide.path().to_str().unwrap()]),
        &["500000 characters"],
    );
}

#[test]
fn data_too_short_to_backtest() {
    for (case, rows, names) in
        [("header only", String::new(), &["0 bar(s)"][..]), ("one row", good_rows(1), &["1 bar(s)", "at least two"])]
    {
        let f = bars_csv(&rows);
        let path = f.path().to_str().unwrap().to_string();
        let o = pyrt_limited(&["backtest", "--data", &path]);
        refused(case, &o, &[names, &[path.as_str()]].concat());
    }
    let empty = file(b"", ".csv");
    refused("empty file", &pyrt_limited(&["backtest", "--data", empty.path().to_str().unwrap()]), &["empty"]);
}

#[test]
fn parameters_are_reported_as_written() {
    let o = pyrt_limited(&["backtest", "--param", "fast=1000000000000000000000000000000"]);
    refused("fast=10**30", &o, &["`fast`", "at most 10000000", "got 1000000000000000000000000000000"]);
    refused("fast=1e30", &pyrt_limited(&["backtest", "--param", "fast=1e30"]), &["got 1e30"]);
}

#[test]
fn a_failed_run_leaves_no_partial_output() {
    // 3,000 good rows, then a bad one: the CSV would be half written.
    let data = bars_csv(&format!("{}2000000000,10,11,9,abc,10,100\n", long_rows(3_000)));
    let d = data.path().to_str().unwrap();
    let o = pyrt_limited(&["indicators", "--data", d, "--spec", "sma:3"]);
    refused("bad row, stdout", &o, &["abc"]);
    assert!(o.stdout.is_empty(), "{} bytes written before the failure", o.stdout.len());
    let dir = tempfile::tempdir().unwrap();
    for name in ["out.csv", "out.parquet"] {
        let out = dir.path().join(name);
        let o = pyrt_limited(&["indicators", "--data", d, "--spec", "sma:3", "--out", out.to_str().unwrap()]);
        refused(name, &o, &["abc"]);
        assert!(!out.exists(), "{name} exists after a failed run");
    }
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0, "no temporary file left behind");
    // And a good run writes the whole file, with a `timestamp` column.
    let good = bars_csv(&long_rows(50));
    let out = dir.path().join("good.csv");
    let o = pyrt_limited(
        &["indicators", "--data", good.path().to_str().unwrap(), "--spec", "sma:3", "--out"]
            .into_iter()
            .chain([out.to_str().unwrap()])
            .collect::<Vec<_>>(),
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let text = std::fs::read_to_string(&out).unwrap();
    assert!(text.starts_with("timestamp,sma:3\n") && text.lines().count() == 51, "{text}");
}

/// `n` daily rows from 1990 on (epoch seconds).
fn long_rows(n: usize) -> String {
    (0..n).map(|i| format!("{},10,11,9,10,10,100\n", 631_152_000 + 86_400 * i)).collect()
}
