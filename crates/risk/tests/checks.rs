//! Every pre-trade check: one order that passes, one that is denied with
//! its code; the trading states; the kill switch; post-trade stops.

use pyrt_model::time::{NANOS_PER_DAY, NANOS_PER_SECOND};
use pyrt_model::{Instrument, InstrumentId, Money, Price, Quantity, Side};
use pyrt_risk::{DenialCode, Exposures, OrderCheck, RiskAction, RiskEngine, RiskLimits, TradingState};

fn instruments() -> Vec<Instrument> {
    ["AAPL", "MSFT", "XOM"]
        .iter()
        .enumerate()
        .map(|(i, s)| Instrument::new(InstrumentId(i as u32), *s, "0.01".parse().unwrap(), Quantity::from_int(1)))
        .collect()
}

struct Book(Vec<Money>);
impl Exposures for Book {
    fn abs_exposure(&self, i: InstrumentId) -> Money {
        self.0[i.index()]
    }
}

fn engine(toml: &str) -> (RiskEngine, Vec<Instrument>) {
    let inst = instruments();
    (RiskEngine::new(RiskLimits::from_toml(toml).unwrap(), &inst).unwrap(), inst)
}

fn px(s: &str) -> Price {
    s.parse().unwrap()
}

/// A buy of `qty` AAPL at the mark 100, flat, equity and cash 100k.
fn order(inst: &Instrument, side: Side, qty: i64) -> OrderCheck<'_> {
    OrderCheck {
        now: 0,
        instrument: inst,
        side,
        qty: Some(Quantity::from_int(qty)),
        amount: None,
        price: None,
        reduce_only: false,
        mark: Some(px("100")),
        data_age_ns: Some(0),
        position: Quantity::ZERO,
        equity: Money::from_int(100_000),
        cash: Money::from_int(100_000),
        gross_exposure: Money::ZERO,
        net_exposure: Money::ZERO,
    }
}

fn code(r: Result<(), pyrt_risk::Denial>) -> Option<DenialCode> {
    r.err().map(|d| d.code)
}

fn flat() -> Book {
    Book(vec![Money::ZERO; 3])
}

#[test]
fn order_size_limits() {
    let (e, inst) = engine("[order_limits]\nmax_quantity = 100\nmax_notional = 5000\n");
    assert_eq!(code(e.check(&order(&inst[0], Side::Buy, 50), &flat(), false)), None);
    assert_eq!(code(e.check(&order(&inst[0], Side::Buy, 101), &flat(), false)), Some(DenialCode::MaxOrderQuantity));
    let d = e.check(&order(&inst[0], Side::Buy, 51), &flat(), false).unwrap_err();
    assert_eq!(d.code, DenialCode::MaxOrderNotional);
    assert_eq!(d.to_string(), "risk MAX_ORDER_NOTIONAL: order notional 5100.00 exceeds the limit 5000.00");
    let mut no_price = order(&inst[0], Side::Buy, 1);
    no_price.mark = None;
    assert_eq!(code(e.check(&no_price, &flat(), false)), Some(DenialCode::NoReferencePrice));
}

#[test]
fn price_band_stops_fat_fingers() {
    let (e, inst) = engine("[order_limits]\nprice_band_bps = 500\n");
    let mut o = order(&inst[0], Side::Buy, 1);
    o.price = Some(px("104.99"));
    assert_eq!(code(e.check(&o, &flat(), false)), None);
    o.price = Some(px("105.01"));
    let d = e.check(&o, &flat(), false).unwrap_err();
    assert_eq!(d.code, DenialCode::PriceBand);
    assert!(d.message.contains("more than 500 bps from the last price 100 of AAPL"), "{d}");
}

#[test]
fn order_rates_per_second_minute_and_instrument() {
    let (mut e, inst) = engine(
        "[order_limits]\nmax_orders_per_second = 3\nmax_orders_per_minute = 5\nmax_orders_per_second_per_instrument = 2\n",
    );
    let at = |t: i64, i: usize| OrderCheck { now: t, ..order(&inst[i], Side::Buy, 1) };
    for t in [0, 1] {
        assert_eq!(code(e.check(&at(t, 0), &flat(), false)), None);
        e.record_order(t, inst[0].id);
    }
    assert_eq!(code(e.check(&at(2, 0), &flat(), false)), Some(DenialCode::InstrumentOrderRate));
    assert_eq!(code(e.check(&at(2, 1), &flat(), false)), None);
    e.record_order(2, inst[1].id);
    assert_eq!(code(e.check(&at(3, 2), &flat(), false)), Some(DenialCode::OrderRate));
    // A second later the per-second windows are clear; the minute is not.
    let later = NANOS_PER_SECOND + 5;
    assert_eq!(code(e.check(&at(later, 0), &flat(), false)), None);
    e.record_order(later, inst[0].id);
    e.record_order(later, inst[1].id);
    assert_eq!(code(e.check(&at(later + 1, 2), &flat(), false)), Some(DenialCode::OrderRate));
}

