//! A remediation's states and what moves it between them: the transition table, pure and
//! tested for every pair.

tongban_kernel::text_enum! {
    /// Where a remediation stands; stored as text in `remediations.state`.
    pub enum State {
        /// 待整改: opened, nobody has acted yet.
        Pending => "pending",
        /// 整改中.
        InProgress => "in_progress",
        /// An appeal (invalid) or an unfixable claim before a supervisor.
        UnderReview => "under_review",
        /// 整改完成.
        Fixed => "fixed",
        /// 无效差评: a supervisor upheld the appeal.
        Invalid => "invalid",
        /// 无法整改: a supervisor upheld the claim.
        Unfixable => "unfixable",
        /// The rater changed the rating: it is no longer bad.
        Withdrawn => "withdrawn",
    }
}

impl State {
    /// Still to be dealt with (not closed).
    pub fn is_open(self) -> bool {
        matches!(self, Self::Pending | Self::InProgress | Self::UnderReview)
    }
}

tongban_kernel::text_enum! {
    /// What the assignee asks a supervisor to judge; stored as text in `remediations.review_kind`.
    pub enum ReviewKind {
        /// 无效差评: the rating is unfounded.
        Invalid => "invalid",
        /// 无法整改: the matter cannot be put right.
        Unfixable => "unfixable",
    }
}

impl ReviewKind {
    /// The state an upheld review ends the remediation in.
    pub fn outcome(self) -> State {
        match self {
            Self::Invalid => State::Invalid,
            Self::Unfixable => State::Unfixable,
        }
    }
}

/// What happens to a remediation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// The assignee starts (待整改 → 整改中).
    Start,
    /// The assignee records the call-back.
    Callback,
    /// The assignee closes it as fixed (整改完成).
    Fix,
    /// The assignee asks a supervisor to judge it.
    RequestReview,
    /// A supervisor upholds the review of this kind: it ends so.
    Uphold(ReviewKind),
    /// A supervisor rejects the review: remediation goes on.
    RejectReview,
    /// A supervisor extends the deadline (the state stays).
    Extend,
    /// The rater changed the rating to one no longer bad.
    Withdraw,
}

impl Action {
    /// The assignee's actions by name: start, callback, fix or request_review.
    pub fn of_assignee(name: &str) -> Option<Self> {
        match name {
            "start" => Some(Self::Start),
            "callback" => Some(Self::Callback),
            "fix" => Some(Self::Fix),
            "request_review" => Some(Self::RequestReview),
            _ => None,
        }
    }
}

/// The state `action` leads to from `state`; `None` when it may not happen there.
pub fn next(state: State, action: Action) -> Option<State> {
    use State::{InProgress, Pending, UnderReview};
    match (state, action) {
        (Pending, Action::Start) => Some(InProgress),
        (Pending | InProgress, Action::Callback) => Some(InProgress),
        (Pending | InProgress, Action::Fix) => Some(State::Fixed),
        (Pending | InProgress, Action::RequestReview) => Some(UnderReview),
        (UnderReview, Action::Uphold(kind)) => Some(kind.outcome()),
        (UnderReview, Action::RejectReview) => Some(InProgress),
        (Pending | InProgress | UnderReview, Action::Extend) => Some(state),
        (Pending | InProgress | UnderReview, Action::Withdraw) => Some(State::Withdrawn),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ACTIONS: [Action; 9] = [
        Action::Start,
        Action::Callback,
        Action::Fix,
        Action::RequestReview,
        Action::Uphold(ReviewKind::Invalid),
        Action::Uphold(ReviewKind::Unfixable),
        Action::RejectReview,
        Action::Extend,
        Action::Withdraw,
    ];

    #[test]
    fn every_state_and_action_has_its_answer() {
        use State::*;
        for state in State::ALL {
            for action in ACTIONS {
                let expected = match (state, action) {
                    (Pending, Action::Start) => Some(InProgress),
                    (Pending | InProgress, Action::Callback) => Some(InProgress),
                    (Pending | InProgress, Action::Fix) => Some(Fixed),
                    (Pending | InProgress, Action::RequestReview) => Some(UnderReview),
                    (UnderReview, Action::Uphold(ReviewKind::Invalid)) => Some(Invalid),
                    (UnderReview, Action::Uphold(ReviewKind::Unfixable)) => Some(Unfixable),
                    (UnderReview, Action::RejectReview) => Some(InProgress),
                    (s, Action::Extend) if s.is_open() => Some(s),
                    (s, Action::Withdraw) if s.is_open() => Some(Withdrawn),
                    _ => None,
                };
                assert_eq!(next(state, action), expected, "{state} {action:?}");
            }
        }
    }

    #[test]
    fn a_closed_remediation_moves_no_more() {
        for state in State::ALL.into_iter().filter(|s| !s.is_open()) {
            assert!(ACTIONS.iter().all(|a| next(state, *a).is_none()), "{state}");
        }
    }

    #[test]
    fn states_and_kinds_are_stored_as_today() {
        let names = [
            "pending",
            "in_progress",
            "under_review",
            "fixed",
            "invalid",
            "unfixable",
            "withdrawn",
        ];
        for (state, name) in State::ALL.into_iter().zip(names) {
            assert_eq!(state.as_str(), name);
            assert_eq!(serde_json::to_value(state).unwrap(), name);
        }
        assert_eq!(ReviewKind::parse("invalid"), Some(ReviewKind::Invalid));
        assert_eq!(ReviewKind::parse("unfixable"), Some(ReviewKind::Unfixable));
        assert_eq!(ReviewKind::parse("fixed"), None);
        assert_eq!(
            serde_json::to_value(ReviewKind::Unfixable).unwrap(),
            "unfixable"
        );
        assert_eq!(
            Action::of_assignee("request_review"),
            Some(Action::RequestReview)
        );
        assert_eq!(Action::of_assignee("extend"), None);
    }
}
