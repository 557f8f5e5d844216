//! The assignee acts on a remediation: starts it, records the call-back, closes it as fixed or
//! asks a supervisor to judge it invalid or unfixable.

use chrono::{DateTime, Utc};
use serde_json::json;
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

use tongban_kernel::{Error, Principal};

use super::rules::{require, require_assignee, require_revision, required_note};
use super::state::{Action, ReviewKind};
use super::store::{self, Change, Remediation};
use super::view::RemediationAction;

/// The assignee acts on a remediation.
pub async fn act(
    pool: &PgPool,
    principal: &Principal,
    id: Uuid,
    input: &RemediationAction,
    now: DateTime<Utc>,
) -> Result<Remediation, Error> {
    let mut tx = pool.begin().await?;
    let found = store::load(&mut tx, principal, id).await?;
    require_assignee(principal, &found)?;
    require_revision(&found, input.revision)?;
    let by = Some(principal.account);
    match Action::of_assignee(&input.action) {
        Some(Action::Start) => {
            let to = require(&found, Action::Start)?;
            store::apply(&mut tx, id, to, &Change::Started, now).await?;
            store::record(&mut tx, id, by, "started", json!({}), now).await?;
        }
        Some(Action::Callback) => call_back(&mut tx, &found, input, by, now).await?,
        Some(Action::Fix) => fix(&mut tx, &found, input, by, now).await?,
        Some(Action::RequestReview) => request_review(&mut tx, &found, input, by, now).await?,
        _ => {
            return Err(Error::bad_request(
                "action",
                format!(
                    "{:?} is not start, callback, fix or request_review",
                    input.action
                ),
            ));
        }
    }
    let found = store::lock(&mut tx, id).await?;
    tx.commit().await?;
    Ok(found)
}

async fn call_back(
    tx: &mut PgConnection,
    found: &Remediation,
    input: &RemediationAction,
    by: Option<Uuid>,
    now: DateTime<Utc>,
) -> Result<(), Error> {
    let to = require(found, Action::Callback)?;
    let reached = input
        .reached
        .ok_or_else(|| Error::bad_request("reached", "whether the rater was reached"))?;
    let note = required_note(&input.note)?;
    let change = Change::CalledBack {
        reached,
        note: &note,
    };
    store::apply(tx, found.id, to, &change, now).await?;
    let detail = json!({ "reached": reached, "note": note });
    store::record(tx, found.id, by, "called_back", detail, now).await
}

async fn fix(
    tx: &mut PgConnection,
    found: &Remediation,
    input: &RemediationAction,
    by: Option<Uuid>,
    now: DateTime<Utc>,
) -> Result<(), Error> {
    let to = require(found, Action::Fix)?;
    let note = required_note(&input.note)?;
    if found.callback_required && found.called_back_at.is_none() {
        return Err(Error::unprocessable(
            "action",
            "a real-name rating is called back before its remediation is closed",
        ));
    }
    let detail = json!({ "note": note });
    store::close(tx, found, to, by, &note, detail, now).await
}

async fn request_review(
    tx: &mut PgConnection,
    found: &Remediation,
    input: &RemediationAction,
    by: Option<Uuid>,
    now: DateTime<Utc>,
) -> Result<(), Error> {
    let to = require(found, Action::RequestReview)?;
    let kind = ReviewKind::parse(input.kind.as_deref().unwrap_or_default())
        .ok_or_else(|| Error::bad_request("kind", "invalid or unfixable"))?;
    let note = required_note(&input.note)?;
    let change = Change::ReviewRequested {
        kind,
        reason: &note,
    };
    store::apply(tx, found.id, to, &change, now).await?;
    let detail = json!({ "kind": kind, "reason": note });
    store::record(tx, found.id, by, "review_requested", detail, now).await
}
