//! The parent state machine under random market data, partial fills,
//! cancels racing fills, venue cancels and refusals: it never has more
//! open than it has left, never executes more than its quantity, never
//! places a child while another is open, and keeps each algorithm's bound
//! (an iceberg's display, POV's rate, TWAP's schedule).

use std::collections::BTreeMap;

use proptest::prelude::*;
use pyrt_execution::{Algo, AtEnd, ChildCommand, MarketView, ParentExecution, ParentId, ParentOrder, ParentStatus};
use pyrt_model::{
    Fill, Instrument, InstrumentId, Liquidity, Money, OrderId, OrderKind, OrderQty, OrderStatus, Price, Quantity, Rate,
    Side,
};

const MIN: i64 = 60_000_000_000;
const I: InstrumentId = InstrumentId(0);

fn qty(n: i64) -> Quantity {
    Quantity::from_int(n)
}

#[derive(Debug, Clone)]
enum Op {
    Market {
        minutes: i64,
        volume: i64,
    },
    /// Fill `tenths`/10 of what is left of an open child (at least a lot).
    Fill {
        pick: usize,
        tenths: i64,
    },
    /// The venue confirms a cancel the parent asked for.
    AckCancel {
        pick: usize,
    },
    /// The venue ends a child on its own (expiry, refusal).
    VenueEnds {
        pick: usize,
        rejected: bool,
    },
    /// The owner stops the parent.
    Cancel,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        6 => (0i64..4, 0i64..400).prop_map(|(minutes, volume)| Op::Market { minutes, volume }),
        4 => (0usize..4, 1i64..=10).prop_map(|(pick, tenths)| Op::Fill { pick, tenths }),
        2 => (0usize..4).prop_map(|pick| Op::AckCancel { pick }),
        1 => (0usize..4, any::<bool>()).prop_map(|(pick, rejected)| Op::VenueEnds { pick, rejected }),
        1 => Just(Op::Cancel),
    ]
}

fn algo() -> impl Strategy<Value = Algo> {
    prop_oneof![
        (1u32..20, 0i64..=10, any::<u64>()).prop_map(|(slices, j, seed)| Algo::Twap {
            slices,
            jitter: Rate::from_raw(j * 100_000_000),
            seed
        }),
        (1i64..=50, 1i64..20, 0i64..40).prop_map(|(pct, min, extra)| Algo::Pov {
            rate: Rate::from_raw(pct * 10_000_000),
            min_child: qty(min),
            max_child: (extra > 0).then(|| qty(min + extra)),
        }),
        (1i64..30).prop_map(|display| Algo::Iceberg { display: qty(display), price: Price::from_int(100) }),
    ]
}

struct Open {
    qty: Quantity,
    filled: Quantity,
    cancel_asked: bool,
}

struct Host {
    exec: ParentExecution,
    open: BTreeMap<OrderId, Open>,
    ids: u64,
    now: i64,
    /// Market volume since the start (the host's own count).
    observed: Quantity,
}

impl Host {
    fn apply(&mut self, out: Vec<ChildCommand>) -> Result<(), TestCaseError> {
        let parent = self.exec.order().clone();
        for cmd in out {
            match cmd {
                ChildCommand::Place { id, request } => {
                    prop_assert!(self.open.is_empty(), "placed {id} while another child is open");
                    let OrderQty::Base(q) = request.qty else { panic!("children are sized in base units") };
                    prop_assert!(q.is_positive() && q.is_multiple_of(qty(1)));
                    prop_assert!(q <= self.exec.remaining(), "child {q} with {} left", self.exec.remaining());
                    let completing = parent.at_end == AtEnd::Complete && self.now >= parent.end;
                    match &parent.algo {
                        Algo::Iceberg { display, price } => {
                            prop_assert!(q <= *display);
                            prop_assert_eq!(request.kind, OrderKind::Limit { price: *price });
                        }
                        Algo::Pov { rate, .. } if !completing => {
                            let target = self.observed.mul_ratio(rate.raw(), 1_000_000_000);
                            prop_assert!(self.exec.executed() + q <= target, "POV beyond its rate");
                        }
                        Algo::Twap { slices, .. } if !completing => {
                            let elapsed = (self.now - parent.start) as i128;
                            let window = (parent.end - parent.start) as i128;
                            // At most the slices begun by now (each slice ends on a lot).
                            let begun = (elapsed * *slices as i128 / window + 1).min(*slices as i128);
                            let most = parent.qty.raw() as i128 * begun / *slices as i128;
                            prop_assert!(((self.exec.executed() + q).raw() as i128) <= most, "TWAP ahead of schedule");
                        }
                        _ => {}
                    }
                    self.open.insert(id, Open { qty: q, filled: Quantity::ZERO, cancel_asked: false });
                }
                ChildCommand::Cancel { id } => {
                    let child = self.open.get_mut(&id);
                    prop_assert!(child.is_some(), "cancel for {id}, which is not open");
                    child.unwrap().cancel_asked = true;
                }
            }
        }
        Ok(())
    }

