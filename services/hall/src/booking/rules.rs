//! The booking rules, pure: which days and slots may be booked, how many places a slot has
//! left, and when no-shows suspend booking (DOMAIN.md "Appointments and queues").

use chrono::{DateTime, Duration, NaiveDate, NaiveTime, TimeZone, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use tongban_kernel::Error;
use tongban_kernel::calendar::Calendar;
use tongban_kernel::clock::china;

use super::state::Status;
use crate::centre::{Centre, Group, Rules};

/// Days looked at, at most, for the bookable working days (a long holiday is 9 days).
const LOOK_AHEAD_DAYS: usize = 60;

/// The days that may be booked on `today`: from the next working day, `rules.book_ahead_days`
/// working days.
pub fn bookable_days(calendar: &Calendar, today: NaiveDate, rules: &Rules) -> Vec<NaiveDate> {
    let wanted = usize::try_from(rules.book_ahead_days).unwrap_or(0);
    today
        .iter_days()
        .skip(1)
        .take(LOOK_AHEAD_DAYS)
        .filter(|d| calendar.is_working_day(*d))
        .take(wanted)
        .collect()
}

/// The start times of a group's slots on a working day: from opening, every `slot_minutes`,
/// each slot ending by closing time.
pub fn slot_starts(opens: NaiveTime, closes: NaiveTime, slot_minutes: i32) -> Vec<NaiveTime> {
    let step = Duration::minutes(i64::from(slot_minutes.max(1)));
    let mut starts = Vec::new();
    let mut at = opens;
    // NaiveTime wraps at midnight; the closing time bounds the walk before it could.
    while at < closes && closes - at >= step {
        starts.push(at);
        at += step;
    }
    starts
}

/// A slot: its day, start and end.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
pub struct Slot {
    pub day: NaiveDate,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
}

impl Slot {
    fn at(day: NaiveDate, start: NaiveTime, minutes: i32) -> Option<Self> {
        let starts_at = china()
            .from_local_datetime(&day.and_time(start))
            .single()?
            .with_timezone(&Utc);
        Some(Self {
            day,
            starts_at,
            ends_at: starts_at + Duration::minutes(i64::from(minutes)),
        })
    }
}

/// Every slot of `group` that may be booked on `today`.
pub fn slots(calendar: &Calendar, centre: &Centre, group: &Group, today: NaiveDate) -> Vec<Slot> {
    let starts = slot_starts(centre.opens_at, centre.closes_at, group.slot_minutes);
    bookable_days(calendar, today, &centre.rules)
        .into_iter()
        .flat_map(|day| {
            starts
                .iter()
                .filter_map(move |s| Slot::at(day, *s, group.slot_minutes))
        })
        .collect()
}

/// The slot of `group` starting at `starts_at`, if it may be booked on `today`: 422 naming
/// `starts_at` for a time that starts no slot or a day outside the booking window, 409
/// `slot_closed` for a day the hall is closed.
pub fn slot_of(
    calendar: &Calendar,
    centre: &Centre,
    group: &Group,
    today: NaiveDate,
    starts_at: DateTime<Utc>,
) -> Result<Slot, Error> {
    let local = starts_at.with_timezone(&china());
    let day = local.date_naive();
    let starts = slot_starts(centre.opens_at, centre.closes_at, group.slot_minutes);
    if !starts.contains(&local.time()) {
        let first = starts.first().map(|t| t.format("%H:%M").to_string());
        return Err(Error::unprocessable(
            "starts_at",
            format!(
                "{}'s slots are {} minutes long, from {} to {} (China time)",
                group.name,
                group.slot_minutes,
                first.unwrap_or_default(),
                centre.closes_at.format("%H:%M")
            ),
        ));
    }
    if !calendar.is_working_day(day) && day > today {
        return Err(Error::Conflict {
            code: "slot_closed",
            message: format!("{} is closed on {day}", centre.name),
        });
    }
    let days = bookable_days(calendar, today, &centre.rules);
    if !days.contains(&day) {
        let range = match (days.first(), days.last()) {
            (Some(first), Some(last)) => format!("from {first} to {last}"),
            _ => "on no day now".to_owned(),
        };
        return Err(Error::unprocessable(
            "starts_at",
            format!(
                "bookings are taken from the next working day up to {} working days ahead: {range}",
                centre.rules.book_ahead_days
            ),
        ));
    }
    Slot::at(day, local.time(), group.slot_minutes)
        .ok_or_else(|| Error::unprocessable("starts_at", "not a time in China"))
}

/// A booking as the slot counts it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Place {
    pub status: Status,
    pub held_until: Option<DateTime<Utc>>,
}

