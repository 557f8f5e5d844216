//! Where a case stands and what may happen to it: the transition table, a pure function over
//! typed values (no I/O), tested for every state and action.

use tongban_kernel::Error;

tongban_kernel::text_enum! {
    /// Where a case stands in the front office.
    pub enum Status {
        /// Being filled in by the applicant.
        Draft => "draft",
        /// Submitted; awaits the pre-check and the acceptance decision.
        Submitted => "submitted",
        /// The one-time correction notice was sent; awaits the applicant's resubmission.
        NeedsCorrection => "needs_correction",
        /// Accepted (受理): the time limit runs.
        Accepted => "accepted",
        /// The handling region sent the transfer back (跨域通办): the receiving window tells the
        /// applicant once what to fix, sends the case again, or refuses it.
        Returned => "returned",
        /// Not accepted (不予受理), with a written reason.
        Refused => "refused",
        /// Withdrawn by the applicant before a decision (撤回申请: before acceptance, or while
        /// the back office handles it).
        Withdrawn => "withdrawn",
        /// Approval concluded it (办结: approved or refused); the result awaits delivery.
        Concluded => "concluded",
        /// The result went out to the applicant.
        Delivered => "delivered",
    }
}

impl Status {
    /// `Ok` when `action` may happen in this state, else a 409 saying why not.
    pub fn allow(self, action: Action) -> Result<(), Error> {
        transition(self, action).map(|_| ())
    }

    /// Still with the front office (not yet accepted, or sent back): a bundle's parts in these
    /// states move with it.
    pub fn in_front_office(self) -> bool {
        matches!(
            self,
            Self::Draft | Self::Submitted | Self::NeedsCorrection | Self::Returned
        )
    }

    /// Not decided yet, in the front or the back office: a bundle's parts in these states end
    /// with it when it is refused or withdrawn (a part its back office already decided stays
    /// decided).
    pub fn undecided(self) -> bool {
        self.in_front_office() || self == Self::Accepted
    }
}

/// What is being done to a case.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Change its form or materials.
    Edit,
    Submit,
    /// The one-time correction notice (一次性告知).
    RequestCorrection,
    /// Accept (受理).
    Accept,
    /// Not accept (不予受理).
    Refuse,
    /// The applicant withdraws before a decision (撤回申请), even once accepted: an application
    /// may be withdrawn until it is decided (DOMAIN.md, separation of duties).
    Withdraw,
    /// A 容缺 material arrives after acceptance.
    SupplyDeferred,
    /// Approval concluded it (办结).
    Conclude,
    /// The handling region sent its transfer back.
    ReturnTransfer,
    /// The result goes out (统一窗口出件).
    Deliver,
}

impl Action {
    /// Every action, for the exhaustive tests.
    pub const ALL: [Action; 10] = [
        Self::Edit,
        Self::Submit,
        Self::RequestCorrection,
        Self::Accept,
        Self::Refuse,
        Self::Withdraw,
        Self::SupplyDeferred,
        Self::Conclude,
        Self::ReturnTransfer,
        Self::Deliver,
    ];

    fn past(self) -> &'static str {
        match self {
            Self::Edit => "edited",
            Self::Submit => "submitted",
            Self::RequestCorrection => "sent a correction notice",
            Self::Accept => "accepted",
            Self::Refuse => "refused",
            Self::Withdraw => "withdrawn",
            Self::SupplyDeferred => "given deferred materials",
            Self::Conclude => "concluded",
            Self::ReturnTransfer => "returned",
            Self::Deliver => "delivered",
        }
    }
}

/// The status a case in `from` moves to when `action` happens, or a 409
/// (`illegal_transition`) saying why it may not.
pub fn transition(from: Status, action: Action) -> Result<Status, Error> {
    use Action as A;
    use Status as S;
    let to = match (from, action) {
        // The clerk who entered a returned case may replace a defective scan before sending
        // it again.
        (S::Draft | S::NeedsCorrection | S::Returned, A::Edit) => Some(from),
        (S::Draft | S::NeedsCorrection, A::Submit) => Some(S::Submitted),
        // A returned transfer is decided again at the receiving window, not resubmitted.
        (S::Submitted | S::Returned, A::RequestCorrection) => Some(S::NeedsCorrection),
        (S::Submitted | S::Returned, A::Accept) => Some(S::Accepted),
        (S::Submitted | S::Returned, A::Refuse) => Some(S::Refused),
        // Until the decision: the back office's work on an accepted case stops with it.
        (S::Draft | S::Submitted | S::NeedsCorrection | S::Accepted | S::Returned, A::Withdraw) => {
            Some(S::Withdrawn)
        }
        (S::Accepted, A::SupplyDeferred) => Some(S::Accepted),
        (S::Accepted, A::Conclude) => Some(S::Concluded),
        (S::Accepted, A::ReturnTransfer) => Some(S::Returned),
        (S::Concluded, A::Deliver) => Some(S::Delivered),
        _ => None,
    };
    to.ok_or_else(|| Error::Conflict {
        code: "illegal_transition",
        message: format!(
            "the case is {} ({}): it cannot be {} now",
            from.in_words(),
            from.as_str(),
            action.past()
        ),
    })
}

