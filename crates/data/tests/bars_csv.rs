//! Reading bar files: every layout in shared/data, and every kind of bad row.

use std::io::Write;

use pyrt_data::{BarColumns, BarCsvOptions, BarCsvReader, DataError, OnInvalid, format_timestamp};
use pyrt_model::{Bar, Price};

mod common;
use common::shared_data;

fn read_all(path: &std::path::Path) -> Result<Vec<Bar>, DataError> {
    BarCsvReader::open(path, BarCsvOptions::default())?
        .map(|r| {
            r.map(|e| match e {
                pyrt_model::MarketEvent::Bar(b) => b,
                _ => unreachable!(),
            })
        })
        .collect()
}

fn temp_csv(content: &str) -> tempfile::NamedTempFile {
    let mut f = tempfile::Builder::new().suffix(".csv").tempfile().unwrap();
    f.write_all(content.as_bytes()).unwrap();
    f
}

fn error_of(content: &str) -> String {
    let f = temp_csv(content);
    let e = read_all(f.path()).unwrap_err();
    e.to_string().replace(&f.path().display().to_string(), "FILE")
}

#[test]
fn reads_every_bar_layout_in_shared_data() {
    let Some(dir) = shared_data() else { return };
    let cases = [
        ("backtrader/orcl-1995-2014.txt", 5036, "1995-01-03 00:00:00", "2.179012"),
        ("backtrader/2006-day-001.txt", 255, "2006-01-02 00:00:00", "3578.73"),
        ("backtrader/2006-min-005.txt", 2142, "2006-01-02 09:05:00", "3578.73"),
        ("backtrader/2006-01-02-volume-min-001.txt.gz", 30889, "2006-01-02 09:01:00", "3602"),
        ("nautilus_trader/btc-perp-20211231-20220201_1m.csv.gz", 45031, "2021-12-31 23:01:00", "46319"),
        ("nautilus_trader/fxcm_gbpusd-m1-bid-2012.csv.gz", 30117, "2012-02-01 00:00:00", "1.57597"),
        ("nautilus_trader/xcme_6EH4.XCME_1min_bars_20240101_20240131.csv.gz", 29996, "2024-01-01 23:01:00", "1.1076"),
    ];
    for (file, rows, first_ts, first_open) in cases {
        let bars = read_all(&dir.join(file)).unwrap_or_else(|e| panic!("{file}: {e}"));
        assert_eq!(bars.len(), rows, "{file}");
        assert_eq!(format_timestamp(bars[0].ts_event), first_ts, "{file}");
        assert_eq!(bars[0].open, first_open.parse::<Price>().unwrap(), "{file}");
        assert!(bars.windows(2).all(|w| w[0].ts_event < w[1].ts_event), "{file}");
    }
    // Tick prints share milliseconds: refused as bars, read when allowed.
    let ticks = dir.join("backtrader/ticksample.csv");
    let e = read_all(&ticks).unwrap_err();
    assert_eq!((e.line(), e.field.as_deref()), (Some(24), Some("Datetime")));
    let opts = BarCsvOptions { allow_equal_timestamps: true, ..Default::default() };
    let prints: Vec<_> = BarCsvReader::open(&ticks, opts).unwrap().collect::<Result<_, _>>().unwrap();
    assert_eq!(prints.len(), 135);
    assert_eq!(format_timestamp(prints[0].ts()), "2015-09-23 20:57:42.146");
    // Yahoo: the last row and its volume.
    let orcl = read_all(&dir.join("backtrader/orcl-1995-2014.txt")).unwrap();
    let last = orcl.last().unwrap();
    assert_eq!((last.close.to_string(), last.volume.to_string()), ("44.970001".into(), "13269200".into()));
}

