//! Candlesticks: the kline streams (`<symbol>@kline_<interval>`) and the
//! REST klines (`/api/v3/klines`, `/api/v3/uiKlines`).
//!
//! Every symbol keeps one open candle per interval, built from the trades
//! the venue prints (the market's and its users' fills alike). A step that
//! reaches a candle's end first publishes that candle as final
//! (`"x": true`) and opens the next one at the last close, with no volume,
//! as Binance does for a quiet period; then the step's trades update the
//! open candles, and each candle that changed is published as it stands
//! (`"x": false`). Closed candles are kept, [`HISTORY`] per interval, for
//! the REST klines.
//!
//! Intervals are Binance's sixteen. Up to `3d` they are fixed lengths
//! counted from the epoch; `1w` starts on Monday and `1M` on the 1st, at
//! 00:00 UTC. A REST request with a `timeZone` moves where days (and so
//! days, weeks and months) start; those candles are summed from the hourly
//! ones (or the minute ones, for an offset in minutes).

use std::collections::VecDeque;

use pyrt_model::time::{civil_from_days, days_from_civil};
use pyrt_model::{Money, Price, Quantity};
use serde_json::{Value, json};

use crate::exchange::d8;
use crate::tape::TapeTrade;

/// How long an interval is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Span {
    /// This many milliseconds, counted from the epoch (or the time zone's midnight).
    Fixed(i64),
    /// A week from Monday 00:00.
    Week,
    /// A calendar month from the 1st, 00:00.
    Month,
}

const DAY_MS: i64 = 86_400_000;
const HOUR_MS: i64 = 3_600_000;

/// The intervals served.
pub const INTERVALS: [(&str, Span); 16] = [
    ("1s", Span::Fixed(1_000)),
    ("1m", Span::Fixed(60_000)),
    ("3m", Span::Fixed(180_000)),
    ("5m", Span::Fixed(300_000)),
    ("15m", Span::Fixed(900_000)),
    ("30m", Span::Fixed(1_800_000)),
    ("1h", Span::Fixed(HOUR_MS)),
    ("2h", Span::Fixed(7_200_000)),
    ("4h", Span::Fixed(14_400_000)),
    ("6h", Span::Fixed(21_600_000)),
    ("8h", Span::Fixed(28_800_000)),
    ("12h", Span::Fixed(43_200_000)),
    ("1d", Span::Fixed(DAY_MS)),
    ("3d", Span::Fixed(3 * DAY_MS)),
    ("1w", Span::Week),
    ("1M", Span::Month),
];

const ONE_MINUTE: usize = 1;
const ONE_HOUR: usize = 6;

/// Closed candles kept per interval: a day of minutes, two months of hours.
pub const HISTORY: usize = 1_500;

/// The index in [`INTERVALS`] of an interval's name.
pub fn interval_index(name: &str) -> Option<usize> {
    INTERVALS.iter().position(|(n, _)| *n == name)
}

impl Span {
    /// The open time of the candle holding `ms`, when days start at
    /// `offset_ms` after midnight UTC (a time zone east of UTC is positive).
    pub fn open_time(self, ms: i64, offset_ms: i64) -> i64 {
        let local = ms + offset_ms;
        let open = match self {
            Span::Fixed(len) => local - local.rem_euclid(len),
            // 1970-01-05 was the first Monday.
            Span::Week => local - (local - 4 * DAY_MS).rem_euclid(7 * DAY_MS),
            Span::Month => {
                let (y, m, _) = civil_from_days(local.div_euclid(DAY_MS));
                days_from_civil(y, m, 1).expect("the 1st exists") * DAY_MS
            }
        };
        open - offset_ms
    }

    /// The open time of the candle after the one opening at `open`.
    pub fn next_open(self, open: i64, offset_ms: i64) -> i64 {
        match self {
            Span::Fixed(len) => open + len,
            Span::Week => open + 7 * DAY_MS,
            Span::Month => {
                let (y, m, _) = civil_from_days((open + offset_ms).div_euclid(DAY_MS));
                let (y, m) = if m == 12 { (y + 1, 1) } else { (y, m + 1) };
                days_from_civil(y, m, 1).expect("the 1st exists") * DAY_MS - offset_ms
            }
        }
    }

