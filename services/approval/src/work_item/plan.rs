//! The steps a work item follows, planned from its item's process as the catalogue publishes
//! it, without I/O.

use serde::Deserialize;

use tongban_kernel::{Role, TimeLimit, TimeUnit};

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
}
