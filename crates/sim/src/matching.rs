//! When and at what price one order fills against one piece of market data.
//!
//! Market data reaches an order as a sequence of [`Step`]s:
//!
//! * a **bar** is a gap to its open followed by three straight segments
//!   through its extremes to its close. Which extreme comes first is not in
//!   the data; the rule here is *nearest extreme first*: if the high is at
//!   least as close to the open as the low, the path is O→H→L→C, otherwise
//!   O→L→H→C. The path never looks past the bar, so nothing is filled on
//!   information from a later bar;
//! * a **trade** is a print at its price;
//! * a **quote** is a print at the ask for buy orders and at the bid for sell
//!   orders.
//!
//! On a gap an order that is marketable fills at the gap price (a resting
//! limit gapped through gets the better open price). Inside a segment the
//! market passes every price between its ends, so a limit fills at its limit
//! and a stop at its trigger. On a print a resting limit fills at its limit
//! (the market traded at or through it) and a taker at the printed price.

use pyrt_model::{Liquidity, OrderKind, Price, Side};
use serde::{Deserialize, Serialize};

/// One piece of market path an order is checked against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    Gap(Price),
    Segment(Price, Price),
    Print(Price),
}

/// When a resting limit order counts as filled by the market passing it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LimitFillRule {
    /// The market reached the limit price (backtesting.py, backtrader).
    #[default]
    Touch,
    /// The market traded strictly through the limit price (conservative:
    /// touching it may leave a queued order unfilled).
    Through,
}

/// The four steps of a bar under the nearest-extreme-first rule.
pub fn bar_steps(open: Price, high: Price, low: Price, close: Price) -> [Step; 4] {
    let (first, second) = if high.raw() - open.raw() <= open.raw() - low.raw() { (high, low) } else { (low, high) };
    [Step::Gap(open), Step::Segment(open, first), Step::Segment(first, second), Step::Segment(second, close)]
}

/// The price-dependent state of a working order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Trigger {
    pub kind: OrderKind,
    pub side: Side,
    /// A stop or stop-limit whose trigger was reached.
    pub triggered: bool,
    /// Best price seen by a trailing stop (highest for sells, lowest for buys).
    pub trail_best: Option<Price>,
    /// Whether the order has not yet seen a price since it arrived: a fresh
    /// order that is marketable takes liquidity.
    pub fresh: bool,
}

/// Where an order filled within a step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Touch {
    pub price: Price,
    pub liquidity: Liquidity,
    /// A stop condition was met in this step (report it before the fill).
    pub just_triggered: bool,
}

impl Trigger {
    pub fn new(kind: OrderKind, side: Side, reference: Option<Price>) -> Self {
        Self { kind, side, triggered: false, trail_best: reference, fresh: true }
    }

    /// The current stop trigger of a trailing stop, if it has a reference.
    pub fn trailing_trigger(&self) -> Option<Price> {
        let OrderKind::TrailingStop { offset } = self.kind else { return None };
        let best = self.trail_best?;
        Some(match self.side {
            Side::Sell => best - offset.at(best),
            Side::Buy => best + offset.at(best),
        })
    }

    /// Checks the order against one step; `Some` if it fills in it.
    pub fn check(&mut self, step: Step, rule: LimitFillRule) -> Option<Touch> {
        let side = self.side;
        let taker = |price| Some(Touch { price, liquidity: Liquidity::Taker, just_triggered: false });
        match self.kind {
            OrderKind::Market => match step {
                Step::Gap(p) | Step::Print(p) | Step::Segment(p, _) => taker(p),
            },
            OrderKind::Limit { price } => check_limit(side, price, step, rule, self.fresh),
            OrderKind::Stop { trigger } => {
                let hit = match step {
                    Step::Gap(p) | Step::Print(p) => crosses_stop(side, p, trigger).then_some(p),
                    Step::Segment(a, b) => crosses_stop(side, extreme(side, a, b), trigger).then_some(trigger),
                };
                hit.map(|price| Touch { price, liquidity: Liquidity::Taker, just_triggered: true })
            }
            OrderKind::StopLimit { trigger, limit } => {
                if self.triggered {
                    return check_limit(side, limit, step, rule, false);
                }
                let (at, rest) = match step {
                    Step::Gap(p) | Step::Print(p) => (crosses_stop(side, p, trigger).then_some(p), None),
                    Step::Segment(a, b) => {
                        (crosses_stop(side, extreme(side, a, b), trigger).then_some(trigger), Some(b))
                    }
                };
                let at = at?;
                self.triggered = true;
                // Just triggered: a limit that is marketable at the trigger
                // price takes; otherwise it may still fill later in the step.
                // A trigger without a fill shows in `self.triggered`.
                let mut touch = check_limit(side, limit, Step::Gap(at), rule, true)
                    .or_else(|| rest.and_then(|b| check_limit(side, limit, Step::Segment(at, b), rule, false)))?;
                touch.just_triggered = true;
                Some(touch)
            }
            OrderKind::TrailingStop { .. } => self.check_trailing(step),
        }
    }

