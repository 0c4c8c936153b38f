//! Levels near the touch in an array indexed by tick.
//!
//! The window covers `WINDOW` ticks of keys starting at `base`. Every level
//! with a key at or above `base` lives in the window; deeper levels live in
//! a tree. An update inside the window is an index and a store; the best
//! level is tracked as an index and, when it empties, found by scanning
//! down (near the touch levels are dense, so the scan is short).
//!
//! When a new best level lands above the window, or the window empties
//! while deeper levels remain, the window moves: it is placed so the best
//! level sits three quarters of the way up, leaving room for the touch to
//! improve by a quarter window before the next move. Levels that fall below
//! the new window go to the tree; tree levels inside it come back.

use super::tree::TreeLadder;

/// Ticks in the window. 4096 ticks of 8 bytes: 32 KiB per side, in cache.
const WINDOW: usize = 4096;
/// Where the best level sits after the window moves.
const BEST_AT: usize = WINDOW * 3 / 4;

#[derive(Debug, Clone)]
pub(super) struct DenseLadder {
    tick: i64,
    /// Key of slot 0.
    base: i64,
    /// Raw quantities by slot; empty until the first level arrives.
    slots: Vec<i64>,
    /// Slot of the best level (meaningful while `count > 0`).
    top: usize,
    /// Non-empty slots.
    count: usize,
    /// Levels below `base`.
    deep: TreeLadder,
}

impl DenseLadder {
    pub(super) fn new(tick: i64) -> Self {
        Self { tick, base: 0, slots: Vec::new(), top: 0, count: 0, deep: TreeLadder::default() }
    }

    pub(super) fn tick(&self) -> i64 {
        self.tick
    }

    #[inline]
    fn slot_of(&self, key: i64) -> Option<usize> {
        if self.slots.is_empty() || key < self.base {
            return None;
        }
        let i = (key - self.base) / self.tick;
        (i < WINDOW as i64).then_some(i as usize)
    }

    #[inline]
    fn key_of(&self, slot: usize) -> i64 {
        self.base + slot as i64 * self.tick
    }

    #[inline]
    pub(super) fn set(&mut self, key: i64, qty: i64) {
        if let Some(i) = self.slot_of(key) {
            return self.set_slot(i, qty);
        }
        if qty == 0 {
            // Nothing lives above the window; below it, the tree may hold it.
            if key < self.base || self.slots.is_empty() {
                self.deep.set(key, 0);
            }
            return;
        }
        let above = !self.slots.is_empty() && key >= self.base;
        let window_empty = self.count == 0 && self.deep.best().is_none_or(|(k, _)| key > k);
        if above || window_empty {
            self.move_window(key);
            let i = self.slot_of(key).expect("the window was placed around this key");
            self.set_slot(i, qty);
        } else {
            self.deep.set(key, qty);
        }
    }

    #[inline]
    fn set_slot(&mut self, i: usize, qty: i64) {
        let old = std::mem::replace(&mut self.slots[i], qty);
        match (old == 0, qty == 0) {
            (true, false) => {
                self.count += 1;
                if self.count == 1 || i > self.top {
                    self.top = i;
                }
            }
            (false, true) => {
                self.count -= 1;
                if self.count == 0 {
                    if let Some((k, _)) = self.deep.best() {
                        self.move_window(k);
                    }
                } else if i == self.top {
                    while self.slots[self.top] == 0 {
                        self.top -= 1;
                    }
                }
            }
            _ => {}
        }
    }

    /// Places the window so `best_key` (at least every present key) sits at
    /// `BEST_AT`, moving levels between the window and the tree.
    fn move_window(&mut self, best_key: i64) {
        let kept: Vec<(i64, i64)> = self.iter_window().collect();
        self.slots.clear();
        self.slots.resize(WINDOW, 0);
        self.base = best_key - BEST_AT as i64 * self.tick;
        self.count = 0;
        self.top = 0;
        let lifted = self.deep.split_off_from(self.base);
        for (key, qty) in kept.into_iter().chain(lifted) {
            match self.slot_of(key) {
                Some(i) => {
                    self.slots[i] = qty;
                    self.count += 1;
                    self.top = self.top.max(i);
                }
                None => self.deep.set(key, qty),
            }
        }
    }

    pub(super) fn get(&self, key: i64) -> i64 {
        match self.slot_of(key) {
            Some(i) => self.slots[i],
            None if self.slots.is_empty() || key < self.base => self.deep.get(key),
            None => 0,
        }
    }

    #[inline]
    pub(super) fn best(&self) -> Option<(i64, i64)> {
        if self.count > 0 { Some((self.key_of(self.top), self.slots[self.top])) } else { self.deep.best() }
    }

    fn iter_window(&self) -> impl Iterator<Item = (i64, i64)> + '_ {
        let top = if self.count > 0 { self.top + 1 } else { 0 };
        (0..top).rev().filter(|&i| self.slots[i] != 0).map(|i| (self.key_of(i), self.slots[i]))
    }

    pub(super) fn iter_best_first(&self) -> impl Iterator<Item = (i64, i64)> + '_ {
        self.iter_window().chain(self.deep.iter_best_first())
    }

    pub(super) fn len(&self) -> usize {
        self.count + self.deep.len()
    }

    pub(super) fn clear(&mut self) {
        self.slots.clear();
        self.count = 0;
        self.top = 0;
        self.deep.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn levels(d: &DenseLadder) -> Vec<(i64, i64)> {
        d.iter_best_first().collect()
    }

    #[test]
    fn window_moves_up_with_the_touch_and_keeps_deep_levels() {
        let mut d = DenseLadder::new(1);
        d.set(10_000, 1);
        d.set(9_000, 2); // inside the window below the best
        d.set(5_000, 3); // deeper than the window: the tree
        assert_eq!(d.best(), Some((10_000, 1)));
        assert_eq!(d.deep.len(), 1);
        // A new best far above the window moves it; 9 000 and 10 000 fall below.
        d.set(20_000, 4);
        assert_eq!(d.best(), Some((20_000, 4)));
        assert_eq!(levels(&d), vec![(20_000, 4), (10_000, 1), (9_000, 2), (5_000, 3)]);
        assert_eq!(d.deep.len(), 3);
        // Emptying the window brings the deep levels back into it.
        d.set(20_000, 0);
        assert_eq!(d.best(), Some((10_000, 1)));
        assert_eq!(d.count, 2);
        assert_eq!(d.get(5_000), 3);
        assert_eq!(d.len(), 3);
    }

    #[test]
    fn removing_the_best_scans_to_the_next() {
        let mut d = DenseLadder::new(5);
        for k in [100, 95, 80] {
            d.set(k, 1);
        }
        d.set(100, 0);
        assert_eq!(d.best(), Some((95, 1)));
        d.set(95, 0);
        assert_eq!(d.best(), Some((80, 1)));
        d.set(80, 0);
        assert_eq!(d.best(), None);
        // An empty window re-centres on the next level wherever it is.
        d.set(-1_000_000, 7);
        assert_eq!(d.best(), Some((-1_000_000, 7)));
        assert_eq!(d.count, 1);
    }
}
