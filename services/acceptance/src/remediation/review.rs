//! A supervisor judges an appeal (无效差评) or an unfixable claim (无法整改).

use chrono::{DateTime, Utc};
use serde_json::json;
use sqlx::PgPool;
use uuid::Uuid;

use tongban_kernel::{Error, Power, Principal};

use crate::rating::store::region_of;

use super::rules::{mark, require, require_not_own, required_note};
use super::state::{Action, ReviewKind};
use super::store::{self, Change, Remediation};
use super::view::Review;

/// A supervisor over the remediation's region decides its review.
pub async fn review(
    pool: &PgPool,
    principal: &Principal,
    id: Uuid,
    input: &Review,
    now: DateTime<Utc>,
) -> Result<Remediation, Error> {
    let mut tx = pool.begin().await?;
    let found = store::load(&mut tx, principal, id).await?;
    principal.require(Power::Supervise, &region_of(&found.region_code)?)?;
    let excepted = require_not_own(&mut tx, principal, &found, "reviews").await?;
    let excepted = excepted.as_ref();
    let action = if input.uphold {
        Action::Uphold(found.review_kind.unwrap_or(ReviewKind::Invalid))
    } else {
        Action::RejectReview
    };
    let to = require(&found, action)?;
    let note = required_note(&input.note)?;
    let by = Some(principal.account);
    if input.uphold {
        let detail = json!({ "note": note });
        let detail = mark(
            &mut tx,
            excepted,
            &found,
            to.as_str(),
            principal.account,
            detail,
            now,
        )
        .await?;
        store::close(&mut tx, &found, to, by, &note, detail, now).await?;
    } else {
        store::apply(&mut tx, id, to, &Change::ReviewRejected, now).await?;
        let detail = json!({ "kind": found.review_kind, "note": note });
        let action = "review_rejected";
        let detail = mark(
            &mut tx,
            excepted,
            &found,
            action,
            principal.account,
            detail,
            now,
        )
        .await?;
        store::record(&mut tx, id, by, action, detail, now).await?;
    }
    let found = store::lock(&mut tx, id).await?;
    tx.commit().await?;
    Ok(found)
}
