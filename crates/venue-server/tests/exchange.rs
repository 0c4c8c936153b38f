//! The exchange core: balances lock, move with fills and unlock exactly;
//! filters and duplicates are refused with Binance's codes.

mod common;

use common::*;
use pyrt_model::{BookAction, BookDelta, InstrumentId, MarketEvent, Money, Quantity, Side, TimeInForce, Trade};
use pyrt_venue_server::DOCS_API_KEY as KEY;
use pyrt_venue_server::exchange::{Exchange, NewOrder, OrderRef, OrderType, Status};

#[test]
fn a_stop_loss_waits_off_the_book_with_its_base_locked_and_sells_when_triggered() {
    let mut ex = exchange();
    print(&mut ex, 5, "60000", "0.1", false);
    // At 60,000 a sell stop at 60,000 would trigger at once: refused.
    let err = ex.place(KEY, contingent(OrderType::StopLoss, Side::Sell, "0.5", Some("60000"), None), 10).unwrap_err();
    assert_eq!((err.code, err.msg.as_str()), (-2010, "Stop price would trigger immediately."));
    let id = ex.place(KEY, contingent(OrderType::StopLoss, Side::Sell, "0.5", Some("59500"), None), 10).unwrap();
    let rec = ex.order(KEY, 0, &OrderRef::Id(id)).unwrap();
    assert_eq!((rec.status, rec.working_ms), (Status::New, None), "waiting, not on the book");
    assert_eq!(balance(&ex, "BTC"), (m("9.5"), m("0.5")));
    print(&mut ex, 20, "59600", "0.1", true);
    assert_eq!(ex.order(KEY, 0, &OrderRef::Id(id)).unwrap().status, Status::New);
    // A print at the stop triggers it: a market sell into the bid of 59,999.
    print(&mut ex, 30, "59500", "0.1", true);
    let rec = ex.order(KEY, 0, &OrderRef::Id(id)).unwrap();
    assert_eq!((rec.status, rec.executed_qty, rec.working_ms), (Status::Filled, q("0.5"), Some(0)));
    assert_eq!(rec.fills[0].price, p("59999"));
    assert_eq!(balance(&ex, "BTC"), (m("9.5"), Money::ZERO));
}

#[test]
fn a_waiting_order_cancels_and_unlocks_and_a_take_profit_limit_rests_when_triggered() {
    let mut ex = exchange();
    print(&mut ex, 5, "60000", "0.1", false);
    let mut tp = contingent(OrderType::TakeProfitLimit, Side::Sell, "0.5", Some("60500"), None);
    tp.price = Some(p("62000"));
    let id = ex.place(KEY, tp, 10).unwrap();
    assert_eq!(balance(&ex, "BTC"), (m("9.5"), m("0.5")));
    ex.cancel(KEY, 0, &OrderRef::Id(id), 11).unwrap();
    assert_eq!(ex.order(KEY, 0, &OrderRef::Id(id)).unwrap().status, Status::Canceled);
    assert_eq!(balance(&ex, "BTC"), (m("10"), Money::ZERO));

    let mut tp = contingent(OrderType::TakeProfitLimit, Side::Sell, "0.5", Some("60500"), None);
    tp.price = Some(p("62000"));
    let id = ex.place(KEY, tp, 12).unwrap();
    print(&mut ex, 20, "60500", "0.1", false);
    let rec = ex.order(KEY, 0, &OrderRef::Id(id)).unwrap();
    // Triggered: a limit sell at 62,000 above the ask rests on the book.
    assert_eq!((rec.status, rec.executed_qty), (Status::New, Quantity::ZERO));
    assert!(rec.working_ms.is_some());
    assert_eq!(ex.open_orders(KEY, Some(0)).len(), 1);
}

#[test]
fn a_trailing_stop_follows_the_high_and_sells_on_the_pullback() {
    let mut ex = exchange();
    print(&mut ex, 5, "60000", "0.1", false);
    // 100 BIPS (1 %) from the highest trade since placement.
    let id = ex.place(KEY, contingent(OrderType::StopLoss, Side::Sell, "0.25", None, Some(100)), 10).unwrap();
    print(&mut ex, 20, "60500", "0.1", false);
    print(&mut ex, 30, "59896", "0.1", true); // 60,500 × 0.99 = 59,895: not yet
    assert_eq!(ex.order(KEY, 0, &OrderRef::Id(id)).unwrap().status, Status::New);
    print(&mut ex, 40, "59895", "0.1", true);
    assert_eq!(ex.order(KEY, 0, &OrderRef::Id(id)).unwrap().status, Status::Filled);
    let bad = ex.place(KEY, contingent(OrderType::StopLoss, Side::Sell, "0.25", None, Some(5)), 50).unwrap_err();
    assert_eq!(bad.msg, "Filter failure: TRAILING_DELTA");
}

