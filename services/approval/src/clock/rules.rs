//! The time-limit clock of a work item (限时办结): it starts the day after acceptance, counts
//! working days of the handling centre's calendar, stands still while paused (correction,
//! hearing, inspection, expert review: 行政许可法 Art. 45), and runs longer by any extension
//! (Art. 42).

use chrono::{Days, NaiveDate};

use tongban_kernel::calendar::{Pause, Reckoning};
use tongban_kernel::{Calendar, TimeLimit};

/// A stretch the clock stood still: `paused_on` is the first day that does not count,
/// `resumed_on` the first that counts again (`None` while it lasts).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stop {
    pub paused_on: NaiveDate,
    pub resumed_on: Option<NaiveDate>,
}

impl Stop {
    /// The days it covers, as the calendar arithmetic takes them; `today` ends an open stop.
    /// `None` when it covers no day (resumed the day it began).
    pub fn as_pause(&self, today: NaiveDate) -> Option<Pause> {
        let end = self
            .resumed_on
            .unwrap_or(today.max(self.paused_on) + Days::new(1));
        let to = end.checked_sub_days(Days::new(1))?;
        (to >= self.paused_on).then_some(Pause {
            from: self.paused_on,
            to,
        })
    }
}

/// The due date of a work item accepted on `accepted_on` with `limit` (plus `extension`
/// working days granted), the stops left out. An open stop counts up to `today`.
pub fn due(
    calendar: &Calendar,
    accepted_on: NaiveDate,
    limit: TimeLimit,
    extension: u32,
    stops: &[Stop],
    today: NaiveDate,
) -> Option<Reckoning> {
    let pauses: Vec<Pause> = stops.iter().filter_map(|s| s.as_pause(today)).collect();
    let base = calendar.due(accepted_on, limit, &pauses)?;
    if extension == 0 {
        return Some(base);
    }
    let extended = calendar.due(base.date, TimeLimit::working_days(extension), &pauses)?;
    Some(Reckoning {
        date: extended.date,
        provisional: base.provisional || extended.provisional,
    })
}

/// Working days a stop took out of the clock.
pub fn paused_working_days(calendar: &Calendar, stop: &Stop, today: NaiveDate) -> u32 {
    stop.as_pause(today)
        .and_then(|p| {
            let before = p.from.checked_sub_days(Days::new(1))?;
            calendar.working_days_between(before, p.to, &[])
        })
        .map_or(0, |n| n.max(0) as u32)
}

/// The day of the yellow warning: `days` working days before `due` (the due day itself is the
/// last of them), never before `accepted_on`.
pub fn warn_on(
    calendar: &Calendar,
    due: NaiveDate,
    days: u32,
    accepted_on: NaiveDate,
) -> NaiveDate {
    let mut date = due;
    let mut left = days.saturating_sub(1);
    while left > 0 && date > accepted_on {
        date = date - Days::new(1);
        if calendar.is_working_day(date) {
            left -= 1;
        }
    }
    date.max(accepted_on)
}

/// Working days left until `due`: those after `today` up to and including the due date (0 on
/// the due date itself).
pub fn working_days_left(calendar: &Calendar, today: NaiveDate, due: NaiveDate) -> u32 {
    calendar
        .working_days_between(today, due, &[])
        .map_or(0, |n| n.max(0) as u32)
}

/// Why the clock stops (行政许可法 Art. 45, and correction after acceptance).
pub const PAUSE_KINDS: [&str; 6] = [
    "correction",
    "hearing",
    "inspection",
    "testing",
    "expert_review",
    "other",
];

