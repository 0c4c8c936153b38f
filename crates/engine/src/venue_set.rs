//! Several venues behind the one `Venue` the kernel talks to.
//!
//! The same asset trading on two exchanges is two instruments here (say
//! `BTCUSDT@spot` and `BTCUSDT@perp`), each listed on one venue with its
//! own book and fees. `VenueSet` sends each command to the venue its
//! instrument trades on and each market event to the venue it came from,
//! so a strategy (or the smart order router, `Context::route`) can split an
//! order across venues while the kernel still sees one.

use pyrt_model::{ExecutionReport, MarketEvent, OrderId, OrderRequest, UnixNanos, VenueCommand};

use crate::kernel::Venue;

/// Venues by instrument.
pub struct VenueSet<V> {
    venues: Vec<V>,
    /// The venue each instrument trades on, by instrument index.
    of_instrument: Vec<usize>,
    /// The venue each order went to, by order id (ids are dense).
    of_order: Vec<u8>,
}

impl<V: Venue> VenueSet<V> {
    /// `of_instrument[i]` is the index in `venues` of the venue instrument
    /// `i` trades on.
    pub fn new(venues: Vec<V>, of_instrument: Vec<usize>) -> Result<Self, String> {
        if venues.len() > u8::MAX as usize {
            return Err(format!("{} venues: at most 255 are supported", venues.len()));
        }
        if let Some((i, v)) = of_instrument.iter().enumerate().find(|(_, v)| **v >= venues.len()) {
            return Err(format!("instrument {i} is listed on venue {v}, but there are {} venues", venues.len()));
        }
        Ok(Self { venues, of_instrument, of_order: Vec::new() })
    }

    pub fn venue(&self, index: usize) -> &V {
        &self.venues[index]
    }

    /// An OCO group goes whole to its venue when all legs trade there;
    /// legs on different venues go as separate orders (the engine cancels
    /// the others on the first fill).
    fn submit_oco(&mut self, legs: Vec<(OrderId, OrderRequest)>, now: UnixNanos, out: &mut Vec<ExecutionReport>) {
        let venue_of = |(_, r): &(OrderId, OrderRequest)| self.of_instrument.get(r.instrument.index()).copied();
        let one_venue = venue_of(&legs[0]).is_some() && legs.iter().all(|l| venue_of(l) == venue_of(&legs[0]));
        if !one_venue {
            for (order_id, request) in legs {
                self.handle(VenueCommand::Submit { order_id, request }, now, out);
            }
            return;
        }
        let venue = venue_of(&legs[0]).expect("checked");
        for (order_id, _) in &legs {
            self.remember(*order_id, venue);
        }
        self.venues[venue].handle(VenueCommand::SubmitOco { legs }, now, out);
    }

    /// Records that order `id` went to `venue`, for its cancels and modifies.
    fn remember(&mut self, id: OrderId, venue: usize) {
        let index = id.0.saturating_sub(1) as usize;
        if self.of_order.len() <= index {
            self.of_order.resize(index + 1, u8::MAX);
        }
        self.of_order[index] = venue as u8;
    }

    fn venue_of_order(&self, id: OrderId) -> Option<usize> {
        let index = usize::try_from(id.0).ok()?.checked_sub(1)?;
        self.of_order.get(index).map(|v| *v as usize)
    }
}

impl<V: Venue> Venue for VenueSet<V> {
    fn handle(&mut self, cmd: VenueCommand, now: UnixNanos, out: &mut Vec<ExecutionReport>) {
        if let VenueCommand::SubmitOco { legs } = cmd {
            return self.submit_oco(legs, now, out);
        }
        let venue = match &cmd {
            VenueCommand::Submit { order_id, request } => {
                let Some(&venue) = self.of_instrument.get(request.instrument.index()) else {
                    let reason = format!("instrument id {} is not listed on any venue", request.instrument.0);
                    out.push(ExecutionReport::Rejected { order_id: *order_id, ts: now, reason });
                    return;
                };
                self.remember(*order_id, venue);
                venue
            }
            VenueCommand::SubmitOco { .. } => unreachable!("handled above"),
            VenueCommand::Cancel { order_id } | VenueCommand::Modify { order_id, .. } => {
                match self.venue_of_order(*order_id).filter(|v| *v < self.venues.len()) {
                    Some(venue) => venue,
                    None => {
                        let reason = format!("order {order_id} was never sent to a venue");
                        out.push(ExecutionReport::CommandRejected { order_id: *order_id, ts: now, reason });
                        return;
                    }
                }
            }
        };
        self.venues[venue].handle(cmd, now, out);
    }

    fn on_market(&mut self, event: &MarketEvent, now: UnixNanos, out: &mut Vec<ExecutionReport>) {
        if let Some(&venue) = self.of_instrument.get(event.instrument().index()) {
            self.venues[venue].on_market(event, now, out);
        }
    }
}

#[cfg(test)]
mod tests {
    use pyrt_model::{Instrument, InstrumentId, OrderRequest, Price, Quantity, Side};
    use pyrt_sim::{SimConfig, SimVenue};

    use super::*;

    fn set() -> VenueSet<SimVenue> {
        let inst: Vec<_> = (0..2)
            .map(|i| Instrument::new(InstrumentId(i), format!("T{i}"), Price::from_int(1), Quantity::from_int(1)))
            .collect();
        let venue = || SimVenue::new(inst.clone(), SimConfig::default());
        VenueSet::new(vec![venue(), venue()], vec![0, 1]).unwrap()
    }

    #[test]
    fn commands_go_to_the_venue_of_their_instrument_and_strays_are_refused() {
        let mut venues = set();
        let mut out = Vec::new();
        let order = |i| OrderRequest::limit(InstrumentId(i), Side::Buy, Quantity::from_int(1), Price::from_int(5));
        venues.handle(VenueCommand::Submit { order_id: OrderId(1), request: order(1) }, 0, &mut out);
        assert!(matches!(out[0], ExecutionReport::Accepted { order_id: OrderId(1), .. }));
        venues.handle(VenueCommand::Cancel { order_id: OrderId(1) }, 0, &mut out);
        assert!(matches!(out[1], ExecutionReport::Cancelled { order_id: OrderId(1), .. }), "{out:?}");
        venues.handle(VenueCommand::Cancel { order_id: OrderId(9) }, 0, &mut out);
        let ExecutionReport::CommandRejected { reason, .. } = &out[2] else { panic!("{out:?}") };
        assert_eq!(reason, "order O-9 was never sent to a venue");
        venues.handle(VenueCommand::Submit { order_id: OrderId(2), request: order(7) }, 0, &mut out);
        let ExecutionReport::Rejected { reason, .. } = &out[3] else { panic!("{out:?}") };
        assert_eq!(reason, "instrument id 7 is not listed on any venue");
        let e = VenueSet::new(vec![venues], vec![0, 3]).err().unwrap();
        assert_eq!(e, "instrument 1 is listed on venue 3, but there are 1 venues");
    }
}