#[test]
fn position_limits_global_and_per_symbol() {
    let (e, inst) = engine(
        "[position_limits]\nmax_quantity = 100\nmax_notional = 8000\n[position_limits.symbols.MSFT]\nmax_quantity = 10\n",
    );
    let mut o = order(&inst[0], Side::Buy, 60);
    o.position = Quantity::from_int(50);
    assert_eq!(code(e.check(&o, &flat(), false)), Some(DenialCode::MaxPositionQuantity));
    o.qty = Some(Quantity::from_int(40));
    assert_eq!(code(e.check(&o, &flat(), false)), Some(DenialCode::MaxPositionNotional));
    o.qty = Some(Quantity::from_int(30));
    assert_eq!(code(e.check(&o, &flat(), false)), None);
    let d = e.check(&order(&inst[1], Side::Buy, 11), &flat(), false).unwrap_err();
    assert!(d.code == DenialCode::MaxPositionQuantity && d.message.contains("for this symbol"), "{d}");
    // Reducing an oversized position always passes.
    let mut reduce = order(&inst[0], Side::Sell, 10);
    reduce.position = Quantity::from_int(500);
    assert_eq!(code(e.check(&reduce, &flat(), false)), None);
}

#[test]
fn exposure_concentration_groups_leverage_and_cash() {
    let (e, inst) = engine(
        "[position_limits]\nmax_gross_exposure = 20000\nmax_net_exposure = 15000\nmax_concentration = 0.12\n\
         [position_limits.groups.tech]\nsymbols = [\"AAPL\", \"MSFT\"]\nmax_gross_exposure = 11000\n\
         [margin]\nmax_leverage = 0.18\ncash_buffer = 0.5\n",
    );
    let mut o = order(&inst[2], Side::Buy, 100); // 10k XOM: fine alone
    assert_eq!(code(e.check(&o, &flat(), false)), None);
    o.gross_exposure = Money::from_int(12_000);
    assert_eq!(code(e.check(&o, &flat(), false)), Some(DenialCode::MaxGrossExposure));
    o.gross_exposure = Money::from_int(6_000);
    o.net_exposure = Money::from_int(6_000);
    assert_eq!(code(e.check(&o, &flat(), false)), Some(DenialCode::MaxNetExposure));
    o = order(&inst[2], Side::Buy, 130); // 13k of 100k equity > 12 %
    assert_eq!(code(e.check(&o, &flat(), false)), Some(DenialCode::MaxConcentration));
    let tech = Book(vec![Money::from_int(5_000), Money::from_int(5_000), Money::ZERO]);
    // AAPL 5k -> 12.1k: more than 12 % of equity (net stays small: a short elsewhere).
    let mut a = order(&inst[0], Side::Buy, 71);
    a.position = Quantity::from_int(50);
    a.gross_exposure = Money::from_int(10_000);
    assert_eq!(code(e.check(&a, &tech, false)), Some(DenialCode::MaxConcentration));
    // AAPL 5k -> 7k is fine alone, but tech goes 10k -> 12k, over 11k.
    a.qty = Some(Quantity::from_int(20));
    assert_eq!(code(e.check(&a, &tech, false)), Some(DenialCode::GroupExposure));
    let mut l = order(&inst[2], Side::Buy, 100);
    l.gross_exposure = Money::from_int(9_000); // -> 19k of 100k = 0.19x
    assert_eq!(code(e.check(&l, &flat(), false)), Some(DenialCode::MaxLeverage));
    let mut c = order(&inst[2], Side::Buy, 100);
    c.cash = Money::from_int(55_000); // 45k left < 50k buffer
    assert_eq!(code(e.check(&c, &flat(), false)), Some(DenialCode::CashBuffer));
}

#[test]
fn reducing_and_halted_states() {
    let (mut e, inst) = engine("");
    let mut sell = order(&inst[0], Side::Sell, 5);
    sell.position = Quantity::from_int(10);
    e.set_state(TradingState::Reducing);
    assert_eq!(code(e.check(&sell, &flat(), false)), None);
    assert_eq!(code(e.check(&order(&inst[0], Side::Buy, 1), &flat(), false)), Some(DenialCode::ReducingOnly));
    let mut flip = sell;
    flip.qty = Some(Quantity::from_int(15));
    assert_eq!(code(e.check(&flip, &flat(), false)), Some(DenialCode::ReducingOnly));
    assert_eq!(e.kill_switch(true), RiskAction::Flatten { reason: "kill switch".into() });
    assert_eq!(e.state(), TradingState::Halted);
    assert_eq!(code(e.check(&sell, &flat(), false)), Some(DenialCode::Halted));
    // The engine's own closing orders pass a halt.
    assert_eq!(code(e.check(&sell, &flat(), true)), None);
    assert_eq!(code(e.check(&order(&inst[0], Side::Buy, 1), &flat(), true)), Some(DenialCode::Halted));
}

