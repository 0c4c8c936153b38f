//! What a run keeps of its past: a bounded log, and running trade
//! statistics that need no log at all.
//!
//! A backtest of a few thousand bars keeps every order, fill and trade. A
//! replay of a hundred million bars may produce millions of them; with a
//! limit set, only the most recent stay in memory while the statistics
//! (win rate, profit factor, expectancy, best and worst trade) keep
//! counting over all of them, so memory stays flat.

use std::collections::VecDeque;

/// The most recent items of a log, up to an optional limit.
#[derive(Debug, Clone)]
pub struct RecentLog<T> {
    items: VecDeque<T>,
    limit: Option<usize>,
    total: u64,
}

impl<T> RecentLog<T> {
    pub fn new(limit: Option<usize>) -> Self {
        Self { items: VecDeque::new(), limit, total: 0 }
    }

    pub fn push(&mut self, item: T) {
        self.total += 1;
        if self.limit == Some(0) {
            return;
        }
        if self.limit.is_some_and(|l| self.items.len() >= l) {
            self.items.pop_front();
        }
        self.items.push_back(item);
    }

    /// The items kept, oldest first.
    pub fn kept(&self) -> &VecDeque<T> {
        &self.items
    }

    /// How many items were ever pushed (kept or not).
    pub fn total(&self) -> u64 {
        self.total
    }
}

/// Round-trip statistics accumulated trade by trade.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct TradeStats {
    pub count: u64,
    pub wins: u64,
    /// Sum of the winning trades' net P&L.
    pub gross_win: f64,
    /// Sum of the losing trades' net P&L, as a positive number.
    pub gross_loss: f64,
    pub net: f64,
    pub best: Option<f64>,
    pub worst: Option<f64>,
}

impl TradeStats {
    pub fn add(&mut self, net_pnl: f64) {
        self.count += 1;
        self.net += net_pnl;
        if net_pnl > 0.0 {
            self.wins += 1;
            self.gross_win += net_pnl;
        } else if net_pnl < 0.0 {
            self.gross_loss -= net_pnl;
        }
        self.best = Some(self.best.map_or(net_pnl, |b| b.max(net_pnl)));
        self.worst = Some(self.worst.map_or(net_pnl, |w| w.min(net_pnl)));
    }

    pub fn win_rate(&self) -> Option<f64> {
        (self.count > 0).then(|| self.wins as f64 / self.count as f64)
    }
    pub fn profit_factor(&self) -> Option<f64> {
        (self.gross_loss > 0.0).then(|| self.gross_win / self.gross_loss)
    }
    pub fn expectancy(&self) -> Option<f64> {
        (self.count > 0).then(|| self.net / self.count as f64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bounded_log_keeps_the_newest_and_counts_all() {
        let mut log = RecentLog::new(Some(2));
        for i in 0..5 {
            log.push(i);
        }
        assert_eq!(log.kept().iter().copied().collect::<Vec<_>>(), vec![3, 4]);
        assert_eq!(log.total(), 5);
        let mut unbounded = RecentLog::new(None);
        (0..5).for_each(|i| unbounded.push(i));
        assert_eq!(unbounded.kept().len(), 5);
    }

    #[test]
    fn trade_stats() {
        let mut s = TradeStats::default();
        for p in [10.0, -5.0, 20.0, -5.0, 0.0] {
            s.add(p);
        }
        assert_eq!((s.count, s.wins), (5, 2));
        assert_eq!(s.win_rate(), Some(0.4));
        assert_eq!(s.profit_factor(), Some(3.0));
        assert_eq!(s.expectancy(), Some(4.0));
        assert_eq!((s.best, s.worst), (Some(20.0), Some(-5.0)));
        assert_eq!(TradeStats::default().win_rate(), None);
    }
}
