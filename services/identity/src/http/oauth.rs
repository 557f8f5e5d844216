//! The OAuth 2.0 token endpoint (RFC 6749: `password`, `refresh_token`, `client_credentials`,
//! and the extension grant [`SMS_CODE_GRANT`] for citizens signing in with a code texted to
//! their proved number), sign-in codes (`/sms-codes`) and token revocation (RFC 7009).
//!
//! Every failed sign-in answers the same `invalid_grant`, whether the login is unknown, the
//! password wrong, or the account locked or disabled, and costs the same password check — no
//! account can be discovered through the answer or its timing.

use axum::extract::rejection::FormRejection;
use axum::extract::{Form, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use tongban_auth::Claims;
use tongban_kernel::{AccountKind, Clock, Error, ErrorBody, PhoneNumber};

use crate::AppState;
use crate::db::accounts::{self, Credentials};
use crate::db::challenges::{self, Purpose};
use crate::db::tokens::{self, Redeemed};
use crate::password;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(token))
        .routes(routes!(sms_code))
        .routes(routes!(revoke))
}

/// The extension grant (RFC 6749 §4.5) of a citizen signing in with a texted code: `phone` and
/// `code`.
pub const SMS_CODE_GRANT: &str = "urn:tongban:params:oauth:grant-type:sms_code";

/// A token request, `application/x-www-form-urlencoded` as RFC 6749 asks.
#[derive(Debug, Deserialize, ToSchema)]
pub struct TokenRequest {
    /// `password`, `refresh_token`, `client_credentials` or
    /// `urn:tongban:params:oauth:grant-type:sms_code`.
    pub grant_type: String,
    pub username: Option<String>,
    pub password: Option<String>,
    pub refresh_token: Option<String>,
    /// For `client_credentials` when not sent with HTTP Basic authentication.
    pub client_id: Option<String>,
    pub client_secret: Option<String>,
    /// For the sms_code grant: the proved mobile number and the code texted to it.
    pub phone: Option<String>,
    pub code: Option<String>,
    /// Accepted and ignored: powers come from role bindings, not scopes.
    pub scope: Option<String>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct TokenResponse {
    pub access_token: String,
    /// Always `Bearer`.
    pub token_type: String,
    /// Seconds until the access token expires.
    pub expires_in: i64,
    /// For `password` and `refresh_token` grants; use it once.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<String>,
}

/// An OAuth error (RFC 6749 §5.2), with the platform's `code`/`message` beside it.
#[derive(Debug)]
pub enum OAuthError {
    Protocol {
        status: StatusCode,
        error: &'static str,
        description: String,
    },
    Platform(Error),
}

impl OAuthError {
    fn invalid_request(description: impl Into<String>) -> Self {
        Self::Protocol {
            status: StatusCode::BAD_REQUEST,
            error: "invalid_request",
            description: description.into(),
        }
    }

    /// The one answer for every failed sign-in.
    fn invalid_grant() -> Self {
        Self::Protocol {
            status: StatusCode::BAD_REQUEST,
            error: "invalid_grant",
            description: "the credentials are wrong, or the account is locked or disabled".into(),
        }
    }

    fn invalid_client() -> Self {
        Self::Protocol {
            status: StatusCode::UNAUTHORIZED,
            error: "invalid_client",
            description: "client authentication failed".into(),
        }
    }
}

impl From<Error> for OAuthError {
    fn from(err: Error) -> Self {
        Self::Platform(err)
    }
}

impl IntoResponse for OAuthError {
    fn into_response(self) -> Response {
        match self {
            Self::Platform(err) => err.into_response(),
            Self::Protocol {
                status,
                error,
                description,
            } => {
                let body = serde_json::json!({
                    "error": error,
                    "error_description": description,
                    "code": error,
                    "message": description,
                });
                let mut response = (status, axum::Json(body)).into_response();
                response
                    .headers_mut()
                    .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
                if error == "invalid_client" {
                    response.headers_mut().insert(
                        header::WWW_AUTHENTICATE,
                        HeaderValue::from_static("Basic realm=\"tongban\""),
                    );
                }
                response
            }
        }
    }
}

/// Issues tokens.
#[utoipa::path(post, path = "/token", tag = "oauth",
    request_body(content = TokenRequest, content_type = "application/x-www-form-urlencoded"),
    responses(
        (status = 200, body = TokenResponse),
        (status = 400, description = "invalid_request, invalid_grant or unsupported_grant_type"),
        (status = 401, description = "invalid_client"),
    ))]