#[test]
fn daily_loss_and_drawdown_stops() {
    let (mut e, _) = engine("[risk_metrics]\ndaily_loss_limit = 1000\non_breach = \"halt\"\n");
    assert_eq!(e.on_equity(0, Money::from_int(100_000)), None);
    assert_eq!(e.on_equity(10, Money::from_int(99_500)), None);
    let a = e.on_equity(20, Money::from_int(98_900)).unwrap();
    assert!(matches!(a, RiskAction::CancelAll { ref reason } if reason.contains("daily loss 1100.00")), "{a:?}");
    assert_eq!(e.state(), TradingState::Halted);
    // A new day resets the daily loss, but a halt stays until lifted.
    assert_eq!(e.on_equity(NANOS_PER_DAY, Money::from_int(98_000)), None);
    assert_eq!(e.state(), TradingState::Halted);

    let (mut e, _) = engine("[risk_metrics]\nmax_drawdown = 0.1\n");
    e.on_equity(0, Money::from_int(100));
    e.on_equity(1, Money::from_int(120));
    assert_eq!(e.on_equity(2, Money::from_int(109)), None);
    assert!(matches!(e.on_equity(3, Money::from_int(108)), Some(RiskAction::Reduce { .. })));
    assert_eq!(e.state(), TradingState::Reducing);
    assert_eq!(e.on_equity(4, Money::from_int(90)), None, "already reducing");
}

#[test]
fn limits_on_unknown_symbols_are_refused() {
    let limits = RiskLimits::from_toml("[position_limits.symbols.TSLA]\nmax_quantity = 1\n").unwrap();
    let e = RiskEngine::new(limits, &instruments()).err().unwrap();
    assert_eq!(
        e.to_string(),
        "risk limit `position_limits.symbols.TSLA`: unknown symbol `TSLA` (this run trades AAPL, MSFT, XOM)"
    );
}

#[test]
fn circuit_breakers() {
    let (mut e, inst) = engine(
        "[circuit_breakers]\nmax_consecutive_rejects = 3\nmax_fill_deviation_bps = 100\nmax_data_age_ms = 1000\n",
    );
    let mut o = order(&inst[0], Side::Buy, 1);
    o.data_age_ns = Some(999_000_000);
    assert_eq!(code(e.check(&o, &flat(), false)), None);
    o.data_age_ns = Some(1_001_000_000);
    let d = e.check(&o, &flat(), false).unwrap_err();
    assert_eq!(d.to_string(), "risk STALE_DATA: market data for AAPL is 1001 ms old, over 1000 ms");
    // Rejections in a row halt; a fill in between resets the count.
    assert_eq!(e.on_venue_reject(), None);
    assert_eq!(e.on_venue_reject(), None);
    assert_eq!(e.on_fill(Some(px("100")), px("100.5")), None);
    assert_eq!(e.on_venue_reject(), None);
    assert_eq!(e.on_venue_reject(), None);
    assert!(
        matches!(e.on_venue_reject(), Some(RiskAction::CancelAll { ref reason }) if reason == "3 venue rejections in a row")
    );
    assert_eq!(e.state(), TradingState::Halted);
    // A fill far from the expected price halts.
    let (mut e, _) = engine("[circuit_breakers]\nmax_fill_deviation_bps = 100\n");
    assert_eq!(e.on_fill(Some(px("100")), px("100.99")), None);
    let a = e.on_fill(Some(px("100")), px("98")).unwrap();
    assert!(
        matches!(a, RiskAction::CancelAll { ref reason } if reason.contains("200 bps from the expected 100")),
        "{a:?}"
    );
    assert!(RiskLimits::from_toml("[circuit_breakers]\nmax_data_age_ms = 0\n").is_err());
}

