//! Working-day arithmetic (工作日): time limits of service items run in working days of the
//! national calendar (holidays and 调休 working weekends) plus a service centre's own closures.
//!
//! The catalogue owns the calendar data; this module is the arithmetic every service shares, so
//! acceptance and approval compute due dates exactly as the catalogue's API does.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{Datelike, Days, NaiveDate, Weekday};
use serde::{Deserialize, Serialize};

/// How a listed date differs from the plain Monday-Friday week.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DayKind {
    /// A day off, including weekend days inside a holiday block.
    Holiday,
    /// A weekend day worked instead (调休).
    Workday,
    /// A day a service centre is closed although the nation works (a local closure).
    Closure,
}

impl DayKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Holiday => "holiday",
            Self::Workday => "workday",
            Self::Closure => "closure",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "holiday" => Self::Holiday,
            "workday" => Self::Workday,
            "closure" => Self::Closure,
            _ => return None,
        })
    }
}

/// The unit of a time limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TimeUnit {
    /// 工作日: the statutory default (行政许可法 Art. 82).
    WorkingDays,
    /// 自然日.
    CalendarDays,
}

impl TimeUnit {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::WorkingDays => "working_days",
            Self::CalendarDays => "calendar_days",
        }
    }

    /// The unit as stored and published (`working_days`, `calendar_days`); anything else is
    /// taken as working days, the statutory default.
    pub fn named(name: &str) -> Self {
        if name == Self::CalendarDays.as_str() {
            Self::CalendarDays
        } else {
            Self::WorkingDays
        }
    }
}

/// A time limit: a number of days in a unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
pub struct TimeLimit {
    pub value: u32,
    pub unit: TimeUnit,
}

impl TimeLimit {
    pub const fn working_days(value: u32) -> Self {
        Self {
            value,
            unit: TimeUnit::WorkingDays,
        }
    }

    /// A limit as a database row holds it (a negative count is none).
    pub fn stored(value: i32, unit: &str) -> Self {
        Self {
            value: value.max(0) as u32,
            unit: TimeUnit::named(unit),
        }
    }
}

/// A stretch of days during which a clock stands still (correction, hearing, expert review),
/// both ends included.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Pause {
    pub from: NaiveDate,
    pub to: NaiveDate,
}

impl Pause {
    fn contains(&self, date: NaiveDate) -> bool {
        self.from <= date && date <= self.to
    }
}

/// A computed date, and whether it rests on years the calendar does not know yet (their
/// holidays are unpublished, so only weekends were skipped).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Reckoning {
    pub date: NaiveDate,
    pub provisional: bool,
}

/// The longest span the arithmetic walks (ten years): no statutory limit comes near it, and it
/// bounds the work a request can cause.
pub const MAX_DAYS: u32 = 3_660;

/// The national calendar of the years it knows, with one service centre's closures.
#[derive(Debug, Clone, Default)]
pub struct Calendar {
    exceptions: BTreeMap<NaiveDate, DayKind>,
    known_years: BTreeSet<i32>,
}

impl Calendar {
    /// A calendar from the listed dates. `known_years` are the years whose national holidays are
    /// published (a year with no listed date at all is still known if it is named here).
    pub fn new(
        days: impl IntoIterator<Item = (NaiveDate, DayKind)>,
        known_years: impl IntoIterator<Item = i32>,
    ) -> Self {
        let mut exceptions = BTreeMap::new();
        for (date, kind) in days {
            // A closure never turns a national holiday back into anything else.
            let slot = exceptions.entry(date).or_insert(kind);
            if *slot == DayKind::Workday && kind == DayKind::Closure {
                *slot = kind;
            }
        }
        Self {
            exceptions,
            known_years: known_years.into_iter().collect(),
        }
    }

    pub fn knows(&self, year: i32) -> bool {
        self.known_years.contains(&year)
    }

