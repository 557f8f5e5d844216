//! The time services act on. In production it is the system clock; an end-to-end test moves an
//! adjustable one to days ahead (a case crossing its warning and due dates) without waiting.
//!
//! Dates of the working-day calendar are China's local dates (UTC+8, no daylight saving).

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveTime, Utc};

/// The system's time: the one place it is read (clippy's `disallowed-methods` keeps it so).
#[allow(clippy::disallowed_methods)]
fn system_now() -> DateTime<Utc> {
    Utc::now()
}

/// China Standard Time.
pub fn china() -> FixedOffset {
    FixedOffset::east_opt(8 * 3600).unwrap_or_else(|| unreachable!("+08:00 is a valid offset"))
}

/// The local (China) date of an instant.
pub fn local_date(at: DateTime<Utc>) -> NaiveDate {
    at.with_timezone(&china()).date_naive()
}

/// The first instant of `day` in China.
pub fn local_midnight(day: NaiveDate) -> DateTime<Utc> {
    day.and_time(NaiveTime::MIN)
        .and_local_timezone(china())
        .single()
        .map_or_else(|| day.and_time(NaiveTime::MIN).and_utc(), |t| t.to_utc())
}

/// The moment something happens and its date in China: what an action is stamped with and
/// counts working days from.
#[derive(Debug, Clone, Copy)]
pub struct Now {
    pub at: DateTime<Utc>,
    pub today: NaiveDate,
}

impl Now {
    /// The instant `at` and its date in China.
    pub fn at(at: DateTime<Utc>) -> Self {
        Self {
            at,
            today: local_date(at),
        }
    }
}

/// The system clock, or one shifted by an offset a test sets. Clones share the offset, so a
/// test that moves its settings' clock moves every service started with them.
#[derive(Debug, Clone, Default)]
pub struct Clock {
    /// Milliseconds added to the system time; `None` for the plain system clock.
    offset_ms: Option<Arc<AtomicI64>>,
}

impl Clock {
    /// The system clock, never shifted: the time credentials (token lifetimes) are issued and
    /// checked on. A test that moves the service clock days ahead to cross a case's due date
    /// must not thereby expire, or keep alive, anyone's sign-in.
    pub fn system() -> Self {
        Self::default()
    }

    /// A clock a test can move (it starts at the system time).
    pub fn adjustable() -> Self {
        Self {
            offset_ms: Some(Arc::new(AtomicI64::new(0))),
        }
    }

    pub fn now(&self) -> DateTime<Utc> {
        let now = system_now();
        match &self.offset_ms {
            Some(offset) => now + chrono::Duration::milliseconds(offset.load(Ordering::Relaxed)),
            None => now,
        }
    }

    /// Now, with its date in China.
    pub fn moment(&self) -> Now {
        Now::at(self.now())
    }

    /// Today in China.
    pub fn today(&self) -> NaiveDate {
        local_date(self.now())
    }

    /// Moves an adjustable clock to 10:00 China time on `date` (the system clock is never
    /// moved: false).
    pub fn set_today(&self, date: NaiveDate) -> bool {
        self.set_local(date, NaiveTime::from_hms_opt(10, 0, 0).unwrap_or_default())
    }

    /// Moves an adjustable clock on by `by` (the system clock: false).
    pub fn advance(&self, by: chrono::Duration) -> bool {
        let Some(offset) = &self.offset_ms else {
            return false;
        };
        offset.fetch_add(by.num_milliseconds(), Ordering::Relaxed);
        true
    }

    /// Moves an adjustable clock to `time` China time on `date` (the system clock: false).
    pub fn set_local(&self, date: NaiveDate, time: NaiveTime) -> bool {
        let Some(offset) = &self.offset_ms else {
            return false;
        };
        let Some(target) = date.and_time(time).and_local_timezone(china()).single() else {
            return false;
        };
        let shift = target.with_timezone(&Utc) - system_now();
        // Rounded up to the millisecond: the clock reads `time` or just after, never just
        // before (a booking due at 10:00 is due when the test says it is 10:00).
        let nanos = shift.num_nanoseconds().unwrap_or(i64::MAX);
        let millis = nanos.div_euclid(1_000_000) + i64::from(nanos.rem_euclid(1_000_000) > 0);
        offset.store(millis, Ordering::Relaxed);
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_adjustable_clock_moves_and_its_clones_follow() {
        let clock = Clock::adjustable();
        let shared = clock.clone();
        let day = NaiveDate::from_ymd_opt(2026, 10, 16).unwrap();
        assert!(clock.set_today(day));
        assert_eq!(shared.today(), day);
        assert!(!Clock::default().set_today(day), "the system clock stays");
        assert!(shared.advance(chrono::Duration::days(1)));
        assert_eq!(clock.today(), day.succ_opt().unwrap());
        assert!(!Clock::default().advance(chrono::Duration::days(1)));
    }

    #[test]
    fn a_clock_set_to_a_time_never_reads_before_it() {
        let clock = Clock::adjustable();
        let day = NaiveDate::from_ymd_opt(2026, 12, 7).unwrap();
        let ten = NaiveTime::from_hms_opt(10, 0, 0).unwrap();
        let target = local_midnight(day) + chrono::Duration::hours(10);
        for _ in 0..20_000 {
            assert!(clock.set_local(day, ten));
            let now = clock.now();
            assert!(
                now >= target && now - target < chrono::Duration::seconds(1),
                "{now}"
            );
        }
    }

    #[test]
    fn local_dates_are_chinas() {
        let late_utc: DateTime<Utc> = "2026-09-30T17:00:00Z".parse().unwrap();
        assert_eq!(
            local_date(late_utc),
            NaiveDate::from_ymd_opt(2026, 10, 1).unwrap()
        );
    }
}
