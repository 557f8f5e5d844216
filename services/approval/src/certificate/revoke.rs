//! Revoking an e-certificate (吊销、注销): for the issuing department's approvers.

use serde_json::json;
use sqlx::PgPool;
use uuid::Uuid;

use tongban_events::approval::v1 as events;
use tongban_kernel::{Error, Power, Principal};

use super::verify::{SealedCertificate, certificate_row};
use crate::work_item::store::{self, Entry, Now};

/// Revokes a certificate (吊销、注销): for the issuing department's approvers. It then stands
/// in for no material and verifies as revoked.
pub async fn revoke(
    pool: &PgPool,
    principal: &Principal,
    id: Uuid,
    reason: &str,
    now: Now,
) -> Result<SealedCertificate, Error> {
    let reason = crate::domain::written("reason", Some(reason), 1000)?;
    let mut tx = pool.begin().await?;
    let not_found = || Error::NotFound(format!("certificate {id}"));
    let found = certificate_row(&mut tx, id).await?.ok_or_else(not_found)?;
    let row = store::load(&mut tx, found.case_id, false)
        .await?
        .ok_or_else(not_found)?;
    if !row.visible_to(principal) {
        return Err(not_found());
    }
    if !row.within(principal, Power::HandleCases) {
        return Err(Error::Forbidden(
            "certificates are revoked by the issuing department's approvers".into(),
        ));
    }
    let revoked = sqlx::query(
        "update certificates set revoked_at = $2, revoke_reason = $3 where id = $1 and revoked_at is null",
    )
    .bind(id)
    .bind(now.at)
    .bind(&reason)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if revoked == 0 {
        return Err(Error::Conflict {
            code: "already_revoked",
            message: format!("certificate {id} is already revoked"),
        });
    }
    let event = events::CertificateRevoked {
        certificate_id: id.to_string(),
        reason: reason.clone(),
        revoked_at: Some(tongban_events::timestamp(now.at)),
    };
    store::publish_certificate(&mut tx, &row, id, &event).await?;
    let entry = Entry {
        at: now.at,
        actor: Some(principal.account),
        action: "certificate_revoked",
        step: None,
        detail: json!({ "certificate_id": id, "reason": reason }),
    };
    store::note(&mut tx, &row, entry).await?;
    tx.commit().await?;
    Ok(SealedCertificate {
        revoked_at: Some(now.at),
        revoke_reason: Some(reason),
        ..found.sealed()
    })
}
