//! `/v1/accounts`: registration, staff and service accounts, and role grants.
//!
//! Citizens and enterprises register themselves. Staff and service accounts are created by an
//! identity administrator whose scope covers their region (and department). An account is
//! visible to itself and to identity administrators whose scope covers its region; to anyone
//! else it does not exist (404).

use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use tongban_auth::Authenticated;
use tongban_kernel::{
    AccountKind, CreditCode, Error, ErrorBody, IdType, Json, Path, PhoneNumber, Principal,
    RegionCode, Result, Role, RoleBinding,
};

use crate::AppState;
use crate::db::accounts::{self, Account, Binding, NewAccount, OwnContact};
use crate::password;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(register_citizen))
        .routes(routes!(register_enterprise))
        .routes(routes!(create_staff))
        .routes(routes!(create_service))
        .routes(routes!(me))
        .routes(routes!(update_contact))
        .routes(routes!(get_account))
        .routes(routes!(contact))
        .routes(routes!(list_roles, grant_role))
        .routes(routes!(revoke_role))
}

fn required_name(field: &str, value: &str) -> Result<String> {
    super::input::required_text(field, value, 100)
}

/// Staff user names and client ids: lower case, so they never collide with document numbers or
/// credit codes.
fn user_name(field: &str, value: &str) -> Result<String> {
    let value = value.trim().to_ascii_lowercase();
    let ok = (3..=32).contains(&value.len())
        && value.starts_with(|c: char| c.is_ascii_lowercase())
        && value
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '_' | '-'));
    if ok {
        Ok(value)
    } else {
        Err(Error::bad_request(
            field,
            "3 to 32 of a-z, 0-9, '.', '_', '-', starting with a letter",
        ))
    }
}

/// An optional e-mail address: trimmed, at most 254 characters, one `@` between a non-empty
/// local part and a domain with a dot, no spaces; the domain in lower case.
fn email(field: &str, value: Option<&str>) -> Result<Option<String>> {
    let Some(value) = value.map(str::trim).filter(|v| !v.is_empty()) else {
        return Ok(None);
    };
    let parts = value.split_once('@').filter(|(local, domain)| {
        !local.is_empty()
            && domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && !domain.contains('@')
    });
    match parts {
        Some((local, domain))
            if value.len() <= 254
                && !value.chars().any(|c| c.is_whitespace() || c.is_control()) =>
        {
            Ok(Some(format!("{local}@{}", domain.to_ascii_lowercase())))
        }
        _ => Err(Error::bad_request(
            field,
            "an e-mail address like name@example.cn",
        )),
    }
}

