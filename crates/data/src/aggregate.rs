//! Bars built from trades: time, tick, volume and dollar bars.
//!
//! A [`BarAggregator`] takes trades one at a time, in time order, and
//! returns a bar whenever one completes. The same code builds bars live
//! (from the exchange's trade stream) and in research (from a trade file),
//! so a strategy sees the same bars in both.
//!
//! * **Time bars** (`1m`, `5s`, `250ms`, `1h`, `1d`) cover fixed buckets
//!   aligned to the Unix epoch by exchange time. A bucket closes when a
//!   trade from a later bucket arrives or the clock passes its end
//!   ([`BarAggregator::on_time`], for live feeds with quiet spells);
//!   buckets without trades produce no bar. The bar's `ts_event` is the
//!   bucket's start and its `ts_recv` the bucket's end: no one could have
//!   had the bar earlier.
//! * **Tick, volume and dollar bars** (`tick:100`, `volume:10`,
//!   `dollar:1000000`) close on the trade that brings the count, the
//!   traded quantity or the traded notional to the threshold. That trade
//!   is not split, so a bar may overshoot the threshold. `ts_event` is the
//!   first trade's time and `ts_recv` the closing trade's receive time.

use std::fmt;
use std::str::FromStr;

use pyrt_model::time::{NANOS_PER_DAY, NANOS_PER_MILLI, NANOS_PER_MINUTE, NANOS_PER_SECOND};
use pyrt_model::{Bar, Money, Quantity, Trade, UnixNanos};

/// When a bar closes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BarRule {
    /// Fixed time buckets of this many nanoseconds.
    Time(i64),
    /// Every this many trades.
    Ticks(u64),
    /// When this much quantity has traded.
    Volume(Quantity),
    /// When this much notional (price × quantity) has traded.
    Dollar(Money),
}

const RULE_FORMS: &str = "a duration (`250ms`, `5s`, `1m`, `1h`, `1d`), `tick:N`, `volume:QTY` or `dollar:AMOUNT`";

/// A bar rule that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("bar rule `{text}`: {problem}; expected {RULE_FORMS}")]
pub struct BarRuleError {
    pub text: String,
    pub problem: String,
}

/// The rule as [`BarRule::from_str`] reads it back (`1m`, `tick:100`, …).
impl fmt::Display for BarRule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BarRule::Time(ns) if ns % NANOS_PER_MINUTE == 0 => write!(f, "{}m", ns / NANOS_PER_MINUTE),
            BarRule::Time(ns) if ns % NANOS_PER_SECOND == 0 => write!(f, "{}s", ns / NANOS_PER_SECOND),
            BarRule::Time(ns) => write!(f, "{}ms", ns / NANOS_PER_MILLI),
            BarRule::Ticks(n) => write!(f, "tick:{n}"),
            BarRule::Volume(q) => write!(f, "volume:{q}"),
            BarRule::Dollar(m) => write!(f, "dollar:{m}"),
        }
    }
}

impl FromStr for BarRule {
    type Err = BarRuleError;

    fn from_str(s: &str) -> Result<Self, BarRuleError> {
        let text = s.trim();
        let bad = |problem: &str| BarRuleError { text: text.to_string(), problem: problem.to_string() };
        if let Some((kind, value)) = text.split_once(':') {
            let value = value.trim();
            return match kind.trim() {
                "tick" | "ticks" => match value.parse::<u64>() {
                    Ok(n) if n > 0 => Ok(BarRule::Ticks(n)),
                    _ => Err(bad("the trade count must be a whole number above 0")),
                },
                "volume" => match value.parse::<Quantity>() {
                    Ok(q) if q.is_positive() => Ok(BarRule::Volume(q)),
                    _ => Err(bad("the volume must be a number above 0")),
                },
                "dollar" | "notional" => match value.parse::<Money>() {
                    Ok(m) if m.is_positive() => Ok(BarRule::Dollar(m)),
                    _ => Err(bad("the notional must be a number above 0")),
                },
                other => Err(bad(&format!("unknown bar kind `{other}`"))),
            };
        }
        let split = text.find(|c: char| !c.is_ascii_digit()).unwrap_or(text.len());
        let (digits, unit) = text.split_at(split);
        let count: i64 = digits.parse().map_err(|_| bad("a duration starts with a whole number"))?;
        let unit_ns = match unit {
            "ms" => NANOS_PER_MILLI,
            "s" => NANOS_PER_SECOND,
            "m" | "min" => NANOS_PER_MINUTE,
            "h" => 60 * NANOS_PER_MINUTE,
            "d" => NANOS_PER_DAY,
            _ => return Err(bad(&format!("unknown time unit `{unit}`"))),
        };
        match count.checked_mul(unit_ns) {
            Some(ns) if ns > 0 => Ok(BarRule::Time(ns)),
            _ => Err(bad("the duration must be above 0 and at most about 292 years")),
        }
    }
}