    /// Whether a time zone moves this interval's candles (days and longer).
    fn follows_time_zone(self) -> bool {
        !matches!(self, Span::Fixed(len) if len < DAY_MS)
    }
}

/// One candle.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Candle {
    pub open_ms: i64,
    /// The next candle's open time; Binance writes one millisecond less.
    pub next_ms: i64,
    pub open: Price,
    pub high: Price,
    pub low: Price,
    pub close: Price,
    pub volume: Quantity,
    pub quote_volume: Money,
    pub taker_buy_volume: Quantity,
    pub taker_buy_quote: Money,
    pub trades: u64,
    /// First and last trade ids (-1 for none, as Binance writes it).
    pub first_id: i64,
    pub last_id: i64,
}

impl Candle {
    fn empty(open_ms: i64, next_ms: i64, price: Price) -> Self {
        Self {
            open_ms,
            next_ms,
            open: price,
            high: price,
            low: price,
            close: price,
            volume: Quantity::ZERO,
            quote_volume: Money::ZERO,
            taker_buy_volume: Quantity::ZERO,
            taker_buy_quote: Money::ZERO,
            trades: 0,
            first_id: -1,
            last_id: -1,
        }
    }

    fn add(&mut self, trade: &TapeTrade) {
        if self.trades == 0 {
            (self.open, self.high, self.low) = (trade.price, trade.price, trade.price);
            self.first_id = trade.id as i64;
        }
        self.high = self.high.max(trade.price);
        self.low = self.low.min(trade.price);
        self.close = trade.price;
        self.volume += trade.qty;
        self.quote_volume += Money::notional(trade.price, trade.qty);
        if !trade.buyer_maker {
            self.taker_buy_volume += trade.qty;
            self.taker_buy_quote += Money::notional(trade.price, trade.qty);
        }
        self.trades += 1;
        self.last_id = trade.id as i64;
    }

    /// `later` (the next candle in time) folded into this one.
    fn absorb(&mut self, later: &Candle) {
        if later.trades > 0 {
            if self.trades == 0 {
                (self.open, self.high, self.low) = (later.open, later.high, later.low);
                self.first_id = later.first_id;
            }
            self.high = self.high.max(later.high);
            self.low = self.low.min(later.low);
            self.last_id = later.last_id;
        }
        self.close = later.close;
        self.volume += later.volume;
        self.quote_volume += later.quote_volume;
        self.taker_buy_volume += later.taker_buy_volume;
        self.taker_buy_quote += later.taker_buy_quote;
        self.trades += later.trades;
    }

    /// A REST klines row.
    pub fn row(&self) -> Value {
        json!([
            self.open_ms,
            d8(self.open),
            d8(self.high),
            d8(self.low),
            d8(self.close),
            d8(self.volume),
            self.next_ms - 1,
            d8(self.quote_volume),
            self.trades,
            d8(self.taker_buy_volume),
            d8(self.taker_buy_quote),
            "0",
        ])
    }
}

/// A candle to publish for one interval.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KlineUpdate {
    pub interval: usize,
    pub candle: Candle,
    pub closed: bool,
}

impl KlineUpdate {
    /// The stream payload (Binance's `kline` event).
    pub fn payload(&self, symbol: &str, now_ms: i64) -> Value {
        let name = INTERVALS[self.interval].0;
        let c = &self.candle;
        json!({
            "e": "kline", "E": now_ms, "s": symbol,
            "k": {
                "t": c.open_ms, "T": c.next_ms - 1, "s": symbol, "i": name,
                "f": c.first_id, "L": c.last_id,
                "o": d8(c.open), "c": d8(c.close), "h": d8(c.high), "l": d8(c.low),
                "v": d8(c.volume), "n": c.trades, "x": self.closed, "q": d8(c.quote_volume),
                "V": d8(c.taker_buy_volume), "Q": d8(c.taker_buy_quote), "B": "0",
            }
        })
    }
}

/// One symbol's candles: the open one and the last [`HISTORY`] closed
/// ones per interval.
#[derive(Debug, Clone, Default)]
pub struct Candles {
    open: [Option<Candle>; INTERVALS.len()],
    closed: [VecDeque<Candle>; INTERVALS.len()],
}