#[test]
fn a_resting_buy_locks_quote_and_a_trade_through_fills_it() {
    let mut ex = exchange();
    let id = ex.place(KEY, limit(Side::Buy, "0.5", "59000"), 10).unwrap();
    assert_eq!(balance(&ex, "USDT"), (m("70500"), m("29500")));
    ex.on_market(&MarketEvent::Trade(Trade {
        instrument: InstrumentId(0),
        ts_event: 20,
        ts_recv: 20,
        price: p("58990"),
        size: q("3"),
        aggressor: Some(Side::Sell),
    }));
    let rec = ex.order(KEY, 0, &OrderRef::Id(id)).unwrap();
    assert_eq!((rec.status, rec.executed_qty), (Status::Filled, q("0.5")));
    assert_eq!(balance(&ex, "USDT"), (m("70500"), Money::ZERO));
    // 0.5 BTC less 0.1 % commission, in BTC.
    assert_eq!(balance(&ex, "BTC"), (m("10.4995"), Money::ZERO));
}

#[test]
fn market_orders_sweep_and_cancels_unlock() {
    let mut ex = exchange();
    let id = ex
        .place(
            KEY,
            NewOrder { kind: OrderType::Market, price: None, tif: TimeInForce::Ioc, ..limit(Side::Sell, "0.25", "1") },
            10,
        )
        .unwrap();
    let rec = ex.order(KEY, 0, &OrderRef::Id(id)).unwrap();
    assert_eq!((rec.status, rec.cumm_quote), (Status::Filled, m("14999.75")));
    // Sell proceeds less 0.1 % in USDT.
    assert_eq!(balance(&ex, "USDT"), (m("114984.75025"), Money::ZERO));
    assert_eq!(balance(&ex, "BTC"), (m("9.75"), Money::ZERO));

    let id = ex.place(KEY, limit(Side::Sell, "1", "70000"), 11).unwrap();
    assert_eq!(balance(&ex, "BTC"), (m("8.75"), m("1")));
    ex.cancel(KEY, 0, &OrderRef::Id(id), 12).unwrap();
    assert_eq!(ex.order(KEY, 0, &OrderRef::Id(id)).unwrap().status, Status::Canceled);
    assert_eq!(balance(&ex, "BTC"), (m("9.75"), Money::ZERO));
    assert_eq!(ex.cancel(KEY, 0, &OrderRef::Id(id), 13).unwrap_err().code, -2011);
}

#[test]
fn commissions_are_kept_to_eight_places_as_balances_are() {
    let mut ex = exchange();
    // 0.00001 BTC at 59 999: 0.59999 USDT, whose 0.1 % (0.00059999) fits;
    // 0.00013 × 59 999 = 7.79987 USDT, whose 0.1 % is 0.00779987 …
    // a price with cents makes the commission run past 8 places.
    ex.on_market(&MarketEvent::BookDelta(BookDelta {
        instrument: InstrumentId(0),
        ts_event: 2,
        ts_recv: 2,
        action: BookAction::Update,
        side: Side::Buy,
        price: p("59999.37"),
        size: q("1"),
        order_id: 0,
        sequence: 0,
        flags: BookDelta::F_LAST,
    }));
    let sell =
        NewOrder { kind: OrderType::Market, price: None, tif: TimeInForce::Ioc, ..limit(Side::Sell, "0.00013", "1") };
    let id = ex.place(KEY, sell, 10).unwrap();
    let rec = ex.order(KEY, 0, &OrderRef::Id(id)).unwrap();
    // 0.00013 × 59 999.37 = 7.7999181; 0.1 % = 0.0077999181 → 0.00779992.
    assert_eq!(rec.cumm_quote, m("7.7999181"));
    assert_eq!(rec.fills[0].commission, m("0.00779992"), "rounded half to even to 8 places");
    assert_eq!(balance(&ex, "USDT").0, m("100000") + m("7.7999181") - m("0.00779992"));
}