/// A trade the aggregator cannot take.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AggregateError {
    #[error("trade at {ts} is earlier than the previous one at {previous}: bars need trades in time order")]
    OutOfOrder { ts: UnixNanos, previous: UnixNanos },
}

#[derive(Debug, Clone, Copy)]
struct Building {
    bar: Bar,
    notional: Money,
    trades: u64,
}

/// Turns trades into bars by one [`BarRule`].
#[derive(Debug, Clone)]
pub struct BarAggregator {
    rule: BarRule,
    building: Option<Building>,
    last_ts: UnixNanos,
}

impl BarAggregator {
    pub fn new(rule: BarRule) -> Self {
        Self { rule, building: None, last_ts: i64::MIN }
    }

    pub fn rule(&self) -> BarRule {
        self.rule
    }

    /// Takes one trade; returns the bar it completes, if any. For time
    /// bars that is the previous bucket's bar, closed by a trade from a
    /// later bucket.
    pub fn on_trade(&mut self, trade: &Trade) -> Result<Option<Bar>, AggregateError> {
        if trade.ts_event < self.last_ts {
            return Err(AggregateError::OutOfOrder { ts: trade.ts_event, previous: self.last_ts });
        }
        self.last_ts = trade.ts_event;
        let mut done = None;
        if let BarRule::Time(every) = self.rule {
            let start = trade.ts_event.div_euclid(every) * every;
            if self.building.is_some_and(|b| b.bar.ts_event != start) {
                done = self.building.take().map(|b| b.bar);
            }
            let b = self.building.get_or_insert_with(|| open(trade, start, start + every));
            extend(b, trade, false);
            return Ok(done);
        }
        let b = self.building.get_or_insert_with(|| open(trade, trade.ts_event, trade.ts_recv));
        extend(b, trade, true);
        let full = match self.rule {
            BarRule::Ticks(n) => b.trades >= n,
            BarRule::Volume(q) => b.bar.volume >= q,
            BarRule::Dollar(m) => b.notional >= m,
            BarRule::Time(_) => unreachable!("handled above"),
        };
        if full {
            done = self.building.take().map(|b| b.bar);
        }
        Ok(done)
    }

    /// For time bars: the bar whose bucket has ended by `now` (exchange
    /// clock), if one is still open. Count-based bars never close on time.
    pub fn on_time(&mut self, now: UnixNanos) -> Option<Bar> {
        match (self.rule, self.building) {
            (BarRule::Time(_), Some(b)) if now >= b.bar.ts_recv => self.building.take().map(|b| b.bar),
            _ => None,
        }
    }

    /// The bar still being built, taken out (at the end of the data). A
    /// count-based bar returned here has not reached its threshold.
    pub fn finish(&mut self) -> Option<Bar> {
        self.building.take().map(|b| b.bar)
    }
}

/// A bar opened by `trade`, stamped `ts_event`/`ts_recv`.
fn open(trade: &Trade, ts_event: UnixNanos, ts_recv: UnixNanos) -> Building {
    let bar = Bar {
        instrument: trade.instrument,
        ts_event,
        ts_recv,
        open: trade.price,
        high: trade.price,
        low: trade.price,
        close: trade.price,
        volume: Quantity::ZERO,
    };
    Building { bar, notional: Money::ZERO, trades: 0 }
}

fn extend(b: &mut Building, trade: &Trade, recv_from_trade: bool) {
    let bar = &mut b.bar;
    bar.high = bar.high.max(trade.price);
    bar.low = bar.low.min(trade.price);
    bar.close = trade.price;
    bar.volume += trade.size;
    if recv_from_trade {
        bar.ts_recv = trade.ts_recv;
    }
    b.notional += Money::notional(trade.price, trade.size);
    b.trades += 1;
}

#[cfg(test)]
mod tests {
    use super::*;
    use pyrt_model::{InstrumentId, Price};

    fn trade(ms: i64, price: &str, size: &str) -> Trade {
        Trade {
            instrument: InstrumentId(3),
            ts_event: ms * NANOS_PER_MILLI,
            ts_recv: ms * NANOS_PER_MILLI + 5,
            price: price.parse().unwrap(),
            size: size.parse().unwrap(),
            aggressor: None,
        }
    }

