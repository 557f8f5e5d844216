//! Follows transferred cases through the other services: acceptance's CaseAccepted sends a
//! transfer (when the case leaves the region that took it in), approval's CaseConcluded hands
//! the result back, acceptance's CaseDelivered ends it.

use futures::future::BoxFuture;
use sqlx::PgConnection;
use uuid::Uuid;

use tongban_bus::field::{optional_date, optional_uuid, uuid};
use tongban_bus::{Delivered, HandleError, Handler};
use tongban_events::Event;
use tongban_events::acceptance::v1::{CaseAccepted, CaseDelivered, CaseRef};
use tongban_events::approval::v1::CaseConcluded;

use crate::db::transfers::{self, Accepted, Delivery};

pub struct TransferredCases {
    /// Working days the handling region has to accept or reject a transfer.
    pub response_days: u32,
    /// Working days the receiving side has to deliver a returned result.
    pub delivery_days: u32,
}

fn case_of(case: Option<&CaseRef>) -> Result<&CaseRef, HandleError> {
    case.ok_or_else(|| HandleError::Permanent("a case event without its case".into()))
}

fn transient(err: tongban_kernel::Error) -> HandleError {
    HandleError::Transient(anyhow::anyhow!("{err}"))
}

impl Handler for TransferredCases {
    fn handles(&self, ce_type: &str) -> bool {
        [CaseAccepted::TYPE, CaseConcluded::TYPE, CaseDelivered::TYPE].contains(&ce_type)
    }

    fn handle<'a>(
        &'a self,
        tx: &'a mut PgConnection,
        event: &'a Delivered,
    ) -> BoxFuture<'a, Result<(), HandleError>> {
        Box::pin(async move {
            match event.attributes.ce_type.as_str() {
                CaseAccepted::TYPE => {
                    let accepted: CaseAccepted = event.decode()?;
                    let case = case_of(accepted.case.as_ref())?;
                    // Only a case leaving the region that took it in is transferred; a bundle
                    // moves through its parts.
                    if !["collect_elsewhere", "joint"].contains(&case.mode.as_str())
                        || case.kind == "bundle"
                    {
                        return Ok(());
                    }
                    let due_date = optional_date("due_date", &accepted.due_date)?;
                    let accepted = Accepted {
                        case_id: uuid("case_id", &case.case_id)?,
                        case_number: case.case_number.clone(),
                        round: accepted.round.max(1) as i32,
                        kind: if case.kind == "part" { "part" } else { "item" }.to_owned(),
                        parent_case_id: optional_uuid("parent_case_id", &case.parent_case_id)?,
                        mode: case.mode.clone(),
                        implementation_code: case.implementation_code.clone(),
                        item_version: case.item_version as i32,
                        receiving_region: case.receiving_region.clone(),
                        handling_region: case.handling_region.clone(),
                        accepted_by: optional_uuid("accepted_by", &accepted.accepted_by)?,
                        accepted_at: event.instant(accepted.accepted_at),
                        due_date,
                    };
                    transfers::open(tx, &accepted, self.response_days)
                        .await
                        .map_err(transient)?;
                }
                CaseConcluded::TYPE => {
                    let concluded: CaseConcluded = event.decode()?;
                    let case_id = uuid("case_id", &concluded.case_id)?;
                    transfers::concluded(
                        tx,
                        case_id,
                        &concluded.decision,
                        event.instant(concluded.concluded_at),
                        self.delivery_days,
                    )
                    .await
                    .map_err(transient)?;
                }
                CaseDelivered::TYPE => {
                    let delivered: CaseDelivered = event.decode()?;
                    let case = case_of(delivered.case.as_ref())?;
                    let at = event.instant(delivered.delivered_at);
                    let mut delivery = Delivery {
                        case_id: uuid("case_id", &case.case_id)?,
                        method: delivered.method.clone(),
                        carrier: delivered.carrier.clone(),
                        tracking_number: delivered.tracking_number.clone(),
                        delivered_by: optional_uuid("delivered_by", &delivered.delivered_by)?,
                        at,
                    };
                    transfers::delivered(tx, &delivery)
                        .await
                        .map_err(transient)?;
                    // A bundle's parts go out with it.
                    if case.kind == "bundle" {
                        let parts: Vec<Uuid> = sqlx::query_scalar(
                            "select case_id from transfers where parent_case_id = $1 and state = 'returned'",
                        )
                        .bind(delivery.case_id)
                        .fetch_all(&mut *tx)
                        .await?;
                        for part in parts {
                            delivery.case_id = part;
                            transfers::delivered(tx, &delivery)
                                .await
                                .map_err(transient)?;
                        }
                    }
                }
                other => {
                    return Err(HandleError::Permanent(format!("not handled here: {other}")));
                }
            }
            Ok(())
        })
    }
}
