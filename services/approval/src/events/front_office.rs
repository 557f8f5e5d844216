//! Acceptance's ends of a case before its decision: a withdrawal (CaseWithdrawn) or a refusal
//! at the window (CaseRefused) closes the case's work item, if it has one still undecided.
//! Read by the same consumer group as CaseAccepted (`accepted-cases`): one case's events share
//! a partition, so a work item is always opened before its case's end is applied.

use sqlx::PgConnection;

use tongban_bus::{Delivered, HandleError, On, field};
use tongban_events::acceptance::v1::{CaseRef, CaseRefused, CaseWithdrawn};

use crate::work_item::end::{Ending, ended_by_front_office};

pub struct FrontOfficeEnds;

async fn end(
    tx: &mut PgConnection,
    case: Option<&CaseRef>,
    ending: Ending,
    reason: &str,
    at: chrono::DateTime<chrono::Utc>,
) -> Result<(), HandleError> {
    let case =
        case.ok_or_else(|| HandleError::Permanent("a case event without its case".into()))?;
    let case_id = field::uuid("case_id", &case.case_id)?;
    ended_by_front_office(tx, case_id, ending, reason, at).await?;
    Ok(())
}

impl On<CaseWithdrawn> for FrontOfficeEnds {
    async fn on(
        &self,
        tx: &mut PgConnection,
        withdrawn: CaseWithdrawn,
        event: &Delivered,
    ) -> Result<(), HandleError> {
        let at = event.instant(withdrawn.withdrawn_at);
        end(
            tx,
            withdrawn.case.as_ref(),
            Ending::Withdrawn,
            &withdrawn.reason,
            at,
        )
        .await
    }
}

impl On<CaseRefused> for FrontOfficeEnds {
    async fn on(
        &self,
        tx: &mut PgConnection,
        refused: CaseRefused,
        event: &Delivered,
    ) -> Result<(), HandleError> {
        let at = event.instant(refused.refused_at);
        end(
            tx,
            refused.case.as_ref(),
            Ending::RefusedAtWindow,
            &refused.reason,
            at,
        )
        .await
    }
}