/// The most working days the statute lets a decision be extended by: 10 (Art. 42), 15 for
/// joint handling of several departments (a part of a 一件事 application).
pub fn max_extension(kind: &str) -> i32 {
    if kind == "part" { 15 } else { 10 }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tongban_kernel::calendar::DayKind;

    fn date(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    /// 2026's Mid-autumn and National Day blocks as the State Council published them
    /// (09-25 to 09-27 and 10-01 to 10-07 off; Sunday 09-20 and Saturday 10-10 worked).
    fn calendar() -> Calendar {
        let mut days: Vec<(NaiveDate, DayKind)> = (1..=7)
            .map(|d| {
                (
                    NaiveDate::from_ymd_opt(2026, 10, d).unwrap(),
                    DayKind::Holiday,
                )
            })
            .collect();
        for d in ["2026-09-25", "2026-09-26", "2026-09-27"] {
            days.push((date(d), DayKind::Holiday));
        }
        days.push((date("2026-09-20"), DayKind::Workday));
        days.push((date("2026-10-10"), DayKind::Workday));
        Calendar::new(days, [2026])
    }

    #[test]
    fn a_case_accepted_before_national_day_is_due_after_it() {
        let due = due(
            &calendar(),
            date("2026-09-28"),
            TimeLimit::working_days(10),
            0,
            &[],
            date("2026-09-28"),
        )
        .unwrap();
        assert_eq!(due.date, date("2026-10-16"));
        assert!(!due.provisional);
    }

    #[test]
    fn a_pause_moves_the_due_date_by_exactly_its_working_days() {
        let cal = calendar();
        let accepted = date("2026-11-02");
        let limit = TimeLimit::working_days(10);
        let before = due(&cal, accepted, limit, 0, &[], accepted).unwrap().date;
        assert_eq!(before, date("2026-11-16"));
        // Paused on Wednesday 11-04, resumed on Tuesday 11-10: Wed, Thu, Fri and Mon stood still.
        let stop = Stop {
            paused_on: date("2026-11-04"),
            resumed_on: Some(date("2026-11-10")),
        };
        assert_eq!(paused_working_days(&cal, &stop, date("2026-11-10")), 4);
        let after = due(&cal, accepted, limit, 0, &[stop], date("2026-11-10"))
            .unwrap()
            .date;
        assert_eq!(after, date("2026-11-20"), "four working days later");
        // Resumed the day it began: nothing stood still.
        let blink = Stop {
            paused_on: date("2026-11-04"),
            resumed_on: Some(date("2026-11-04")),
        };
        assert_eq!(paused_working_days(&cal, &blink, date("2026-11-04")), 0);
        assert_eq!(
            due(&cal, accepted, limit, 0, &[blink], accepted)
                .unwrap()
                .date,
            before
        );
    }

    #[test]
    fn an_open_pause_counts_up_to_today() {
        let cal = calendar();
        let stop = Stop {
            paused_on: date("2026-11-04"),
            resumed_on: None,
        };
        assert_eq!(paused_working_days(&cal, &stop, date("2026-11-05")), 2);
    }

    #[test]
    fn an_extension_adds_working_days_after_the_due_date() {
        let cal = calendar();
        let due = due(
            &cal,
            date("2026-09-21"),
            TimeLimit::working_days(5),
            10,
            &[],
            date("2026-09-21"),
        )
        .unwrap();
        // Five working days: 09-22, 09-23, 09-24, 09-28, 09-29. Ten more: 09-30, 10-08, 10-09,
        // 10-10 (the worked Saturday), 10-12, 10-13, 10-14, 10-15, 10-16, 10-19.
        assert_eq!(due.date, date("2026-10-19"));
    }

    #[test]
    fn the_warning_comes_the_given_working_days_before_the_due_date() {
        let cal = calendar();
        // Due Friday 10-16; two working days ahead, due day included: Thursday 10-15.
        assert_eq!(
            warn_on(&cal, date("2026-10-16"), 2, date("2026-09-28")),
            date("2026-10-15")
        );
        // Due Thursday 10-08, the first day after the holiday: the working day before is 09-30.
        assert_eq!(
            warn_on(&cal, date("2026-10-08"), 2, date("2026-09-28")),
            date("2026-09-30")
        );
        // Never before acceptance.
        assert_eq!(
            warn_on(&cal, date("2026-09-29"), 5, date("2026-09-28")),
            date("2026-09-28")
        );
        assert_eq!(
            working_days_left(&cal, date("2026-10-15"), date("2026-10-16")),
            1
        );
    }
}