/// The region of the authority that issued a code: a resident card's first six digits, a
/// credit code's registration authority (characters 3-8).
fn issuing_region(digits: &str) -> Option<RegionCode> {
    digits.parse().ok()
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewCitizen {
    pub id_type: IdType,
    /// The document number; checked against the document's format (GB 11643 for ID cards).
    pub id_number: String,
    pub name: String,
    #[schema(value_type = String, example = "13800138000")]
    pub phone: PhoneNumber,
    /// For messages by e-mail (optional).
    #[serde(default)]
    pub email: Option<String>,
    pub password: String,
}

/// A citizen registers (real-name level 1 until verified).
#[utoipa::path(post, path = "/citizens", tag = "accounts", request_body = NewCitizen, responses(
    (status = 201, body = Account), (status = 400, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn register_citizen(
    State(state): State<AppState>,
    Json(input): Json<NewCitizen>,
) -> Result<(StatusCode, Json<Account>)> {
    let login = input
        .id_type
        .normalize(&input.id_number)
        .map_err(|e| Error::bad_request("id_number", e))?;
    let name = required_name("name", &input.name)?;
    if input.id_type == IdType::ResidentIdCard {
        real_person(&login, state.clock.today())?;
    }
    password::check_policy(
        "password",
        &input.password,
        &[&login, &name, input.phone.as_str()],
    )?;
    let region = match input.id_type {
        IdType::ResidentIdCard => issuing_region(&login[..6]),
        _ => None,
    };
    let new = NewAccount {
        kind: AccountKind::Citizen,
        login,
        display_name: name,
        id_type: Some(input.id_type),
        credit_code: None,
        phone: Some(input.phone.as_str().to_owned()),
        email: email("email", input.email.as_deref())?,
        real_name_level: 1,
        region,
        department: None,
        password_hash: password::hash(&input.password).await?,
        password_temporary: false,
        created_by: None,
    };
    Ok((
        StatusCode::CREATED,
        Json(accounts::create(&state.pool, new).await?),
    ))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewEnterprise {
    pub credit_code: CreditCode,
    pub name: String,
    #[schema(value_type = String, example = "13800138000")]
    pub phone: PhoneNumber,
    /// For messages by e-mail (optional).
    #[serde(default)]
    pub email: Option<String>,
    pub password: String,
}

/// An enterprise registers with its unified social credit code.
#[utoipa::path(post, path = "/enterprises", tag = "accounts", request_body = NewEnterprise, responses(
    (status = 201, body = Account), (status = 400, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn register_enterprise(
    State(state): State<AppState>,
    Json(input): Json<NewEnterprise>,
) -> Result<(StatusCode, Json<Account>)> {
    let name = required_name("name", &input.name)?;
    let code = input.credit_code.to_string();
    password::check_policy(
        "password",
        &input.password,
        &[&code, &name, input.phone.as_str()],
    )?;
    let new = NewAccount {
        kind: AccountKind::Enterprise,
        region: issuing_region(&code[2..8]),
        login: code.clone(),
        display_name: name,
        id_type: None,
        credit_code: Some(code),
        phone: Some(input.phone.as_str().to_owned()),
        email: email("email", input.email.as_deref())?,
        real_name_level: 1,
        department: None,
        password_hash: password::hash(&input.password).await?,
        password_temporary: false,
        created_by: None,
    };
    Ok((
        StatusCode::CREATED,
        Json(accounts::create(&state.pool, new).await?),
    ))
}

/// An ID card number can belong to a living person: born by `today`, in a province that
/// issues them (the check character alone proves neither). 422 naming `id_number`.
fn real_person(number: &str, today: chrono::NaiveDate) -> Result<()> {
    let id: tongban_kernel::IdCardNumber =
        number
            .parse()
            .map_err(|e: tongban_kernel::identity::InvalidIdCardNumber| {
                Error::bad_request("id_number", e.to_string())
            })?;
    if id.birth_date().is_none_or(|born| born > today) {
        return Err(Error::unprocessable(
            "id_number",
            "its date of birth (digits 7-14) is in the future",
        ));
    }
    if !id.has_known_province() {
        return Err(Error::unprocessable(
            "id_number",
            "its first two digits name no province (GB/T 2260)",
        ));
    }
    Ok(())
}

/// Whether `principal` administers accounts of `region` (and `department`).
fn administers(principal: &Principal, region: RegionCode, department: Option<Uuid>) -> bool {
    principal.may_grant(&RoleBinding {
        role: Role::IdentityAdmin,
        region,
        department,
    })
}

fn require_administers(
    principal: &Principal,
    region: RegionCode,
    department: Option<Uuid>,
) -> Result<()> {
    if administers(principal, region, department) {
        Ok(())
    } else {
        Err(Error::Forbidden(format!(
            "no identity_admin role covers region {region}"
        )))
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewStaff {
    /// Sign-in name: 3-32 of a-z, 0-9, '.', '_', '-'.
    pub username: String,
    pub name: String,
    pub region_code: RegionCode,
    pub department_id: Option<Uuid>,
    #[schema(value_type = Option<String>)]
    pub phone: Option<PhoneNumber>,
    /// Initial password, to be changed by its holder.
    pub password: String,
}

/// An identity administrator creates a staff account in their scope (real-name level 3: staff
/// are verified in person by their employer).
#[utoipa::path(post, path = "/staff", tag = "accounts", request_body = NewStaff, security(("bearer" = [])), responses(
    (status = 201, body = Account), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
    (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn create_staff(
    State(state): State<AppState>,
    Authenticated(principal): Authenticated,
    Json(input): Json<NewStaff>,
) -> Result<(StatusCode, Json<Account>)> {
    require_administers(&principal, input.region_code, input.department_id)?;
    state
        .regions
        .require_known(&input.region_code, "region_code")
        .await?;
    let login = user_name("username", &input.username)?;
    let name = required_name("name", &input.name)?;
    password::check_policy("password", &input.password, &[&login, &name])?;
    let hash = password::hash(&input.password).await?;
    let new = NewAccount {
        phone: input.phone.map(|p| p.as_str().to_owned()),
        email: None,
        department: input.department_id,
        created_by: Some(principal.account),
        // Set by an administrator: the holder chooses their own at the first sign-in.
        password_temporary: true,
        ..NewAccount::verified_staff(login, name, input.region_code, hash)
    };
    Ok((
        StatusCode::CREATED,
        Json(accounts::create(&state.pool, new).await?),
    ))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewService {
    /// The OAuth client id: 3-32 of a-z, 0-9, '.', '_', '-'.
    pub client_id: String,
    pub name: String,
    /// The region whose administrators manage it; its powers come from role grants.
    pub region_code: RegionCode,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedService {
    pub account: Account,
    pub client_id: String,
    /// Shown once, never again: store it in the client's secret store.
    pub client_secret: String,
}

/// An identity administrator creates a service account (e.g. the provincial platform).
#[utoipa::path(post, path = "/services", tag = "accounts", request_body = NewService, security(("bearer" = [])), responses(
    (status = 201, body = CreatedService), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
    (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn create_service(
    State(state): State<AppState>,
    Authenticated(principal): Authenticated,
    Json(input): Json<NewService>,
) -> Result<(StatusCode, Json<CreatedService>)> {
    require_administers(&principal, input.region_code, None)?;
    state
        .regions
        .require_known(&input.region_code, "region_code")
        .await?;
    let client_id = user_name("client_id", &input.client_id)?;
    let secret = password::new_secret();
    let name = required_name("name", &input.name)?;
    let hash = password::hash(&secret).await?;
    let new = NewAccount {
        created_by: Some(principal.account),
        ..NewAccount::service(client_id.clone(), name, Some(input.region_code), hash)
    };
    let account = accounts::create(&state.pool, new).await?;
    Ok((
        StatusCode::CREATED,
        Json(CreatedService {
            account,
            client_id,
            client_secret: secret,
        }),
    ))
}

/// What an account says about how to reach it.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ContactChange {
    /// A new mobile number (left as it is when absent).
    #[serde(default)]
    #[schema(value_type = Option<String>, example = "13800138000")]
    pub phone: Option<PhoneNumber>,
    /// A new e-mail address; an empty one removes it (left as it is when absent).
    #[serde(default)]
    pub email: Option<String>,
    /// The language messages are written in: zh-CN or en (left as it is when absent).
    #[serde(default)]
    pub locale: Option<String>,
}

/// Changes the caller's own mobile number, e-mail address (where messages go) or the language
/// messages are written in.
#[utoipa::path(put, path = "/me/contact", tag = "accounts", request_body = ContactChange,
    security(("bearer" = [])),
    responses((status = 200, body = OwnContact), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody)))]
async fn update_contact(
    State(state): State<AppState>,
    Authenticated(principal): Authenticated,
    Json(input): Json<ContactChange>,
) -> Result<Json<OwnContact>> {
    let email = match &input.email {
        None => None,
        Some(value) => Some(email("email", Some(value))?),
    };
    if let Some(locale) = &input.locale
        && !["zh-CN", "en"].contains(&locale.as_str())
    {
        return Err(Error::bad_request("locale", "zh-CN or en"));
    }
    accounts::update_contact(
        &state.pool,
        principal.account,
        input.phone.as_ref().map(PhoneNumber::as_str),
        email,
        input.locale.as_deref(),
        state.clock.now(),
    )
    .await?
    .map(Json)
    .ok_or_else(|| Error::NotFound(format!("account {}", principal.account)))
}

/// The caller's own account.
#[utoipa::path(get, path = "/me", tag = "accounts", security(("bearer" = [])), responses(
    (status = 200, body = Account), (status = 401, body = ErrorBody)))]
async fn me(
    State(state): State<AppState>,
    Authenticated(principal): Authenticated,
) -> Result<Json<Account>> {
    visible(&state, &principal, principal.account)
        .await
        .map(Json)
}

/// The account `id` if `principal` may see it; 404 otherwise, so existence does not leak.
pub(super) async fn visible(state: &AppState, principal: &Principal, id: Uuid) -> Result<Account> {
    let account = accounts::find(&state.pool, id).await?;
    match account {
        Some(account)
            if account.id == principal.account
                || account.region_code.is_some_and(|r| {
                    administers(principal, r, None)
                        || (account.department_id.is_some()
                            && administers(principal, r, account.department_id))
                }) =>
        {
            Ok(account)
        }
        _ => Err(Error::NotFound(format!("account {id}"))),
    }
}

/// An account, for itself or an administrator in scope.
#[utoipa::path(get, path = "/{id}", tag = "accounts", security(("bearer" = [])), params(("id" = Uuid, Path)),
    responses((status = 200, body = Account), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn get_account(
    State(state): State<AppState>,
    Authenticated(principal): Authenticated,
    Path(id): Path<Uuid>,
) -> Result<Json<Account>> {
    visible(&state, &principal, id).await.map(Json)
}

/// How an account can be reached.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Contact {
    pub account_id: Uuid,
    /// citizen, enterprise, staff or service.
    pub kind: String,
    /// Mobile number, if the account gave one.
    pub phone: Option<String>,
    /// E-mail address, if the account gave one.
    pub email: Option<String>,
    /// The language messages are written in: zh-CN or en.
    pub locale: String,
}

/// An account's contact details, for the notification service only: a service account whose
/// client id is in `identity.contact_readers`. Everyone else gets 403.
#[utoipa::path(get, path = "/{id}/contact", tag = "accounts", security(("bearer" = [])), params(("id" = Uuid, Path)),
    responses((status = 200, body = Contact), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn contact(
    State(state): State<AppState>,
    Authenticated(principal): Authenticated,
    Path(id): Path<Uuid>,
) -> Result<Json<Contact>> {
    if !principal.is_service_among(&state.identity.contact_readers) {
        return Err(Error::Forbidden(
            "contact details are for the notification service".into(),
        ));
    }
    let (kind, phone, email, locale) = accounts::contact(&state.pool, id)
        .await?
        .ok_or_else(|| Error::NotFound(format!("account {id}")))?;
    Ok(Json(Contact {
        account_id: id,
        kind,
        phone,
        email,
        locale,
    }))
}

/// The live role bindings of an account.
#[utoipa::path(get, path = "/{id}/roles", tag = "roles", security(("bearer" = [])), params(("id" = Uuid, Path)),
    responses((status = 200, body = Vec<Binding>), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn list_roles(
    State(state): State<AppState>,
    Authenticated(principal): Authenticated,
    Path(id): Path<Uuid>,
) -> Result<Json<Vec<Binding>>> {
    visible(&state, &principal, id).await?;
    Ok(Json(accounts::roles(&state.pool, id).await?))
}

/// Separation of duties: nobody grants or revokes roles on their own account, sets its
/// password or disables it (403 `own_account`); another administrator does.
pub(super) fn not_own(principal: &Principal, id: Uuid) -> Result<()> {
    if principal.account == id {
        return Err(Error::Denied {
            code: "own_account",
            message: "your own account's roles, password and state are changed by another \
                      administrator (separation of duties)"
                .into(),
        });
    }
    Ok(())
}

/// Grants a role. The granting administrator's own identity_admin binding must cover the new
/// binding's region (and department); only staff and service accounts hold roles.
#[utoipa::path(post, path = "/{id}/roles", tag = "roles", security(("bearer" = [])), params(("id" = Uuid, Path)),
    request_body = RoleBinding, responses(
    (status = 201, body = Binding), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
    (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn grant_role(
    State(state): State<AppState>,
    Authenticated(principal): Authenticated,
    Path(id): Path<Uuid>,
    Json(binding): Json<RoleBinding>,
) -> Result<(StatusCode, Json<Binding>)> {
    not_own(&principal, id)?;
    let account = visible(&state, &principal, id).await?;
    if !principal.may_grant(&binding) {
        return Err(Error::Forbidden(format!(
            "granting {} in region {} needs an identity_admin role covering it",
            binding.role, binding.region
        )));
    }
    if !matches!(account.kind, AccountKind::Staff | AccountKind::Service) {
        return Err(Error::unprocessable(
            "id",
            "only staff and service accounts hold roles",
        ));
    }
    state
        .regions
        .require_known(&binding.region, "region")
        .await?;
    let mut tx = state.pool.begin().await?;
    let granted = accounts::grant(&mut tx, id, &binding, Some(principal.account)).await?;
    tx.commit().await?;
    Ok((StatusCode::CREATED, Json(granted)))
}

/// Revokes a role binding; the same rule as granting it.
#[utoipa::path(delete, path = "/{id}/roles/{binding_id}", tag = "roles", security(("bearer" = [])),
    params(("id" = Uuid, Path), ("binding_id" = Uuid, Path)), responses(
    (status = 204), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn revoke_role(
    State(state): State<AppState>,
    Authenticated(principal): Authenticated,
    Path((id, binding_id)): Path<(Uuid, Uuid)>,
) -> Result<StatusCode> {
    not_own(&principal, id)?;
    visible(&state, &principal, id).await?;
    let binding = accounts::binding(&state.pool, id, binding_id)
        .await?
        .ok_or_else(|| Error::NotFound(format!("role binding {binding_id}")))?;
    if !principal.may_grant(&binding.binding) {
        return Err(Error::Forbidden(
            "revoking this role needs an identity_admin role covering it".into(),
        ));
    }
    accounts::revoke(&state.pool, id, &binding, principal.account).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn e_mail_addresses_are_checked_and_their_domain_lowered() {
        assert_eq!(
            email("email", Some(" Zhang.San@Example.CN ")).unwrap(),
            Some("Zhang.San@example.cn".to_owned())
        );
        assert_eq!(email("email", None).unwrap(), None);
        assert_eq!(email("email", Some("  ")).unwrap(), None);
        for bad in [
            "no-at.cn",
            "@example.cn",
            "a@localhost",
            "a@b@c.cn",
            "a b@c.cn",
            "a@.cn",
        ] {
            assert_eq!(
                email("email", Some(bad)).unwrap_err().status(),
                400,
                "{bad}"
            );
        }
    }
}
