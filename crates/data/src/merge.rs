//! Time-merge of several event streams into one.
//!
//! A k-way merge on a min-heap keyed by `(time, stream index)`: equal
//! times come out in the order the streams were given, so a merge is
//! deterministic. Each stream is read lazily, one event ahead.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use pyrt_model::{MarketEvent, UnixNanos};

/// Merges time-sorted streams into one time-sorted stream. A read error
/// in any stream ends the merge after being passed on.
pub struct Merge<I, E> {
    streams: Vec<I>,
    heads: BinaryHeap<Reverse<(UnixNanos, usize)>>,
    pending: Vec<Option<MarketEvent>>,
    failed: Option<E>,
    done: bool,
}

impl<I, E> Merge<I, E>
where
    I: Iterator<Item = Result<MarketEvent, E>>,
{
    pub fn new(streams: Vec<I>) -> Self {
        let n = streams.len();
        let mut m = Self { streams, heads: BinaryHeap::new(), pending: vec![None; n], failed: None, done: false };
        for i in 0..n {
            m.refill(i);
        }
        m
    }

    fn refill(&mut self, i: usize) {
        match self.streams[i].next() {
            Some(Ok(ev)) => {
                self.heads.push(Reverse((ev.ts(), i)));
                self.pending[i] = Some(ev);
            }
            Some(Err(e)) => {
                self.failed.get_or_insert(e);
            }
            None => {}
        }
    }
}

impl<I, E> Iterator for Merge<I, E>
where
    I: Iterator<Item = Result<MarketEvent, E>>,
{
    type Item = Result<MarketEvent, E>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        if let Some(e) = self.failed.take() {
            self.done = true;
            return Some(Err(e));
        }
        let Reverse((_, i)) = self.heads.pop()?;
        let event = self.pending[i].take().expect("a head has a pending event");
        self.refill(i);
        Some(Ok(event))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pyrt_model::{Bar, InstrumentId, Price, Quantity};

    fn bar(inst: u32, ts: i64) -> Result<MarketEvent, String> {
        Ok(MarketEvent::Bar(Bar::flat(InstrumentId(inst), ts, Price::from_int(1), Quantity::ZERO)))
    }

    #[test]
    fn merges_in_time_order_with_ties_by_stream_order() {
        let a = vec![bar(0, 1), bar(0, 3), bar(0, 5)];
        let b = vec![bar(1, 2), bar(1, 3), bar(1, 6)];
        let merged: Vec<(i64, u32)> = Merge::new(vec![a.into_iter(), b.into_iter()])
            .map(|e| e.unwrap())
            .map(|e| (e.ts(), e.instrument().0))
            .collect();
        assert_eq!(merged, vec![(1, 0), (2, 1), (3, 0), (3, 1), (5, 0), (6, 1)]);
    }

    #[test]
    fn an_error_in_one_stream_is_passed_on() {
        let a = vec![bar(0, 1), Err("bad row".to_string())];
        let b = vec![bar(1, 2)];
        let out: Vec<_> = Merge::new(vec![a.into_iter(), b.into_iter()]).collect();
        assert!(out.iter().any(|r| r.as_ref().err().is_some_and(|e| e == "bad row")), "{out:?}");
    }
}
