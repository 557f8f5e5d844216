//! Cross-region hand-overs (跨域通办): volume and hand-over time by region pair.

use futures::future::BoxFuture;
use sqlx::PgConnection;

use tongban_bus::{Delivered, HandleError, Handler, field};
use tongban_events::Event;
use tongban_events::crossregion::v1::{
    ResultReturned, TransferAccepted, TransferCompleted, TransferRef, TransferRejected,
    TransferSent,
};

use super::support::{day, required};
use crate::db::facts::{self, CaseFacts, TransferFacts, TransferStep};
use crate::db::feed;

pub struct Transfers;

impl Handler for Transfers {
    fn handles(&self, ce_type: &str) -> bool {
        [
            TransferSent::TYPE,
            TransferAccepted::TYPE,
            TransferRejected::TYPE,
            ResultReturned::TYPE,
            TransferCompleted::TYPE,
        ]
        .contains(&ce_type)
    }

    fn handle<'a>(
        &'a self,
        tx: &'a mut PgConnection,
        event: &'a Delivered,
    ) -> BoxFuture<'a, Result<(), HandleError>> {
        Box::pin(async move {
            let (transfer, step) = match event.attributes.ce_type.as_str() {
                TransferSent::TYPE => {
                    let sent: TransferSent = event.decode()?;
                    let at = event.instant(sent.sent_at);
                    (sent.transfer, TransferStep::Sent { at, on: day(at) })
                }
                TransferAccepted::TYPE => {
                    let accepted: TransferAccepted = event.decode()?;
                    let step = TransferStep::Answered {
                        accepted: true,
                        at: event.instant(accepted.accepted_at),
                        on_time: accepted.on_time,
                    };
                    (accepted.transfer, step)
                }
                TransferRejected::TYPE => {
                    let rejected: TransferRejected = event.decode()?;
                    let step = TransferStep::Answered {
                        accepted: false,
                        at: event.instant(rejected.rejected_at),
                        on_time: rejected.on_time,
                    };
                    (rejected.transfer, step)
                }
                ResultReturned::TYPE => {
                    let returned: ResultReturned = event.decode()?;
                    let at = event.instant(returned.concluded_at);
                    (returned.transfer, TransferStep::Returned { at })
                }
                _ => {
                    let completed: TransferCompleted = event.decode()?;
                    let step = TransferStep::Completed {
                        at: event.instant(completed.delivered_at),
                        on_time: completed.on_time,
                    };
                    (completed.transfer, step)
                }
            };
            let transfer = required("transfer", transfer.as_ref())?;
            // The case may not be known yet (topics arrive in any order): a rejection sends it
            // back, which must not be lost.
            facts::case(tx, &case_facts(transfer)?, None).await?;
            facts::transfer(tx, &transfer_facts(transfer)?, step).await?;
            feed::seen(tx, event.attributes.time).await?;
            Ok(())
        })
    }
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
