//! An account's history and bulk actions: `myTrades`, `allOrders`,
//! `DELETE openOrders` and `account/commission`, as Binance Spot answers
//! them (REST API docs, "Account endpoints" and "Trading endpoints").
//!
//! Paging follows Binance: with `fromId`/`orderId` the first `limit` from
//! that id on; with a time range the first `limit` inside it (at most 24
//! hours long); with neither the last `limit`. Ids and times only grow in
//! an account's lists, so each page is a binary search away.

use std::collections::BTreeMap;

use pyrt_model::Money;
use serde_json::{Value, json};

use crate::accounts::AccountTrade;
use crate::errors::ApiError;
use crate::exchange::{Exchange, OrderRef, d8};
use crate::order_api::{cancelled_json, order_json};
use crate::params::Params;

const DEFAULT_LIMIT: usize = 500;
const MAX_LIMIT: usize = 1000;
const DAY_MS: i64 = 86_400_000;

pub(crate) fn limit(p: &Params) -> Result<usize, ApiError> {
    match p.parsed::<usize>("limit")? {
        None => Ok(DEFAULT_LIMIT),
        Some(n) if (1..=MAX_LIMIT).contains(&n) => Ok(n),
        Some(_) => Err(ApiError::invalid_value("limit")),
    }
}

/// `startTime`/`endTime`, checked: in order and at most a day apart.
pub(crate) fn time_range(p: &Params) -> Result<(Option<i64>, Option<i64>), ApiError> {
    let (start, end) = (p.parsed::<i64>("startTime")?, p.parsed::<i64>("endTime")?);
    if let (Some(s), Some(e)) = (start, end) {
        if e < s {
            return Err(ApiError::bad_combination());
        }
        if e - s > DAY_MS {
            return Err(ApiError::window_too_long("24 hours"));
        }
    }
    Ok((start, end))
}

/// The page of `items` (sorted by `id` and by `time`) a request asks for.
fn page<T>(
    items: &[T],
    id: impl Fn(&T) -> u64,
    time: impl Fn(&T) -> i64,
    from_id: Option<u64>,
    (start, end): (Option<i64>, Option<i64>),
    n: usize,
) -> &[T] {
    // `last`: the page ends at the range's end (no start given).
    let (lo, hi, last) = match (from_id, start, end) {
        (Some(from), ..) => (items.partition_point(|x| id(x) < from), items.len(), false),
        (None, None, None) => (0, items.len(), true),
        (None, start, end) => {
            // A start alone reaches a day on; an end alone a day back.
            let s = start.unwrap_or_else(|| end.unwrap_or(0) - DAY_MS);
            let e = end.unwrap_or(s + DAY_MS);
            (items.partition_point(|x| time(x) < s), items.partition_point(|x| time(x) <= e), start.is_none())
        }
    };
    let hi = hi.max(lo);
    if last { &items[hi.saturating_sub(n).max(lo)..hi] } else { &items[lo..hi.min(lo + n)] }
}

/// Like [`page`], over an account's orders (a map from id to time, from
/// which archived orders are removed): the ids of the page.
fn page_of_orders(
    orders: &BTreeMap<u64, i64>,
    from_id: Option<u64>,
    (start, end): (Option<i64>, Option<i64>),
    n: usize,
) -> Vec<u64> {
    let first = |from: u64| orders.range(from..).take(n).map(|(&id, _)| id).collect();
    let last = |to: u64| {
        let mut ids: Vec<u64> = orders.range(..to).rev().take(n).map(|(&id, _)| id).collect();
        ids.reverse();
        ids
    };
    match (from_id, start, end) {
        (Some(from), ..) => first(from),
        (None, None, None) => last(u64::MAX),
        (None, start, end) => {
            let s = start.unwrap_or_else(|| end.unwrap_or(0) - DAY_MS);
            let e = end.unwrap_or(s + DAY_MS);
            let (lo, hi) = (first_placed_at(orders, s), first_placed_at(orders, e.saturating_add(1)));
            let ids = if start.is_none() { last(hi) } else { first(lo) };
            ids.into_iter().filter(|id| (lo..hi).contains(id)).collect()
        }
    }
}

/// The smallest id bound from which every order was placed at `t` or
/// later: a binary search over ids, since times grow with them.
fn first_placed_at(orders: &BTreeMap<u64, i64>, t: i64) -> u64 {
    let (Some((&first, _)), Some((&last, _))) = (orders.first_key_value(), orders.last_key_value()) else {
        return 0;
    };
    let (mut lo, mut hi) = (first, last + 1);
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        match orders.range(mid..).next() {
            Some((&id, &time)) if time < t => lo = id + 1,
            _ => hi = mid,
        }
    }
    lo
}

/// `GET /api/v3/myTrades`.
pub fn my_trades(ex: &Exchange, key: &str, p: &Params) -> Result<Value, ApiError> {
    let symbol = ex.symbol_index(p.required("symbol")?)?;
    let n = limit(p)?;
    let (order_id, from_id) = (p.parsed::<u64>("orderId")?, p.parsed::<u64>("fromId")?);
    let range = time_range(p)?;
    if (order_id.is_some() && (range.0.is_some() || range.1.is_some()))
        || (from_id.is_some() && (range.0.is_some() || range.1.is_some()))
    {
        return Err(ApiError::bad_combination());
    }
    let account = ex.account(key).ok_or_else(ApiError::bad_api_key)?;
    let all = account.trades(symbol);
    let name = &ex.specs()[symbol].symbol;
    let row = |t: &AccountTrade| {
        json!({
            "symbol": name, "id": t.id, "orderId": t.order_id, "orderListId": -1, "price": d8(t.price),
            "qty": d8(t.qty), "quoteQty": d8(Money::notional(t.price, t.qty)), "commission": d8(t.commission),
            "commissionAsset": account.asset_name(t.commission_asset), "time": t.time_ms, "isBuyer": t.is_buyer,
            "isMaker": t.is_maker, "isBestMatch": true,
        })
    };
    let rows: Vec<Value> = match order_id {
        // One order's trades (from `fromId` on, if given).
        Some(order) => {
            all.iter().filter(|t| t.order_id == order && from_id.is_none_or(|f| t.id >= f)).take(n).map(row).collect()
        }
        None => page(all, |t| t.id, |t| t.time_ms, from_id, range, n).iter().map(row).collect(),
    };
    Ok(Value::Array(rows))
}

