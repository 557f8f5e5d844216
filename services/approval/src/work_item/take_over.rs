//! The first claim right after a take-over (issue 25). The handling region's clerk takes a
//! transfer over in crossregion; approval learns of it from crossregion's TransferAccepted,
//! tens of milliseconds later. A claim arriving in between found the work item still
//! `transfer_pending` and was refused, although its claimant had just taken the case over.
//!
//! The choice: a claim on a work item whose transfer is pending waits for the take-over to be
//! applied, up to [`WAIT`], reading the work item every [`POLL`] without a transaction or a row
//! lock (the consumer applying the take-over must not wait on the claim, nor a pooled
//! connection be held while sleeping). Approval has no LISTEN/NOTIFY channel for its
//! projections, and a short poll costs one indexed read per 50 ms for a few requests at most.
//! If the transfer is still pending after the wait (nobody took it over, or the broker is
//! slow), the answer is 409 `transfer_pending` in words, with `Retry-After`.

use std::time::Duration;

use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use sqlx::PgPool;
use uuid::Uuid;

use tongban_kernel::{Error, Principal};

use super::state::{TransferState, WorkItemState};
use super::store;

/// How long a claim waits for a take-over to reach approval.
pub const WAIT: Duration = Duration::from_secs(3);
/// How often it looks meanwhile.
pub const POLL: Duration = Duration::from_millis(50);
/// Seconds after which a claim refused for a pending transfer is worth trying again.
pub const RETRY_AFTER_SECS: u32 = 2;

/// The states a work item waits for its take-over in (one sent back or ended waits for none).
const WORKABLE: [WorkItemState; 3] = [
    WorkItemState::AwaitingItem,
    WorkItemState::InProgress,
    WorkItemState::Paused,
];

/// Whether work item `id` still waits for its transfer to be taken over.
async fn pending(pool: &PgPool, id: Uuid) -> Result<bool, Error> {
    let pending: Option<bool> = sqlx::query_scalar(
        "select transfer = $2 and state = any($3) from work_items where case_id = $1",
    )
    .bind(id)
    .bind(TransferState::Pending)
    .bind(&WORKABLE[..])
    .fetch_optional(pool)
    .await?;
    Ok(pending.unwrap_or(false))
}

/// Waits until the transfer of work item `id`, which `principal` sees, is no longer pending,
/// or [`WAIT`] passed; a 409 `transfer_pending` then. A work item the caller does not see is a
/// 404 at once (waiting would tell it exists).
pub async fn settled(pool: &PgPool, principal: &Principal, id: Uuid) -> Result<(), Error> {
    let row = {
        let mut conn = pool.acquire().await?;
        store::visible(&mut conn, principal, id, false).await?
    };
    if row.transfer != Some(TransferState::Pending) || !WORKABLE.contains(&row.state) {
        return Ok(());
    }
    let waited = tokio::time::timeout(WAIT, async {
        loop {
            tokio::time::sleep(POLL).await;
            if !pending(pool, id).await? {
                return Ok::<_, Error>(());
            }
        }
    })
    .await;
    match waited {
        Ok(done) => done,
        Err(_) => Err(still_pending(&row.case_number, &row.receiving_region)),
    }
}

/// The 409 for a claim on a case whose transfer nobody has taken over yet.
fn still_pending(case_number: &str, receiving_region: &str) -> Error {
    Error::Conflict {
        code: "transfer_pending",
        message: format!(
            "case {case_number} was transferred from {receiving_region} and has not been taken \
             over yet: take the transfer over first (/api/crossregion/v1/transfers); if you \
             just did, try again in a moment"
        ),
    }
}

/// The error as an answer: a `transfer_pending` conflict says when to try again.
pub fn answer(err: Error) -> Response {
    let pending = matches!(
        err,
        Error::Conflict {
            code: "transfer_pending",
            ..
        }
    );
    let mut response = err.into_response();
    if pending {
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(RETRY_AFTER_SECS));
    }
    response
}
