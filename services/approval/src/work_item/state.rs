//! The states of a work item and of its steps, and the rules that move them, without I/O.
//! The enums are stored in the existing text columns with exactly the strings used there.

use uuid::Uuid;

use tongban_kernel::Error;

tongban_kernel::text_enum! {
    /// Where a work item stands.
    pub enum WorkItemState {
        /// Accepted, waiting for its item version (or for its transfer round to begin).
        AwaitingItem => "awaiting_item",
        /// Its steps are being worked and its clock runs.
        InProgress => "in_progress",
        /// The clock stands still (correction, hearing, inspection ...).
        Paused => "paused",
        Approved => "approved",
        Refused => "refused",
        /// The applicant withdrew the application before the decision (撤回申请): the work
        /// stopped, its clock with it.
        Withdrawn => "withdrawn",
        /// Its transfer was sent back to the receiving region.
        Returned => "returned",
        /// The receiving window did not accept the application after all (不予受理, a 一件事
        /// application sent back by another part's region): the work stopped undecided.
        RefusedAtWindow => "refused_at_window",
    }
}

impl WorkItemState {
    /// The states of a work item that is still being handled.
    pub const OPEN: [WorkItemState; 2] = [Self::InProgress, Self::Paused];

    /// Being handled: in progress or paused.
    pub fn is_open(self) -> bool {
        Self::OPEN.contains(&self)
    }

    /// The states the front office ended a work item in before any decision (withdrawn by
    /// the applicant, refused at the window): no decision, no on-time count.
    pub const ENDED_UNDECIDED: [WorkItemState; 2] = [Self::Withdrawn, Self::RefusedAtWindow];

    /// Decided, or ended by the front office: nothing more happens to it.
    pub fn is_final(self) -> bool {
        matches!(self, Self::Approved | Self::Refused) || Self::ENDED_UNDECIDED.contains(&self)
    }
}

/// What moves a work item from one state to another.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Its item version is known: the steps are planned and the clock starts.
    Open,
    Pause,
    Resume,
    Approve,
    Refuse,
    /// The handling region sent its transfer back.
    RejectTransfer,
    /// A returned case was accepted again for a new transfer round.
    Reaccept,
    /// The applicant withdrew the application (acceptance's CaseWithdrawn).
    Withdraw,
    /// The receiving window refused the application (acceptance's CaseRefused of an accepted
    /// case or part).
    RefuseAtWindow,
}

impl Action {
    pub const ALL: [Action; 9] = [
        Self::Open,
        Self::Pause,
        Self::Resume,
        Self::Approve,
        Self::Refuse,
        Self::RejectTransfer,
        Self::Reaccept,
        Self::Withdraw,
        Self::RefuseAtWindow,
    ];

    fn verb(self) -> &'static str {
        match self {
            Self::Open => "open",
            Self::Pause => "pause",
            Self::Resume => "resume",
            Self::Approve => "approve",
            Self::Refuse => "refuse",
            Self::RejectTransfer => "reject the transfer of",
            Self::Reaccept => "accept again",
            Self::Withdraw => "withdraw",
            Self::RefuseAtWindow => "refuse at the window",
        }
    }
}

/// The transition table of a work item: the state `action` leads to from `from`, or the
/// conflict `illegal_transition` naming both.
pub fn transition(from: WorkItemState, action: Action) -> Result<WorkItemState, Error> {
    use Action as A;
    use WorkItemState as S;
    match (from, action) {
        (S::AwaitingItem, A::Open) => Ok(S::InProgress),
        (S::InProgress, A::Pause) => Ok(S::Paused),
        (S::Paused, A::Resume) => Ok(S::InProgress),
        (S::InProgress, A::Approve) => Ok(S::Approved),
        (S::InProgress, A::Refuse) => Ok(S::Refused),
        (S::AwaitingItem | S::InProgress | S::Paused, A::RejectTransfer) => Ok(S::Returned),
        (S::Returned, A::Reaccept) => Ok(S::AwaitingItem),
        // The front office ends a case not decided yet wherever its work item stands: waiting,
        // worked, paused, or sent back.
        (S::AwaitingItem | S::InProgress | S::Paused | S::Returned, A::Withdraw) => {
            Ok(S::Withdrawn)
        }
        (S::AwaitingItem | S::InProgress | S::Paused | S::Returned, A::RefuseAtWindow) => {
            Ok(S::RefusedAtWindow)
        }
        (from, action) => Err(Error::Conflict {
            code: "illegal_transition",
            message: format!("cannot {} a work item that is {from}", action.verb()),
        }),
    }
}

