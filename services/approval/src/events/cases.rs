//! Opens a work item for every accepted case and every part of an accepted 一件事 application
//! (acceptance's CaseAccepted); a bundle case itself becomes a joint case over its parts.

use sqlx::PgConnection;

use tongban_bus::field::{optional_uuid, uuid};
use tongban_bus::{Delivered, HandleError, On};
use tongban_events::acceptance::v1::CaseAccepted;

use tongban_runtime::Clock;

use crate::work_item::open;
use crate::work_item::store::Accepted;

pub struct AcceptedCases {
    /// Working days before the due date of the yellow warning.
    pub warning_days: u32,
    /// The time the work items open at (the service clock).
    pub clock: Clock,
}

impl On<CaseAccepted> for AcceptedCases {
    async fn on(
        &self,
        tx: &mut PgConnection,
        accepted: CaseAccepted,
        event: &Delivered,
    ) -> Result<(), HandleError> {
        let case = accepted
            .case
            .as_ref()
            .ok_or_else(|| HandleError::Permanent("CaseAccepted without its case".into()))?;
        let case_id = uuid("case_id", &case.case_id)?;
        let accepted_at = event.instant(accepted.accepted_at);
        match case.kind.as_str() {
            "bundle" => {
                let parts = accepted
                    .part_case_ids
                    .iter()
                    .map(|p| uuid("part_case_ids", p))
                    .collect::<Result<Vec<_>, _>>()?;
                crate::db::joint::accept_joint(
                    tx,
                    case_id,
                    &case.case_number,
                    &case.receiving_region,
                    &parts,
                    accepted_at,
                )
                .await?;
            }
            "item" | "part" | "" => {
                for (what, code) in [
                    ("receiving_region", &case.receiving_region),
                    ("handling_region", &case.handling_region),
                ] {
                    if code.len() != 12 || !code.bytes().all(|b| b.is_ascii_digit()) {
                        return Err(HandleError::Permanent(format!(
                            "{what} {code:?} is not 12 digits"
                        )));
                    }
                }
                let case = Accepted {
                    case_id,
                    case_number: case.case_number.clone(),
                    kind: if case.kind == "part" { "part" } else { "item" }.to_owned(),
                    parent_case_id: optional_uuid("parent_case_id", &case.parent_case_id)?,
                    implementation_code: case.implementation_code.clone(),
                    item_version: case.item_version as i32,
                    handling_region: case.handling_region.clone(),
                    receiving_region: case.receiving_region.clone(),
                    applicant_id: optional_uuid("applicant_id", &case.applicant_id)?,
                    applicant_kind: case.applicant_kind.clone(),
                    applicant_document_masked: case.applicant_document_masked.clone(),
                    applicant_name: case.applicant_name.clone(),
                    // 0 (not recorded) from events before the level travelled.
                    real_name_level: case.real_name_level.clamp(0, 3) as i16,
                    accepted_by: optional_uuid("accepted_by", &accepted.accepted_by)?,
                    accepted_at,
                    // A case leaving the region that took it in waits for its transfer.
                    transfer_round: if ["collect_elsewhere", "joint"].contains(&case.mode.as_str())
                    {
                        accepted.round.max(1) as i32
                    } else {
                        0
                    },
                };
                open::accept(tx, &case, self.warning_days, self.clock.moment()).await?;
            }
            other => {
                return Err(HandleError::Permanent(format!(
                    "unknown case kind {other:?}"
                )));
            }
        }
        Ok(())
    }
}