/// What a klines request asks for (times are open times, inclusive).
#[derive(Debug, Clone, Copy)]
pub struct KlineQuery {
    pub interval: usize,
    pub start_ms: Option<i64>,
    pub end_ms: Option<i64>,
    pub limit: usize,
    /// The time zone, in milliseconds east of UTC.
    pub offset_ms: i64,
}

impl Candles {
    /// A step at `now_ms` printed `trades` (in time order, none later than
    /// `now_ms`); returns the candles to publish, closed ones first. Each
    /// trade goes into the candle of its own time.
    pub fn on_step(&mut self, now_ms: i64, trades: &[TapeTrade]) -> Vec<KlineUpdate> {
        let mut out = Vec::new();
        for interval in 0..INTERVALS.len() {
            let mut changed = false;
            for trade in trades {
                changed |= self.roll(interval, trade.time_ms, Some(trade.price), &mut out);
                if let Some(candle) = &mut self.open[interval] {
                    candle.add(trade);
                    changed = true;
                }
            }
            changed |= self.roll(interval, now_ms, None, &mut out);
            if changed && let Some(candle) = self.open[interval] {
                out.push(KlineUpdate { interval, candle, closed: false });
            }
        }
        out
    }

    /// Moves `interval`'s open candle to the one holding `ms`: the old one
    /// closes (and is kept), the new one opens at its close. Before the
    /// first trade there is no candle; `first_price` opens one. Whether a
    /// candle opened.
    fn roll(&mut self, interval: usize, ms: i64, first_price: Option<Price>, out: &mut Vec<KlineUpdate>) -> bool {
        let span = INTERVALS[interval].1;
        let start = span.open_time(ms, 0);
        let slot = &mut self.open[interval];
        let price = match slot {
            // A late-stamped trade joins the open candle rather than reopen a closed one.
            Some(candle) if candle.open_ms >= start => return false,
            Some(candle) => {
                out.push(KlineUpdate { interval, candle: *candle, closed: true });
                let history = &mut self.closed[interval];
                if history.len() == HISTORY {
                    history.pop_front();
                }
                history.push_back(*candle);
                candle.close
            }
            None => match first_price {
                Some(p) => p,
                None => return false,
            },
        };
        *slot = Some(Candle::empty(start, span.next_open(start, 0), price));
        true
    }

    /// One interval's candles, oldest first: the kept closed ones and the open one.
    fn series(&self, interval: usize) -> impl Iterator<Item = &Candle> {
        self.closed[interval].iter().chain(self.open[interval].iter())
    }

    /// The candles a klines request asks for, oldest first: from
    /// `start_ms` on when given (the first `limit`), otherwise the last
    /// `limit` up to `end_ms`.
    pub fn query(&self, q: &KlineQuery) -> Vec<Candle> {
        let span = INTERVALS[q.interval].1;
        let candles: Vec<Candle> = if q.offset_ms == 0 || !span.follows_time_zone() {
            self.series(q.interval).copied().collect()
        } else {
            // Days, weeks and months of a time zone, summed from hours
            // (minutes for an offset that is not whole hours).
            let base = if q.offset_ms % HOUR_MS == 0 { ONE_HOUR } else { ONE_MINUTE };
            let mut out: Vec<Candle> = Vec::new();
            for c in self.series(base) {
                let open = span.open_time(c.open_ms, q.offset_ms);
                match out.last_mut() {
                    Some(last) if last.open_ms == open => last.absorb(c),
                    _ => {
                        let mut fresh = Candle::empty(open, span.next_open(open, q.offset_ms), c.open);
                        fresh.absorb(c);
                        out.push(fresh);
                    }
                }
            }
            out
        };
        let in_range =
            |c: &&Candle| q.start_ms.is_none_or(|s| c.open_ms >= s) && q.end_ms.is_none_or(|e| c.open_ms <= e);
        let selected: Vec<Candle> = candles.iter().filter(in_range).copied().collect();
        if q.start_ms.is_some() {
            selected.into_iter().take(q.limit).collect()
        } else {
            let skip = selected.len().saturating_sub(q.limit);
            selected.into_iter().skip(skip).collect()
        }
    }

    /// The minute candles (closed and open) that opened at `from_ms` or later.
    pub fn minutes_since(&self, from_ms: i64) -> impl Iterator<Item = &Candle> {
        self.series(ONE_MINUTE).filter(move |c| c.open_ms >= from_ms)
    }