#[test]
fn stop_loss_and_trailing_stop_fire_once_per_position() {
    let (mut r, _) = engine("[stops]\nstop_loss = 0.05\ntrailing_stop = 0.10\n");
    assert!(r.has_position_stops());
    let id = InstrumentId(0);
    let (long, short) = (Quantity::from_int(10), Quantity::from_int(-10));
    let avg = Some(px("100"));
    assert_eq!(r.on_position_mark(id, long, avg, px("95.5")), None);
    let why = r.on_position_mark(id, long, avg, px("95")).expect("5 % below the entry");
    assert!(why.starts_with("STOP_LOSS: long position marked at 95 is 5.00 % from its average entry 100"), "{why}");
    assert_eq!(r.on_position_mark(id, long, avg, px("90")), None, "once, while the close is under way");
    // Flat resets; a new long runs up and gives back 10 % of the best mark.
    assert_eq!(r.on_position_mark(id, Quantity::ZERO, None, px("90")), None);
    for mark in ["100", "130", "118"] {
        assert_eq!(r.on_position_mark(id, long, avg, px(mark)), None, "{mark}");
    }
    let why = r.on_position_mark(id, long, avg, px("117")).expect("10 % off the best mark");
    assert!(why.starts_with("TRAILING_STOP: long position marked at 117 is 10.00 % from its best mark 130"), "{why}");
    // A short loses when the price rises.
    let (mut r, _) = engine("[stops]\nstop_loss = 0.05\n");
    assert_eq!(r.on_position_mark(id, short, avg, px("104")), None);
    assert!(r.on_position_mark(id, short, avg, px("105")).unwrap().starts_with("STOP_LOSS: short"));
}

#[test]
fn stop_limits_are_validated() {
    for (toml, key) in
        [("[stops]\nstop_loss = 1.5\n", "stops.stop_loss"), ("[stops]\ntrailing_stop = 0\n", "stops.trailing_stop")]
    {
        let e = RiskLimits::from_toml(toml).unwrap_err().to_string();
        assert!(e.contains(key) && e.contains("fraction in (0, 1)"), "{e}");
    }
    let e = RiskLimits::from_toml("[stops]\nstop_los = 0.1\n").unwrap_err().to_string();
    assert!(e.contains("unknown field `stop_los`"), "{e}");
    let (r, _) = engine("");
    assert!(!r.has_position_stops());
}

#[test]
fn the_var_limit_denies_orders_that_raise_the_var_above_it() {
    let (mut r, inst) = engine("[risk_metrics]\nvar_limit_1d_95 = 500\nvar_min_days = 5\n");
    // AAPL alternates ±1 % a day: daily vol about 1 %, so 95 % VaR ≈ 1.645 % of the position.
    let mut p = 100.0;
    for day in 0..12 {
        p *= if day % 2 == 0 { 1.01 } else { 0.99 };
        r.on_price(InstrumentId(0), Price::from_f64(p).unwrap(), day * NANOS_PER_DAY);
        r.on_price(InstrumentId(1), px("50"), day * NANOS_PER_DAY);
        if day == 4 {
            // Too few returns yet: anything passes.
            assert_eq!(r.var_1d_95(), None);
            assert_eq!(code(r.check(&order(&inst[0], Side::Buy, 10_000), &flat(), false)), None);
        }
    }
    let mark = Price::from_f64(p).unwrap();
    let at = |inst, side, qty, position: i64| OrderCheck {
        mark: Some(mark),
        position: Quantity::from_int(position),
        ..order(inst, side, qty)
    };
    // 200 shares at ~100 carry about 330 of VaR; 400 about 660.
    assert_eq!(code(r.check(&at(&inst[0], Side::Buy, 200, 0), &flat(), false)), None);
    let denied = r.check(&at(&inst[0], Side::Buy, 400, 0), &flat(), false).unwrap_err();
    assert_eq!(denied.code, DenialCode::VarLimit);
    assert!(denied.message.contains("over the limit 500.00"), "{}", denied.message);
    // Holding 400, selling 100 lowers the VaR (still over the limit): it passes.
    r.on_position(InstrumentId(0), Quantity::from_int(400));
    let var = r.var_1d_95().unwrap();
    assert!(var > 500.0 && var < 700.0, "VaR {var}");
    let mut sell = at(&inst[0], Side::Sell, 100, 400);
    sell.position = Quantity::from_int(400);
    assert_eq!(code(r.check(&sell, &flat(), false)), None);
    // MSFT never moved: no VaR, any size passes.
    assert_eq!(code(r.check(&at(&inst[1], Side::Buy, 1_000, 0), &flat(), false)), None);
}

#[test]
fn var_settings_are_checked() {
    for (toml, key) in [
        ("[risk_metrics]\nvar_limit_1d_95 = 0\n", "var_limit_1d_95"),
        ("[risk_metrics]\nvar_limit_1d_95 = 10\nvar_lambda = 1.5\n", "var_lambda"),
        ("[risk_metrics]\nvar_limit_1d_95 = 10\nvar_min_days = 1\n", "var_min_days"),
        ("[risk_metrics]\nvar_lambda = 0.9\n", "var_lambda"),
    ] {
        let e = RiskLimits::from_toml(toml).unwrap_err().to_string();
        assert!(e.starts_with(&format!("risk limit `risk_metrics.{key}`")), "{e}");
    }
}
