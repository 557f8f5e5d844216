//! How senders pace themselves: polling, retries with back-off, quiet hours, a channel's cap
//! per second (pure: no I/O).

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};

/// How senders pace themselves.
#[derive(Debug, Clone, Copy)]
pub struct Pacing {
    /// How often to look for due messages.
    pub poll: Duration,
    /// Messages claimed per round.
    pub batch: i64,
    /// The first retry waits this long; each next one twice as long (capped at an hour).
    pub retry_base: Duration,
    /// Attempts before a temporary failure becomes final.
    pub max_attempts: i32,
    /// Non-urgent texts wait out these China hours: from `quiet_from` to `quiet_until` (e.g.
    /// 22 to 8, across midnight). Equal hours: no quiet hours.
    pub quiet_from: u32,
    pub quiet_until: u32,
    /// Non-urgent texts and e-mails per recipient and channel within an hour; more wait.
    pub hourly_limit: i64,
}

/// A channel's cap on sends per second (a carrier's or a mail relay's limit), for one sender:
/// a generic cell-rate algorithm that lets `burst` sends through at once and then one every
/// `1 / rate` seconds. A sender waits for its slot; one that would wait too long defers the
/// message instead (a deferral is not an attempt).
#[derive(Debug)]
pub struct Throttle {
    interval: Duration,
    /// How far ahead of the steady pace a burst may run.
    tolerance: Duration,
    /// The theoretical arrival time of the next send.
    next: Mutex<Option<Instant>>,
}

impl Throttle {
    /// `rate` sends per second, `rate` of them at once; `None` for 0 (no cap).
    pub fn per_second(rate: u32) -> Option<Self> {
        (rate > 0).then(|| {
            let interval = Duration::from_secs(1) / rate;
            Self {
                interval,
                tolerance: interval * (rate - 1),
                next: Mutex::new(None),
            }
        })
    }

    /// Reserves the next slot from `now` and says how long to wait for it; when that is longer
    /// than `max_wait`, reserves nothing and says how long it would have been.
    pub fn reserve(&self, now: Instant, max_wait: Duration) -> Result<Duration, Duration> {
        let mut next = self
            .next
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let due = next.unwrap_or(now).max(now);
        let allowed = due
            .checked_sub(self.tolerance)
            .map_or(now, |at| at.max(now));
        let wait = allowed - now;
        if wait > max_wait {
            return Err(wait);
        }
        *next = Some(due + self.interval);
        Ok(wait)
    }
}

/// The caps per channel name (channels without one are not capped).
pub type Throttles = HashMap<&'static str, Throttle>;

/// The longest a sender waits for a channel's slot before deferring the message: well within
/// the lease on it.
pub(super) const MAX_THROTTLE_WAIT: Duration = Duration::from_secs(30);

/// When non-urgent texts may go again if `now` falls in the quiet hours, else `None`.
pub fn quiet_until(pacing: &Pacing, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    use chrono::{TimeZone, Timelike};
    let (from, until) = (pacing.quiet_from % 24, pacing.quiet_until % 24);
    if from == until {
        return None;
    }
    let local = now.with_timezone(&tongban_runtime::clock::china());
    let hour = local.hour();
    let quiet = if from < until {
        hour >= from && hour < until
    } else {
        hour >= from || hour < until
    };
    if !quiet {
        return None;
    }
    let mut day = local.date_naive();
    if hour >= until {
        day = day.succ_opt()?;
    }
    let end = day.and_hms_opt(until, 0, 0)?;
    tongban_runtime::clock::china()
        .from_local_datetime(&end)
        .single()
        .map(|t| t.with_timezone(&Utc))
}

/// The wait before attempt `attempts + 1` after `attempts` failed ones.
pub fn backoff(pacing: &Pacing, attempts: i32) -> Duration {
    let factor = 2u32.saturating_pow(attempts.saturating_sub(1).clamp(0, 20) as u32);
    pacing
        .retry_base
        .saturating_mul(factor)
        .min(Duration::from_secs(3600))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_throttle_lets_a_burst_through_then_keeps_the_pace() {
        let throttle = Throttle::per_second(2).unwrap();
        let start = Instant::now();
        let long = Duration::from_secs(30);
        let waits: Vec<Duration> = (0..6)
            .map(|_| throttle.reserve(start, long).unwrap())
            .collect();
        let ms: Vec<u128> = waits.iter().map(Duration::as_millis).collect();
        assert_eq!(ms, [0, 0, 500, 1000, 1500, 2000]);
        // A send that would wait longer than allowed reserves nothing.
        assert_eq!(
            throttle.reserve(start, Duration::from_millis(100)),
            Err(Duration::from_millis(2500))
        );
        assert_eq!(
            throttle.reserve(start, long),
            Ok(Duration::from_millis(2500))
        );
        // Idle time refills the burst, but not beyond it.
        let later = start + Duration::from_secs(60);
        assert_eq!(throttle.reserve(later, long), Ok(Duration::ZERO));
        assert_eq!(throttle.reserve(later, long), Ok(Duration::ZERO));
        assert_eq!(
            throttle.reserve(later, long),
            Ok(Duration::from_millis(500))
        );
        assert!(Throttle::per_second(0).is_none());
    }

    #[test]
    fn retries_back_off_exponentially_up_to_an_hour() {
        let pacing = pacing();
        assert_eq!(backoff(&pacing, 1), Duration::from_secs(5));
        assert_eq!(backoff(&pacing, 2), Duration::from_secs(10));
        assert_eq!(backoff(&pacing, 4), Duration::from_secs(40));
        assert_eq!(backoff(&pacing, 30), Duration::from_secs(3600));
    }

    fn pacing() -> Pacing {
        Pacing {
            poll: Duration::from_millis(500),
            batch: 50,
            retry_base: Duration::from_secs(5),
            max_attempts: 8,
            quiet_from: 22,
            quiet_until: 8,
            hourly_limit: 5,
        }
    }

    fn china(day: u32, hour: u32, minute: u32) -> DateTime<Utc> {
        use chrono::TimeZone;
        tongban_runtime::clock::china()
            .with_ymd_and_hms(2026, 11, day, hour, minute, 0)
            .unwrap()
            .with_timezone(&Utc)
    }

    #[test]
    fn quiet_hours_run_across_midnight_until_the_morning() {
        let pacing = pacing();
        assert_eq!(quiet_until(&pacing, china(27, 21, 59)), None);
        assert_eq!(
            quiet_until(&pacing, china(27, 22, 0)),
            Some(china(28, 8, 0))
        );
        assert_eq!(
            quiet_until(&pacing, china(28, 3, 30)),
            Some(china(28, 8, 0))
        );
        assert_eq!(quiet_until(&pacing, china(28, 8, 0)), None);
        let daytime = Pacing {
            quiet_from: 12,
            quiet_until: 14,
            ..pacing
        };
        assert_eq!(
            quiet_until(&daytime, china(27, 13, 0)),
            Some(china(27, 14, 0))
        );
        let never = Pacing {
            quiet_from: 0,
            quiet_until: 0,
            ..pacing
        };
        assert_eq!(quiet_until(&never, china(27, 23, 0)), None);
    }
}