tongban_kernel::text_enum! {
    /// The transfer of a case taken in by another region's window.
    pub enum TransferState {
        /// Not yet taken over by the handling region: no step can be worked.
        Pending => "pending",
        Accepted => "accepted",
    }
}

/// What a staff member does with the open step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StepAction {
    Claim,
    Complete,
    Return,
    Decide,
}

tongban_kernel::text_enum! {
    /// Where a step stands.
    pub enum StepState {
        /// Not reached yet.
        Pending => "pending",
        /// Reached, waiting for somebody to claim it (签收).
        Open => "open",
        /// Somebody is working on it.
        Claimed => "claimed",
        Done => "done",
    }
}

/// Whether `action` may be taken on the step at `position` of a work item whose open step is
/// `current` of `last`, in `state`, claimed by `assignee`, by `actor`. The error says why not.
pub fn check_step(
    action: StepAction,
    position: i32,
    current: i32,
    last: i32,
    state: StepState,
    assignee: Option<Uuid>,
    actor: Uuid,
) -> Result<(), Error> {
    let conflict = |message: String| Error::Conflict {
        code: "illegal_transition",
        message,
    };
    if position != current {
        return Err(conflict(format!(
            "step {position} is not the open step (step {current} is)"
        )));
    }
    match action {
        StepAction::Claim => match state {
            StepState::Open => Ok(()),
            StepState::Claimed if assignee == Some(actor) => Ok(()),
            StepState::Claimed => Err(conflict(format!(
                "step {position} is already claimed by someone else"
            ))),
            _ => Err(conflict(format!("step {position} cannot be claimed"))),
        },
        StepAction::Complete | StepAction::Return | StepAction::Decide => {
            if state != StepState::Claimed || assignee != Some(actor) {
                return Err(conflict(format!("claim step {position} first")));
            }
            match action {
                StepAction::Complete if position == last => Err(conflict(format!(
                    "step {position} is the last: it ends with a decision (approve or refuse)"
                ))),
                StepAction::Decide if position != last => Err(conflict(format!(
                    "only the last step (step {last}) decides; complete step {position}"
                ))),
                _ => Ok(()),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_state_and_action_is_allowed_or_an_illegal_transition() {
        use Action as A;
        use WorkItemState as S;
        let allowed = [
            (S::AwaitingItem, A::Open, S::InProgress),
            (S::InProgress, A::Pause, S::Paused),
            (S::Paused, A::Resume, S::InProgress),
            (S::InProgress, A::Approve, S::Approved),
            (S::InProgress, A::Refuse, S::Refused),
            (S::AwaitingItem, A::RejectTransfer, S::Returned),
            (S::InProgress, A::RejectTransfer, S::Returned),
            (S::Paused, A::RejectTransfer, S::Returned),
            (S::Returned, A::Reaccept, S::AwaitingItem),
            (S::AwaitingItem, A::Withdraw, S::Withdrawn),
            (S::InProgress, A::Withdraw, S::Withdrawn),
            (S::Paused, A::Withdraw, S::Withdrawn),
            (S::Returned, A::Withdraw, S::Withdrawn),
            (S::AwaitingItem, A::RefuseAtWindow, S::RefusedAtWindow),
            (S::InProgress, A::RefuseAtWindow, S::RefusedAtWindow),
            (S::Paused, A::RefuseAtWindow, S::RefusedAtWindow),
            (S::Returned, A::RefuseAtWindow, S::RefusedAtWindow),
        ];
        for from in S::ALL {
            for action in A::ALL {
                let expected = allowed
                    .iter()
                    .find(|(f, a, _)| *f == from && *a == action)
                    .map(|(_, _, to)| *to);
                match (transition(from, action), expected) {
                    (Ok(to), Some(want)) => assert_eq!(to, want, "{from} {action:?}"),
                    (
                        Err(Error::Conflict {
                            code: "illegal_transition",
                            ..
                        }),
                        None,
                    ) => {}
                    (got, want) => panic!("{from} {action:?}: {got:?}, expected {want:?}"),
                }
            }
        }
    }

    #[test]
    fn states_keep_the_strings_stored_today() {
        let stored = [
            "awaiting_item",
            "in_progress",
            "paused",
            "approved",
            "refused",
            "withdrawn",
            "returned",
            "refused_at_window",
        ];
        for (state, text) in WorkItemState::ALL.into_iter().zip(stored) {
            assert_eq!(state.as_str(), text);
            assert_eq!(WorkItemState::parse(text), Some(state));
            assert_eq!(serde_json::to_value(state).unwrap(), text);
        }
        assert_eq!(serde_json::to_value(StepState::Claimed).unwrap(), "claimed");
        assert_eq!(
            serde_json::to_value(TransferState::Pending).unwrap(),
            "pending"
        );
        assert!(WorkItemState::Paused.is_open());
        assert!(!WorkItemState::AwaitingItem.is_open());
        assert_eq!(WorkItemState::ALL.len(), stored.len());
    }

    #[test]
    fn a_decided_or_ended_work_item_is_final_and_the_front_office_ends_no_decided_one() {
        use WorkItemState as S;
        let finals: Vec<S> = S::ALL.into_iter().filter(|s| s.is_final()).collect();
        assert_eq!(
            finals,
            [S::Approved, S::Refused, S::Withdrawn, S::RefusedAtWindow]
        );
        for from in finals {
            for action in [Action::Withdraw, Action::RefuseAtWindow] {
                assert!(transition(from, action).is_err(), "{from} {action:?}");
            }
        }
        let err = transition(S::Approved, Action::Withdraw).unwrap_err();
        assert_eq!(
            err.body().message,
            "cannot withdraw a work item that is approved"
        );
    }

    #[test]
    fn steps_are_claimed_completed_and_decided_in_order_by_their_holder() {
        let me = Uuid::now_v7();
        let other = Uuid::now_v7();
        use StepAction::*;
        use StepState::*;
        assert!(check_step(Claim, 2, 2, 3, Open, None, me).is_ok());
        assert!(
            check_step(Claim, 3, 2, 3, Pending, None, me).is_err(),
            "not open yet"
        );
        assert!(check_step(Claim, 2, 2, 3, Claimed, Some(other), me).is_err());
        assert!(
            check_step(Claim, 2, 2, 3, Claimed, Some(me), me).is_ok(),
            "idempotent"
        );
        assert!(
            check_step(Complete, 2, 2, 3, Open, None, me).is_err(),
            "claim first"
        );
        assert!(check_step(Complete, 2, 2, 3, Claimed, Some(other), me).is_err());
        assert!(check_step(Complete, 2, 2, 3, Claimed, Some(me), me).is_ok());
        assert!(
            check_step(Complete, 3, 3, 3, Claimed, Some(me), me).is_err(),
            "the last decides"
        );
        assert!(check_step(Decide, 2, 2, 3, Claimed, Some(me), me).is_err());
        assert!(check_step(Decide, 3, 3, 3, Claimed, Some(me), me).is_ok());
        assert!(check_step(Return, 3, 3, 3, Claimed, Some(me), me).is_ok());
    }
}