    fn check_trailing(&mut self, step: Step) -> Option<Touch> {
        let side = self.side;
        let better = |a: Price, b: Price| match side {
            Side::Sell => a.max(b),
            Side::Buy => a.min(b),
        };
        let hit = |trigger: Price, p: Price| match side {
            Side::Sell => p <= trigger,
            Side::Buy => p >= trigger,
        };
        let fill = |price| Some(Touch { price, liquidity: Liquidity::Taker, just_triggered: true });
        match step {
            Step::Gap(p) | Step::Print(p) => {
                if let Some(t) = self.trailing_trigger()
                    && hit(t, p)
                {
                    return fill(p);
                }
                self.trail_best = Some(self.trail_best.map_or(p, |b| better(b, p)));
                None
            }
            Step::Segment(a, b) => {
                // Moving with the trail raises the reference and never hits;
                // moving against it can reach the (fixed) trigger.
                self.trail_best = Some(self.trail_best.map_or(a, |best| better(best, a)));
                let t = self.trailing_trigger()?;
                if hit(t, b) {
                    return fill(t);
                }
                self.trail_best = Some(better(self.trail_best.unwrap_or(b), b));
                None
            }
        }
    }
}

/// The price a segment reaches in the direction a stop on `side` waits for.
fn extreme(side: Side, a: Price, b: Price) -> Price {
    match side {
        Side::Buy => a.max(b),
        Side::Sell => a.min(b),
    }
}

fn crosses_stop(side: Side, price: Price, trigger: Price) -> bool {
    match side {
        Side::Buy => price >= trigger,
        Side::Sell => price <= trigger,
    }
}

fn reaches_limit(side: Side, price: Price, limit: Price, rule: LimitFillRule) -> bool {
    match (side, rule) {
        (Side::Buy, LimitFillRule::Touch) => price <= limit,
        (Side::Buy, LimitFillRule::Through) => price < limit,
        (Side::Sell, LimitFillRule::Touch) => price >= limit,
        (Side::Sell, LimitFillRule::Through) => price > limit,
    }
}

fn check_limit(side: Side, limit: Price, step: Step, rule: LimitFillRule, fresh: bool) -> Option<Touch> {
    let touch = |price, liquidity| Some(Touch { price, liquidity, just_triggered: false });
    match step {
        // A marketable order on arrival takes at the current price.
        Step::Gap(p) | Step::Print(p) if fresh => {
            reaches_limit(side, p, limit, LimitFillRule::Touch).then_some(())?;
            touch(p, Liquidity::Taker)
        }
        Step::Gap(p) => {
            reaches_limit(side, p, limit, rule).then_some(())?;
            touch(p, Liquidity::Maker)
        }
        Step::Print(p) => {
            reaches_limit(side, p, limit, rule).then_some(())?;
            touch(limit, Liquidity::Maker)
        }
        Step::Segment(a, b) => {
            let reached = match side {
                Side::Buy => a.min(b),
                Side::Sell => a.max(b),
            };
            reaches_limit(side, reached, limit, rule).then_some(())?;
            touch(limit, Liquidity::Maker)
        }
    }
}

