//! End to end: `pyrt venue` replays a real Binance session (or runs its
//! synthetic market), `pyrt paper` trades `sma_cross` against it through the
//! adapter, and the engine's books must equal the venue's account exactly.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

use pyrt_model::{Money, Quantity};

/// The venue process, its address, and its stdout (kept open: the venue
/// writes to it after the address line).
struct Venue(Child, String, #[allow(dead_code)] BufReader<std::process::ChildStdout>);

impl Drop for Venue {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn venue(extra: &[&str]) -> Venue {
    let mut child = Command::new(env!("CARGO_BIN_EXE_pyrt"))
        .args(["venue", "--listen", "127.0.0.1:0", "--step-ms", "20"])
        .args(extra)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("pyrt venue starts");
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    stdout.read_line(&mut line).unwrap();
    let address = line.trim().rsplit("://").next().expect("the venue prints its address").to_string();
    assert!(address.contains(':'), "venue said: {line:?}");
    Venue(child, address, stdout)
}

fn paper(address: &str, bar: &str, seconds: &str) -> serde_json::Value {
    paper_with(address, bar, seconds, &[])
}

fn paper_command(address: &str, bar: &str, seconds: &str, extra: &[&str]) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_pyrt"));
    c.args(["paper", "--venue", &format!("http://{address}"), "--strategy", "sma_cross"])
        .args(["--param", "fast=2", "--param", "slow=4", "--bar", bar, "--duration-s", seconds, "--format", "json"])
        .args(extra);
    c
}

fn paper_with(address: &str, bar: &str, seconds: &str, extra: &[&str]) -> serde_json::Value {
    let out = paper_command(address, bar, seconds, extra).output().expect("pyrt paper runs");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

fn money(v: &serde_json::Value) -> Money {
    v.as_str().unwrap().parse().unwrap()
}

/// The engine's cash and position are exactly the venue's balances moved.
fn books_agree(r: &serde_json::Value) {
    assert!(r["fills"].as_u64().unwrap() > 0, "no trades: {r:#}");
    assert_eq!(r["open_orders"], 0, "everything cancelled at the end: {r:#}");
    let (engine, venue) = (&r["engine"], &r["venue"]);
    assert_eq!(money(&engine["cash"]), money(&venue["quote"]), "{r:#}");
    let position: Quantity = engine["position"].as_str().unwrap().parse().unwrap();
    assert_eq!(
        Money::notional(pyrt_model::Price::from_int(1), position),
        money(&venue["base"]) - money(&venue["base_start"]),
        "{r:#}"
    );
}

#[test]
fn paper_trading_a_replayed_session_keeps_the_books_equal() {
    let capture =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/hftbacktest/raw/spot_btcusdt_20240808.gz");
    if !capture.exists() {
        eprintln!("SKIPPED: {} not found (the shared hftbacktest recordings)", capture.display());
        return;
    }
    // The venue's commission (0.1 %) is taken in the asset received: BTC
    // on buys, USDT on sells. The books still agree to the last unit.
    let v = venue(&["--replay", capture.to_str().unwrap(), "--speed", "30", "--fee-bps", "10"]);
    let dir = std::env::temp_dir().join(format!("pyrt-paper-record-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let recording = dir.join("session.jsonl");
    let r = paper_with(&v.1, "tick:50", "8", &["--record", recording.to_str().unwrap()]);
    books_agree(&r);
    assert!(money(&r["engine"]["fees"]).is_positive(), "{r:#}");
    assert_eq!(r["recording"]["lost"], 0, "{r:#}");

    // The recording replays to the same decisions, and the backtest of it
    // accounts for every difference with a category.
    let out = Command::new(env!("CARGO_BIN_EXE_pyrt"))
        .args(["divergence", recording.to_str().unwrap(), "--format", "json"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let d: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(d["replay"]["differences"], serde_json::json!([]), "{d:#}");
    assert_eq!(
        d["replay"]["recorded_decisions"],
        r["orders"].as_u64().unwrap() + r["rejected_orders"].as_u64().unwrap() - venue_rejected(&r)
    );
    assert_eq!(d["realism"]["fees"], "bps:10", "the rate the live fills paid");
    assert_eq!(d["realism"]["live"]["fills"], r["fills"]);
    for o in d["realism"]["orders"].as_array().unwrap() {
        let differs = o["live_filled"] != o["backtest_filled"]
            || o["live_price"] != o["backtest_price"]
            || o["live_fees"] != o["backtest_fees"]
            || o["same_request"] == false;
        let named = o["categories"].as_array().unwrap();
        assert_eq!(differs, !named.is_empty(), "every difference named, and only differences: {o:#}");
        let known = ["fees", "latency", "slippage", "queue_position", "path"];
        assert!(named.iter().all(|c| known.contains(&c.as_str().unwrap())), "{o:#}");
    }
    let a = &d["realism"]["attribution"];
    let parts = ["fees", "latency", "slippage", "queue_position", "path"].map(|k| money(&a[k]));
    assert_eq!(parts.into_iter().fold(Money::ZERO, |x, y| x + y), money(&a["total"]), "{a:#}");
    // A table for people, and refusals that say what to do.
    let table =
        Command::new(env!("CARGO_BIN_EXE_pyrt")).args(["divergence", recording.to_str().unwrap()]).output().unwrap();
    let text = String::from_utf8_lossy(&table.stdout);
    assert!(text.contains("replay             identical") && text.contains("P&L difference"), "{text}");
    let bad =
        Command::new(env!("CARGO_BIN_EXE_pyrt")).args(["divergence", capture.to_str().unwrap()]).output().unwrap();
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("line 1"), "{}", String::from_utf8_lossy(&bad.stderr));
    let again = paper_command(&v.1, "tick:50", "1", &["--record", recording.to_str().unwrap()]).output().unwrap();
    assert!(String::from_utf8_lossy(&again.stderr).contains("already exists"), "a recording is never overwritten");
    let _ = std::fs::remove_dir_all(&dir);
}

/// Orders the venue refused (the kernel's own refusals are decisions; the
/// venue's are not).
fn venue_rejected(r: &serde_json::Value) -> u64 {
    r["rejections"]["by_code"]["VENUE_REJECTED"].as_u64().unwrap_or(0)
}

#[test]
fn paper_trading_the_synthetic_market_keeps_the_books_equal() {
    let v = venue(&["--fee-bps", "0"]);
    books_agree(&paper(&v.1, "tick:3", "6"));
}

/// `pyrt live` is `pyrt paper` with real keys over TLS: against the local
/// venue serving HTTPS/WSS with its own certificate, the books agree.
#[test]
fn live_trading_over_tls_keeps_the_books_equal_and_needs_the_venue_trusted() {
    let dir = std::env::temp_dir().join(format!("pyrt-live-tls-{}", std::process::id()));
    let v = venue(&["--fee-bps", "0", "--tls-self-signed", dir.to_str().unwrap()]);
    let ca = dir.join("venue-cert.pem");
    let risk = dir.join("risk.toml");
    std::fs::write(&risk, "[order_limits]\nmax_notional = 10000000\n").unwrap();
    let live = |extra: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_pyrt"))
            .args(["live", "--venue", &format!("https://{}", v.1), "--ws", &format!("wss://{}", v.1)])
            .args(["--param", "fast=2", "--param", "slow=4", "--bar", "tick:3", "--format", "json"])
            .args(["--risk", risk.to_str().unwrap()])
            .args(extra)
            .env("BINANCE_API_KEY", pyrt_venue_server::DOCS_API_KEY)
            .env("BINANCE_API_SECRET", pyrt_venue_server::DOCS_SECRET)
            .output()
            .expect("pyrt live runs")
    };
    let out = live(&["--duration-s", "6", "--ca-file", ca.to_str().unwrap()]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    books_agree(&serde_json::from_slice(&out.stdout).unwrap());

    let out = live(&["--duration-s", "1"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("certificate is not trusted: pass the authority that signed it (pyrt: --ca-file"), "{err}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// Every order passes the pre-trade limits given with `--risk`: capped at
/// 1 USDT each, none reaches the venue and its account does not move.
#[test]
fn paper_orders_over_the_risk_limits_never_reach_the_venue() {
    let v = venue(&["--fee-bps", "0"]);
    let risk = std::env::temp_dir().join(format!("pyrt-paper-risk-{}.toml", std::process::id()));
    std::fs::write(&risk, "[order_limits]\nmax_notional = 1\n").unwrap();
    let r = paper_with(&v.1, "tick:3", "4", &["--risk", risk.to_str().unwrap()]);
    let _ = std::fs::remove_file(&risk);
    assert!(r["orders"].as_u64().unwrap() > 0, "the strategy never tried: {r:#}");
    assert_eq!(r["rejected_orders"], r["orders"], "{r:#}");
    assert_eq!(r["fills"], 0, "{r:#}");
    assert_eq!(money(&r["venue"]["base"]), money(&r["venue"]["base_start"]), "{r:#}");
    assert_eq!(money(&r["venue"]["quote"]), money(&r["venue"]["quote_start"]), "{r:#}");
    // Each rejection says why.
    let first = &r["rejections"]["examples"][0];
    assert_eq!(first["code"], "MAX_ORDER_NOTIONAL", "{r:#}");
    assert!(first["reason"].as_str().unwrap().contains("exceeds the limit 1"), "{r:#}");
}

/// `--format table` prints a table (it printed JSON), with the reasons of
/// rejected orders; the venue's base balance counts what is locked at the
/// start as at the end, so nothing moves without a fill.
#[test]
fn paper_prints_a_table_with_rejection_reasons() {
    let v = venue(&["--fee-bps", "0"]);
    let risk = std::env::temp_dir().join(format!("pyrt-paper-table-{}.toml", std::process::id()));
    std::fs::write(&risk, "[order_limits]\nmax_notional = 1\n").unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_pyrt"))
        .args(["paper", "--venue", &format!("http://{}", v.1), "--strategy", "sma_cross"])
        .args(["--param", "fast=2", "--param", "slow=4", "--bar", "tick:3", "--duration-s", "4"])
        .args(["--risk", risk.to_str().unwrap(), "--format", "table"])
        .output()
        .unwrap();
    let _ = std::fs::remove_file(&risk);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let table = String::from_utf8_lossy(&out.stdout);
    assert!(!table.trim_start().starts_with('{'), "{table}");
    assert!(table.lines().any(|l| l.starts_with("rejected orders")), "{table}");
    assert!(table.contains("[MAX_ORDER_NOTIONAL]: risk MAX_ORDER_NOTIONAL:"), "{table}");
    let base = table.lines().find(|l| l.starts_with("venue base")).unwrap();
    let (start, end) = base["venue base".len()..].trim().split_once(" -> ").unwrap();
    assert_eq!(start, end, "no fills, no change: {base}");
}

#[test]
fn paper_refuses_what_it_cannot_use() {
    let out = Command::new(env!("CARGO_BIN_EXE_pyrt"))
        .args(["paper", "--venue", "http://127.0.0.1:9", "--duration-s", "1"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot reach the venue at http://127.0.0.1:9"));
    let out = Command::new(env!("CARGO_BIN_EXE_pyrt")).args(["paper", "--bar", "7y"]).output().unwrap();
    assert!(String::from_utf8_lossy(&out.stderr).contains("bar rule `7y`"));
    let out = Command::new(env!("CARGO_BIN_EXE_pyrt")).args(["paper", "--strategy", "nope"]).output().unwrap();
    assert!(String::from_utf8_lossy(&out.stderr).contains("nope"));
}

/// Every line a signed session logs at the most verbose level, as JSON:
/// none holds the API key, the secret or a signature, and each order's
/// life is there under its id.
#[test]
fn a_signed_session_logs_no_key_secret_or_signature() {
    let v = venue(&[]);
    let out = Command::new(env!("CARGO_BIN_EXE_pyrt"))
        .env("RUST_LOG", "trace")
        .args(["--log-format", "json", "paper", "--venue", &format!("http://{}", v.1), "--strategy", "sma_cross"])
        .args(["--param", "fast=2", "--param", "slow=4", "--bar", "tick:3", "--duration-s", "4", "--format", "json"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let log = String::from_utf8_lossy(&out.stderr);
    let lines: Vec<serde_json::Value> =
        log.lines().map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON: {l}: {e}"))).collect();
    assert!(lines.len() > 20, "{log}");
    for secret in [pyrt_venue_server::DOCS_API_KEY, pyrt_venue_server::DOCS_SECRET, "signature"] {
        assert!(!log.contains(secret), "a log line holds `{secret}`");
    }
    // No 64-hex-digit run (an HMAC signature) anywhere either.
    let hex_run = log.as_bytes().split(|b| !b.is_ascii_hexdigit()).map(<[u8]>::len).max().unwrap_or(0);
    assert!(hex_run < 64, "a signature-like run of {hex_run} hex digits");
    let messages: Vec<&str> = lines.iter().filter_map(|l| l["fields"]["message"].as_str()).collect();
    assert!(messages.contains(&"account stream ready; trading"), "{messages:?}");
    let filled = lines.iter().find(|l| l["fields"]["message"] == "filled").expect("a fill is logged");
    assert!(filled["span"]["id"].as_str().is_some_and(|id| id.starts_with("O-")), "{filled}");
}
