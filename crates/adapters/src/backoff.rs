//! Waiting before trying again: exponential backoff, and jitter so that
//! many clients dropped at once do not all come back at the same moment.

use std::time::Duration;

/// `base` doubled for each earlier attempt, capped at `max`.
pub fn exponential(base: Duration, max: Duration, attempt: u32) -> Duration {
    base.saturating_mul(1 << attempt.min(16)).min(max)
}

/// `wait` scaled by a factor between 0.5 and 1.5, taken from the clock's
/// low digits (no randomness source needed for spreading reconnects).
pub fn jittered(wait: Duration) -> Duration {
    let factor = 0.5 + pyrt_model::time::wall_clock().rem_euclid(1000) as f64 / 1000.0;
    wait.mul_f64(factor)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doubles_up_to_the_cap_and_jitter_stays_within_half() {
        let ms = Duration::from_millis;
        assert_eq!(exponential(ms(100), ms(1000), 0), ms(100));
        assert_eq!(exponential(ms(100), ms(1000), 3), ms(800));
        assert_eq!(exponential(ms(100), ms(1000), 40), ms(1000));
        for _ in 0..100 {
            let j = jittered(ms(1000));
            assert!(ms(500) <= j && j <= ms(1500), "{j:?}");
        }
    }
}