/// `GET /api/v3/allOrders`.
pub fn all_orders(ex: &Exchange, key: &str, p: &Params, now_ms: i64) -> Result<Value, ApiError> {
    let symbol = ex.symbol_index(p.required("symbol")?)?;
    let n = limit(p)?;
    let from_id = p.parsed::<u64>("orderId")?;
    let range = time_range(p)?;
    if from_id.is_some() && (range.0.is_some() || range.1.is_some()) {
        return Err(ApiError::bad_combination());
    }
    let account = ex.account(key).ok_or_else(ApiError::bad_api_key)?;
    let ids = page_of_orders(account.orders(symbol), from_id, range, n);
    Ok(ids.iter().filter_map(|id| ex.order_of(key, *id)).map(|o| order_json(ex, o, "QUERY", now_ms)).collect())
}

/// `DELETE /api/v3/openOrders`: cancels every open order of the account
/// on the symbol; -2011 when there is none.
pub fn cancel_open_orders(ex: &mut Exchange, key: &str, p: &Params, now: i64) -> Result<Value, ApiError> {
    let symbol = ex.symbol_index(p.required("symbol")?)?;
    let ids: Vec<u64> = ex.open_orders(key, Some(symbol)).iter().map(|o| o.order_id).collect();
    if ids.is_empty() {
        return Err(ApiError::unknown_order_cancel());
    }
    let now_ms = now / 1_000_000;
    let mut out = Vec::with_capacity(ids.len());
    for id in ids {
        ex.cancel(key, symbol, &OrderRef::Id(id), now)?;
        out.push(cancelled_json(ex, key, id, None, now_ms));
    }
    Ok(Value::Array(out))
}

/// `GET /api/v3/account/commission`.
pub fn commission(ex: &Exchange, p: &Params) -> Result<Value, ApiError> {
    let symbol = ex.symbol_index(p.required("symbol")?)?;
    let (maker, taker) = ex.rates();
    let zero = d8(Money::ZERO);
    Ok(json!({
        "symbol": ex.specs()[symbol].symbol,
        "standardCommission": { "maker": d8(maker), "taker": d8(taker), "buyer": zero, "seller": zero },
        "specialCommission": { "maker": zero, "taker": zero, "buyer": zero, "seller": zero },
        "taxCommission": { "maker": zero, "taker": zero, "buyer": zero, "seller": zero },
        "discount": { "enabledForAccount": false, "enabledForSymbol": false, "discountAsset": "BNB", "discount": zero },
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Items are (id, time): ids 1..=10 at times 100, 200, …
    fn items() -> Vec<(u64, i64)> {
        (1..=10).map(|i| (i, i as i64 * 100)).collect()
    }

    fn ids(v: &[(u64, i64)]) -> Vec<u64> {
        v.iter().map(|x| x.0).collect()
    }

    #[test]
    fn pages_follow_binances_rules() {
        let all = items();
        let p = |from, range, n| ids(page(&all, |x| x.0, |x| x.1, from, range, n));
        assert_eq!(p(None, (None, None), 3), [8, 9, 10], "the last ones");
        assert_eq!(p(Some(4), (None, None), 3), [4, 5, 6], "from an id on");
        assert_eq!(p(Some(11), (None, None), 3), Vec::<u64>::new());
        assert_eq!(p(None, (Some(250), Some(650)), 10), [3, 4, 5, 6], "inside a range");
        assert_eq!(p(None, (Some(250), Some(650)), 2), [3, 4], "the first of a range");
        assert_eq!(p(None, (Some(900), None), 10), [9, 10], "from a start");
        assert_eq!(p(None, (None, Some(300)), 2), [2, 3], "the last up to an end");
    }

    #[test]
    fn order_pages_agree_with_slice_pages_and_skip_archived_orders() {
        let mut all = items();
        // Several orders in one millisecond, and gaps where orders were archived.
        all.extend([(12, 1000), (13, 1000), (20, 1100)]);
        let map: BTreeMap<u64, i64> = all.iter().copied().collect();
        let cases = [
            (None, (None, None)),
            (Some(4), (None, None)),
            (Some(11), (None, None)),
            (Some(21), (None, None)),
            (None, (Some(250), Some(650))),
            (None, (Some(900), None)),
            (None, (None, Some(300))),
            (None, (Some(1000), Some(1000))),
            (None, (Some(1001), Some(1099))),
            (None, (None, Some(50))),
        ];
        for (from, range) in cases {
            for n in [1, 2, 3, 10] {
                let want = ids(page(&all, |x| x.0, |x| x.1, from, range, n));
                assert_eq!(page_of_orders(&map, from, range, n), want, "from {from:?} range {range:?} limit {n}");
            }
        }
        let first_from = |t| map.range(first_placed_at(&map, t)..).next().map(|(&id, _)| id);
        assert_eq!(first_from(1000), Some(10));
        assert_eq!(first_from(1001), Some(20));
        assert_eq!(first_from(5000), None);
        assert_eq!(first_placed_at(&map, i64::MIN), 1);
        assert_eq!(first_placed_at(&BTreeMap::new(), 5), 0);
    }
}
