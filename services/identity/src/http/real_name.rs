//! `/v1/accounts/me/real-name`: a citizen asks to be verified online (实名认证). Their full name
//! and resident ID number go to the national identity check; a match raises the account to
//! basic real-name (level 2), which their next token carries (refresh it or sign in again).

use axum::extract::State;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use tongban_auth::Authenticated;
use tongban_kernel::{AccountKind, Error, ErrorBody, IdType, Json, Result};

use crate::AppState;
use crate::db::accounts::real_name::{self, BASIC, Holder};
use crate::real_name::{Verdict, full_name};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(verify_real_name))
}

/// What the citizen gives: their full name as on their ID card.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RealNameRequest {
    #[schema(example = "李四")]
    pub name: String,
}

/// The account's real-name level now.
#[derive(Debug, Serialize, ToSchema)]
pub struct RealNameStatus {
    /// 1 unverified, 2 basic real-name, 3 advanced (face or in person).
    pub real_name_level: i16,
    /// When the national record last confirmed the name.
    pub verified_at: Option<DateTime<Utc>>,
    /// Whether tokens issued before now still carry the old level: refresh the token (or sign
    /// in again) to get the new one.
    pub refresh_needed: bool,
}

/// A citizen with a resident ID card has their name and number checked against the national
/// identity record: a match raises the account to level 2 (`RealNameVerified`); a mismatch is a
/// 422 naming `name`; more than `identity.real_name_checks_per_day` checks within a day is a 429.
/// An account at level 2 or above is answered as it is, without a check.
/// 503 `not_configured` when the platform has no national check configured.
#[utoipa::path(post, path = "/me/real-name", tag = "accounts", request_body = RealNameRequest,
    security(("bearer" = [])), responses((status = 200, body = RealNameStatus),
    (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
    (status = 403, body = ErrorBody), (status = 422, body = ErrorBody),
    (status = 429, body = ErrorBody), (status = 503, body = ErrorBody)))]
async fn verify_real_name(
    State(state): State<AppState>,
    Authenticated(principal): Authenticated,
    Json(input): Json<RealNameRequest>,
) -> Result<Json<RealNameStatus>> {
    if principal.kind != AccountKind::Citizen {
        return Err(Error::Forbidden(
            "online real-name verification is for citizens".into(),
        ));
    }
    let holder = real_name::holder(&state.pool, principal.account)
        .await?
        .ok_or(Error::Unauthorized)?;
    check_document(&holder)?;
    if holder.real_name_level >= BASIC {
        return Ok(Json(RealNameStatus {
            real_name_level: holder.real_name_level,
            verified_at: holder.real_name_verified_at,
            refresh_needed: false,
        }));
    }
    let name = full_name(&input.name)?;
    let verifier = state.real_name.as_ref().ok_or_else(|| {
        Error::NotConfigured(
            "online real-name verification is not configured on this platform \
             (identity.real_name_check_url): verify at a service window with your original ID"
                .into(),
        )
    })?;
    let now = state.clock.now();
    within_daily_checks(&state, principal.account, now).await?;
    let verdict = verifier.verify(name, &holder.login).await?;
    let matched = verdict == Verdict::Match;
    real_name::record_check(&state.pool, principal.account, matched, now).await?;
    if !matched {
        // One answer for a wrong name and an unknown number: the check must not tell whether a
        // number exists.
        return Err(Error::unprocessable(
            "name",
            "the name and your ID number do not match the national identity record",
        ));
    }
    let level = real_name::raise_to_basic(&state.pool, principal.account, name, now).await?;
    Ok(Json(RealNameStatus {
        real_name_level: level,
        verified_at: Some(now),
        refresh_needed: true,
    }))
}

/// `Ok` while the account has made fewer checks than `identity.real_name_checks_per_day` within
/// the last day; a 429 naming `name` with `Retry-After` otherwise.
async fn within_daily_checks(
    state: &AppState,
    account: uuid::Uuid,
    now: DateTime<Utc>,
) -> Result<()> {
    let day = chrono::Duration::days(1);
    let (made, oldest) = real_name::checks_since(&state.pool, account, now - day).await?;
    if made < state.identity.real_name_checks_per_day {
        return Ok(());
    }
    let free_at = oldest.map_or(now + day, |oldest| oldest + day);
    Err(Error::TooManyRequests {
        field: "name".into(),
        message: "too many real-name checks for this account today: try again later, or verify \
                  at a service window with your original ID"
            .into(),
        retry_after_secs: (free_at - now).num_seconds().max(1) as u64,
    })
}

/// Online verification covers resident ID cards (the national record's); other documents are
/// checked at a window (422 naming `id_type`).
fn check_document(holder: &Holder) -> Result<()> {
    if holder.kind != "citizen"
        || holder.id_type.as_deref() != Some(IdType::ResidentIdCard.as_str())
    {
        return Err(Error::unprocessable(
            "id_type",
            "online verification covers resident ID cards (居民身份证); show other documents at a service window",
        ));
    }
    Ok(())
}