    fn pick(&self, pick: usize, cancel_asked: Option<bool>) -> Option<OrderId> {
        let ids: Vec<_> = self
            .open
            .iter()
            .filter(|(_, c)| cancel_asked.is_none_or(|a| c.cancel_asked == a))
            .map(|(id, _)| *id)
            .collect();
        (!ids.is_empty()).then(|| ids[pick % ids.len()])
    }

    fn end_child(&mut self, id: OrderId, status: OrderStatus) -> Result<(), TestCaseError> {
        self.open.remove(&id);
        self.exec.on_child_done(id, status, Some("venue says no"));
        let mut out = Vec::new();
        self.exec.step(self.now, &mut self.ids, &mut out);
        self.apply(out)
    }

    fn run(&mut self, op: Op) -> Result<(), TestCaseError> {
        match op {
            Op::Market { minutes, volume } => {
                self.now += minutes * MIN;
                let view = MarketView { now: self.now, price: Some(Price::from_int(100)), volume: qty(volume) };
                if self.now >= self.exec.order().start {
                    self.observed += view.volume;
                }
                let mut out = Vec::new();
                self.exec.on_market(&view, &mut self.ids, &mut out);
                self.apply(out)?;
            }
            Op::Fill { pick, tenths } => {
                let Some(id) = self.pick(pick, None) else { return Ok(()) };
                let child = &self.open[&id];
                let left = child.qty - child.filled;
                let part = left.mul_ratio(tenths, 10).floor_to(qty(1)).max(qty(1)).min(left);
                let fill = Fill {
                    fee_base: Quantity::ZERO,
                    order_id: id,
                    instrument: I,
                    side: self.exec.order().side,
                    price: Price::from_int(100),
                    qty: part,
                    fee: Money::ZERO,
                    liquidity: Liquidity::Taker,
                    ts: self.now,
                };
                self.exec.on_fill(&fill);
                let child = self.open.get_mut(&id).unwrap();
                child.filled += part;
                if child.filled == child.qty {
                    self.end_child(id, OrderStatus::Filled)?;
                } else {
                    let mut out = Vec::new();
                    self.exec.step(self.now, &mut self.ids, &mut out);
                    self.apply(out)?;
                }
            }
            Op::AckCancel { pick } => {
                if let Some(id) = self.pick(pick, Some(true)) {
                    self.end_child(id, OrderStatus::Cancelled)?;
                }
            }
            Op::VenueEnds { pick, rejected } => {
                if let Some(id) = self.pick(pick, None) {
                    let status = if rejected { OrderStatus::Rejected } else { OrderStatus::Expired };
                    self.end_child(id, status)?;
                    prop_assert!(
                        matches!(
                            self.exec.status(),
                            ParentStatus::Failed | ParentStatus::Cancelled | ParentStatus::Completed
                        ) || !self.open.is_empty(),
                        "a child ended by the venue must stop the parent"
                    );
                }
            }
            Op::Cancel => {
                let mut out = Vec::new();
                self.exec.cancel("owner", self.now, &mut out);
                self.apply(out)?;
            }
        }
        Ok(())
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]
    #[test]
    fn a_parent_keeps_its_bounds(
        algo in algo(),
        total in 1i64..200,
        side in prop_oneof![Just(Side::Buy), Just(Side::Sell)],
        complete in any::<bool>(),
        ops in proptest::collection::vec(op(), 1..160),
    ) {
        let inst = Instrument::new(I, "T", Price::from_int(1), qty(1));
        let display_too_big = matches!(&algo, Algo::Iceberg { display, .. } if *display > qty(total));
        prop_assume!(!display_too_big);
        let mut order = ParentOrder::new(I, side, qty(total), algo, 10 * MIN, 130 * MIN);
        if complete {
            order = order.completing();
        }
        let exec = ParentExecution::new(ParentId(1), order, &inst, Some(Price::from_int(100))).unwrap();
        let mut host = Host { exec, open: BTreeMap::new(), ids: 1, now: 0, observed: Quantity::ZERO };
        for op in ops {
            let was_terminal = host.exec.status().is_terminal();
            host.run(op)?;
            let open: Quantity = host.open.values().fold(Quantity::ZERO, |a, c| a + (c.qty - c.filled));
            prop_assert!(open <= host.exec.remaining(), "{open} open with {} left", host.exec.remaining());
            prop_assert!(host.exec.executed() <= qty(total));
            if host.exec.status().is_terminal() {
                prop_assert!(host.open.is_empty(), "ended with children open");
            }
            if was_terminal {
                prop_assert!(host.open.is_empty(), "a child after the end");
            }
        }
        if host.exec.status() == ParentStatus::Completed {
            prop_assert_eq!(host.exec.executed(), qty(total));
        }
    }
}
