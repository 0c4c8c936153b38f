//! What several kernel tests share: daily flat bars (open = high = low =
//! close) of one instrument.

use pyrt_model::time::NANOS_PER_DAY;
use pyrt_model::{Bar, InstrumentId, MarketEvent, Price, Quantity};

/// Bars on days 1..=n, each at `price(day)`, 1,000 traded.
pub fn daily_bars(
    instrument: InstrumentId,
    n: i64,
    price: impl Fn(i64) -> Price,
) -> Vec<Result<MarketEvent, std::io::Error>> {
    (1..=n)
        .map(|d| {
            let (ts, p) = (d * NANOS_PER_DAY, price(d));
            let volume = Quantity::from_int(1_000);
            Ok(MarketEvent::Bar(Bar {
                instrument,
                ts_event: ts,
                ts_recv: ts,
                open: p,
                high: p,
                low: p,
                close: p,
                volume,
            }))
        })
        .collect()
}
