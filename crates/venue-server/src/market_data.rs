//! The public market-data endpoints: recent and historical trades,
//! aggregate trades, klines, tickers and the average price, in Binance
//! Spot's shapes (REST API docs, "Market Data endpoints").
//!
//! Everything is read from the venue's own record ([`crate::tape`]): the
//! trades it printed (the market's and its users' fills), the candles built
//! from them and its book, through [`MarketView`] (never the exchange's
//! lock), so the numbers agree with what its streams
//! published and its accounts traded. Rolling windows (the 24-hour ticker,
//! `/api/v3/ticker`) are summed from minute candles (hour candles past a
//! day), so their edges move by the minute; Binance computes its rolling
//! ticker at minute precision as well.

use pyrt_model::fixed::div_round_half_even;
use pyrt_model::{Money, Price, Quantity, Side};
use serde_json::{Value, json};

use crate::errors::ApiError;
use crate::exchange::d8;
use crate::klines::{self, Candle, KlineQuery};
use crate::market_view::MarketView;
use crate::params::Params;
use crate::tape::{Tape, TapeTrade};

const DEFAULT_LIMIT: usize = 500;
const MAX_LIMIT: usize = 1000;
const MINUTE_MS: i64 = 60_000;
const HOUR_MS: i64 = 3_600_000;
const DAY_MS: i64 = 86_400_000;

/// `limit`: `default` when absent, 1 to `max` otherwise.
fn limit(p: &Params, default: usize, max: usize) -> Result<usize, ApiError> {
    match p.parsed::<usize>("limit")? {
        None => Ok(default),
        Some(n) if (1..=max).contains(&n) => Ok(n),
        Some(_) => Err(ApiError::invalid_value("limit")),
    }
}

fn trade_json(t: &TapeTrade) -> Value {
    json!({
        "id": t.id, "price": d8(t.price), "qty": d8(t.qty), "quoteQty": d8(Money::notional(t.price, t.qty)),
        "time": t.time_ms, "isBuyerMaker": t.buyer_maker, "isBestMatch": true,
    })
}

/// `GET /api/v3/trades`: the most recent trades.
pub fn trades(m: &MarketView, p: &Params) -> Result<Value, ApiError> {
    let symbol = m.symbol_index(p.required("symbol")?)?;
    let n = limit(p, DEFAULT_LIMIT, MAX_LIMIT)?;
    Ok(m.tape(symbol).last(n).map(trade_json).collect())
}

/// `GET /api/v3/historicalTrades`: older trades from `fromId` (the most
/// recent without it).
pub fn historical_trades(m: &MarketView, p: &Params) -> Result<Value, ApiError> {
    let symbol = m.symbol_index(p.required("symbol")?)?;
    let n = limit(p, DEFAULT_LIMIT, MAX_LIMIT)?;
    let tape = m.tape(symbol);
    Ok(match p.parsed::<u64>("fromId")? {
        Some(from) => tape.since(from).take(n).map(trade_json).collect(),
        None => tape.last(n).map(trade_json).collect(),
    })
}

/// `GET /api/v3/aggTrades`: each trade is its own aggregate (the venue
/// prints no two fills of one taker at one price), so `a` is the trade id.
pub fn agg_trades(m: &MarketView, p: &Params) -> Result<Value, ApiError> {
    let symbol = m.symbol_index(p.required("symbol")?)?;
    let n = limit(p, DEFAULT_LIMIT, MAX_LIMIT)?;
    let (from, start, end) = (p.parsed::<u64>("fromId")?, p.parsed::<i64>("startTime")?, p.parsed::<i64>("endTime")?);
    let tape = m.tape(symbol);
    let agg = |t: &TapeTrade| {
        json!({
            "a": t.id, "p": d8(t.price), "q": d8(t.qty), "f": t.id, "l": t.id, "T": t.time_ms,
            "m": t.buyer_maker, "M": true,
        })
    };
    if from.is_some() && (start.is_some() || end.is_some()) {
        return Err(ApiError::bad_combination());
    }
    if let (Some(s), Some(e)) = (start, end) {
        if e < s {
            return Err(ApiError::bad_combination());
        }
        if e - s > HOUR_MS {
            return Err(ApiError::window_too_long("1 hours"));
        }
    }
    Ok(match (from, start, end) {
        (Some(from), ..) => tape.since(from).take(n).map(agg).collect(),
        (None, None, None) => tape.last(n).map(agg).collect(),
        (None, start, end) => tape
            .iter()
            .filter(|t| start.is_none_or(|s| t.time_ms >= s) && end.is_none_or(|e| t.time_ms <= e))
            .take(n)
            .map(agg)
            .collect(),
    })
}

