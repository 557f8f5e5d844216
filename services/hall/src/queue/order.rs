//! The calling order (叫号顺序), pure: appointments that are due come first, then the green
//! channel by weight, then arrival (DOMAIN.md "Appointments and queues"). The store's "call
//! next" walks two indexes in this order; the property tests here pin the rule, and the
//! end-to-end tests check that the database agrees with it.

use std::cmp::{Ordering, Reverse};

use chrono::{DateTime, NaiveDate, Utc};
use uuid::Uuid;

/// What the order of a waiting ticket depends on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Waiting {
    pub id: Uuid,
    /// The start of its booking's slot, for a ticket that came from a booking.
    pub due_at: Option<DateTime<Utc>>,
    pub weight: i32,
    pub arrived_at: DateTime<Utc>,
}

impl Waiting {
    /// Whether its booking's slot has started at `now`.
    pub fn is_due(&self, now: DateTime<Utc>) -> bool {
        self.due_at.is_some_and(|due| due <= now)
    }

    /// The key it is called by at `now`: smaller first. Ties on weight and arrival fall to the
    /// id (v7, so the order of issue), which makes the order total.
    fn key(&self, now: DateTime<Utc>) -> (bool, Reverse<i32>, DateTime<Utc>, Uuid) {
        (
            !self.is_due(now),
            Reverse(self.weight),
            self.arrived_at,
            self.id,
        )
    }

    /// Whether `self` is called before `other` at `now`.
    pub fn cmp_at(&self, other: &Self, now: DateTime<Utc>) -> Ordering {
        self.key(now).cmp(&other.key(now))
    }
}

/// The ticket a window calls next at `now`, of `waiting`.
pub fn next(waiting: &[Waiting], now: DateTime<Utc>) -> Option<&Waiting> {
    waiting.iter().min_by(|a, b| a.cmp_at(b, now))
}

/// Why a ticket goes ahead (绿色通道). A clerk marks disability and pregnancy; age comes from
/// the identity card's date of birth.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    sqlx::Type,
    serde::Serialize,
    serde::Deserialize,
    utoipa::ToSchema,
)]
#[sqlx(type_name = "text", rename_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum Priority {
    None,
    /// 65 or older on the day.
    Elderly,
    Disabled,
    Pregnant,
}

/// The age from which a person is served first.
pub const ELDERLY_FROM_AGE: u32 = 65;

impl Priority {
    /// As stored and as the events say it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::None => "none",
            Self::Elderly => "elderly",
            Self::Disabled => "disabled",
            Self::Pregnant => "pregnant",
        }
    }

    /// The priority of a person born on `birth` (when known) whom a clerk marked `marked`, on
    /// `today`: a mark wins; otherwise 65 or older is elderly.
    pub fn of(birth: Option<NaiveDate>, marked: Option<Priority>, today: NaiveDate) -> Self {
        match marked {
            Some(mark) if mark != Self::None => mark,
            _ if birth.is_some_and(|b| today.years_since(b).unwrap_or(0) >= ELDERLY_FROM_AGE) => {
                Self::Elderly
            }
            _ => Self::None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{Duration, TimeZone};
    use proptest::prelude::*;

    fn at(minute: i64) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 12, 7, 1, 0, 0).unwrap() + Duration::minutes(minute)
    }

    fn waiting() -> impl Strategy<Value = Waiting> {
        (
            any::<u128>(),
            proptest::option::of(0i64..120),
            prop_oneof![Just(0), Just(10), Just(20), 0..100],
            0i64..120,
        )
            .prop_map(|(id, due, weight, arrived)| Waiting {
                id: Uuid::from_u128(id),
                due_at: due.map(at),
                weight,
                arrived_at: at(arrived),
            })
    }

    proptest! {
        /// Whoever is called next, nobody left waiting should have gone first: a due
        /// appointment is never passed over for a ticket that is not due; among equals in
        /// that, a heavier weight is never passed over; among equal weights, an earlier
        /// arrival is never passed over.
        #[test]
        fn nobody_waiting_should_have_gone_before_the_one_called(
            queue in proptest::collection::vec(waiting(), 1..40),
            now in 0i64..150,
        ) {
            let now = at(now);
            let called = next(&queue, now).unwrap();
            for other in &queue {
                if other.is_due(now) {
                    prop_assert!(called.is_due(now), "{other:?} is due, {called:?} is not");
                }
                if other.is_due(now) == called.is_due(now) {
                    prop_assert!(other.weight <= called.weight);
                    if other.weight == called.weight {
                        prop_assert!(other.arrived_at >= called.arrived_at);
                    }
                }
            }
        }

        /// Calling one after another empties the queue in one order whatever order the
        /// tickets are listed in.
        #[test]
        fn the_order_does_not_depend_on_how_the_queue_is_listed(
            mut queue in proptest::collection::vec(waiting(), 1..30),
            now in 0i64..150,
            seed in any::<u64>(),
        ) {
            let now = at(now);
            let drain = |mut q: Vec<Waiting>| {
                let mut order = Vec::new();
                while let Some(first) = next(&q, now).cloned() {
                    q.retain(|w| w.id != first.id);
                    order.push(first.id);
                }
                order
            };
            let first = drain(queue.clone());
            // A deterministic shuffle.
            let n = queue.len();
            for i in 0..n {
                let j = ((seed.wrapping_mul(6364136223846793005).wrapping_add(i as u64)) % n as u64) as usize;
                queue.swap(i, j);
            }
            prop_assert_eq!(first, drain(queue));
        }

        /// An appointment waits its turn until its slot starts, then goes ahead of everyone
        /// not due.
        #[test]
        fn an_appointment_goes_ahead_once_its_slot_has_started(
            walk_ins in proptest::collection::vec(waiting(), 1..20),
            due in 10i64..100,
        ) {
            let walk_ins: Vec<Waiting> = walk_ins.into_iter().map(|w| Waiting { due_at: None, ..w }).collect();
            let booked = Waiting { id: Uuid::from_u128(u128::MAX), due_at: Some(at(due)), weight: 0, arrived_at: at(200) };
            let mut queue = walk_ins.clone();
            queue.push(booked.clone());
            prop_assert_eq!(next(&queue, at(due)).unwrap(), &booked);
            prop_assert_ne!(next(&queue, at(due - 1)).unwrap(), &booked);
        }
    }

    #[test]
    fn age_gives_the_green_channel_from_the_65th_birthday_and_a_mark_wins() {
        let birth = NaiveDate::from_ymd_opt(1961, 12, 7).unwrap();
        let day_before = NaiveDate::from_ymd_opt(2026, 12, 6).unwrap();
        let birthday = NaiveDate::from_ymd_opt(2026, 12, 7).unwrap();
        assert_eq!(Priority::of(Some(birth), None, day_before), Priority::None);
        assert_eq!(Priority::of(Some(birth), None, birthday), Priority::Elderly);
        assert_eq!(
            Priority::of(Some(birth), Some(Priority::Pregnant), day_before),
            Priority::Pregnant
        );
        assert_eq!(
            Priority::of(Some(birth), Some(Priority::None), birthday),
            Priority::Elderly
        );
        assert_eq!(Priority::of(None, None, birthday), Priority::None);
    }
}
