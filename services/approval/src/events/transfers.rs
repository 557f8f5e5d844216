//! The crossregion service's answers to transfers: a transferred case's work item may be worked
//! once the handling region took the transfer over, and leaves the queue when it was rejected.

use futures::future::BoxFuture;
use sqlx::PgConnection;
use uuid::Uuid;

use tongban_bus::{Delivered, HandleError, Handler, field};
use tongban_events::Event;
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

impl Handler for TransferAnswers {
    fn handles(&self, ce_type: &str) -> bool {
        [TransferAccepted::TYPE, TransferRejected::TYPE].contains(&ce_type)
    }

    fn handle<'a>(
        &'a self,
        tx: &'a mut PgConnection,
        event: &'a Delivered,
    ) -> BoxFuture<'a, Result<(), HandleError>> {
        Box::pin(async move {
            let (case_id, round, accepted, reason, by, at) = match event.attributes.ce_type.as_str()
            {
                TransferAccepted::TYPE => {
                    let answer: TransferAccepted = event.decode()?;
                    let (case_id, round) = case_of(answer.transfer.as_ref())?;
                    (
                        case_id,
                        round,
                        true,
                        String::new(),
                        answer.accepted_by,
                        event.instant(answer.accepted_at),
                    )
                }
                TransferRejected::TYPE => {
                    let answer: TransferRejected = event.decode()?;
                    let (case_id, round) = case_of(answer.transfer.as_ref())?;
                    (
                        case_id,
                        round,
                        false,
                        format!("{}: {}", answer.reason_kind, answer.reason),
                        answer.rejected_by,
                        event.instant(answer.rejected_at),
                    )
                }
                other => {
                    return Err(HandleError::Permanent(format!("not handled here: {other}")));
                }
            };
            transfer::answer_transfer(
                tx,
                case_id,
                round,
                accepted,
                &reason,
                Uuid::parse_str(&by).ok(),
                at,
            )
            .await?;
            Ok(())
        })
    }
}