/// `GET /api/v3/klines` and `/api/v3/uiKlines`.
pub fn klines(m: &MarketView, p: &Params) -> Result<Value, ApiError> {
    let symbol = m.symbol_index(p.required("symbol")?)?;
    let interval = klines::interval_index(p.required("interval")?).ok_or_else(ApiError::bad_interval)?;
    let (start_ms, end_ms) = (p.parsed::<i64>("startTime")?, p.parsed::<i64>("endTime")?);
    if let (Some(s), Some(e)) = (start_ms, end_ms)
        && e < s
    {
        return Err(ApiError::bad_combination());
    }
    let offset_ms = match p.get("timeZone") {
        None => 0,
        Some(tz) => time_zone_ms(tz).ok_or_else(|| ApiError::invalid_value("timeZone"))?,
    };
    let q = KlineQuery { interval, start_ms, end_ms, limit: limit(p, DEFAULT_LIMIT, MAX_LIMIT)?, offset_ms };
    Ok(m.tape(symbol).candles.query(&q).iter().map(Candle::row).collect())
}

/// A `timeZone` (`"8"`, `"+8"`, `"-1:30"`, `"+05:45"`, within -12:00 to
/// +14:00) in milliseconds east of UTC.
fn time_zone_ms(text: &str) -> Option<i64> {
    let (sign, rest) = match text.as_bytes().first()? {
        b'-' => (-1, &text[1..]),
        b'+' => (1, &text[1..]),
        _ => (1, text),
    };
    let (h, m) = rest.split_once(':').unwrap_or((rest, "0"));
    let digits = |s: &str| !s.is_empty() && s.len() <= 2 && s.bytes().all(|b| b.is_ascii_digit());
    if !digits(h) || !digits(m) {
        return None;
    }
    let (h, m): (i64, i64) = (h.parse().ok()?, m.parse().ok()?);
    let minutes = sign * (h * 60 + m);
    (m < 60 && (-12 * 60..=14 * 60).contains(&minutes)).then_some(minutes * MINUTE_MS)
}

/// The symbols a ticker request names: `symbol` (one object back),
/// `symbols` (a JSON list; a list back) or neither (every symbol; a list).
fn selection(m: &MarketView, p: &Params, all_allowed: bool) -> Result<(Vec<usize>, bool), ApiError> {
    match (p.get("symbol"), p.get("symbols")) {
        (Some(_), Some(_)) => Err(ApiError::bad_combination()),
        (Some(s), None) => Ok((vec![m.symbol_index(s)?], true)),
        (None, Some(list)) => {
            let names: Vec<String> = serde_json::from_str(list).map_err(|_| ApiError::bad_symbols())?;
            let legal = |s: &String| {
                (1..=20).contains(&s.len())
                    && s.bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b"-_.".contains(&b))
            };
            if names.is_empty() || !names.iter().all(legal) {
                return Err(ApiError::bad_symbols());
            }
            let indices = names.iter().map(|s| m.symbol_index(s)).collect::<Result<_, _>>()?;
            Ok((indices, false))
        }
        (None, None) if all_allowed => Ok(((0..m.specs().len()).collect(), false)),
        (None, None) => Err(ApiError::mandatory("symbol")),
    }
}

/// One object for `symbol`, a list otherwise.
fn answer(rows: Vec<Value>, single: bool) -> Value {
    if single { rows.into_iter().next().unwrap_or(Value::Null) } else { Value::Array(rows) }
}

/// The last trade's price, or the book's mid before the first trade.
/// Takes the symbol's tape, held by the caller (its lock is not reentrant).
fn last_price(m: &MarketView, symbol: usize, tape: &Tape) -> Price {
    tape.last(1).next().map(|t| t.price).or_else(|| m.book(symbol).mid()).unwrap_or(Price::ZERO)
}

/// A rolling window's numbers.
struct Window {
    open: Price,
    high: Price,
    low: Price,
    last: Price,
    volume: Quantity,
    quote_volume: Money,
    first_id: i64,
    last_id: i64,
    count: u64,
    open_ms: i64,
    close_ms: i64,
}