    pub fn known_years(&self) -> impl Iterator<Item = i32> + '_ {
        self.known_years.iter().copied()
    }

    pub fn is_working_day(&self, date: NaiveDate) -> bool {
        match self.exceptions.get(&date) {
            Some(DayKind::Workday) => true,
            Some(DayKind::Holiday | DayKind::Closure) => false,
            None => !matches!(date.weekday(), Weekday::Sat | Weekday::Sun),
        }
    }

    /// The day a limit of `limit` runs out when counting starts the day after `start`, skipping
    /// the `pauses`. Working days: the `limit.value`-th working day after `start` (10 working
    /// days after Monday 2026-09-28 is 2026-10-16, National Day skipped). Calendar days: plain
    /// days, each paused day moving the end by one. `None` beyond [`MAX_DAYS`].
    pub fn due(&self, start: NaiveDate, limit: TimeLimit, pauses: &[Pause]) -> Option<Reckoning> {
        if limit.value > MAX_DAYS {
            return None;
        }
        let counts = |date: NaiveDate| {
            !pauses.iter().any(|p| p.contains(date))
                && match limit.unit {
                    TimeUnit::WorkingDays => self.is_working_day(date),
                    TimeUnit::CalendarDays => true,
                }
        };
        let mut date = start;
        let mut left = limit.value;
        let mut provisional = false;
        let mut walked = 0;
        while left > 0 {
            date = date.checked_add_days(Days::new(1))?;
            walked += 1;
            if walked > MAX_DAYS * 2 {
                return None;
            }
            provisional |= limit.unit == TimeUnit::WorkingDays && !self.knows(date.year());
            if counts(date) {
                left -= 1;
            }
        }
        Some(Reckoning { date, provisional })
    }

    /// Working days after `from` up to and including `to`, leaving out the `pauses`; negative
    /// when `to` is before `from`. `None` when the span is longer than [`MAX_DAYS`].
    pub fn working_days_between(
        &self,
        from: NaiveDate,
        to: NaiveDate,
        pauses: &[Pause],
    ) -> Option<i64> {
        let (low, high, sign) = if from <= to {
            (from, to, 1)
        } else {
            (to, from, -1)
        };
        if (high - low).num_days() > i64::from(MAX_DAYS) {
            return None;
        }
        let count = low
            .iter_days()
            .skip(1)
            .take_while(|d| *d <= high)
            .filter(|d| self.is_working_day(*d) && !pauses.iter().any(|p| p.contains(*d)))
            .count();
        Some(sign * count as i64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    /// The 2026 National Day and Mid-autumn block as the State Council published it.
    fn autumn_2026() -> Calendar {
        let mut days = vec![
            (day("2026-09-20"), DayKind::Workday),
            (day("2026-10-10"), DayKind::Workday),
        ];
        for d in ["2026-09-25", "2026-09-26", "2026-09-27"] {
            days.push((day(d), DayKind::Holiday));
        }
        for n in 1..=7 {
            days.push((day(&format!("2026-10-0{n}")), DayKind::Holiday));
        }
        Calendar::new(days, [2026])
    }

    #[test]
    fn ten_working_days_across_national_day() {
        let due = autumn_2026()
            .due(day("2026-09-28"), TimeLimit::working_days(10), &[])
            .unwrap();
        assert_eq!(
            due,
            Reckoning {
                date: day("2026-10-16"),
                provisional: false
            }
        );
    }

    #[test]
    fn adjusted_weekends_are_working_days() {
        let calendar = autumn_2026();
        assert!(
            calendar.is_working_day(day("2026-10-10")),
            "Saturday worked instead"
        );
        assert!(
            !calendar.is_working_day(day("2026-10-11")),
            "an ordinary Sunday"
        );
        assert!(
            !calendar.is_working_day(day("2026-10-05")),
            "a Monday inside the holiday"
        );
        // 2026-10-09 (Fri) + 1 working day is the adjusted Saturday.
        let due = calendar
            .due(day("2026-10-09"), TimeLimit::working_days(1), &[])
            .unwrap();
        assert_eq!(due.date, day("2026-10-10"));
    }

    #[test]
    fn pauses_move_the_due_date() {
        let calendar = autumn_2026();
        // Three working days (Oct 12-14) paused for a correction.
        let pause = Pause {
            from: day("2026-10-12"),
            to: day("2026-10-14"),
        };
        let due = calendar
            .due(day("2026-09-28"), TimeLimit::working_days(10), &[pause])
            .unwrap();
        assert_eq!(due.date, day("2026-10-21"));
        assert_eq!(
            calendar.working_days_between(day("2026-09-28"), day("2026-10-21"), &[pause]),
            Some(10)
        );
    }

    #[test]
    fn counting_is_the_inverse_of_adding() {
        let calendar = autumn_2026();
        for n in 0..40 {
            let due = calendar
                .due(day("2026-09-01"), TimeLimit::working_days(n), &[])
                .unwrap();
            assert_eq!(
                calendar.working_days_between(day("2026-09-01"), due.date, &[]),
                Some(i64::from(n))
            );
        }
        assert_eq!(
            calendar.working_days_between(day("2026-10-16"), day("2026-09-28"), &[]),
            Some(-10)
        );
    }

    #[test]
    fn closures_take_working_days_away_but_not_holidays_back() {
        let closure = (day("2026-10-12"), DayKind::Closure);
        let holiday_closure = (day("2026-10-01"), DayKind::Closure);
        let mut days: Vec<_> = vec![closure, holiday_closure];
        days.push((day("2026-10-01"), DayKind::Holiday));
        let calendar = Calendar::new(days, [2026]);
        assert!(!calendar.is_working_day(day("2026-10-12")));
        assert!(!calendar.is_working_day(day("2026-10-01")));
    }

    #[test]
    fn unknown_years_are_provisional_and_calendar_days_are_plain() {
        let calendar = autumn_2026();
        let due = calendar
            .due(day("2026-12-30"), TimeLimit::working_days(5), &[])
            .unwrap();
        assert!(due.provisional, "2027's holidays are not published yet");
        let plain = TimeLimit {
            value: 10,
            unit: TimeUnit::CalendarDays,
        };
        let due = calendar.due(day("2026-09-28"), plain, &[]).unwrap();
        assert_eq!(
            due,
            Reckoning {
                date: day("2026-10-08"),
                provisional: false
            }
        );
        assert!(
            calendar
                .due(
                    day("2026-01-01"),
                    TimeLimit::working_days(MAX_DAYS + 1),
                    &[]
                )
                .is_none()
        );
    }
}
