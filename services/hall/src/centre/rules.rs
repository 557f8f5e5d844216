//! A centre's local rules, pure: defaults from real halls, and their bounds.

use chrono::NaiveTime;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use tongban_kernel::Error;

/// Booking and green-channel rules (every one local to the centre; DOMAIN.md).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema, sqlx::FromRow)]
#[serde(default)]
pub struct Rules {
    /// Bookings from the next working day up to this many working days ahead (1-30).
    pub book_ahead_days: i32,
    /// A booking may be cancelled until this many minutes before its slot (0-10080).
    pub cancel_before_minutes: i32,
    /// This many no-shows within `no_show_window_days` suspend booking (1-100) ...
    pub no_show_limit: i32,
    /// ... counted over this many days (1-365) ...
    pub no_show_window_days: i32,
    /// ... for this many days (0-365; 0 never suspends).
    pub suspension_days: i32,
    /// A slot held while the booking form is filled in is let go after this many minutes
    /// (1-120).
    pub hold_minutes: i32,
    /// Green-channel weights (0-100): a higher weight is called first among the tickets not
    /// due by appointment; 0 is an ordinary ticket.
    pub weight_elderly: i32,
    pub weight_disabled: i32,
    pub weight_pregnant: i32,
}

impl Default for Rules {
    /// As the seeds' halls run them: 5 working days ahead, cancel 2 hours before, 3 no-shows
    /// in 90 days suspend booking for 30 days; a held slot goes after 15 minutes; the three
    /// green-channel groups alike.
    fn default() -> Self {
        Self {
            book_ahead_days: 5,
            cancel_before_minutes: 120,
            no_show_limit: 3,
            no_show_window_days: 90,
            suspension_days: 30,
            hold_minutes: 15,
            weight_elderly: 10,
            weight_disabled: 10,
            weight_pregnant: 10,
        }
    }
}

impl Rules {
    /// 422 naming the first rule out of its bounds.
    pub fn check(&self) -> Result<(), Error> {
        let bounds = [
            ("rules.book_ahead_days", self.book_ahead_days, 1, 30),
            (
                "rules.cancel_before_minutes",
                self.cancel_before_minutes,
                0,
                10080,
            ),
            ("rules.no_show_limit", self.no_show_limit, 1, 100),
            (
                "rules.no_show_window_days",
                self.no_show_window_days,
                1,
                365,
            ),
            ("rules.suspension_days", self.suspension_days, 0, 365),
            ("rules.hold_minutes", self.hold_minutes, 1, 120),
            ("rules.weight_elderly", self.weight_elderly, 0, 100),
            ("rules.weight_disabled", self.weight_disabled, 0, 100),
            ("rules.weight_pregnant", self.weight_pregnant, 0, 100),
        ];
        for (field, value, low, high) in bounds {
            if !(low..=high).contains(&value) {
                return Err(Error::unprocessable(
                    field,
                    format!("must be between {low} and {high}"),
                ));
            }
        }
        Ok(())
    }

    /// The weight of a ticket of `priority`.
    pub fn weight(&self, priority: crate::queue::order::Priority) -> i32 {
        use crate::queue::order::Priority;
        match priority {
            Priority::None => 0,
            Priority::Elderly => self.weight_elderly,
            Priority::Disabled => self.weight_disabled,
            Priority::Pregnant => self.weight_pregnant,
        }
    }
}

/// 422 unless the hall opens before it closes.
pub fn check_hours(opens_at: NaiveTime, closes_at: NaiveTime) -> Result<(), Error> {
    if opens_at >= closes_at {
        return Err(Error::unprocessable(
            "closes_at",
            "the hall closes after it opens, on the same day",
        ));
    }
    Ok(())
}

/// 422 unless `letter` is one capital letter A-Z (the ticket's prefix).
pub fn check_letter(letter: &str) -> Result<(), Error> {
    let mut chars = letter.chars();
    match (chars.next(), chars.next()) {
        (Some(c), None) if c.is_ascii_uppercase() => Ok(()),
        _ => Err(Error::unprocessable(
            "letter",
            "one capital letter A-Z, printed before the ticket's serial (A012)",
        )),
    }
}

/// 422 unless a slot lasts 5-240 minutes and takes 1-1000 bookings.
pub fn check_slots(minutes: i32, capacity: i32) -> Result<(), Error> {
    if !(5..=240).contains(&minutes) {
        return Err(Error::unprocessable(
            "slot_minutes",
            "a slot lasts 5 to 240 minutes",
        ));
    }
    if !(1..=1000).contains(&capacity) {
        return Err(Error::unprocessable(
            "slot_capacity",
            "a slot takes 1 to 1000 bookings",
        ));
    }
    Ok(())
}

/// A name of 1-60 characters, trimmed; 422 naming `field` otherwise.
pub fn name(field: &str, value: &str) -> Result<String, Error> {
    let value = value.trim();
    if value.is_empty() || value.chars().count() > 60 {
        return Err(Error::unprocessable(field, "1 to 60 characters"));
    }
    Ok(value.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_defaults_are_within_bounds_and_each_bound_names_its_rule() {
        Rules::default().check().unwrap();
        let rules = Rules {
            hold_minutes: 0,
            ..Rules::default()
        };
        let err = rules.check().unwrap_err().to_string();
        assert!(err.contains("between 1 and 120"), "{err}");
        check_letter("A").unwrap();
        for bad in ["", "a", "AB", "甲", "1"] {
            assert!(check_letter(bad).is_err(), "{bad}");
        }
        assert!(check_slots(4, 1).is_err());
        assert!(check_slots(30, 0).is_err());
        check_slots(30, 6).unwrap();
        assert!(name("name", "  ").is_err());
        assert_eq!(name("name", " 综合窗口 ").unwrap(), "综合窗口");
    }
}