    /// The hour candles that opened at `from_ms` or later.
    pub fn hours_since(&self, from_ms: i64) -> impl Iterator<Item = &Candle> {
        self.series(ONE_HOUR).filter(move |c| c.open_ms >= from_ms)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Trade `id`; `buy`: the buyer took the offer.
    fn trade(id: u64, price: i64, size: i64, buy: bool, time_ms: i64) -> TapeTrade {
        TapeTrade { id, price: Price::from_int(price), qty: Quantity::from_int(size), time_ms, buyer_maker: !buy }
    }

    #[test]
    fn candles_close_at_their_boundary_and_open_at_the_last_close() {
        let mut c = Candles::default();
        let one_s = interval_index("1s").unwrap();
        let at = |v: &[KlineUpdate]| v.iter().filter(|u| u.interval == one_s).copied().collect::<Vec<_>>();
        // Nothing before the first trade.
        assert!(c.on_step(500, &[]).is_empty());
        let u = at(&c.on_step(1_200, &[trade(7, 100, 2, true, 1_100), trade(8, 103, 1, false, 1_200)]));
        let k = u[0].candle;
        assert_eq!((k.open_ms, k.open, k.high, k.low, k.close), (1_000, p(100), p(103), p(100), p(103)));
        assert_eq!((k.volume, k.trades, k.first_id, k.last_id), (Quantity::from_int(3), 2, 7, 8));
        assert_eq!((k.taker_buy_volume, k.quote_volume), (Quantity::from_int(2), Money::from_int(303)));
        assert!(!u[0].closed);
        // A quiet step inside the second publishes nothing.
        assert!(at(&c.on_step(1_900, &[])).is_empty());
        // The next second: the old candle final, a new empty one at 103.
        let u = at(&c.on_step(3_100, &[]));
        assert_eq!(u.len(), 2);
        assert!(u[0].closed && u[0].candle.open_ms == 1_000);
        let k = u[1].candle;
        assert_eq!(
            (k.open_ms, k.open, k.close, k.volume, k.trades, k.first_id),
            (3_000, p(103), p(103), Quantity::ZERO, 0, -1)
        );
        let json = u[0].payload("BTCUSDT", 3_100);
        assert_eq!(json["k"]["T"], 1_999);
        assert_eq!(json["k"]["i"], "1s");
        assert_eq!(json["k"]["x"], true);
        assert_eq!(interval_index("1w"), Some(14));
        assert_eq!(interval_index("2w"), None);
    }

    fn p(n: i64) -> Price {
        Price::from_int(n)
    }

    /// Milliseconds of a UTC date and hour.
    fn at(y: i64, m: i64, d: i64, h: i64) -> i64 {
        days_from_civil(y, m, d).unwrap() * DAY_MS + h * HOUR_MS
    }

    #[test]
    fn a_trade_published_late_goes_into_the_candle_of_its_time() {
        let mut c = Candles::default();
        c.on_step(500, &[trade(1, 100, 1, true, 500)]);
        // A fill at 0.999 s published by the step at 1.005 s: second 0's.
        let u = c.on_step(1_005, &[trade(2, 101, 2, true, 999)]);
        let one_s = interval_index("1s").unwrap();
        let mine: Vec<_> = u.iter().filter(|k| k.interval == one_s).collect();
        assert!(mine[0].closed && mine[0].candle.open_ms == 0 && mine[0].candle.trades == 2);
        assert!(!mine[1].closed && mine[1].candle.open_ms == 1_000 && mine[1].candle.trades == 0);
    }

    #[test]
    fn weeks_start_on_monday_and_months_on_the_first() {
        let week = INTERVALS[interval_index("1w").unwrap()].1;
        // Thursday 2024-08-08 15:00 → Monday 2024-08-05.
        assert_eq!(week.open_time(at(2024, 8, 8, 15), 0), at(2024, 8, 5, 0));
        assert_eq!(week.open_time(at(2024, 8, 5, 0), 0), at(2024, 8, 5, 0));
        assert_eq!(week.next_open(at(2024, 8, 5, 0), 0), at(2024, 8, 12, 0));
        let month = INTERVALS[interval_index("1M").unwrap()].1;
        assert_eq!(month.open_time(at(2024, 2, 29, 23), 0), at(2024, 2, 1, 0));
        assert_eq!(month.next_open(at(2024, 2, 1, 0), 0), at(2024, 3, 1, 0));
        assert_eq!(month.next_open(at(2024, 12, 1, 0), 0), at(2025, 1, 1, 0));
        // UTC+8: the day starts at 16:00 UTC the day before.
        let day = INTERVALS[interval_index("1d").unwrap()].1;
        assert_eq!(day.open_time(at(2024, 8, 8, 17), 8 * HOUR_MS), at(2024, 8, 8, 16));
        assert_eq!(day.open_time(at(2024, 8, 8, 15), 8 * HOUR_MS), at(2024, 8, 7, 16));
        // And the month of UTC+8 begins on the 1st, local time.
        assert_eq!(month.open_time(at(2024, 8, 31, 17), 8 * HOUR_MS), at(2024, 8, 31, 16));
        assert_eq!(interval_index("3d").map(|i| INTERVALS[i].1), Some(Span::Fixed(3 * DAY_MS)));
    }

    #[test]
    fn queries_take_the_last_candles_or_those_from_a_start() {
        let mut c = Candles::default();
        // One trade a minute for ten minutes, price = minute.
        for minute in 0..10 {
            c.on_step(minute * 60_000 + 1, &[trade(minute as u64, 100 + minute, 1, true, minute * 60_000 + 1)]);
        }
        let one_m = interval_index("1m").unwrap();
        let q = |start_ms, end_ms, limit| KlineQuery { interval: one_m, start_ms, end_ms, limit, offset_ms: 0 };
        let opens = |v: Vec<Candle>| v.iter().map(|k| k.open_ms / 60_000).collect::<Vec<_>>();
        assert_eq!(opens(c.query(&q(None, None, 3))), [7, 8, 9], "the last three, the open one included");
        assert_eq!(opens(c.query(&q(Some(120_000), None, 3))), [2, 3, 4], "three from minute 2");
        assert_eq!(opens(c.query(&q(None, Some(300_000), 2))), [4, 5], "the last two up to minute 5");
        assert_eq!(opens(c.query(&q(Some(60_000), Some(180_000), 500))), [1, 2, 3]);
        assert!(c.query(&q(Some(3_600_000), None, 10)).is_empty());
        let row = c.query(&q(Some(0), None, 1))[0].row();
        assert_eq!(row[0], 0);
        assert_eq!(row[6], 59_999);
        assert_eq!((row[1].as_str(), row[8].as_u64()), (Some("100.00000000"), Some(1)));
    }

    #[test]
    fn a_time_zone_sums_hours_into_its_days() {
        let mut c = Candles::default();
        // A trade every hour for two days, size 1.
        for hour in 0..48 {
            c.on_step(hour * HOUR_MS + 1, &[trade(hour as u64, 100 + hour, 1, hour % 2 == 0, hour * HOUR_MS + 1)]);
        }
        let one_d = interval_index("1d").unwrap();
        let utc = c.query(&KlineQuery { interval: one_d, start_ms: None, end_ms: None, limit: 10, offset_ms: 0 });
        assert_eq!(utc.iter().map(|k| k.volume).collect::<Vec<_>>(), [Quantity::from_int(24); 2]);
        let tz = KlineQuery { interval: one_d, start_ms: None, end_ms: None, limit: 10, offset_ms: 8 * HOUR_MS };
        let local = c.query(&tz);
        // UTC+8 days: 16:00 UTC to 16:00 UTC: 16 hours, 24, then 8.
        let volumes: Vec<_> = local.iter().map(|k| k.volume).collect();
        assert_eq!(volumes, [Quantity::from_int(16), Quantity::from_int(24), Quantity::from_int(8)]);
        let first = local[0];
        assert_eq!((first.open_ms, first.next_ms), (-8 * HOUR_MS, 16 * HOUR_MS));
        assert_eq!((first.open, first.close, first.high, first.low), (p(100), p(115), p(115), p(100)));
        assert_eq!((first.first_id, first.last_id, first.trades), (0, 15, 16));
        assert_eq!(first.taker_buy_volume, Quantity::from_int(8));
    }
}
