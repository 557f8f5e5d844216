//! The rules of the back office, without I/O: the steps a work item follows, the time-limit
//! clock (working days, pauses, extensions, the yellow warning) and e-certificates.

pub mod certificate;
pub mod clock;

use serde::{Deserialize, Serialize};

use tongban_kernel::{Error, Role, TimeLimit, TimeUnit};

/// One step of an item's process, as the catalogue publishes it.
#[derive(Debug, Clone, Deserialize)]
pub struct StepSpec {
    pub name: String,
    pub role: String,
    pub time_limit: Option<LimitSpec>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct LimitSpec {
    pub value: u32,
    pub unit: String,
}

/// A step of a work item as it is created.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedStep {
    pub name: String,
    pub role: Role,
    pub limit: TimeLimit,
    /// Done when the work item opens: the window's acceptance step (受理) was the front
    /// office's work.
    pub done_at_acceptance: bool,
}

/// The name of the step a work item gets when its item lists no back-office step at all
/// (an immediate item the window took in): somebody still has to conclude it.
pub const IMPLIED_STEP: &str = "办结";

/// The steps of a work item from its item's process: the leading window steps are done at
/// acceptance; every later step is the back office's, with the role the catalogue names.
pub fn plan(steps: &[StepSpec]) -> Vec<PlannedStep> {
    let mut planned = Vec::with_capacity(steps.len() + 1);
    let mut front = true;
    for step in steps {
        let role = step.role.parse().unwrap_or(Role::Approver);
        front &= role == Role::WindowClerk;
        planned.push(PlannedStep {
            name: step.name.clone(),
            role,
            limit: step
                .time_limit
                .as_ref()
                .map_or(TimeLimit::working_days(0), |l| TimeLimit {
                    value: l.value,
                    unit: TimeUnit::named(&l.unit),
                }),
            done_at_acceptance: front,
        });
    }
    if planned.iter().all(|s| s.done_at_acceptance) {
        planned.push(PlannedStep {
            name: IMPLIED_STEP.to_owned(),
            role: Role::Approver,
            limit: TimeLimit::working_days(0),
            done_at_acceptance: false,
        });
    }
    planned
}

/// What a staff member does with the open step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StepAction {
    Claim,
    Complete,
    Return,
    Decide,
}

/// Where a step stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum StepState {
    /// Not reached yet.
    Pending,
    /// Reached, waiting for somebody to claim it (签收).
    Open,
    /// Somebody is working on it.
    Claimed,
    Done,
}

impl StepState {
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "pending" => Self::Pending,
            "open" => Self::Open,
            "claimed" => Self::Claimed,
            "done" => Self::Done,
            _ => return None,
        })
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
    assignee: Option<uuid::Uuid>,
    actor: uuid::Uuid,
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

/// A written text of 1 to `max` characters, trimmed; 400 naming `field` otherwise.
pub fn written(field: &str, text: Option<&str>, max: usize) -> Result<String, Error> {
    let text = text.map(str::trim).unwrap_or_default();
    if text.is_empty() || text.chars().count() > max {
        return Err(Error::bad_request(
            field,
            format!("a written {field} of 1 to {max} characters is required"),
        ));
    }
    Ok(text.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn step(name: &str, role: &str, days: u32) -> StepSpec {
        StepSpec {
            name: name.into(),
            role: role.into(),
            time_limit: Some(LimitSpec {
                value: days,
                unit: "working_days".into(),
            }),
        }
    }

    #[test]
    fn the_window_step_is_done_at_acceptance_and_the_rest_are_the_back_offices() {
        let planned = plan(&[
            step("受理", "window_clerk", 1),
            step("审核", "approver", 2),
            step("批准", "approver", 1),
        ]);
        assert_eq!(
            planned
                .iter()
                .map(|s| (s.name.as_str(), s.done_at_acceptance))
                .collect::<Vec<_>>(),
            [("受理", true), ("审核", false), ("批准", false)]
        );
        assert_eq!(planned[1].limit, TimeLimit::working_days(2));
    }

    #[test]
    fn an_item_without_back_office_steps_still_gets_one_to_conclude_it() {
        let planned = plan(&[step("受理登记", "window_clerk", 0)]);
        assert_eq!(planned.len(), 2);
        assert_eq!(planned[1].name, IMPLIED_STEP);
        assert_eq!(planned[1].role, Role::Approver);
    }

    #[test]
    fn steps_are_claimed_completed_and_decided_in_order_by_their_holder() {
        let me = uuid::Uuid::now_v7();
        let other = uuid::Uuid::now_v7();
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

    #[test]
    fn written_texts_are_required_and_bounded() {
        assert!(written("reason", None, 10).is_err());
        assert!(written("reason", Some("  "), 10).is_err());
        assert!(written("reason", Some("太长了太长了太长了太长了"), 10).is_err());
        assert_eq!(
            written("reason", Some(" 材料不实 "), 10).unwrap(),
            "材料不实"
        );
    }
}