/// The window of `length_ms` ending now, from minute candles up to a day
/// and hour candles beyond.
fn window(m: &MarketView, symbol: usize, length_ms: i64, now_ms: i64) -> Window {
    let from = now_ms - length_ms;
    let tape = m.tape(symbol);
    let candles: Vec<&Candle> = if length_ms <= klines::HISTORY as i64 * MINUTE_MS {
        tape.candles.minutes_since(from - from.rem_euclid(MINUTE_MS)).collect()
    } else {
        tape.candles.hours_since(from - from.rem_euclid(HOUR_MS)).collect()
    };
    let last = last_price(m, symbol, &tape);
    let mut w = Window {
        open: last,
        high: last,
        low: last,
        last,
        volume: Quantity::ZERO,
        quote_volume: Money::ZERO,
        first_id: -1,
        last_id: -1,
        count: 0,
        open_ms: from,
        close_ms: now_ms,
    };
    for c in candles.iter().filter(|c| c.trades > 0) {
        if w.count == 0 {
            (w.open, w.high, w.low, w.first_id) = (c.open, c.high, c.low, c.first_id);
        }
        w.high = w.high.max(c.high);
        w.low = w.low.min(c.low);
        w.last = c.close;
        w.volume += c.volume;
        w.quote_volume += c.quote_volume;
        w.last_id = c.last_id;
        w.count += c.trades;
    }
    w
}

impl Window {
    /// `quoteVolume / volume`, exactly rounded to the price unit.
    fn weighted_average(&self) -> Price {
        if self.volume.is_zero() {
            return Price::ZERO;
        }
        Price::from_raw(div_round_half_even(self.quote_volume.raw(), self.volume.raw() as i128) as i64)
    }

    fn change(&self) -> (String, String) {
        let change = self.last - self.open;
        let percent = if self.open.is_zero() {
            "0.000".to_string()
        } else {
            // Three decimals of a percent, rounded half to even.
            let thousandths = div_round_half_even(change.raw() as i128 * 100_000, self.open.raw() as i128);
            let sign = if thousandths < 0 { "-" } else { "" };
            let t = thousandths.unsigned_abs();
            format!("{sign}{}.{:03}", t / 1000, t % 1000)
        };
        (d8(change), percent)
    }

    fn json(&self, symbol: &str, full: bool) -> Value {
        let mut v = json!({
            "symbol": symbol, "openPrice": d8(self.open), "highPrice": d8(self.high), "lowPrice": d8(self.low),
            "lastPrice": d8(self.last), "volume": d8(self.volume), "quoteVolume": d8(self.quote_volume),
            "openTime": self.open_ms, "closeTime": self.close_ms, "firstId": self.first_id, "lastId": self.last_id,
            "count": self.count,
        });
        if full {
            let (change, percent) = self.change();
            v["priceChange"] = json!(change);
            v["priceChangePercent"] = json!(percent);
            v["weightedAvgPrice"] = json!(d8(self.weighted_average()));
        }
        v
    }
}

fn full_or_mini(p: &Params) -> Result<bool, ApiError> {
    match p.get("type").unwrap_or("FULL") {
        "FULL" => Ok(true),
        "MINI" => Ok(false),
        _ => Err(ApiError::bad_enum("type")),
    }
}

/// `GET /api/v3/ticker/24hr`.
pub fn ticker_24hr(m: &MarketView, p: &Params, now_ms: i64) -> Result<Value, ApiError> {
    let (symbols, single) = selection(m, p, true)?;
    let full = full_or_mini(p)?;
    let rows = symbols
        .into_iter()
        .map(|i| {
            let w = window(m, i, DAY_MS, now_ms);
            let mut v = w.json(&m.specs()[i].symbol, full);
            if full {
                let book = m.book(i);
                let (bid, ask) = (book.best_bid(), book.best_ask());
                let last_qty = m.tape(i).last(1).next().map_or(Quantity::ZERO, |t| t.qty);
                v["prevClosePrice"] = json!(d8(w.open));
                v["lastQty"] = json!(d8(last_qty));
                v["bidPrice"] = json!(d8(bid.map_or(Price::ZERO, |l| l.price)));
                v["bidQty"] = json!(d8(bid.map_or(Quantity::ZERO, |l| l.qty)));
                v["askPrice"] = json!(d8(ask.map_or(Price::ZERO, |l| l.price)));
                v["askQty"] = json!(d8(ask.map_or(Quantity::ZERO, |l| l.qty)));
            }
            v
        })
        .collect();
    Ok(answer(rows, single))
}

