//! Cross-region hand-overs (跨域通办): volume and hand-over time by region pair.

use sqlx::PgConnection;

use tongban_bus::{Delivered, HandleError, On, field};
use tongban_events::crossregion::v1::{
    ResultReturned, TransferAccepted, TransferCompleted, TransferRef, TransferRejected,
    TransferSent,
};

use super::support::{day, required, seen};
use crate::db::facts::{self, CaseFacts, TransferFacts, TransferStep};

pub struct Transfers;

impl On<TransferSent> for Transfers {
    async fn on(
        &self,
        tx: &mut PgConnection,
        sent: TransferSent,
        event: &Delivered,
    ) -> Result<(), HandleError> {
        let at = event.instant(sent.sent_at);
        step(
            tx,
            event,
            sent.transfer,
            TransferStep::Sent { at, on: day(at) },
        )
        .await
    }
}

impl On<TransferAccepted> for Transfers {
    async fn on(
        &self,
        tx: &mut PgConnection,
        accepted: TransferAccepted,
        event: &Delivered,
    ) -> Result<(), HandleError> {
        let answered = TransferStep::Answered {
            accepted: true,
            at: event.instant(accepted.accepted_at),
            on_time: accepted.on_time,
        };
        step(tx, event, accepted.transfer, answered).await
    }
}

impl On<TransferRejected> for Transfers {
    async fn on(
        &self,
        tx: &mut PgConnection,
        rejected: TransferRejected,
        event: &Delivered,
    ) -> Result<(), HandleError> {
        let answered = TransferStep::Answered {
            accepted: false,
            at: event.instant(rejected.rejected_at),
            on_time: rejected.on_time,
        };
        step(tx, event, rejected.transfer, answered).await
    }
}

impl On<ResultReturned> for Transfers {
    async fn on(
        &self,
        tx: &mut PgConnection,
        returned: ResultReturned,
        event: &Delivered,
    ) -> Result<(), HandleError> {
        let at = event.instant(returned.concluded_at);
        step(tx, event, returned.transfer, TransferStep::Returned { at }).await
    }
}

impl On<TransferCompleted> for Transfers {
    async fn on(
        &self,
        tx: &mut PgConnection,
        completed: TransferCompleted,
        event: &Delivered,
    ) -> Result<(), HandleError> {
        let completed_step = TransferStep::Completed {
            at: event.instant(completed.delivered_at),
            on_time: completed.on_time,
        };
        step(tx, event, completed.transfer, completed_step).await
    }
}

/// Records a step of `transfer`, and its case.
async fn step(
    tx: &mut PgConnection,
    event: &Delivered,
    transfer: Option<TransferRef>,
    step: TransferStep,
) -> Result<(), HandleError> {
    let transfer = required("transfer", transfer.as_ref())?;
    // The case may not be known yet (topics arrive in any order): a rejection sends it
    // back, which must not be lost.
    facts::case(tx, &case_facts(transfer)?, None).await?;
    facts::transfer(tx, &transfer_facts(transfer)?, step).await?;
    seen(tx, event).await
}

fn case_facts(transfer: &TransferRef) -> Result<CaseFacts, HandleError> {
    Ok(CaseFacts {
        case_id: field::uuid("case_id", &transfer.case_id)?,
        case_number: (!transfer.case_number.is_empty()).then(|| transfer.case_number.clone()),
        kind: if transfer.kind == "part" {
            "part"
        } else {
            "item"
        }
        .to_owned(),
        parent_case_id: field::optional_uuid("parent_case_id", &transfer.parent_case_id)?,
        implementation_code: transfer.implementation_code.clone(),
        receiving_region: transfer.receiving_region.clone(),
        handling_region: transfer.handling_region.clone(),
        mode: transfer.mode.clone(),
        ..Default::default()
    })
}

fn transfer_facts(transfer: &TransferRef) -> Result<TransferFacts, HandleError> {
    Ok(TransferFacts {
        transfer_id: field::uuid("transfer_id", &transfer.transfer_id)?,
        case_id: field::uuid("case_id", &transfer.case_id)?,
        round: transfer.round.max(1) as i32,
        implementation_code: transfer.implementation_code.clone(),
        mode: transfer.mode.clone(),
        receiving_region: transfer.receiving_region.clone(),
        handling_region: transfer.handling_region.clone(),
    })
}
