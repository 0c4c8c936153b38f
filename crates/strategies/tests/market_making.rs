//! A market maker backtested on a real Binance USD-M session: the recorded
//! book and trades drive the kernel, the order-book venue fills the quotes
//! by queue position, and the accounting must agree with the fills.

use std::path::PathBuf;

use pyrt_binance::Market;
use pyrt_binance::events::{CaptureEvents, ClockSkew};
use pyrt_engine::{AccountKind, Engine, EngineConfig};
use pyrt_model::{Instrument, InstrumentId, Liquidity, Money, OrderStatus, Quantity, Rate, Side};
use pyrt_sim::{BookVenue, Fees};
use pyrt_strategies::QuoteAtTouch;

fn capture() -> Option<PathBuf> {
    let path =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/hftbacktest/raw/usdm_btcusdt_20240808.gz");
    if path.exists() {
        Some(path)
    } else {
        eprintln!("SKIPPED: {} not found (the shared hftbacktest captures)", path.display());
        None
    }
}

#[test]
fn quoting_at_the_touch_on_a_recorded_session() {
    let Some(path) = capture() else { return };
    let id = InstrumentId(0);
    let inst = Instrument::new(id, "BTCUSDT", "0.1".parse().unwrap(), "0.001".parse().unwrap());
    let fees = Fees::Rate { maker: Rate::from_bps(2), taker: Rate::from_bps(5) };
    let config = EngineConfig {
        initial_cash: Money::from_int(100_000),
        account: AccountKind::Margin,
        order_latency_ns: 1_000_000,
        ..EngineConfig::default()
    };
    let mut engine = Engine::new(vec![inst.clone()], BookVenue::new(vec![inst], fees), config);
    let max: Quantity = "0.1".parse().unwrap();
    engine.add_strategy(Box::new(QuoteAtTouch::new(id, "0.01".parse().unwrap(), max, 1)));
    let events = CaptureEvents::open(&path, Market::Futures, id, ClockSkew::Auto).unwrap();
    engine.run(events).unwrap();

    let fills = engine.fills();
    assert!(fills.len() > 20, "only {} fills", fills.len());
    // Post-only quotes only ever add liquidity.
    assert!(fills.iter().all(|f| f.liquidity == Liquidity::Maker));
    // The venue and the portfolio agree on the position, within the cap.
    let position = engine.portfolio().position(id).qty;
    assert_eq!(position, engine.venue().position(id));
    assert!(position.abs() <= max);
    // Cash is exactly the initial cash less what the fills paid and their fees.
    let mut cash = Money::from_int(100_000);
    let mut net = Quantity::ZERO;
    for f in fills.iter() {
        let notional = Money::notional(f.price, f.qty);
        cash = match f.side {
            Side::Buy => cash - notional,
            Side::Sell => cash + notional,
        } - f.fee;
        net += Quantity::from_raw(f.qty.raw() * f.side.sign());
    }
    assert_eq!(engine.portfolio().cash(), cash);
    assert_eq!(net, position);
    // Quotes are either filled, cancelled (requotes) or still working; a
    // post-only quote may be refused when the book moved during its latency.
    let orders = engine.orders().all();
    assert!(orders.iter().all(|o| matches!(
        o.status,
        OrderStatus::Filled
            | OrderStatus::Cancelled
            | OrderStatus::Rejected
            | OrderStatus::Accepted
            | OrderStatus::PartiallyFilled
    )));
    let rejected = orders.iter().filter(|o| o.status == OrderStatus::Rejected).count();
    assert!(rejected * 10 < orders.len(), "{rejected} of {} quotes rejected", orders.len());
    eprintln!(
        "{} orders, {} fills, {rejected} rejected, position {position}, cash {}",
        orders.len(),
        fills.len(),
        engine.portfolio().cash()
    );
}
