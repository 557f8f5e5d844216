//! The back office's progress in the applicant's case history: approval's step events become
//! history entries of the case (the step reached, the clock paused with the written notice,
//! resumed or extended with the new due date, moved by a calendar change, overdue), and a moved
//! due date becomes the case's (and its application's, when it is the part due last).
//! Staff opinions stay in approval: the applicant sees what happened, not the internal notes.

use chrono::{DateTime, Utc};
use serde_json::{Value, json};
use sqlx::PgConnection;

use tongban_bus::{Delivered, HandleError, On, field};
use tongban_events::approval::v1::{
    CaseOverdue, ClockPaused, ClockResumed, DueDateRecalculated, StepClaimed, StepCompleted,
    StepReturned, TimeLimitExtended, WorkItemOpened, WorkRef,
};

pub struct BackOfficeProgress;

impl On<WorkItemOpened> for BackOfficeProgress {
    async fn on(
        &self,
        tx: &mut PgConnection,
        e: WorkItemOpened,
        event: &Delivered,
    ) -> Result<(), HandleError> {
        let detail = json!({ "due_date": e.due_date });
        progress(tx, event, e.work, "back_office_opened", detail, None).await
    }
}

impl On<StepClaimed> for BackOfficeProgress {
    async fn on(
        &self,
        tx: &mut PgConnection,
        e: StepClaimed,
        event: &Delivered,
    ) -> Result<(), HandleError> {
        let detail = json!({ "step": e.step, "step_name": e.step_name });
        progress(tx, event, e.work, "step_started", detail, None).await
    }
}

impl On<StepCompleted> for BackOfficeProgress {
    async fn on(
        &self,
        tx: &mut PgConnection,
        e: StepCompleted,
        event: &Delivered,
    ) -> Result<(), HandleError> {
        let detail = json!({ "step": e.step, "step_name": e.step_name });
        progress(tx, event, e.work, "step_completed", detail, None).await
    }
}

impl On<StepReturned> for BackOfficeProgress {
    async fn on(
        &self,
        tx: &mut PgConnection,
        e: StepReturned,
        event: &Delivered,
    ) -> Result<(), HandleError> {
        let detail = json!({ "from_step": e.from_step, "to_step": e.to_step, "to_step_name": e.to_step_name });
        progress(tx, event, e.work, "step_returned", detail, None).await
    }
}

impl On<ClockPaused> for BackOfficeProgress {
    async fn on(
        &self,
        tx: &mut PgConnection,
        e: ClockPaused,
        event: &Delivered,
    ) -> Result<(), HandleError> {
        let detail = json!({ "kind": e.kind, "notice": e.notice, "paused_on": e.paused_on });
        progress(tx, event, e.work, "clock_paused", detail, None).await
    }
}

impl On<ClockResumed> for BackOfficeProgress {
    async fn on(
        &self,
        tx: &mut PgConnection,
        e: ClockResumed,
        event: &Delivered,
    ) -> Result<(), HandleError> {
        let detail = json!({ "kind": e.kind, "paused_working_days": e.paused_working_days, "due_date": e.due_date });
        progress(tx, event, e.work, "clock_resumed", detail, Some(e.due_date)).await
    }
}

impl On<TimeLimitExtended> for BackOfficeProgress {
    async fn on(
        &self,
        tx: &mut PgConnection,
        e: TimeLimitExtended,
        event: &Delivered,
    ) -> Result<(), HandleError> {
        let detail =
            json!({ "working_days": e.working_days, "reason": e.reason, "due_date": e.due_date });
        progress(
            tx,
            event,
            e.work,
            "time_limit_extended",
            detail,
            Some(e.due_date),
        )
        .await
    }
}

impl On<DueDateRecalculated> for BackOfficeProgress {
    async fn on(
        &self,
        tx: &mut PgConnection,
        e: DueDateRecalculated,
        event: &Delivered,
    ) -> Result<(), HandleError> {
        let detail = json!({ "previous_due_date": e.previous_due_date, "due_date": e.due_date });
        progress(
            tx,
            event,
            e.work,
            "due_date_recalculated",
            detail,
            Some(e.due_date),
        )
        .await
    }
}

impl On<CaseOverdue> for BackOfficeProgress {
    async fn on(
        &self,
        tx: &mut PgConnection,
        e: CaseOverdue,
        event: &Delivered,
    ) -> Result<(), HandleError> {
        let detail = json!({ "due_date": e.due_date });
        progress(tx, event, e.work, "overdue", detail, None).await
    }
}

/// What an approval event means for the case of its work item: a history entry (`action`,
/// with what the applicant sees in `detail`), and a new due date when it moved one.
async fn progress(
    tx: &mut PgConnection,
    event: &Delivered,
    work: Option<WorkRef>,
    action: &'static str,
    detail: Value,
    due: Option<String>,
) -> Result<(), HandleError> {
    let work = work
        .ok_or_else(|| HandleError::Permanent("an approval event without its work item".into()))?;
    let case = field::uuid("case_id", &work.case_id)?;
    append(tx, case, action, detail, event.attributes.time).await?;
    if let Some(due) = due {
        let due = field::date("due_date", &due)?;
        move_due_date(tx, case, due).await?;
    }
    Ok(())
}

/// The accepted case's new due date, and its application's: a 一件事 application is due when
/// its last part is.
async fn move_due_date(
    tx: &mut PgConnection,
    case: uuid::Uuid,
    due: chrono::NaiveDate,
) -> Result<(), sqlx::Error> {
    crate::case::store::move_due_date(tx, case, due).await
}

/// Appends to the case's history at its current status; a case acceptance does not know
/// (another deployment's) is passed over.
async fn append(
    tx: &mut PgConnection,
    case: uuid::Uuid,
    action: &str,
    detail: Value,
    at: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    let entry = tongban_bus::aggregate::Entry::new(at, None, action, detail);
    crate::case::store::note_progress(tx, case, entry).await
}
