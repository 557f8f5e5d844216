//! The back office's progress in the applicant's case history: approval's step events become
//! history entries of the case (the step reached, the clock paused with the written notice,
//! resumed or extended with the new due date, moved by a calendar change, overdue), and a moved
//! due date becomes the case's (and its application's, when it is the part due last).
//! Staff opinions stay in approval: the applicant sees what happened, not the internal notes.

use chrono::{DateTime, Utc};
use futures::future::BoxFuture;
use serde_json::{Value, json};
use sqlx::PgConnection;

use tongban_bus::{Delivered, HandleError, Handler, field};
use tongban_events::Event;
use tongban_events::approval::v1::{
    CaseOverdue, ClockPaused, ClockResumed, DueDateRecalculated, StepClaimed, StepCompleted,
    StepReturned, TimeLimitExtended, WorkItemOpened, WorkRef,
};

pub struct BackOfficeProgress;

const TYPES: [&str; 9] = [
    WorkItemOpened::TYPE,
    StepClaimed::TYPE,
    StepCompleted::TYPE,
    StepReturned::TYPE,
    ClockPaused::TYPE,
    ClockResumed::TYPE,
    TimeLimitExtended::TYPE,
    CaseOverdue::TYPE,
    DueDateRecalculated::TYPE,
];

impl Handler for BackOfficeProgress {
    fn handles(&self, ce_type: &str) -> bool {
        TYPES.contains(&ce_type)
    }

    fn handle<'a>(
        &'a self,
        tx: &'a mut PgConnection,
        event: &'a Delivered,
    ) -> BoxFuture<'a, Result<(), HandleError>> {
        Box::pin(async move {
            let (work, action, detail, due) = progress_of(event)?;
            let work = work.ok_or_else(|| {
                HandleError::Permanent("an approval event without its work item".into())
            })?;
            let case = field::uuid("case_id", &work.case_id)?;
            append(tx, case, action, detail, event.attributes.time).await?;
            if let Some(due) = due {
                let due = field::date("due_date", &due)?;
                move_due_date(tx, case, due).await?;
            }
            Ok(())
        })
    }
}

/// What an approval event means for the case: the work item, the history action, what the
/// applicant sees, a new due date.
type Progress = (Option<WorkRef>, &'static str, Value, Option<String>);

fn progress_of(event: &Delivered) -> Result<Progress, HandleError> {
    Ok(match event.attributes.ce_type.as_str() {
        WorkItemOpened::TYPE => {
            let e: WorkItemOpened = event.decode()?;
            (
                e.work,
                "back_office_opened",
                json!({ "due_date": e.due_date }),
                None,
            )
        }
        StepClaimed::TYPE => {
            let e: StepClaimed = event.decode()?;
            (
                e.work,
                "step_started",
                json!({ "step": e.step, "step_name": e.step_name }),
                None,
            )
        }
        StepCompleted::TYPE => {
            let e: StepCompleted = event.decode()?;
            (
                e.work,
                "step_completed",
                json!({ "step": e.step, "step_name": e.step_name }),
                None,
            )
        }
        StepReturned::TYPE => {
            let e: StepReturned = event.decode()?;
            (
                e.work,
                "step_returned",
                json!({ "from_step": e.from_step, "to_step": e.to_step, "to_step_name": e.to_step_name }),
                None,
            )
        }
        ClockPaused::TYPE => {
            let e: ClockPaused = event.decode()?;
            (
                e.work,
                "clock_paused",
                json!({ "kind": e.kind, "notice": e.notice, "paused_on": e.paused_on }),
                None,
            )
        }
        other => return clock_progress_of(event, other),
    })
}

/// The events that move the due date, and the overdue flag.
fn clock_progress_of(event: &Delivered, ce_type: &str) -> Result<Progress, HandleError> {
    Ok(match ce_type {
        ClockResumed::TYPE => {
            let e: ClockResumed = event.decode()?;
            let detail = json!({ "kind": e.kind, "paused_working_days": e.paused_working_days, "due_date": e.due_date });
            (e.work, "clock_resumed", detail, Some(e.due_date))
        }
        TimeLimitExtended::TYPE => {
            let e: TimeLimitExtended = event.decode()?;
            let detail = json!({ "working_days": e.working_days, "reason": e.reason, "due_date": e.due_date });
            (e.work, "time_limit_extended", detail, Some(e.due_date))
        }
        DueDateRecalculated::TYPE => {
            let e: DueDateRecalculated = event.decode()?;
            let detail =
                json!({ "previous_due_date": e.previous_due_date, "due_date": e.due_date });
            (e.work, "due_date_recalculated", detail, Some(e.due_date))
        }
        CaseOverdue::TYPE => {
            let e: CaseOverdue = event.decode()?;
            (e.work, "overdue", json!({ "due_date": e.due_date }), None)
        }
        other => {
            return Err(HandleError::Permanent(format!("not handled here: {other}")));
        }
    })
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
