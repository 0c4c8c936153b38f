//! OCO order lists on the exchange: one lock for both legs, the other leg
//! expires when one runs, cancelling one leg cancels both, and the legs
//! must sit either side of the market.

mod common;

use common::*;
use pyrt_model::{Money, Side, TimeInForce};
use pyrt_venue_server::DOCS_API_KEY as KEY;
use pyrt_venue_server::exchange::{Exchange, ListRef, NewOrder, OrderType, Status};

fn maker(side: Side, qty: &str, price: &str) -> NewOrder {
    NewOrder { kind: OrderType::LimitMaker, ..limit(side, qty, price) }
}

fn stop_limit(side: Side, qty: &str, stop: &str, price: &str) -> NewOrder {
    NewOrder { kind: OrderType::StopLossLimit, stop_price: Some(p(stop)), ..limit(side, qty, price) }
}

/// A sell OCO of 1 BTC: take profit at 61 000, stop at 59 000 (limit 58 900).
fn sell_oco(ex: &mut Exchange) -> (u64, [u64; 2]) {
    let legs = [stop_limit(Side::Sell, "1", "59000", "58900"), maker(Side::Sell, "1", "61000")];
    let id = ex.place_oco(KEY, legs, None, 10).unwrap();
    (id, ex.order_list(KEY, Some(0), &ListRef::Id(id)).unwrap().legs)
}

fn status(ex: &Exchange, id: u64) -> Status {
    ex.order_of(KEY, id).unwrap().status
}

#[test]
fn both_legs_share_one_lock_and_a_triggered_stop_expires_the_take_profit() {
    let mut ex = exchange();
    let (_, [stop, take]) = sell_oco(&mut ex);
    assert_eq!(balance(&ex, "BTC"), (m("9"), m("1")), "the quantity is locked once, not per leg");
    assert_eq!((status(&ex, stop), status(&ex, take)), (Status::New, Status::New));
    // A print at the stop: the stop leg sells into the bid (59 999 x 1), the take profit expires.
    print(&mut ex, 20, "59000", "0.1", true);
    assert_eq!(status(&ex, take), Status::Expired);
    let rec = ex.order_of(KEY, stop).unwrap();
    assert_eq!((rec.status, rec.executed_qty), (Status::Filled, q("1")));
    assert_eq!(balance(&ex, "BTC"), (m("9"), Money::ZERO));
}

#[test]
fn a_filled_take_profit_expires_the_stop_which_then_never_triggers() {
    let mut ex = exchange();
    let (_, [stop, take]) = sell_oco(&mut ex);
    // Buyers trade through 61 000: the resting take profit fills.
    print(&mut ex, 20, "61000", "5", false);
    assert_eq!((status(&ex, take), status(&ex, stop)), (Status::Filled, Status::Expired));
    assert_eq!(balance(&ex, "BTC"), (m("9"), Money::ZERO));
    print(&mut ex, 30, "58000", "5", true);
    assert_eq!(status(&ex, stop), Status::Expired, "an expired leg stays expired");
    assert_eq!(balance(&ex, "BTC"), (m("9"), Money::ZERO));
}

#[test]
fn cancelling_either_leg_or_the_list_cancels_both_and_frees_the_lock() {
    let mut ex = exchange();
    let (list, [stop, take]) = sell_oco(&mut ex);
    ex.cancel(KEY, 0, &pyrt_venue_server::exchange::OrderRef::Id(take), 20).unwrap();
    assert_eq!((status(&ex, stop), status(&ex, take)), (Status::Canceled, Status::Canceled));
    assert_eq!(balance(&ex, "BTC"), (m("10"), Money::ZERO));
    assert_eq!(ex.cancel_order_list(KEY, 0, &ListRef::Id(list), 21).unwrap_err().code, -2011);
    let (list, [stop, take]) = sell_oco(&mut ex);
    ex.cancel_order_list(KEY, 0, &ListRef::Client(format!("list-{list}")), 30).unwrap();
    assert_eq!((status(&ex, stop), status(&ex, take)), (Status::Canceled, Status::Canceled));
    assert_eq!(balance(&ex, "BTC"), (m("10"), Money::ZERO));
}

#[test]
fn a_buy_oco_locks_the_larger_leg_and_legs_must_straddle_the_market() {
    let mut ex = exchange();
    let usdt = balance(&ex, "USDT").0;
    // Buy 1 on a dip to 59 000, or on a breakout above 61 000 (limit 61 100).
    let legs = [maker(Side::Buy, "1", "59000"), stop_limit(Side::Buy, "1", "61000", "61100")];
    let list = ex.place_oco(KEY, legs, Some("mine".into()), 10).unwrap();
    assert_eq!(balance(&ex, "USDT"), (usdt - m("61100"), m("61100")));
    let [dip, breakout] = ex.order_list(KEY, None, &ListRef::Client("mine".into())).unwrap().legs;
    assert_eq!(ex.order_list(KEY, None, &ListRef::Id(list)).unwrap().client_id, "mine");
    // Sellers hit 59 000: the dip leg fills at its price, the breakout expires, nothing stays locked.
    print(&mut ex, 20, "59000", "5", true);
    assert_eq!((status(&ex, dip), status(&ex, breakout)), (Status::Filled, Status::Expired));
    assert_eq!(balance(&ex, "USDT"), (usdt - m("59000"), Money::ZERO));

    let wrong_way = [maker(Side::Buy, "1", "61500"), stop_limit(Side::Buy, "1", "61000", "61100")];
    let e = ex.place_oco(KEY, wrong_way, None, 30).unwrap_err();
    assert_eq!((e.code, e.msg.as_str()), (-2010, "The relationship of the prices for the orders is not correct."));
    let both_stops = [stop_limit(Side::Buy, "1", "58000", "58100"), stop_limit(Side::Buy, "1", "61000", "61100")];
    assert_eq!(ex.place_oco(KEY, both_stops, None, 30).unwrap_err().code, -1130);
    let too_big = [maker(Side::Buy, "5", "59000"), stop_limit(Side::Buy, "5", "61000", "61100")];
    assert_eq!(ex.place_oco(KEY, too_big, None, 30).unwrap_err().code, -2010, "more than the account holds");
    assert_eq!(balance(&ex, "USDT"), (usdt - m("59000"), Money::ZERO), "refused lists lock nothing");
}

#[test]
fn a_leg_resting_on_the_book_at_the_touch_would_take_and_is_refused() {
    let mut ex = exchange();
    // The last trade at 59 500 puts 59 999 above the market, but it is the bid.
    print(&mut ex, 5, "59500", "0.1", true);
    let legs = [stop_limit(Side::Sell, "1", "59000", "58900"), maker(Side::Sell, "1", "59999")];
    let e = ex.place_oco(KEY, legs, None, 10).unwrap_err();
    assert_eq!(e.msg, "Order would immediately match and take.");
    let tif = NewOrder { tif: TimeInForce::Gtc, ..maker(Side::Sell, "1", "61000") };
    assert!(ex.place_oco(KEY, [stop_limit(Side::Sell, "1", "59000", "58900"), tif], None, 11).is_ok());
}
