//! An appointment's states and what may happen to it, pure.
//!
//! ```text
//! held ──confirm──▶ booked ──check in──▶ checked_in   (a ticket due at the slot's start)
//!  │  │              │  │
//!  │  └──cancel──┐   │  └──slot ended──▶ missed      (爽约, counted towards a suspension)
//!  │             ▼   ▼
//!  └──expire──▶ expired   cancelled
//! ```

use serde::{Deserialize, Serialize};

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, sqlx::Type, Serialize, Deserialize, utoipa::ToSchema,
)]
#[sqlx(type_name = "text", rename_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// A slot kept for the person while they fill in the form.
    Held,
    Booked,
    CheckedIn,
    Cancelled,
    /// A hold let go.
    Expired,
    /// The slot ended without a check-in.
    Missed,
}

/// What happens to an appointment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Confirm,
    Cancel,
    Expire,
    CheckIn,
    Miss,
}

impl Action {
    /// The state an appointment in `from` moves to, or `None` when the action does not apply.
    pub fn apply(self, from: Status) -> Option<Status> {
        use Status::*;
        match (self, from) {
            (Self::Confirm, Held) => Some(Booked),
            (Self::Cancel, Held | Booked) => Some(Cancelled),
            (Self::Expire, Held) => Some(Expired),
            (Self::CheckIn, Booked) => Some(CheckedIn),
            (Self::Miss, Booked) => Some(Missed),
            _ => None,
        }
    }

    pub fn verb(self) -> &'static str {
        match self {
            Self::Confirm => "confirmed",
            Self::Cancel => "cancelled",
            Self::Expire => "let go",
            Self::CheckIn => "checked in",
            Self::Miss => "marked missed",
        }
    }
}

impl Status {
    /// In words a person reads on a refusal.
    pub fn words(self) -> &'static str {
        match self {
            Self::Held => "held while the form is filled in",
            Self::Booked => "booked",
            Self::CheckedIn => "checked in",
            Self::Cancelled => "cancelled",
            Self::Expired => "let go (the hold ran out)",
            Self::Missed => "missed",
        }
    }

    /// Whether it takes a place in its slot (the database's `holds_place`; a hold whose time
    /// ran out no longer does, whatever its state says until a sweep lets it go).
    pub fn holds_place(self) -> bool {
        matches!(self, Self::Held | Self::Booked | Self::CheckedIn)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALL: [Status; 6] = [
        Status::Held,
        Status::Booked,
        Status::CheckedIn,
        Status::Cancelled,
        Status::Expired,
        Status::Missed,
    ];
    const ACTIONS: [Action; 5] = [
        Action::Confirm,
        Action::Cancel,
        Action::Expire,
        Action::CheckIn,
        Action::Miss,
    ];

    #[test]
    fn an_appointment_ends_checked_in_cancelled_let_go_or_missed_and_stays_there() {
        for end in [
            Status::CheckedIn,
            Status::Cancelled,
            Status::Expired,
            Status::Missed,
        ] {
            assert!(ACTIONS.iter().all(|a| a.apply(end).is_none()), "{end:?}");
        }
        let kept = [Action::Confirm, Action::CheckIn]
            .into_iter()
            .try_fold(Status::Held, |s, a| a.apply(s));
        assert_eq!(kept, Some(Status::CheckedIn));
        // Only a booking checks in or is missed; only a hold is let go or confirmed.
        let from = |a: Action| -> Vec<Status> {
            ALL.into_iter().filter(|s| a.apply(*s).is_some()).collect()
        };
        assert_eq!(from(Action::CheckIn), [Status::Booked]);
        assert_eq!(from(Action::Miss), [Status::Booked]);
        assert_eq!(from(Action::Expire), [Status::Held]);
        assert_eq!(from(Action::Cancel), [Status::Held, Status::Booked]);
    }

    #[test]
    fn a_place_is_held_from_the_hold_to_the_check_in() {
        let holding: Vec<Status> = ALL.into_iter().filter(|s| s.holds_place()).collect();
        assert_eq!(holding, [Status::Held, Status::Booked, Status::CheckedIn]);
    }
}
