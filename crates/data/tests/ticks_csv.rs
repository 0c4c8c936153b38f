//! Reading trade and quote files: the real captures in shared/data, and bad rows.

use std::io::Write;

use pyrt_data::{QuoteCsvReader, TickCsvOptions, TradeCsvReader, format_timestamp};
use pyrt_model::{MarketEvent, Side};

mod common;
use common::shared_data;

fn collect(reader: impl Iterator<Item = Result<MarketEvent, pyrt_data::DataError>>) -> Vec<MarketEvent> {
    reader.collect::<Result<_, _>>().unwrap()
}

#[test]
fn binance_normalized_trades_keep_both_clocks_and_the_aggressor() {
    let Some(dir) = shared_data() else { return };
    let path = dir.join("hftbacktest/normalized/usdm_btcusdt_20240808.trades.csv.gz");
    let events = collect(TradeCsvReader::open(&path, TickCsvOptions::default()).unwrap());
    assert_eq!(events.len(), 21_313);
    let MarketEvent::Trade(t) = events[0] else { panic!() };
    // The capture clock runs ~1.27 s behind the exchange.
    let skew = t.ts_event - t.ts_recv;
    assert!((1_000_000_000..1_500_000_000).contains(&skew), "skew {skew}");
    assert!(t.aggressor.is_some());
    assert!(events.windows(2).all(|w| w[0].ts() <= w[1].ts()));
}

#[test]
fn tardis_trades_and_fx_quotes() {
    let Some(dir) = shared_data() else { return };
    let trades = collect(
        TradeCsvReader::open(dir.join("nautilus_trader/tardis_bitmex_trades_XBTUSD.csv"), TickCsvOptions::default())
            .unwrap(),
    );
    assert_eq!(trades.len(), 10);
    let MarketEvent::Trade(t) = trades[0] else { panic!() };
    assert_eq!(
        (t.price.to_string(), t.size.to_string(), t.aggressor),
        ("8531.5".into(), "2152".into(), Some(Side::Sell))
    );
    assert_eq!(format_timestamp(t.ts_event), "2020-03-01 00:00:03.145");
    assert_eq!(format_timestamp(t.ts_recv), "2020-03-01 00:00:03.30716");

    let quotes = collect(
        QuoteCsvReader::open(dir.join("nautilus_trader/truefx_usdjpy-ticks.csv"), TickCsvOptions::default()).unwrap(),
    );
    assert_eq!(quotes.len(), 1000);
    let MarketEvent::Quote(q) = quotes[0] else { panic!() };
    assert_eq!((q.bid.to_string(), q.ask.to_string()), ("86.655".into(), "86.728".into()));

    let bbo = collect(
        QuoteCsvReader::open(
            dir.join("hftbacktest/normalized/spot_btcusdt_20240808.bbo.csv.gz"),
            TickCsvOptions::default(),
        )
        .unwrap(),
    );
    assert_eq!(bbo.len(), 28_040);
}

#[test]
fn headerless_histdata_quotes_with_given_names() {
    let Some(dir) = shared_data() else { return };
    let headers = ["timestamp", "bid", "ask", "volume"].map(String::from).to_vec();
    let opts = TickCsvOptions { headers: Some(headers), ..Default::default() };
    let quotes = collect(QuoteCsvReader::open(dir.join("nautilus_trader/quote_tick_data.csv.gz"), opts).unwrap());
    assert_eq!(quotes.len(), 9500);
    assert_eq!(format_timestamp(quotes[0].ts()), "2020-01-01 17:00:00.065");
}

fn temp_csv(content: &str) -> tempfile::NamedTempFile {
    let mut f = tempfile::Builder::new().suffix(".csv").tempfile().unwrap();
    f.write_all(content.as_bytes()).unwrap();
    f
}

#[test]
fn bad_tick_rows_are_named() {
    let f = temp_csv("timestamp,bid,ask\n2020-01-01,1.2,1.1\n");
    let e = QuoteCsvReader::open(f.path(), TickCsvOptions::default()).unwrap().next().unwrap().unwrap_err();
    assert_eq!((e.line(), e.field.as_deref()), (Some(2), Some("bid")));
    assert!(e.message.contains("crossed quote: bid 1.2 is above ask 1.1"));

    let f = temp_csv("timestamp,price,qty,side\n2020-01-01,10,1,sideways\n");
    let e = TradeCsvReader::open(f.path(), TickCsvOptions::default()).unwrap().next().unwrap().unwrap_err();
    assert!(e.to_string().contains("field `side`: `sideways` is not a side"), "{e}");

    let f = temp_csv("timestamp,price,qty\n2020-01-02,10,1\n2020-01-01,10,1\n");
    let e = TradeCsvReader::open(f.path(), TickCsvOptions::default()).unwrap().nth(1).unwrap().unwrap_err();
    assert!(e.to_string().contains("earlier than line 2"), "{e}");

    let f = temp_csv("timestamp,price,qty\n2020-01-01,10,-1\n");
    let e = TradeCsvReader::open(f.path(), TickCsvOptions::default()).unwrap().next().unwrap().unwrap_err();
    assert!(e.to_string().contains("size -1 must not be negative"), "{e}");

    let f = temp_csv("timestamp,price,qty\n2020-01-01,10,1\n2020-01-01,10,2\n");
    let strict = TickCsvOptions { strictly_increasing: true, ..Default::default() };
    assert_eq!(TradeCsvReader::open(f.path(), TickCsvOptions::default()).unwrap().count(), 2);
    assert!(TradeCsvReader::open(f.path(), strict).unwrap().nth(1).unwrap().is_err());
}