#[tracing::instrument(skip_all, fields(grant_type))]
async fn token(
    State(state): State<AppState>,
    headers: HeaderMap,
    form: Result<Form<TokenRequest>, FormRejection>,
) -> Result<Response, OAuthError> {
    let Form(request) = form.map_err(|e| OAuthError::invalid_request(e.body_text()))?;
    tracing::Span::current().record("grant_type", request.grant_type.as_str());
    let issued = match request.grant_type.as_str() {
        "password" => password_grant(&state, &request).await?,
        "refresh_token" => refresh_grant(&state, &request).await?,
        "client_credentials" => client_grant(&state, &headers, &request).await?,
        SMS_CODE_GRANT => sms_grant(&state, &request).await?,
        other => {
            return Err(OAuthError::Protocol {
                status: StatusCode::BAD_REQUEST,
                error: "unsupported_grant_type",
                description: format!("grant_type {other} is not supported"),
            });
        }
    };
    let mut response = axum::Json(issued).into_response();
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response)
}

/// Candidate spellings of a typed login: as typed, upper case (document numbers, credit codes)
/// and lower case (user names, client ids).
fn login_candidates(typed: &str) -> Vec<String> {
    let typed = typed.trim();
    vec![
        typed.to_owned(),
        typed.to_ascii_uppercase(),
        typed.to_ascii_lowercase(),
    ]
}

/// One query whatever the outcome, so a miss takes as long as a hit.
async fn find_login(state: &AppState, typed: &str) -> Result<Option<Credentials>, Error> {
    accounts::credentials_by_login(&state.pool, &login_candidates(typed)).await
}

/// Checks `secret` for the account found (or a dummy when none), counting failures.
async fn authenticate(
    state: &AppState,
    found: Option<Credentials>,
    secret: &str,
    wanted: impl Fn(AccountKind) -> bool,
) -> Result<Option<Credentials>, Error> {
    let now = state.clock.now();
    let usable = found.filter(|c| c.kind().is_ok_and(&wanted));
    match usable {
        Some(account) if !account.barred(now) => {
            if password::verify(secret, Some(&account.password_hash)).await {
                accounts::record_success(&state.pool, account.id).await?;
                Ok(Some(account))
            } else {
                accounts::record_failure(&state.pool, account.id, &state.identity, now).await?;
                Ok(None)
            }
        }
        // Unknown, of the wrong kind, locked or disabled: spend the same time, say the same.
        _ => {
            password::verify(secret, None).await;
            Ok(None)
        }
    }
}

async fn password_grant(
    state: &AppState,
    request: &TokenRequest,
) -> Result<TokenResponse, OAuthError> {
    let (Some(username), Some(secret)) = (&request.username, &request.password) else {
        return Err(OAuthError::invalid_request(
            "username and password are required",
        ));
    };
    let found = find_login(state, username).await?;
    let account = authenticate(state, found, secret, |k| k != AccountKind::Service)
        .await?
        .ok_or_else(OAuthError::invalid_grant)?;
    Ok(issue(state, &account, Some(Uuid::now_v7())).await?)
}

async fn refresh_grant(
    state: &AppState,
    request: &TokenRequest,
) -> Result<TokenResponse, OAuthError> {
    let Some(presented) = &request.refresh_token else {
        return Err(OAuthError::invalid_request("refresh_token is required"));
    };
    let (account_id, family) = match tokens::redeem(&state.pool, presented).await? {
        Redeemed::Fresh { account, family } => (account, family),
        Redeemed::Invalid | Redeemed::Reused => return Err(OAuthError::invalid_grant()),
    };
    let account = accounts::credentials_by_id(&state.pool, account_id)
        .await?
        .filter(|a| !a.disabled());
    let Some(account) = account else {
        tokens::revoke_family(&state.pool, family).await?;
        return Err(OAuthError::invalid_grant());
    };
    // Roles are read afresh: a revoked role is gone from the next access token.
    Ok(issue(state, &account, Some(family)).await?)
}

async fn client_grant(
    state: &AppState,
    headers: &HeaderMap,
    request: &TokenRequest,
) -> Result<TokenResponse, OAuthError> {
    let (client_id, secret) = match basic_credentials(headers) {
        Some(pair) => pair,
        None => match (&request.client_id, &request.client_secret) {
            (Some(id), Some(secret)) => (id.clone(), secret.clone()),
            _ => return Err(OAuthError::invalid_client()),
        },
    };
    let found = find_login(state, &client_id).await?;
    let account = authenticate(state, found, &secret, |k| k == AccountKind::Service)
        .await?
        .ok_or_else(OAuthError::invalid_client)?;
    Ok(issue(state, &account, None).await?)
}