impl Place {
    /// Whether it takes a place at `now`: a hold only until its time runs out (the database
    /// counts the same way, before a sweep has let it go).
    pub fn taken(&self, now: DateTime<Utc>) -> bool {
        match self.status {
            Status::Held => self.held_until.is_some_and(|h| h > now),
            status => status.holds_place(),
        }
    }
}

/// 409 `slot_full` unless a slot of `capacity` with `taken` places taken has one left.
pub fn require_room(taken: i64, capacity: i32, slot: &Slot) -> Result<(), Error> {
    if taken < i64::from(capacity) {
        return Ok(());
    }
    let at = slot.starts_at.with_timezone(&china());
    Err(Error::Conflict {
        code: "slot_full",
        message: format!(
            "the slot of {} {} is full ({capacity} places); choose another",
            slot.day,
            at.format("%H:%M")
        ),
    })
}

/// Until when booking is suspended after the no-shows at `missed` (any order), if a
/// suspension has begun: `rules.no_show_limit` no-shows within `no_show_window_days` suspend
/// booking for `suspension_days` from the last of them, and a suspension wipes the slate (the
/// no-shows that caused it count towards no other).
pub fn suspended_until(missed: &[DateTime<Utc>], rules: &Rules) -> Option<DateTime<Utc>> {
    if rules.suspension_days == 0 {
        return None;
    }
    let limit = usize::try_from(rules.no_show_limit.max(1)).unwrap_or(1);
    let window = Duration::days(i64::from(rules.no_show_window_days));
    let mut sorted = missed.to_vec();
    sorted.sort();
    let mut counting: Vec<DateTime<Utc>> = Vec::new();
    let mut until = None;
    for at in sorted {
        counting.retain(|c| at - *c < window);
        counting.push(at);
        if counting.len() >= limit {
            until = Some(at + Duration::days(i64::from(rules.suspension_days)));
            counting.clear();
        }
    }
    until
}

