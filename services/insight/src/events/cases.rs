//! Cases from acceptance's events (their status, days, visits, delivery) and approval's
//! (the conclusion with its time limit kept or missed, the red flag).

use sqlx::PgConnection;

use tongban_bus::{Delivered, HandleError, On, field};
use tongban_events::acceptance::v1::{
    CaseAccepted, CaseDelivered, CaseRef, CaseRefused, CaseSubmitted, CaseWithdrawn,
    CorrectionRequested, VisitRecorded,
};
use tongban_events::approval::v1::{CaseConcluded, CaseOverdue, WorkRef};

use super::support::{day, required, seen};
use crate::db::facts;

pub struct Cases;

impl On<CaseSubmitted> for Cases {
    async fn on(
        &self,
        tx: &mut PgConnection,
        submitted: CaseSubmitted,
        event: &Delivered,
    ) -> Result<(), HandleError> {
        let case = status(tx, event, submitted.case.as_ref(), "submitted").await?;
        let at = event.instant(submitted.submitted_at);
        facts::submitted(tx, case, day(at)).await?;
        seen(tx, event).await
    }
}

impl On<CorrectionRequested> for Cases {
    async fn on(
        &self,
        tx: &mut PgConnection,
        requested: CorrectionRequested,
        event: &Delivered,
    ) -> Result<(), HandleError> {
        status(tx, event, requested.case.as_ref(), "needs_correction").await?;
        seen(tx, event).await
    }
}

impl On<CaseAccepted> for Cases {
    async fn on(
        &self,
        tx: &mut PgConnection,
        accepted: CaseAccepted,
        event: &Delivered,
    ) -> Result<(), HandleError> {
        let case = status(tx, event, accepted.case.as_ref(), "accepted").await?;
        let at = event.instant(accepted.accepted_at);
        let due = field::optional_date("due_date", &accepted.due_date)?;
        facts::accepted(tx, case, accepted.round.max(1) as i32, day(at), due).await?;
        seen(tx, event).await
    }
}

impl On<CaseRefused> for Cases {
    async fn on(
        &self,
        tx: &mut PgConnection,
        refused: CaseRefused,
        event: &Delivered,
    ) -> Result<(), HandleError> {
        status(tx, event, refused.case.as_ref(), "refused").await?;
        seen(tx, event).await
    }
}

impl On<CaseWithdrawn> for Cases {
    async fn on(
        &self,
        tx: &mut PgConnection,
        withdrawn: CaseWithdrawn,
        event: &Delivered,
    ) -> Result<(), HandleError> {
        status(tx, event, withdrawn.case.as_ref(), "withdrawn").await?;
        seen(tx, event).await
    }
}

impl On<VisitRecorded> for Cases {
    async fn on(
        &self,
        tx: &mut PgConnection,
        visit: VisitRecorded,
        event: &Delivered,
    ) -> Result<(), HandleError> {
        let case = required("case", visit.case.as_ref())?;
        let facts = case_facts(case)?;
        facts::case(tx, &facts, None).await?;
        let visits = visit.visits.max(case.visits);
        facts::visits(tx, facts.case_id, visits as i32).await?;
        seen(tx, event).await
    }
}

impl On<CaseDelivered> for Cases {
    async fn on(
        &self,
        tx: &mut PgConnection,
        delivered: CaseDelivered,
        event: &Delivered,
    ) -> Result<(), HandleError> {
        let case = status(tx, event, delivered.case.as_ref(), "delivered").await?;
        facts::delivered(tx, case, event.instant(delivered.delivered_at)).await?;
        seen(tx, event).await
    }
}

impl On<CaseConcluded> for Cases {
    async fn on(
        &self,
        tx: &mut PgConnection,
        concluded: CaseConcluded,
        event: &Delivered,
    ) -> Result<(), HandleError> {
        let work = required("work", concluded.work.as_ref())?;
        let case = work_facts(work)?;
        facts::case(tx, &case, None).await?;
        let at = event.instant(concluded.concluded_at);
        let conclusion = facts::Conclusion {
            decision: concluded.decision.clone(),
            at,
            on: day(at),
            on_time: concluded.on_time,
            working_days_used: concluded.working_days_used as i32,
            due_date: field::optional_date("due_date", &concluded.due_date)?,
        };
        facts::concluded(tx, case.case_id, &conclusion).await?;
        seen(tx, event).await
    }
}

impl On<CaseOverdue> for Cases {
    async fn on(
        &self,
        tx: &mut PgConnection,
        overdue: CaseOverdue,
        event: &Delivered,
    ) -> Result<(), HandleError> {
        let case = work_facts(required("work", overdue.work.as_ref())?)?;
        facts::case(tx, &case, None).await?;
        facts::overdue(tx, case.case_id).await?;
        seen(tx, event).await
    }
}

/// Records the case with the status an acceptance event gives it, and its visits so far;
/// returns its id.
async fn status(
    tx: &mut PgConnection,
    event: &Delivered,
    case: Option<&CaseRef>,
    status: &str,
) -> Result<uuid::Uuid, HandleError> {
    let facts = case_facts(required("case", case)?)?;
    facts::case(tx, &facts, Some((status, event.offset))).await?;
    Ok(facts.case_id)
}

fn case_facts(case: &CaseRef) -> Result<facts::CaseFacts, HandleError> {
    Ok(facts::CaseFacts {
        case_id: field::uuid("case_id", &case.case_id)?,
        case_number: (!case.case_number.is_empty()).then(|| case.case_number.clone()),
        kind: non_empty(&case.kind, "item"),
        parent_case_id: field::optional_uuid("parent_case_id", &case.parent_case_id)?,
        implementation_code: case.implementation_code.clone(),
        receiving_region: case.receiving_region.clone(),
        handling_region: case.handling_region.clone(),
        channel: case.channel.clone(),
        mode: non_empty(&case.mode, "local"),
        applicant_kind: case.applicant_kind.clone(),
        visits: case.visits as i32,
    })
}

/// What approval's events say about a case; the rest comes with acceptance's.
fn work_facts(work: &WorkRef) -> Result<facts::CaseFacts, HandleError> {
    Ok(facts::CaseFacts {
        case_id: field::uuid("work.case_id", &work.case_id)?,
        case_number: (!work.case_number.is_empty()).then(|| work.case_number.clone()),
        kind: non_empty(&work.kind, "item"),
        parent_case_id: field::optional_uuid("work.parent_case_id", &work.parent_case_id)?,
        implementation_code: work.implementation_code.clone(),
        receiving_region: work.receiving_region.clone(),
        handling_region: work.handling_region.clone(),
        mode: "local".to_owned(),
        ..Default::default()
    })
}

fn non_empty(value: &str, default: &str) -> String {
    if value.is_empty() { default } else { value }.to_owned()
}