#[test]
fn an_adjusted_close_column_adjusts_the_whole_bar() {
    // Open, high and low scale by adjusted / raw close, so the bar keeps its
    // shape: close 20 adjusted to 10 halves the bar.
    let f =
        temp_csv("Date,Open,High,Low,Close,Adj Close,Volume\n2020-01-01,21,22,19,20,10,5\n2020-01-02,3,3,3,3,3,5\n");
    let columns = BarColumns { close: Some("Adj Close".into()), ..Default::default() };
    let bars: Vec<_> = BarCsvReader::open(f.path(), BarCsvOptions { columns, ..Default::default() })
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let pyrt_model::MarketEvent::Bar(b) = &bars[0] else { unreachable!() };
    let p = |s: &str| s.parse::<Price>().unwrap();
    assert_eq!((b.open, b.high, b.low, b.close), (p("10.5"), p("11"), p("9.5"), p("10")));
    assert_eq!(b.volume.to_string(), "5", "volume is left as traded");
    // A raw close of zero cannot scale anything: the error names it.
    let f = temp_csv("Date,Open,High,Low,Close,Adj Close\n2020-01-01,1,1,1,0,1\n");
    let columns = BarColumns { close: Some("Adj Close".into()), ..Default::default() };
    let e = BarCsvReader::open(f.path(), BarCsvOptions { columns, ..Default::default() })
        .unwrap()
        .find_map(|r| r.err())
        .unwrap();
    assert!(e.to_string().contains("field `Close`: price 0 must be greater than zero"), "{e}");
}

#[test]
fn adjusted_close_of_real_yahoo_data() {
    let Some(dir) = shared_data() else { return };
    let columns = BarColumns { close: Some("Adj Close".into()), ..Default::default() };
    let opts = BarCsvOptions { columns, ..Default::default() };
    let bars: Vec<_> = BarCsvReader::open(dir.join("backtrader/orcl-1995-2014.txt"), opts)
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap_or_else(|e| panic!("every adjusted ORCL bar is valid: {e}"));
    assert_eq!(bars.len(), 5036);
    let pyrt_model::MarketEvent::Bar(first) = &bars[0] else { unreachable!() };
    // 1995-01-03: open 2.179012, close 2.117284, adjusted close 1.883304.
    assert_eq!(first.close, "1.883304".parse().unwrap());
    assert_eq!(first.low, "1.883304".parse().unwrap(), "low = close that day");
    assert_eq!(first.open, "1.938210469".parse().unwrap(), "2.179012 × 1.883304 / 2.117284 on the 1e-9 grid");
}

#[test]
fn generic_mapping_for_unusual_headers() {
    let f = temp_csv("when,first,top,bottom,last,qty\n2020-01-01,1,2,0.5,1.5,10\n2020-01-02,1.5,2,1,1.8,11\n");
    let columns = BarColumns {
        timestamp: Some("when".into()),
        open: Some("first".into()),
        high: Some("top".into()),
        low: Some("bottom".into()),
        close: Some("last".into()),
        volume: Some("qty".into()),
        time: None,
    };
    let bars: Vec<_> = BarCsvReader::open(f.path(), BarCsvOptions { columns, ..Default::default() }).unwrap().collect();
    assert_eq!(bars.len(), 2);
    let missing = BarCsvReader::open(f.path(), BarCsvOptions::default()).err().unwrap();
    assert!(
        missing.to_string().contains("no timestamp column in the header (when,first,top,bottom,last,qty)"),
        "{missing}"
    );
}

const HEADER: &str = "Date,Open,High,Low,Close,Volume\n";

#[test]
fn bad_numbers_name_file_line_and_field() {
    let e = error_of(&format!("{HEADER}2020-01-01,1,2,0.5,1.5,10\n2020-01-02,1,abc,0.5,1.5,10\n"));
    assert_eq!(e, "FILE:3: field `High`: `abc` is not a number");
    let e = error_of(&format!("{HEADER}2020-01-01,1,2,0.5,NaN,10\n"));
    assert_eq!(e, "FILE:2: field `Close`: NaN is not a valid price or quantity");
    let e = error_of(&format!("{HEADER}2020-01-01,1,2,0.5,,10\n"));
    assert_eq!(e, "FILE:2: field `Close`: empty value where a number is required");
    let e = error_of(&format!("{HEADER}2020-01-01,1,2,0.5,inf,10\n"));
    assert!(e.contains("infinite"), "{e}");
}

#[test]
fn impossible_bars_are_refused() {
    let e = error_of(&format!("{HEADER}2020-01-01,1,0.4,0.5,0.45,10\n"));
    assert_eq!(e, "FILE:2: field `High`: high 0.4 is below low 0.5");
    let e = error_of(&format!("{HEADER}2020-01-01,3,2,0.5,1,10\n"));
    assert_eq!(e, "FILE:2: field `Open`: 3 is outside the bar's range [0.5, 2]");
    let e = error_of(&format!("{HEADER}2020-01-01,-1,2,-2,1,10\n"));
    assert_eq!(e, "FILE:2: field `Open`: price -1 must be greater than zero");
    let e = error_of(&format!("{HEADER}2020-01-01,1,2,0.5,1,-10\n"));
    assert_eq!(e, "FILE:2: field `Volume`: volume -10 must not be negative");
}

