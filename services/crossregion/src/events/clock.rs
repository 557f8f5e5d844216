//! The clock of a transferred case as the handling region's back office runs it (approval's
//! pauses, resumptions, extensions, recalculations and red escalation), kept on the transfer so
//! the receiving hall sees it too.

use futures::future::BoxFuture;
use sqlx::PgConnection;
use uuid::Uuid;

use tongban_bus::{Delivered, HandleError, Handler, field};
use tongban_events::Event;
use tongban_events::approval::v1::{
    CaseOverdue, ClockPaused, ClockResumed, DueDateRecalculated, TimeLimitExtended, WorkRef,
};

use crate::db::transfers::{self, ClockChange};

pub struct CaseClock;

fn case_of(work: Option<&WorkRef>) -> Result<Uuid, HandleError> {
    let work =
        work.ok_or_else(|| HandleError::Permanent("a work item event without its work".into()))?;
    field::uuid("case_id", &work.case_id)
}

fn date(value: &str) -> Result<chrono::NaiveDate, HandleError> {
    field::date("due_date", value)
}

impl Handler for CaseClock {
    fn handles(&self, ce_type: &str) -> bool {
        [
            ClockPaused::TYPE,
            ClockResumed::TYPE,
            TimeLimitExtended::TYPE,
            DueDateRecalculated::TYPE,
            CaseOverdue::TYPE,
        ]
        .contains(&ce_type)
    }

    fn handle<'a>(
        &'a self,
        tx: &'a mut PgConnection,
        event: &'a Delivered,
    ) -> BoxFuture<'a, Result<(), HandleError>> {
        Box::pin(async move {
            let (case_id, change) = match event.attributes.ce_type.as_str() {
                ClockPaused::TYPE => {
                    let e: ClockPaused = event.decode()?;
                    (case_of(e.work.as_ref())?, ClockChange::Paused)
                }
                ClockResumed::TYPE => {
                    let e: ClockResumed = event.decode()?;
                    (
                        case_of(e.work.as_ref())?,
                        ClockChange::Resumed(date(&e.due_date)?),
                    )
                }
                TimeLimitExtended::TYPE => {
                    let e: TimeLimitExtended = event.decode()?;
                    (
                        case_of(e.work.as_ref())?,
                        ClockChange::Due(date(&e.due_date)?),
                    )
                }
                DueDateRecalculated::TYPE => {
                    let e: DueDateRecalculated = event.decode()?;
                    (
                        case_of(e.work.as_ref())?,
                        ClockChange::Due(date(&e.due_date)?),
                    )
                }
                CaseOverdue::TYPE => {
                    let e: CaseOverdue = event.decode()?;
                    (case_of(e.work.as_ref())?, ClockChange::Overdue)
                }
                other => {
                    return Err(HandleError::Permanent(format!("not handled here: {other}")));
                }
            };
            // Cases that were not transferred change nothing here.
            transfers::clock_changed(tx, case_id, change).await?;
            Ok(())
        })
    }
}