impl Status {
    /// Where the case stands, as a clerk or an applicant would say it.
    fn in_words(self) -> &'static str {
        match self {
            Self::Draft => "a draft, not submitted yet",
            Self::Submitted => "submitted and awaiting the acceptance decision",
            Self::NeedsCorrection => "waiting for the applicant's corrections",
            Self::Accepted => "accepted and being handled",
            Self::Refused => "refused",
            Self::Withdrawn => "withdrawn",
            Self::Concluded => "concluded, its result awaiting hand-out",
            Self::Delivered => "concluded and its result handed out",
            Self::Returned => "sent back by the handling region",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Action as A;
    use Status as S;

    /// The whole table: every state × action, allowed (to where) or refused.
    fn expected(from: Status, action: Action) -> Option<Status> {
        match action {
            A::Edit => [S::Draft, S::NeedsCorrection, S::Returned]
                .contains(&from)
                .then_some(from),
            A::Submit => [S::Draft, S::NeedsCorrection]
                .contains(&from)
                .then_some(S::Submitted),
            A::RequestCorrection => [S::Submitted, S::Returned]
                .contains(&from)
                .then_some(S::NeedsCorrection),
            A::Accept => [S::Submitted, S::Returned]
                .contains(&from)
                .then_some(S::Accepted),
            A::Refuse => [S::Submitted, S::Returned]
                .contains(&from)
                .then_some(S::Refused),
            A::Withdraw => [
                S::Draft,
                S::Submitted,
                S::NeedsCorrection,
                S::Accepted,
                S::Returned,
            ]
            .contains(&from)
            .then_some(S::Withdrawn),
            A::SupplyDeferred => (from == S::Accepted).then_some(S::Accepted),
            A::Conclude => (from == S::Accepted).then_some(S::Concluded),
            A::ReturnTransfer => (from == S::Accepted).then_some(S::Returned),
            A::Deliver => (from == S::Concluded).then_some(S::Delivered),
        }
    }

    #[test]
    fn every_state_and_action_is_allowed_or_a_named_conflict() {
        for from in Status::ALL {
            for action in Action::ALL {
                match (transition(from, action), expected(from, action)) {
                    (Ok(to), Some(want)) => assert_eq!(to, want, "{from:?} × {action:?}"),
                    (Err(err), None) => {
                        assert_eq!(err.status(), 409, "{from:?} × {action:?}");
                        assert_eq!(err.body().code, "illegal_transition");
                        assert!(err.body().message.contains(from.as_str()));
                    }
                    (got, want) => panic!("{from:?} × {action:?}: {got:?}, expected {want:?}"),
                }
            }
        }
    }

    #[test]
    fn terminal_states_allow_nothing() {
        for from in [S::Refused, S::Withdrawn, S::Delivered] {
            for action in Action::ALL {
                assert!(transition(from, action).is_err(), "{from:?} × {action:?}");
            }
        }
    }

    #[test]
    fn a_concluded_case_cannot_be_withdrawn_and_says_so() {
        let err = transition(S::Concluded, A::Withdraw).unwrap_err();
        assert_eq!(
            err.body().message,
            "the case is concluded, its result awaiting hand-out (concluded): it cannot be \
             withdrawn now"
        );
    }

    #[test]
    fn parts_still_undecided_are_those_in_either_office() {
        let undecided: Vec<Status> = Status::ALL.into_iter().filter(|s| s.undecided()).collect();
        assert_eq!(
            undecided,
            [
                S::Draft,
                S::Submitted,
                S::NeedsCorrection,
                S::Accepted,
                S::Returned
            ]
        );
    }

    #[test]
    fn statuses_keep_their_stored_names() {
        for status in Status::ALL {
            assert_eq!(Status::parse(status.as_str()), Some(status));
            let json = serde_json::to_value(status).unwrap();
            assert_eq!(json, serde_json::json!(status.as_str()));
        }
        assert_eq!(Status::NeedsCorrection.as_str(), "needs_correction");
        assert_eq!(Status::parse("unknown"), None);
    }

    #[test]
    fn refusals_say_what_was_refused() {
        let err = transition(S::Submitted, A::Submit).unwrap_err();
        assert_eq!(
            err.body().message,
            "the case is submitted and awaiting the acceptance decision (submitted): it cannot \
             be submitted now"
        );
        let err = transition(S::NeedsCorrection, A::RequestCorrection).unwrap_err();
        assert_eq!(
            err.body().message,
            "the case is waiting for the applicant's corrections (needs_correction): it cannot \
             be sent a correction notice now"
        );
        for status in Status::ALL {
            assert!(!status.in_words().is_empty());
        }
    }

    #[test]
    fn transitions_follow_the_case_life() {
        assert!(Status::Draft.allow(Action::Submit).is_ok());
        assert!(Status::NeedsCorrection.allow(Action::Submit).is_ok());
        assert!(Status::Submitted.allow(Action::Accept).is_ok());
        assert!(
            Status::Accepted.allow(Action::Accept).is_err(),
            "deciding twice"
        );
        assert!(Status::Refused.allow(Action::Edit).is_err());
        assert!(Status::Submitted.allow(Action::Withdraw).is_ok());
        assert!(
            Status::Accepted.allow(Action::Withdraw).is_ok(),
            "accepted, not decided: it may still be withdrawn"
        );
        for decided in [S::Concluded, S::Delivered, S::Refused, S::Withdrawn] {
            assert!(
                decided.allow(Action::Withdraw).is_err(),
                "{decided:?}: too late to withdraw"
            );
        }
        assert!(Status::Accepted.allow(Action::SupplyDeferred).is_ok());
        // A returned transfer is decided again at the receiving window, not resubmitted.
        assert!(Status::Returned.allow(Action::Accept).is_ok());
        assert!(Status::Returned.allow(Action::Edit).is_ok());
        assert!(Status::Returned.allow(Action::Submit).is_err());
        assert!(Status::Returned.allow(Action::Deliver).is_err());
        assert_eq!(
            Status::Submitted
                .allow(Action::Submit)
                .unwrap_err()
                .status(),
            409
        );
    }
}