/// 409 `booking_suspended` while a suspension runs at `now`.
pub fn require_not_suspended(
    until: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Result<(), Error> {
    match until {
        Some(until) if until > now => Err(Error::Conflict {
            code: "booking_suspended",
            message: format!(
                "booking at this hall is suspended after repeated no-shows until {}; a ticket \
                 can still be taken at the kiosk",
                until.with_timezone(&china()).format("%Y-%m-%d %H:%M")
            ),
        }),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use proptest::prelude::*;

    fn t(h: u32, m: u32) -> NaiveTime {
        NaiveTime::from_hms_opt(h, m, 0).unwrap()
    }

    fn day(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn bookings_start_the_next_working_day_and_skip_weekends_and_closures() {
        let calendar = Calendar::new(
            [(
                day("2026-12-09"),
                tongban_kernel::calendar::DayKind::Closure,
            )],
            [2026],
        );
        // Friday 2026-12-04: Monday 7th, Tuesday 8th, (Wednesday 9th closed), 10th, 11th, 14th.
        let days = bookable_days(&calendar, day("2026-12-04"), &Rules::default());
        assert_eq!(
            days,
            [
                "2026-12-07",
                "2026-12-08",
                "2026-12-10",
                "2026-12-11",
                "2026-12-14"
            ]
            .map(day)
        );
    }

    #[test]
    fn a_day_of_half_hour_slots_from_nine_to_five_has_sixteen() {
        let starts = slot_starts(t(9, 0), t(17, 0), 30);
        assert_eq!(starts.len(), 16);
        assert_eq!(starts.last(), Some(&t(16, 30)));
        // A slot that would run past closing is not offered.
        assert_eq!(slot_starts(t(9, 0), t(10, 0), 40), [t(9, 0)]);
    }

    fn rules(limit: i32, window: i32, days: i32) -> Rules {
        Rules {
            no_show_limit: limit,
            no_show_window_days: window,
            suspension_days: days,
            ..Rules::default()
        }
    }

    fn at(day: i64) -> DateTime<Utc> {
        DateTime::<Utc>::from_timestamp(1_780_000_000, 0).unwrap() + Duration::days(day)
    }

    #[test]
    fn the_third_no_show_in_ninety_days_suspends_for_thirty() {
        let r = Rules::default();
        assert_eq!(suspended_until(&[at(0), at(10)], &r), None);
        assert_eq!(
            suspended_until(&[at(0), at(10), at(89)], &r),
            Some(at(89 + 30))
        );
        // The first falls out of the window before the third comes.
        assert_eq!(suspended_until(&[at(0), at(10), at(90)], &r), None);
        // After a suspension the count starts again.
        assert_eq!(
            suspended_until(&[at(0), at(1), at(2), at(40)], &r),
            Some(at(32))
        );
        assert_eq!(
            suspended_until(&[at(0), at(1), at(2)], &rules(3, 90, 0)),
            None
        );
    }

    proptest! {
        #[test]
        fn a_suspension_follows_the_limit_th_no_show_within_the_window(
            gaps in proptest::collection::vec(0i64..60, 0..12),
            limit in 1i32..5,
            window in 1i32..120,
            length in 1i32..60,
        ) {
            let r = rules(limit, window, length);
            let mut times = Vec::new();
            let mut d = 0;
            for g in gaps { d += g; times.push(at(d)); }
            let until = suspended_until(&times, &r);
            if times.len() < limit as usize {
                prop_assert_eq!(until, None);
            }
            if let Some(until) = until {
                // It starts at a no-show, which had limit - 1 others within the window before it.
                let start = until - Duration::days(i64::from(length));
                prop_assert!(times.contains(&start));
                let within = times.iter()
                    .filter(|t| **t <= start && start - **t < Duration::days(i64::from(window)))
                    .count();
                prop_assert!(within >= limit as usize);
            }
            // With a limit of one, every no-show suspends: the last one sets the end.
            if limit == 1 && !times.is_empty() {
                prop_assert_eq!(until, times.iter().max().map(|t| *t + Duration::days(i64::from(length))));
            }
        }

        /// Bookings, holds, confirmations, cancellations and time passing, in any order: a
        /// slot never holds more than its places, and a booking is refused only when full.
        #[test]
        fn a_slot_never_holds_more_than_its_places(
            capacity in 1i32..6,
            steps in proptest::collection::vec((0u8..4, 0usize..8, 0i64..20), 1..60),
        ) {
            let slot = Slot { day: day("2026-12-07"), starts_at: at(0), ends_at: at(0) };
            let hold = Duration::minutes(15);
            let mut now = at(-1);
            let mut places: Vec<Place> = Vec::new();
            for (op, which, minutes) in steps {
                let taken = places.iter().filter(|p| p.taken(now)).count() as i64;
                match op {
                    // Book, or hold while the form is filled in.
                    0 | 1 => {
                        let admitted = require_room(taken, capacity, &slot).is_ok();
                        prop_assert_eq!(admitted, taken < i64::from(capacity));
                        if admitted {
                            places.push(if op == 0 {
                                Place { status: Status::Booked, held_until: None }
                            } else {
                                Place { status: Status::Held, held_until: Some(now + hold) }
                            });
                        }
                    }
                    // Confirm a hold still running; cancel a booking or a hold.
                    2 => {
                        if let Some(p) = places.get_mut(which)
                            && p.status == Status::Held
                            && p.held_until.is_some_and(|h| h > now)
                        {
                            p.status = Status::Booked;
                            p.held_until = None;
                        }
                    }
                    _ => {
                        if let Some(p) = places.get_mut(which)
                            && p.status.holds_place()
                        {
                            p.status = Status::Cancelled;
                        }
                    }
                }
                now += Duration::minutes(minutes);
                let taken = places.iter().filter(|p| p.taken(now)).count();
                prop_assert!(taken <= capacity as usize, "{taken} of {capacity}");
            }
        }

        #[test]
        fn slots_fit_the_opening_hours_and_never_overlap(
            open_h in 6u32..12, open_m in 0u32..60, hours in 1u32..10, minutes in 5i32..240,
        ) {
            let opens = t(open_h, open_m);
            let closes = opens + Duration::hours(i64::from(hours));
            let starts = slot_starts(opens, closes, minutes);
            let step = Duration::minutes(i64::from(minutes));
            for pair in starts.windows(2) {
                prop_assert_eq!(pair[1] - pair[0], step);
            }
            for s in &starts {
                prop_assert!(*s >= opens && closes - *s >= step);
            }
            // No slot is left out: one more would end after closing.
            let next = starts.last().map_or(opens, |s| *s + step);
            prop_assert!(next >= closes || closes - next < step);
        }
    }
}
