//! The crossregion service's answers to transfers: a transferred case's work item may be worked
//! once the handling region took the transfer over, and leaves the queue when it was rejected.

use sqlx::PgConnection;
use uuid::Uuid;

use tongban_bus::{Delivered, HandleError, On, field};
use tongban_events::crossregion::v1::{TransferAccepted, TransferRef, TransferRejected};

use crate::work_item::transfer;

pub struct TransferAnswers;

fn case_of(transfer: Option<&TransferRef>) -> Result<(Uuid, i32), HandleError> {
    let transfer = transfer
        .ok_or_else(|| HandleError::Permanent("a transfer event without its transfer".into()))?;
    Ok((
        field::uuid("case_id", &transfer.case_id)?,
        transfer.round as i32,
    ))
}

impl On<TransferAccepted> for TransferAnswers {
    async fn on(
        &self,
        tx: &mut PgConnection,
        answer: TransferAccepted,
        event: &Delivered,
    ) -> Result<(), HandleError> {
        let (case_id, round) = case_of(answer.transfer.as_ref())?;
        let by = Uuid::parse_str(&answer.accepted_by).ok();
        let at = event.instant(answer.accepted_at);
        transfer::answer_transfer(tx, case_id, round, true, "", by, at).await?;
        Ok(())
    }
}

impl On<TransferRejected> for TransferAnswers {
    async fn on(
        &self,
        tx: &mut PgConnection,
        answer: TransferRejected,
        event: &Delivered,
    ) -> Result<(), HandleError> {
        let (case_id, round) = case_of(answer.transfer.as_ref())?;
        let reason = format!("{}: {}", answer.reason_kind, answer.reason);
        let by = Uuid::parse_str(&answer.rejected_by).ok();
        let at = event.instant(answer.rejected_at);
        transfer::answer_transfer(tx, case_id, round, false, &reason, by, at).await?;
        Ok(())
    }
}