/// Whether an order would take liquidity if it arrived at `price` now:
/// the post-only check.
pub fn is_marketable(kind: OrderKind, side: Side, price: Price) -> bool {
    match kind {
        OrderKind::Market => true,
        OrderKind::Limit { price: limit } => reaches_limit(side, price, limit, LimitFillRule::Touch),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pyrt_model::TrailingOffset;

    fn px(v: i64) -> Price {
        Price::from_int(v)
    }

    /// Runs an order through a bar and returns where it filled.
    fn through_bar(t: &mut Trigger, o: i64, h: i64, l: i64, c: i64) -> Option<Touch> {
        for step in bar_steps(px(o), px(h), px(l), px(c)) {
            if let Some(touch) = t.check(step, LimitFillRule::Touch) {
                return Some(touch);
            }
            t.fresh = false;
        }
        None
    }

    #[test]
    fn nearest_extreme_comes_first() {
        assert_eq!(bar_steps(px(10), px(11), px(5), px(8))[1], Step::Segment(px(10), px(11)));
        assert_eq!(bar_steps(px(10), px(15), px(9), px(8))[1], Step::Segment(px(10), px(9)));
    }

    #[test]
    fn market_fills_at_the_open() {
        let mut t = Trigger::new(OrderKind::Market, Side::Buy, None);
        let f = through_bar(&mut t, 10, 12, 9, 11).unwrap();
        assert_eq!((f.price, f.liquidity), (px(10), Liquidity::Taker));
    }

    #[test]
    fn limit_buy_fills_at_limit_when_touched_and_at_open_when_gapped() {
        let mut t = Trigger::new(OrderKind::Limit { price: px(9) }, Side::Buy, None);
        t.fresh = false;
        let f = through_bar(&mut t, 10, 12, 9, 11).unwrap();
        assert_eq!((f.price, f.liquidity), (px(9), Liquidity::Maker));
        let mut t = Trigger::new(OrderKind::Limit { price: px(9) }, Side::Buy, None);
        t.fresh = false;
        assert_eq!(through_bar(&mut t, 8, 12, 7, 11).unwrap().price, px(8));
        let mut t = Trigger::new(OrderKind::Limit { price: px(9) }, Side::Buy, None);
        assert!(through_bar(&mut t, 10, 12, 10, 11).is_none());
    }

    #[test]
    fn through_rule_needs_the_market_past_the_limit() {
        let mut t = Trigger::new(OrderKind::Limit { price: px(9) }, Side::Buy, None);
        t.fresh = false;
        let steps = bar_steps(px(10), px(12), px(9), px(11));
        assert!(steps.iter().all(|s| t.check(*s, LimitFillRule::Through).is_none()));
    }

    #[test]
    fn stop_fills_at_trigger_inside_the_bar_and_at_open_on_a_gap() {
        let mut t = Trigger::new(OrderKind::Stop { trigger: px(11) }, Side::Buy, None);
        assert_eq!(through_bar(&mut t, 10, 12, 9, 11).unwrap().price, px(11));
        let mut t = Trigger::new(OrderKind::Stop { trigger: px(11) }, Side::Buy, None);
        assert_eq!(through_bar(&mut t, 13, 14, 12, 13).unwrap().price, px(13));
        let mut t = Trigger::new(OrderKind::Stop { trigger: px(8) }, Side::Sell, None);
        assert!(through_bar(&mut t, 10, 12, 9, 11).is_none());
    }

    #[test]
    fn stop_limit_triggers_then_waits_for_its_limit() {
        // Sell stop 9 limit 10: path O10 H12 L8 C11 (high nearer): triggers
        // at 9 on the way down, limit 10 is above -> sell at 9? No: a sell
        // limit at 10 needs price >= 10, reached on the way back up to 11.
        let kind = OrderKind::StopLimit { trigger: px(9), limit: px(10) };
        let mut t = Trigger::new(kind, Side::Sell, None);
        let f = through_bar(&mut t, 10, 12, 8, 11).unwrap();
        assert_eq!((f.price, f.liquidity), (px(10), Liquidity::Maker));
        assert!(t.triggered);
        // Triggered but never back to the limit: stays working, triggered.
        let mut t = Trigger::new(kind, Side::Sell, None);
        assert!(through_bar(&mut t, 10, 11, 7, 8).is_none());
        assert!(t.triggered);
    }

    #[test]
    fn trailing_sell_stop_follows_the_high() {
        let kind = OrderKind::TrailingStop { offset: TrailingOffset::Price(px(2)) };
        let mut t = Trigger::new(kind, Side::Sell, Some(px(10)));
        // Rises to 15 (trail 13), falls to 14: no fill.
        assert!(through_bar(&mut t, 10, 15, 10, 14).is_none());
        assert_eq!(t.trailing_trigger(), Some(px(13)));
        // Next bar falls to 12: fills at the trigger 13.
        let f = through_bar(&mut t, 14, 14, 12, 12).unwrap();
        assert_eq!(f.price, px(13));
        // A gap below the trigger fills at the open.
        let mut t = Trigger::new(kind, Side::Sell, Some(px(20)));
        assert_eq!(through_bar(&mut t, 15, 16, 14, 15).unwrap().price, px(15));
    }

    #[test]
    fn prints_fill_resting_limits_at_the_limit_and_takers_at_the_print() {
        let mut resting = Trigger::new(OrderKind::Limit { price: px(100) }, Side::Sell, None);
        resting.fresh = false;
        let f = resting.check(Step::Print(px(101)), LimitFillRule::Touch).unwrap();
        assert_eq!((f.price, f.liquidity), (px(100), Liquidity::Maker));
        let mut taker = Trigger::new(OrderKind::Limit { price: px(100) }, Side::Sell, None);
        let f = taker.check(Step::Print(px(101)), LimitFillRule::Touch).unwrap();
        assert_eq!((f.price, f.liquidity), (px(101), Liquidity::Taker));
    }

    #[test]
    fn marketability() {
        assert!(is_marketable(OrderKind::Limit { price: px(10) }, Side::Buy, px(10)));
        assert!(!is_marketable(OrderKind::Limit { price: px(10) }, Side::Buy, px(11)));
        assert!(is_marketable(OrderKind::Limit { price: px(10) }, Side::Sell, px(11)));
    }
}
