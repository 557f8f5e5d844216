//! Deciding a case at its last step: approved (results issued, e-certificates sealed) or
//! refused with the reason. A part's bundle concludes with its last part.

use chrono::NaiveDate;
use serde_json::json;
use sqlx::PgConnection;
use uuid::Uuid;

use tongban_events::approval::v1 as events;
use tongban_kernel::{Error, Principal};

use super::action::checked_step;
use super::duties::mark;
use super::state::StepAction;
use super::store::{self, Change, Conclusion, Entry, Now, Row, StepChange, for_action};
use super::view::{WorkItem, detail};
use crate::AppState;
use crate::domain;

/// What the decider says.
pub struct Decision<'a> {
    pub approve: bool,
    pub reason: Option<&'a str>,
    pub opinion: &'a str,
    /// For certificates that expire.
    pub valid_until: Option<NaiveDate>,
}

/// The decider's opinion and reason, checked: a refusal needs a written reason; certificates
/// stay valid beyond today.
fn written(decision: &Decision<'_>, today: NaiveDate) -> Result<(String, String), Error> {
    let opinion = domain::written("opinion", Some(decision.opinion), 2000)?;
    let reason = if decision.approve {
        decision
            .reason
            .map(str::trim)
            .unwrap_or_default()
            .to_owned()
    } else {
        domain::written("reason", decision.reason, 1000)?
    };
    if let Some(until) = decision.valid_until
        && until <= today
    {
        return Err(Error::unprocessable(
            "valid_until",
            "a certificate's validity ends after today",
        ));
    }
    Ok((opinion, reason))
}

/// The working days the case took (its pauses left out) and whether it concluded on time.
async fn reckoning(tx: &mut PgConnection, row: &Row, now: Now) -> Result<(u32, bool), Error> {
    let calendar = tongban_calendar::load(tx, &row.handling_region).await?;
    let pauses: Vec<_> = crate::clock::store::stops(tx, row.case_id)
        .await?
        .iter()
        .filter_map(|s| s.as_pause(now.today))
        .collect();
    let used = calendar
        .working_days_between(row.accepted_on, now.today, &pauses)
        .unwrap_or(0)
        .max(0) as u32;
    let on_time = row.due_date.is_none_or(|due| now.today <= due);
    Ok((used, on_time))
}

/// Decides the case at its last step: approved (results issued, e-certificates sealed) or
/// refused with the reason. A part's bundle concludes with its last part.
pub async fn decide(
    state: &AppState,
    principal: &Principal,
    id: Uuid,
    position: i32,
    decision: Decision<'_>,
    revision: Option<i32>,
) -> Result<WorkItem, Error> {
    let now = state.now();
    let vault = &state.vault;
    let (opinion, reason) = written(&decision, now.today)?;
    let mut tx = state.pool.begin().await?;
    let row = for_action(&mut tx, principal, id, revision).await?;
    let step = checked_step(&mut tx, principal, &row, position, StepAction::Decide).await?;
    let done = StepChange::Done {
        position,
        opinion: &opinion,
        by: principal.account,
        at: now.at,
    };
    store::change_step(&mut tx, id, done).await?;
    let (used, on_time) = reckoning(&mut tx, &row, now).await?;
    let conclusion = Conclusion {
        approve: decision.approve,
        reason: Some(reason.clone()).filter(|r| !r.is_empty()),
        decided_by: principal.account,
        on_time,
        working_days_used: used as i32,
    };
    let row = store::apply(&mut tx, &row, Change::Concluded(&conclusion, now)).await?;
    let to = row.state;
    let results = if decision.approve {
        let issuing = crate::certificate::issue::Issuing {
            vault,
            row: &row,
            valid_until: decision.valid_until,
            now,
            by: principal.account,
        };
        crate::certificate::issue::issue_results(&mut tx, &issuing).await?
    } else {
        Vec::new()
    };
    let marked = json!({
        "step": step.name, "opinion": opinion, "reason": reason, "on_time": on_time,
        "working_days_used": used,
        "results": results.iter().map(|r| json!({ "name": r.name, "certificate_id": r.certificate_id })).collect::<Vec<_>>(),
    });
    let (excepted, action) = (step.excepted.as_ref(), to.as_str());
    let marked = mark(&mut tx, excepted, principal, &row, action, marked, now.at).await?;
    let entry = Entry {
        at: now.at,
        actor: Some(principal.account),
        action,
        step: Some(position),
        detail: marked,
    };
    let event = events::CaseConcluded {
        case_id: row.case_id.to_string(),
        case_number: row.case_number.clone(),
        decision: action.to_owned(),
        reason,
        results,
        decided_by: principal.account.to_string(),
        concluded_at: Some(tongban_events::timestamp(now.at)),
        work: Some(row.work_ref()),
        on_time,
        due_date: row.due_date.map(|d| d.to_string()).unwrap_or_default(),
        working_days_used: used,
    };
    store::record(&mut tx, &row, entry, Some(&event)).await?;
    if let Some(parent) = row.parent_case_id {
        crate::db::joint::conclude_joint(&mut tx, parent, now).await?;
    }
    let item = detail(&mut tx, row, now.today).await?;
    tx.commit().await?;
    Ok(item)
}