#[test]
fn refusals_carry_binance_codes() {
    let mut ex = exchange();
    let code = |ex: &mut Exchange, o: NewOrder| ex.place(KEY, o, 5).unwrap_err();
    assert_eq!(code(&mut ex, limit(Side::Buy, "0.1", "59000.001")).msg, "Filter failure: PRICE_FILTER");
    assert_eq!(code(&mut ex, limit(Side::Buy, "0.000001", "59000")).msg, "Filter failure: LOT_SIZE");
    assert_eq!(code(&mut ex, limit(Side::Buy, "0.00001", "59000")).msg, "Filter failure: NOTIONAL");
    assert_eq!(code(&mut ex, limit(Side::Buy, "2", "59000")).code, -2010);
    let maker = NewOrder { kind: OrderType::LimitMaker, ..limit(Side::Buy, "0.1", "60001") };
    assert_eq!(code(&mut ex, maker).msg, "Order would immediately match and take.");
    assert_eq!(balance(&ex, "USDT"), (m("100000"), Money::ZERO), "refused orders lock nothing");
    let named = || NewOrder { client_order_id: Some("mine".into()), ..limit(Side::Buy, "0.1", "50000") };
    ex.place(KEY, named(), 6).unwrap();
    assert_eq!(code(&mut ex, named()).msg, "Duplicate order sent.");
    assert!(ex.order(KEY, 0, &OrderRef::Client("mine".into())).is_some());
    assert_eq!(ex.symbol_index("ETHBTC").unwrap_err().code, -1121);
}

#[test]
fn quote_order_quantities_are_sized_from_the_book() {
    let ex = exchange();
    // The ask is 1 BTC at 60001: spend 30000.5 for exactly half of it.
    assert_eq!(ex.size_quote_order(0, Side::Buy, m("30000.5")).unwrap(), q("0.5"));
    // 1000 USDT buys whole lots only, never more than the amount.
    let qty = ex.size_quote_order(0, Side::Buy, m("1000")).unwrap();
    assert_eq!(qty, q("0.01666"));
    assert!(Money::notional(p("60001"), qty) <= m("1000"));
    // More than the book holds: what the book holds.
    assert_eq!(ex.size_quote_order(0, Side::Buy, m("100000")).unwrap(), q("1"));
    // A sell receives from the bids.
    assert_eq!(ex.size_quote_order(0, Side::Sell, m("59999")).unwrap(), q("1"));
    assert_eq!(ex.size_quote_order(0, Side::Buy, m("1")).unwrap_err().msg, "Filter failure: NOTIONAL");
}

#[test]
fn finished_orders_drop_their_fills_and_the_oldest_unfilled_ones_are_archived() {
    let mut ex = exchange();
    ex.keep_unfilled_orders(2);
    let named = |c: &str, o: NewOrder| NewOrder { client_order_id: Some(c.into()), ..o };
    // A buy that takes the ask: filled, kept whole until the next change.
    let filled = ex.place(KEY, named("taker", limit(Side::Buy, "0.5", "60001")), 2).unwrap();
    assert_eq!(ex.order_of(KEY, filled).unwrap().fills.len(), 1, "the answer to the request lists the fill");
    // Three IOC buys below the ask expire without a trade.
    let ioc = |c: &str| named(c, NewOrder { tif: TimeInForce::Ioc, ..limit(Side::Buy, "0.1", "50000") });
    let unfilled: Vec<u64> = ["a", "b", "c"].iter().map(|c| ex.place(KEY, ioc(c), 3).unwrap()).collect();
    let rec = ex.order_of(KEY, filled).unwrap();
    assert!(rec.fills.is_empty(), "trimmed once answered (myTrades keeps the trade)");
    assert_eq!((rec.status, rec.executed_qty), (Status::Filled, q("0.5")));
    // The next change archives the oldest unfilled order past the limit of two.
    let resting = ex.place(KEY, limit(Side::Buy, "0.1", "50000"), 4).unwrap();
    assert!(ex.order_of(KEY, unfilled[0]).is_none(), "archived");
    assert!(ex.order(KEY, 0, &OrderRef::Client("a".into())).is_none(), "its client order id is forgotten");
    for id in [filled, unfilled[1], unfilled[2], resting] {
        assert!(ex.order_of(KEY, id).is_some(), "order {id} kept");
    }
    let listed: Vec<u64> = ex.account(KEY).unwrap().orders(0).keys().copied().collect();
    assert_eq!(listed, [filled, unfilled[1], unfilled[2], resting]);
    // A name can be used again once its order has finished; archiving the
    // old order keeps the new one's name.
    let again = ex.place(KEY, ioc("b"), 5).unwrap();
    ex.place(KEY, ioc("d"), 6).unwrap();
    assert_eq!(ex.order(KEY, 0, &OrderRef::Client("b".into())).unwrap().order_id, again);
    assert!(ex.order_of(KEY, unfilled[1]).is_none() && ex.order_of(KEY, unfilled[2]).is_some());
}
