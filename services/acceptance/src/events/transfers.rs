//! The crossregion service's rejected transfers: the case goes back to its receiving window
//! (跨域通办), which tells the applicant once what to fix, sends it again, or refuses it.

use anyhow::Context as _;
use serde_json::json;
use sqlx::PgConnection;

use tongban_bus::{Delivered, HandleError, On, field};
use tongban_events::crossregion::v1::TransferRejected;

pub struct ReturnedTransfers;

impl On<TransferRejected> for ReturnedTransfers {
    async fn on(
        &self,
        tx: &mut PgConnection,
        rejected: TransferRejected,
        event: &Delivered,
    ) -> Result<(), HandleError> {
        let transfer = rejected.transfer.as_ref().ok_or_else(|| {
            HandleError::Permanent("TransferRejected without its transfer".into())
        })?;
        let id = field::uuid("case_id", &transfer.case_id)?;
        let at = event.instant(rejected.rejected_at);
        let returned = json!({
            "kind": rejected.reason_kind,
            "reason": rejected.reason,
            "by_region": transfer.handling_region,
            "at": at,
        });
        let changed =
            crate::case::returned::transfer_returned(tx, id, transfer.round as i32, returned, at)
                .await
                .with_context(|| format!("returning case {id} from round {}", transfer.round))?;
        if !changed {
            tracing::warn!(case = %id, round = transfer.round, "a rejected transfer of a case not awaiting it was passed over");
        }
        Ok(())
    }
}
