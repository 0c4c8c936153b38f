//! Two views of one market: the exchange's and the strategy's.
//!
//! Every recorded event has two times: `ts_event`, when the exchange made
//! it, and `ts_recv`, when our host received it. The difference is the feed
//! latency. With [`VenueClock::Exchange`](crate::VenueClock::Exchange) the
//! simulated venue applies each event at its exchange time and the strategy
//! sees it at its receive time, so an order that reaches the venue at time
//! *t* meets the book the exchange had at *t*, not the older book the
//! strategy was looking at when it decided. This is how hftbacktest models
//! latency; without it a backtest quietly trades on data from the future by
//! one feed latency.
//!
//! [`DualClock`] turns one stream of events in receive order into one
//! stream of [`Step`]s in time order: each event once as
//! [`Step::Exchange`] and once as [`Step::Local`]. The exchange side keeps
//! the recorded order (one connection delivers in the order the exchange
//! sent), so its time is `ts_event` made non-decreasing, and never later
//! than the event's own receive time. An event's exchange step therefore
//! always comes before its local step; ties go to the exchange. It reads
//! ahead only as far as the events whose exchange step is due before the
//! next local step: a feed latency's worth of events.

use std::collections::VecDeque;

use pyrt_model::{MarketEvent, UnixNanos};

/// One side's view of one event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// The venue applies the event at this (exchange) time.
    Exchange(MarketEvent, UnixNanos),
    /// The strategy receives the event (at its `ts_recv`).
    Local(MarketEvent),
}

/// Events in receive order in, [`Step`]s in time order out.
pub struct DualClock<I> {
    source: I,
    /// Read, not yet delivered locally; the first `exchanged` of them have
    /// had their exchange step.
    pending: VecDeque<MarketEvent>,
    exchanged: usize,
    last_exchange: UnixNanos,
    exhausted: bool,
}

impl<I, E> DualClock<I>
where
    I: Iterator<Item = Result<MarketEvent, E>>,
{
    pub fn new(source: I) -> Self {
        Self { source, pending: VecDeque::new(), exchanged: 0, last_exchange: UnixNanos::MIN, exhausted: false }
    }

    fn exchange_time(&self, event: &MarketEvent) -> UnixNanos {
        event.ts_event().min(event.ts()).max(self.last_exchange)
    }
}

impl<I, E> Iterator for DualClock<I>
where
    I: Iterator<Item = Result<MarketEvent, E>>,
{
    type Item = Result<Step, E>;

    fn next(&mut self) -> Option<Self::Item> {
        // Have one event whose exchange step is still to come, if any remain.
        if self.exchanged == self.pending.len() && !self.exhausted {
            match self.source.next() {
                Some(Ok(event)) => self.pending.push_back(event),
                Some(Err(e)) => return Some(Err(e)),
                None => self.exhausted = true,
            }
        }
        let local = self.pending.front()?;
        if let Some(next) = self.pending.get(self.exchanged) {
            let at = self.exchange_time(next);
            // Later events can only have later exchange times, so once this
            // one is after the local step, the local step is next. (An
            // event's own exchange step always goes first, even if the
            // source is out of order, which the kernel then reports.)
            if at <= local.ts() || self.exchanged == 0 {
                let event = *next;
                self.exchanged += 1;
                self.last_exchange = at;
                return Some(Ok(Step::Exchange(event, at)));
            }
        }
        self.exchanged -= 1;
        self.pending.pop_front().map(|e| Ok(Step::Local(e)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use pyrt_model::{InstrumentId, Price, Quantity, Side, Trade};

    fn trade(ts_event: i64, ts_recv: i64) -> MarketEvent {
        MarketEvent::Trade(Trade {
            instrument: InstrumentId(0),
            ts_event,
            ts_recv,
            price: Price::from_int(ts_recv.max(1)),
            size: Quantity::from_int(1),
            aggressor: Some(Side::Buy),
        })
    }

    fn steps(events: &[MarketEvent]) -> Vec<Step> {
        DualClock::new(events.iter().map(|e| Ok::<_, std::convert::Infallible>(*e))).map(Result::unwrap).collect()
    }

    #[test]
    fn the_venue_sees_each_event_its_feed_latency_before_the_strategy() {
        // Exchange times 10, 20, 30; received 25, 26, 40.
        let events = [trade(10, 25), trade(20, 26), trade(30, 40)];
        let got = steps(&events);
        let expected = vec![
            Step::Exchange(events[0], 10),
            Step::Exchange(events[1], 20),
            Step::Local(events[0]),
            Step::Local(events[1]),
            Step::Exchange(events[2], 30),
            Step::Local(events[2]),
        ];
        assert_eq!(got, expected);
    }

    #[test]
    fn exchange_times_keep_the_recorded_order_and_never_pass_receipt() {
        // The second event claims an earlier exchange time than the first;
        // the third claims one after its own receipt.
        let events = [trade(10, 12), trade(5, 13), trade(50, 14)];
        let times: Vec<_> = steps(&events)
            .into_iter()
            .filter_map(|s| match s {
                Step::Exchange(_, at) => Some(at),
                Step::Local(_) => None,
            })
            .collect();
        assert_eq!(times, vec![10, 10, 14]);
    }

    #[test]
    fn a_source_error_is_passed_on() {
        let source = vec![Ok(trade(1, 2)), Err("bad row 2")].into_iter();
        let out: Vec<_> = DualClock::new(source).collect();
        assert_eq!(out[0], Ok(Step::Exchange(trade(1, 2), 1)));
        assert_eq!(out[1], Err("bad row 2"));
    }

    proptest! {
        /// Every event comes out once per side, the exchange step first,
        /// times never go back, and local steps keep the recorded order.
        #[test]
        fn steps_are_complete_and_in_time_order(
            raw in prop::collection::vec((0i64..50, 0i64..60), 0..60)
        ) {
            let mut recv = 0;
            let events: Vec<_> = raw.iter().map(|&(gap, latency)| {
                recv += gap;
                trade(recv - latency, recv)
            }).collect();
            let out = steps(&events);
            prop_assert_eq!(out.len(), 2 * events.len());
            let (mut now, mut exchanged, mut local) = (i64::MIN, Vec::new(), Vec::new());
            for step in &out {
                let at = match step {
                    Step::Exchange(e, at) => {
                        exchanged.push(*e);
                        prop_assert!(*at >= e.ts_event().min(e.ts()) && *at <= e.ts());
                        *at
                    }
                    Step::Local(e) => {
                        prop_assert!(exchanged.len() > local.len(), "local before exchange");
                        local.push(*e);
                        e.ts()
                    }
                };
                prop_assert!(at >= now);
                now = at;
            }
            prop_assert_eq!(&exchanged, &events);
            prop_assert_eq!(&local, &events);
        }
    }
}