#[test]
fn unsorted_and_duplicate_timestamps_are_refused() {
    let e = error_of(&format!("{HEADER}2020-01-02,1,2,0.5,1,1\n2020-01-01,1,2,0.5,1,1\n"));
    assert_eq!(
        e,
        "FILE:3: field `Date`: timestamp `2020-01-01` is earlier than line 2 (rows must be sorted by time, oldest first)"
    );
    let e = error_of(&format!("{HEADER}2020-01-02,1,2,0.5,1,1\n2020-01-02,1,2,0.5,1,1\n"));
    assert!(e.starts_with("FILE:3: field `Date`: duplicate timestamp `2020-01-02` (same as line 2)"), "{e}");
    let e = error_of(&format!("{HEADER}2020-02-30,1,2,0.5,1,1\n"));
    assert!(e.starts_with("FILE:2: field `Date`: `2020-02-30` is not a timestamp"), "{e}");
}

#[test]
fn wrong_field_counts_and_missing_files() {
    let e = error_of(&format!("{HEADER}2020-01-01,1,2,0.5,1\n"));
    assert_eq!(e, "FILE:2: expected 6 fields, found 5 (the header has 6 columns: Date,Open,High,Low,Close,Volume)");
    let e = BarCsvReader::open("/no/such/file.csv", BarCsvOptions::default()).err().unwrap();
    assert!(e.to_string().starts_with("/no/such/file.csv: cannot open:"), "{e}");
    let e = error_of("");
    assert!(e.contains("empty"), "{e}");
}

#[test]
fn skip_mode_counts_what_it_drops_and_keeps_the_rest() {
    let f = temp_csv(&format!("{HEADER}2020-01-01,1,2,0.5,1,1\n2020-01-02,1,x,0.5,1,1\n2020-01-03,1,2,0.5,1,1\n"));
    let mut r =
        BarCsvReader::open(f.path(), BarCsvOptions { on_invalid: OnInvalid::Skip, ..Default::default() }).unwrap();
    let good: Vec<_> = r.by_ref().collect::<Result<_, _>>().unwrap();
    assert_eq!(good.len(), 2);
    let (count, errors) = r.skipped();
    assert_eq!(count, 1);
    assert_eq!(errors[0].line(), Some(3));
}

#[test]
fn chunks_stream_the_file() {
    let mut body = String::from(HEADER);
    for d in 1..=25 {
        body.push_str(&format!("2020-01-{d:02},1,2,0.5,1,1\n"));
    }
    let f = temp_csv(&body);
    let mut r = BarCsvReader::open(f.path(), BarCsvOptions::default()).unwrap();
    let mut chunk = Vec::new();
    let sizes: Vec<usize> = std::iter::from_fn(|| match r.next_chunk(&mut chunk, 10).unwrap() {
        0 => None,
        n => Some(n),
    })
    .collect();
    assert_eq!(sizes, vec![10, 10, 5]);
}

#[test]
fn an_endless_line_is_refused_without_reading_it_whole() {
    // 3 MB of digits and no line break: refused at the limit with the line.
    let f = temp_csv(&format!("{HEADER}{}", "7".repeat(3 << 20)));
    let e = read_all(f.path()).unwrap_err().to_string();
    assert!(e.contains("line 2 is longer than 1048576 bytes"), "{}", &e[..e.len().min(300)]);
    // A field of 200 KB on a line under the limit: the value is not echoed whole.
    let f = temp_csv(&format!("{HEADER}2020-01-01,1,2,0.5,{},10\n", "9".repeat(200_000)));
    let e = read_all(f.path()).unwrap_err().to_string();
    assert!(e.len() < 400 && e.contains("field `Close`") && e.contains("200000 characters"), "{e}");
    let f = temp_csv(&format!("{HEADER}{},1,2,0.5,1,10\n", "x".repeat(200_000)));
    let e = read_all(f.path()).unwrap_err().to_string();
    assert!(e.len() < 400 && e.contains("(200000 bytes)") && e.contains("is not a timestamp"), "{e}");
}