    fn run(rule: &str, trades: &[Trade]) -> Vec<Bar> {
        let mut agg = BarAggregator::new(rule.parse().unwrap());
        let mut bars: Vec<Bar> = trades.iter().filter_map(|t| agg.on_trade(t).unwrap()).collect();
        bars.extend(agg.finish());
        bars
    }

    fn ohlcv(b: &Bar) -> (String, String, String, String, String) {
        (b.open.to_string(), b.high.to_string(), b.low.to_string(), b.close.to_string(), b.volume.to_string())
    }

    #[test]
    fn rules_parse_and_bad_ones_say_what_is_valid() {
        assert_eq!("1m".parse(), Ok(BarRule::Time(NANOS_PER_MINUTE)));
        assert_eq!("250ms".parse(), Ok(BarRule::Time(250 * NANOS_PER_MILLI)));
        assert_eq!("tick:100".parse(), Ok(BarRule::Ticks(100)));
        assert_eq!("volume:2.5".parse(), Ok(BarRule::Volume("2.5".parse().unwrap())));
        assert_eq!("dollar:1e6".parse(), Ok(BarRule::Dollar(Money::from_int(1_000_000))));
        let err = "3weeks".parse::<BarRule>().unwrap_err().to_string();
        assert_eq!(err, format!("bar rule `3weeks`: unknown time unit `weeks`; expected {RULE_FORMS}"));
        for bad in ["0s", "tick:0", "tick:-1", "volume:0", "dollar:abc", "range:5", "m", ""] {
            assert!(bad.parse::<BarRule>().is_err(), "{bad}");
        }
        for text in ["1m", "90s", "250ms", "tick:100", "volume:2.5", "dollar:1000000"] {
            let rule: BarRule = text.parse().unwrap();
            assert_eq!(rule.to_string(), text);
            assert_eq!(rule.to_string().parse::<BarRule>(), Ok(rule));
        }
    }

    #[test]
    fn time_bars_bucket_by_exchange_time() {
        let trades = [
            trade(59_000, "10", "1"),
            trade(60_000, "11", "2"),
            trade(60_500, "9", "1"),
            trade(119_999, "10.5", "1"),
            trade(185_000, "12", "4"),
        ];
        let bars = run("1m", &trades);
        assert_eq!(bars.len(), 3, "the empty 2:00 bucket makes no bar");
        assert_eq!((bars[0].ts_event, bars[0].ts_recv), (0, NANOS_PER_MINUTE));
        assert_eq!(ohlcv(&bars[1]), ("11".into(), "11".into(), "9".into(), "10.5".into(), "4".into()));
        assert_eq!(bars[1].ts_event, NANOS_PER_MINUTE);
        assert_eq!(bars[2].ts_event, 3 * NANOS_PER_MINUTE);
        assert!(bars.iter().all(|b| b.instrument == InstrumentId(3)));
    }

    #[test]
    fn count_bars_close_on_the_trade_that_reaches_the_threshold() {
        let trades = [trade(1, "10", "1"), trade(2, "12", "1"), trade(3, "11", "3"), trade(4, "10", "1")];
        let ticks = run("tick:2", &trades);
        assert_eq!(ticks.len(), 2);
        assert_eq!(ohlcv(&ticks[0]), ("10".into(), "12".into(), "10".into(), "12".into(), "2".into()));
        assert_eq!((ticks[0].ts_event, ticks[0].ts_recv), (NANOS_PER_MILLI, 2 * NANOS_PER_MILLI + 5));
        // Volume 2.5 is reached by the third trade, which is not split.
        let volume = run("volume:2.5", &trades);
        assert_eq!(volume[0].volume.to_string(), "5");
        assert_eq!(volume.len(), 2);
        // 10 + 12 = 22 < 30; + 33 = 55 ≥ 30.
        let dollar = run("dollar:30", &trades);
        assert_eq!((dollar[0].close, dollar[1].open), (Price::from_int(11), Price::from_int(10)));
    }

    #[test]
    fn quiet_time_closes_a_time_bar_and_order_is_checked() {
        let mut agg = BarAggregator::new(BarRule::Time(NANOS_PER_SECOND));
        assert_eq!(agg.on_trade(&trade(100, "5", "1")), Ok(None));
        assert_eq!(agg.on_time(999 * NANOS_PER_MILLI), None);
        assert_eq!(agg.on_time(NANOS_PER_SECOND).map(|b| b.close), Some(Price::from_int(5)));
        assert_eq!(agg.finish(), None);
        assert_eq!(
            agg.on_trade(&trade(50, "5", "1")),
            Err(AggregateError::OutOfOrder { ts: 50 * NANOS_PER_MILLI, previous: 100 * NANOS_PER_MILLI })
        );
    }
}