/// `GET /api/v3/ticker`: the rolling window of `windowSize` (`1m`…`59m`,
/// `1h`…`23h`, `1d`…`7d`; default `1d`) for `symbol` or `symbols`.
pub fn ticker_window(m: &MarketView, p: &Params, now_ms: i64) -> Result<Value, ApiError> {
    let (symbols, single) = selection(m, p, false)?;
    let length = match p.get("windowSize") {
        None => DAY_MS,
        Some(w) => window_size_ms(w).ok_or_else(|| ApiError::invalid_value("windowSize"))?,
    };
    let full = full_or_mini(p)?;
    let rows = symbols.into_iter().map(|i| window(m, i, length, now_ms).json(&m.specs()[i].symbol, full)).collect();
    Ok(answer(rows, single))
}

fn window_size_ms(text: &str) -> Option<i64> {
    let split = text.len().checked_sub(1)?;
    let (n, unit) = text.split_at(split);
    if n.is_empty() || n.len() > 2 || !n.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let n: i64 = n.parse().ok()?;
    match unit {
        "m" if (1..=59).contains(&n) => Some(n * MINUTE_MS),
        "h" if (1..=23).contains(&n) => Some(n * HOUR_MS),
        "d" if (1..=7).contains(&n) => Some(n * DAY_MS),
        _ => None,
    }
}

/// `GET /api/v3/ticker/price`.
pub fn ticker_price(m: &MarketView, p: &Params) -> Result<Value, ApiError> {
    let (symbols, single) = selection(m, p, true)?;
    let rows = symbols
        .into_iter()
        .map(|i| json!({ "symbol": m.specs()[i].symbol, "price": d8(last_price(m, i, &m.tape(i))) }))
        .collect();
    Ok(answer(rows, single))
}

/// `GET /api/v3/ticker/bookTicker`.
pub fn book_ticker(m: &MarketView, p: &Params) -> Result<Value, ApiError> {
    let (symbols, single) = selection(m, p, true)?;
    let rows = symbols
        .into_iter()
        .map(|i| {
            let book = m.book(i);
            let level = |s: Side| match s {
                Side::Buy => book.best_bid(),
                Side::Sell => book.best_ask(),
            };
            let (bid, ask) = (level(Side::Buy), level(Side::Sell));
            json!({
                "symbol": m.specs()[i].symbol,
                "bidPrice": d8(bid.map_or(Price::ZERO, |l| l.price)), "bidQty": d8(bid.map_or(Quantity::ZERO, |l| l.qty)),
                "askPrice": d8(ask.map_or(Price::ZERO, |l| l.price)), "askQty": d8(ask.map_or(Quantity::ZERO, |l| l.qty)),
            })
        })
        .collect();
    Ok(answer(rows, single))
}

/// `GET /api/v3/avgPrice`: the volume-weighted price of the last five
/// minutes of trades (the last price when none traded).
pub fn avg_price(m: &MarketView, p: &Params, now_ms: i64) -> Result<Value, ApiError> {
    let symbol = m.symbol_index(p.required("symbol")?)?;
    let tape = m.tape(symbol);
    let from = now_ms - 5 * MINUTE_MS;
    let (mut qty, mut quote, mut close_ms) = (Quantity::ZERO, Money::ZERO, now_ms);
    for t in tape.iter().filter(|t| t.time_ms >= from) {
        qty += t.qty;
        quote += Money::notional(t.price, t.qty);
        close_ms = t.time_ms;
    }
    let price = if qty.is_zero() {
        last_price(m, symbol, &tape)
    } else {
        Price::from_raw(div_round_half_even(quote.raw(), qty.raw() as i128) as i64)
    };
    Ok(json!({ "mins": 5, "price": d8(price), "closeTime": close_ms }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn time_zones_and_window_sizes_read_as_binance_writes_them() {
        assert_eq!(time_zone_ms("0"), Some(0));
        assert_eq!(time_zone_ms("8"), Some(8 * HOUR_MS));
        assert_eq!(time_zone_ms("+8"), Some(8 * HOUR_MS));
        assert_eq!(time_zone_ms("-1:30"), Some(-90 * MINUTE_MS));
        assert_eq!(time_zone_ms("+05:45"), Some(345 * MINUTE_MS));
        for bad in ["", "+", "15", "-13", "8:60", "1e1", "abc", "+8:"] {
            assert_eq!(time_zone_ms(bad), None, "{bad}");
        }
        assert_eq!(window_size_ms("1m"), Some(MINUTE_MS));
        assert_eq!(window_size_ms("23h"), Some(23 * HOUR_MS));
        assert_eq!(window_size_ms("7d"), Some(7 * DAY_MS));
        for bad in ["", "m", "60m", "24h", "8d", "1w", "01x", "100m"] {
            assert_eq!(window_size_ms(bad), None, "{bad}");
        }
    }
}