async fn sms_grant(state: &AppState, request: &TokenRequest) -> Result<TokenResponse, OAuthError> {
    let (Some(phone), Some(code)) = (&request.phone, &request.code) else {
        return Err(OAuthError::invalid_request("phone and code are required"));
    };
    let phone: PhoneNumber =
        phone
            .parse()
            .map_err(|e: tongban_kernel::identity::InvalidPhoneNumber| {
                OAuthError::invalid_request(format!("phone: {e}"))
            })?;
    let signed_in = challenges::sign_in(
        &state.pool,
        phone.as_str(),
        code,
        &state.identity,
        state.clock.now(),
    )
    .await?;
    let account = match signed_in {
        Some(id) => accounts::credentials_by_id(&state.pool, id)
            .await?
            .filter(|a| !a.disabled()),
        None => None,
    }
    .ok_or_else(OAuthError::invalid_grant)?;
    accounts::record_success(&state.pool, account.id).await?;
    Ok(issue(state, &account, Some(Uuid::now_v7())).await?)
}

/// The number to text a sign-in code to.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SmsCodeRequest {
    #[schema(value_type = String, example = "13800138000")]
    pub phone: PhoneNumber,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct SmsCodeAnswer {
    /// Seconds the code is valid for.
    pub expires_in: i64,
    /// Seconds until another code may be asked for the number.
    pub resend_in: i64,
}

/// Texts a sign-in code to a citizen's proved mobile number; then sign in at `/token` with the
/// sms_code grant. The answer is the same whether or not a citizen proved the number (nothing
/// is sent then), so numbers cannot be probed; the same limits hold for every number (429 with
/// `Retry-After`).
#[utoipa::path(post, path = "/sms-codes", tag = "oauth", request_body = SmsCodeRequest,
    responses((status = 202, body = SmsCodeAnswer), (status = 400, body = ErrorBody),
        (status = 429, body = ErrorBody)))]
async fn sms_code(
    State(state): State<AppState>,
    tongban_kernel::Json(input): tongban_kernel::Json<SmsCodeRequest>,
) -> Result<(StatusCode, axum::Json<SmsCodeAnswer>), Error> {
    let phone = input.phone.as_str();
    let holder = challenges::citizen_of(&state.pool, phone).await?;
    crate::http::phone::send_code(&state, Purpose::Login, phone, None, holder, false).await?;
    Ok((
        StatusCode::ACCEPTED,
        axum::Json(SmsCodeAnswer {
            expires_in: state.identity.code_ttl_secs,
            resend_in: state.identity.code_resend_secs,
        }),
    ))
}

/// `Authorization: Basic base64(client_id:client_secret)`.
fn basic_credentials(headers: &HeaderMap) -> Option<(String, String)> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, encoded) = value.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .ok()?;
    let decoded = String::from_utf8(decoded).ok()?;
    let (id, secret) = decoded.split_once(':')?;
    Some((id.to_owned(), secret.to_owned()))
}

/// Signs an access token with the account's live roles, and a refresh token in `family`.
async fn issue(
    state: &AppState,
    account: &Credentials,
    family: Option<Uuid>,
) -> Result<TokenResponse, Error> {
    let kind = account.kind()?;
    let roles = accounts::roles(&state.pool, account.id)
        .await?
        .into_iter()
        .map(|b| b.binding)
        .collect();
    // Credentials live on the system's time (`Clock::system`), as every verifier checks them.
    let now = Clock::system().now().timestamp();
    let claims = Claims {
        iss: state.identity.tokens.issuer.clone(),
        aud: state.identity.tokens.audience.clone(),
        sub: account.id,
        iat: now,
        exp: now + state.identity.access_token_ttl_secs,
        jti: Uuid::now_v7(),
        kind,
        rnl: u8::try_from(account.real_name_level).unwrap_or(1),
        roles,
        client_id: (kind == AccountKind::Service).then(|| account.login.clone()),
        sid: family,
        pwd: account.password_temporary,
    };
    let access_token = state.signer.current().await?.sign(&claims);
    let refresh_token = match family {
        Some(family) => Some(
            tokens::issue(
                &state.pool,
                account.id,
                family,
                state.identity.refresh_token_ttl_secs,
            )
            .await?,
        ),
        None => None,
    };
    Ok(TokenResponse {
        access_token,
        token_type: "Bearer".to_owned(),
        expires_in: state.identity.access_token_ttl_secs,
        refresh_token,
    })
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct RevokeRequest {
    /// The refresh token to revoke, with every token rotated from the same sign-in.
    pub token: String,
    pub token_type_hint: Option<String>,
}

/// Signs out: revokes a refresh token and its family. Answers 200 whatever the token was
/// (RFC 7009 §2.2).
#[utoipa::path(post, path = "/revoke", tag = "oauth",
    request_body(content = RevokeRequest, content_type = "application/x-www-form-urlencoded"),
    responses((status = 200, description = "revoked (or never valid)")))]
async fn revoke(
    State(state): State<AppState>,
    form: Result<Form<RevokeRequest>, FormRejection>,
) -> Result<Response, OAuthError> {
    let Form(request) = form.map_err(|e| OAuthError::invalid_request(e.body_text()))?;
    tokens::revoke(&state.pool, &request.token).await?;
    Ok((StatusCode::OK, axum::Json(serde_json::json!({}))).into_response())
}
