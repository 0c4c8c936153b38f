//! The kill switch against the local venue: the kernel (behind its live
//! seam) has orders resting at `pyrt venue`; one call cancels every one of
//! them at the venue and blocks new ones; the venue's own records (open
//! orders, `allOrders`, `myTrades`) show every order cancelled untraded.

use std::time::Duration;

use pyrt_adapters::binance::Gateway;
use pyrt_adapters::binance::user::UserStreamEvent;
use pyrt_binance::user::UserEvent;
use pyrt_engine::{AccountKind, ChannelVenue, Context, Engine, EngineConfig, Strategy};
use pyrt_model::fixed::FIXED_SCALE;
use pyrt_model::{Instrument, InstrumentId, MarketEvent, OrderRequest, OrderStatus, Price, Quantity, Quote, Side};

mod common;

const X: InstrumentId = InstrumentId(0);

/// Rests a bid `far` below the market on every quote.
struct Bids {
    far: Price,
}

impl Strategy for Bids {
    fn on_quote(&mut self, ctx: &mut Context, q: &Quote) {
        let qty: Quantity = "0.01".parse().unwrap();
        ctx.submit(OrderRequest::limit(X, Side::Buy, qty, q.bid - self.far));
    }
}

async fn flush(engine: &mut Engine<ChannelVenue>, gateway: &Gateway) {
    loop {
        let commands = engine.venue_mut().take_commands();
        if commands.is_empty() {
            return;
        }
        for (ts, cmd) in commands {
            let reports = gateway.send(cmd, ts).await;
            engine.deliver(ts, reports);
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_kill_switch_cancels_everything_resting_at_the_venue() {
    let venue = common::local_venue().await;
    let rest = std::sync::Arc::new(common::rest(venue.address));
    let (mut rx, stop_tx) = common::user_stream(venue.address).await;
    let gateway = Gateway::new(rest.clone(), "pyrt-kill", common::btcusdt());

    let inst = vec![Instrument::new(X, "BTCUSDT", "0.01".parse().unwrap(), "0.00001".parse().unwrap())];
    let config = EngineConfig { account: AccountKind::Margin, ..Default::default() };
    let mut engine = Engine::new(inst.clone(), ChannelVenue::new(inst), config);
    engine.add_strategy(Box::new(Bids { far: Price::from_int(5_000) }));
    let bid = rest.depth("BTCUSDT", 5).await.unwrap().bids[0].0;
    let ask = bid + Price::from_raw(FIXED_SCALE / 100);
    for k in 0..5 {
        let q = Quote {
            instrument: X,
            ts_event: k,
            ts_recv: k,
            bid: bid - Price::from_int(k),
            ask,
            bid_size: Quantity::from_int(1),
            ask_size: Quantity::from_int(1),
        };
        engine.process(&MarketEvent::Quote(q)).unwrap();
        flush(&mut engine, &gateway).await;
    }
    assert_eq!(rest.open_orders("BTCUSDT").await.unwrap().len(), 5);
    assert_eq!(engine.orders().open().count(), 5);

    engine.kill_switch(false);
    flush(&mut engine, &gateway).await;
    // The cancels are confirmed by the stream.
    while engine.orders().open().next().is_some() {
        let event = tokio::time::timeout(Duration::from_secs(10), rx.recv()).await.unwrap().unwrap();
        if let UserStreamEvent::Event(UserEvent::Execution(e)) = event {
            engine.deliver(6, gateway.on_execution(&e));
        }
    }
    assert!(rest.open_orders("BTCUSDT").await.unwrap().is_empty(), "the venue still holds orders");
    assert!(engine.orders().all().iter().all(|o| o.status == OrderStatus::Cancelled));
    // The venue's own records, not the kernel's: its history holds the five
    // orders, each cancelled, and no trade.
    let history = rest.all_orders("BTCUSDT", 0).await.unwrap();
    let statuses: Vec<&str> = history.iter().map(|o| o["status"].as_str().unwrap()).collect();
    assert_eq!(statuses, ["CANCELED"; 5], "{history:?}");
    for order in &history {
        let id = order["orderId"].as_u64().unwrap();
        assert!(rest.order_trades("BTCUSDT", id).await.unwrap().is_empty(), "order {id} traded");
    }
    // And nothing new leaves: the next quote's order is refused here.
    let q =
        Quote { instrument: X, ts_event: 7, ts_recv: 7, bid, ask, bid_size: Quantity::ZERO, ask_size: Quantity::ZERO };
    engine.process(&MarketEvent::Quote(q)).unwrap();
    assert!(engine.venue_mut().take_commands().is_empty());
    let last = engine.orders().all().back().unwrap();
    assert_eq!(last.status, OrderStatus::Rejected);
    assert!(last.reason.as_deref().unwrap().starts_with("risk HALTED"));
    stop_tx.send(true).unwrap();
}
