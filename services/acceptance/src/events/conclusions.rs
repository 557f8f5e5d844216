//! Approval's conclusions (办结): the case's result awaits delivery at the window.

use anyhow::Context as _;
use serde_json::json;
use sqlx::PgConnection;

use tongban_bus::{Delivered, HandleError, On, field};
use tongban_events::approval::v1::CaseConcluded;

pub struct Conclusions;

impl On<CaseConcluded> for Conclusions {
    async fn on(
        &self,
        tx: &mut PgConnection,
        concluded: CaseConcluded,
        event: &Delivered,
    ) -> Result<(), HandleError> {
        let id = field::uuid("case_id", &concluded.case_id)?;
        if !["approved", "refused"].contains(&concluded.decision.as_str()) {
            return Err(HandleError::Permanent(format!(
                "decision {:?}",
                concluded.decision
            )));
        }
        let results = json!(
            concluded
                .results
                .iter()
                .map(|r| json!({ "name": r.name, "certificate_id": r.certificate_id }))
                .collect::<Vec<_>>()
        );
        let at = event.instant(concluded.concluded_at);
        let decided_by = field::optional_uuid("decided_by", &concluded.decided_by)?;
        let department = field::optional_uuid(
            "work.department_id",
            concluded
                .work
                .as_ref()
                .map(|w| w.department_id.as_str())
                .unwrap_or_default(),
        )?;
        let changed = crate::case::conclude::conclude(
            tx,
            id,
            &concluded.decision,
            &concluded.reason,
            results,
            at,
            decided_by,
            department,
        )
        .await
        .with_context(|| format!("concluding case {id}"))?;
        if !changed {
            tracing::warn!(case = %id, "a conclusion for a case not awaiting one was passed over");
        }
        Ok(())
    }
}
