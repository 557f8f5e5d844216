//! A ticket's states and what a window may do with it, pure.
//!
//! ```text
//! waiting ──call──▶ called ──start──▶ serving ──finish──▶ done
//!    ▲  │             │ ▲ recall
//!    │  │             │ └─┘
//!    │  cancel        ├──no-show──▶ no_show
//!    │  ▼             │
//!    │ cancelled      │
//!    └──transfer──────┘   (a waiting or called ticket moves to another group, keeping its
//!                          number and its place by arrival)
//! ```

use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, sqlx::Type, Serialize, utoipa::ToSchema)]
#[sqlx(type_name = "text", rename_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Waiting,
    Called,
    Serving,
    Done,
    NoShow,
    Cancelled,
}

/// What a window or the person does with a ticket.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Call,
    Recall,
    NoShow,
    Start,
    Finish,
    Transfer,
    Cancel,
}

impl Action {
    /// The state a ticket in `from` moves to, or `None` when the action does not apply.
    pub fn apply(self, from: Status) -> Option<Status> {
        use Status::*;
        match (self, from) {
            (Self::Call, Waiting) => Some(Called),
            (Self::Recall, Called) => Some(Called),
            (Self::NoShow, Called) => Some(NoShow),
            (Self::Start, Called) => Some(Serving),
            (Self::Finish, Serving) => Some(Done),
            (Self::Transfer, Waiting | Called) => Some(Waiting),
            (Self::Cancel, Waiting) => Some(Cancelled),
            _ => None,
        }
    }

    pub fn verb(self) -> &'static str {
        match self {
            Self::Call => "called",
            Self::Recall => "called again",
            Self::NoShow => "marked absent",
            Self::Start => "served",
            Self::Finish => "finished",
            Self::Transfer => "transferred",
            Self::Cancel => "cancelled",
        }
    }
}

impl Status {
    /// In words a clerk reads on a refusal.
    pub fn words(self) -> &'static str {
        match self {
            Self::Waiting => "waiting",
            Self::Called => "called to a window",
            Self::Serving => "being served",
            Self::Done => "served",
            Self::NoShow => "marked absent",
            Self::Cancelled => "cancelled",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALL: [Status; 6] = [
        Status::Waiting,
        Status::Called,
        Status::Serving,
        Status::Done,
        Status::NoShow,
        Status::Cancelled,
    ];

    #[test]
    fn a_ticket_ends_served_absent_or_cancelled_and_nothing_moves_it_after() {
        let actions = [
            Action::Call,
            Action::Recall,
            Action::NoShow,
            Action::Start,
            Action::Finish,
            Action::Transfer,
            Action::Cancel,
        ];
        for status in [Status::Done, Status::NoShow, Status::Cancelled] {
            assert!(
                actions.iter().all(|a| a.apply(status).is_none()),
                "{status:?}"
            );
        }
        // The one way to served: called, started, finished.
        let served = [Action::Call, Action::Start, Action::Finish]
            .into_iter()
            .try_fold(Status::Waiting, |s, a| a.apply(s));
        assert_eq!(served, Some(Status::Done));
        assert_eq!(Action::Call.apply(Status::Called), None, "called twice");
        assert_eq!(Action::Call.apply(Status::Cancelled), None);
        assert_eq!(Action::Transfer.apply(Status::Serving), None);
        let callable: Vec<Status> = ALL
            .into_iter()
            .filter(|s| Action::Call.apply(*s).is_some())
            .collect();
        assert_eq!(callable, [Status::Waiting]);
    }
}
