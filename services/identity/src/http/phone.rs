//! `/v1/accounts/me/phone`: proving the account holds its mobile number with a one-time code
//! texted to it (through the notification service). A proved number is what a citizen signs in
//! with by text (`/v1/oauth/sms-codes`).

use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use tongban_auth::Authenticated;
use tongban_kernel::{AccountKind, Error, ErrorBody, Json, PhoneNumber, Result};

use crate::AppState;
use crate::db::accounts::{self, OwnContact};
use crate::db::challenges::{self, Checked, Issued, Purpose};
use crate::texts::CodeText;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(own_contact))
        .routes(routes!(challenge))
        .routes(routes!(verify))
}

/// Makes a challenge for `phone` and has its code texted to `account` there. `wait`: the caller
/// waits for the notification service to take it (and the challenge is withdrawn when it does
/// not); otherwise it is handed over in the background, so the answer takes as long whether or
/// not anything is sent.
pub async fn send_code(
    state: &AppState,
    purpose: Purpose,
    phone: &str,
    asked_by: Option<Uuid>,
    account: Option<Uuid>,
    wait: bool,
) -> Result<Issued> {
    let now = state.clock.now();
    let issued = challenges::issue(
        &state.pool,
        purpose,
        phone,
        asked_by,
        account,
        &state.identity,
        now,
    )
    .await?;
    let Some(account) = account else {
        return Ok(issued);
    };
    let (texts, pool, for_texting) = (state.texts.clone(), state.pool.clone(), issued.clone());
    let phone = phone.to_owned();
    let sending = async move {
        let text = CodeText {
            id: for_texting.id,
            account_id: account,
            phone: &phone,
            purpose: purpose.as_str(),
            code: &for_texting.code,
            expires_at: for_texting.expires_at,
        };
        let sent = texts.send(&text).await;
        if sent.is_err() {
            // Not sent: it must not count against the number's limits.
            if let Err(err) = challenges::withdraw(&pool, for_texting.id).await {
                tracing::warn!(error = %err, "withdrawing an unsent code failed");
            }
        }
        sent
    };
    if wait {
        sending.await?;
    } else {
        tokio::spawn(async move {
            if let Err(err) = sending.await {
                tracing::warn!(error = %err, "a sign-in code could not be texted");
            }
        });
    }
    Ok(issued)
}

/// The caller's own contact details.
#[utoipa::path(get, path = "/me/contact", tag = "accounts", security(("bearer" = [])),
    responses((status = 200, body = OwnContact), (status = 401, body = ErrorBody)))]
async fn own_contact(
    State(state): State<AppState>,
    Authenticated(principal): Authenticated,
) -> Result<Json<OwnContact>> {
    accounts::own_contact(&state.pool, principal.account)
        .await?
        .map(Json)
        .ok_or_else(|| Error::NotFound(format!("account {}", principal.account)))
}

/// The number to prove.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChallengeRequest {
    /// A mobile number; absent: the account's own.
    #[serde(default)]
    #[schema(value_type = Option<String>, example = "13800138000")]
    pub phone: Option<PhoneNumber>,
}

/// A code on its way.
#[derive(Debug, Serialize, ToSchema)]
pub struct Challenge {
    /// To send back with the code.
    pub challenge_id: Uuid,
    /// Where it went, masked (138****8000).
    pub phone: String,
    pub expires_at: DateTime<Utc>,
    /// When another code may be asked for this number.
    pub resend_after: DateTime<Utc>,
}

/// Texts a one-time code to a number the caller wants to prove (its own number when none is
/// given). One code per number a minute and a few an hour, per number and per account (429
/// with `Retry-After`); 503 when the text cannot be handed over now.
#[utoipa::path(post, path = "/me/phone/challenges", tag = "accounts", security(("bearer" = [])),
    request_body = ChallengeRequest,
    responses((status = 202, body = Challenge), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 422, body = ErrorBody), (status = 429, body = ErrorBody),
        (status = 503, body = ErrorBody)))]
async fn challenge(
    State(state): State<AppState>,
    Authenticated(principal): Authenticated,
    Json(input): Json<ChallengeRequest>,
) -> Result<(StatusCode, Json<Challenge>)> {
    if principal.kind == AccountKind::Service {
        return Err(Error::Forbidden("service accounts have no phone".into()));
    }
    let phone = match input.phone {
        Some(phone) => phone,
        None => accounts::own_contact(&state.pool, principal.account)
            .await?
            .and_then(|c| c.phone)
            .and_then(|p| p.parse().ok())
            .ok_or_else(|| Error::unprocessable("phone", "the account has no mobile number"))?,
    };
    let issued = send_code(
        &state,
        Purpose::PhoneVerification,
        phone.as_str(),
        Some(principal.account),
        Some(principal.account),
        true,
    )
    .await?;
    Ok((
        StatusCode::ACCEPTED,
        Json(Challenge {
            challenge_id: issued.id,
            phone: phone.masked(),
            expires_at: issued.expires_at,
            resend_after: issued.resend_after,
        }),
    ))
}

/// A code texted for a challenge.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Verification {
    pub challenge_id: Uuid,
    #[schema(example = "426031")]
    pub code: String,
}

/// Proves the number: with the right code it becomes the account's number, proved (a citizen
/// proving a number another citizen had proved takes it over). A wrong code is a 422 on `code`
/// with the tries left; an expired, used or unknown challenge a 422 on `challenge_id`.
#[utoipa::path(post, path = "/me/phone/verify", tag = "accounts", security(("bearer" = [])),
    request_body = Verification,
    responses((status = 200, body = OwnContact), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn verify(
    State(state): State<AppState>,
    Authenticated(principal): Authenticated,
    Json(input): Json<Verification>,
) -> Result<Json<OwnContact>> {
    let checked = challenges::verify_phone(
        &state.pool,
        principal.account,
        input.challenge_id,
        &input.code,
        &state.identity,
        state.clock.now(),
    )
    .await?;
    match checked {
        Checked::Valid { .. } => accounts::own_contact(&state.pool, principal.account)
            .await?
            .map(Json)
            .ok_or_else(|| Error::NotFound(format!("account {}", principal.account))),
        Checked::Wrong { left } if left > 0 => Err(Error::unprocessable(
            "code",
            format!("the code is wrong; {left} tries left"),
        )),
        Checked::Wrong { .. } => Err(Error::unprocessable(
            "code",
            "the code is wrong, and that was the last try: ask for a new code",
        )),
        Checked::Spent => Err(Error::unprocessable(
            "challenge_id",
            "no code of this account is waiting under this id (expired, used or never sent): ask for a new code",
        )),
    }
}
