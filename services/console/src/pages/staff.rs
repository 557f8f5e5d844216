//! Staff accounts (人员账号), for identity administrators within their scope: the directory
//! (search, pages), a new account with its first role, and an account's page to grant and
//! revoke roles, disable and enable it, and reset its password. A password the console makes
//! is shown once, on the page that answers the action, to be handed over in person; identity
//! makes its holder choose their own at the next sign-in.
//!
//! Calls: the directory 1; a new account 1, 2 with a role; an account 2 (it and its roles);
//! each action 1. Separation of duties (nobody changes their own account) is identity's rule,
//! shown in its words.

use askama::Template;
use axum::Router;
use axum::extract::{Form, Path, Query, State};
use axum::response::Response;
use axum::routing::{get, post};
use rand::Rng;
use reqwest::Method;
use serde::Deserialize;
use serde_json::{Value, json};
use uuid::Uuid;

use tongban_kernel::Power;
use tongban_pages::api::{Failure, Service};
use tongban_pages::error::{PageError, PageResult};

use crate::AppState;
use crate::i18n::T;
use crate::pages::frame::{
    Acted, Chrome, Done, Fields, html_refused, not_found, posted, settled, urlencode, value,
};
use crate::pages::views::{Account, Binding, StaffPage};
use crate::session::Staff;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/console/staff", get(directory).post(create))
        .route("/console/staff/{id}", get(account))
        .route("/console/staff/{id}/{action}", post(act))
        .route("/console/staff/{id}/roles/{binding}/revoke", post(revoke))
}

/// The roles an administrator may grant, in the order the form offers them.
pub const ROLES: [&str; 6] = [
    "window_clerk",
    "approver",
    "supervisor",
    "catalogue_admin",
    "identity_admin",
    "hall_admin",
];

/// A temporary password to hand over in person: twelve characters of an alphabet without
/// look-alikes, in groups of four (about 60 bits; the holder replaces it at once).
fn temporary_password() -> String {
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyz23456789";
    let mut rng = rand::thread_rng();
    (0..3)
        .map(|_| {
            (0..4)
                .map(|_| char::from(ALPHABET[rng.gen_range(0..ALPHABET.len())]))
                .collect::<String>()
        })
        .collect::<Vec<_>>()
        .join("-")
}

/// The widest region the person administers accounts in.
fn administered(staff: &Staff) -> PageResult<String> {
    staff
        .session
        .widest_region(Power::ManageAccounts)
        .map(|r| r.to_string())
        .ok_or(PageError::NotFound)
}

#[derive(Deserialize, Default)]
struct DirectoryQuery {
    #[serde(default)]
    q: String,
    #[serde(default)]
    after: Option<String>,
}

#[derive(Template)]
#[template(path = "staff.html")]
struct Directory {
    chrome: Chrome,
    t: T,
    page: StaffPage,
    /// Each account's roles in words, in the page's order.
    roles: Vec<String>,
    q: String,
    next: Option<String>,
    /// The new account's form: the region offered and what was typed when it was refused.
    region: String,
    form: Fields,
    roles_offered: [&'static str; 6],
    error: Option<String>,
}

async fn directory(
    State(state): State<AppState>,
    staff: Staff,
    Query(query): Query<DirectoryQuery>,
) -> PageResult<Response> {
    let region = administered(&staff)?;
    let form = vec![("region_code".to_owned(), region)];
    show_directory(&state, &staff, query, form, None).await
}

async fn show_directory(
    state: &AppState,
    staff: &Staff,
    query: DirectoryQuery,
    form: Fields,
    error: Option<String>,
) -> PageResult<Response> {
    let Staff { session, t, path } = staff;
    let q = query.q.trim().to_owned();
    let mut url = format!("/v1/accounts?limit=50&q={}", urlencode(&q));
    if let Some(after) = &query.after {
        url.push_str(&format!("&after={}", urlencode(after)));
    }
    let page: StaffPage = state
        .api
        .get(session.token(), Service::Identity, &url)
        .await?;
    let next = page
        .next
        .as_deref()
        .map(|n| format!("/console/staff?q={}&after={}", urlencode(&q), urlencode(n)));
    let mut roles = Vec::new();
    for account in &page.items {
        roles.push(roles_in_words(state, *t, &account.roles).await);
    }
    let code = administered(staff)?;
    let region = format!("{}（{code}）", state.region_named(&code).await);
    let refused = error.is_some();
    html_refused(
        &Directory {
            chrome: Chrome::staff(session, *t, state, path, "/console/staff"),
            t: *t,
            page,
            roles,
            q,
            next,
            region,
            form,
            roles_offered: ROLES,
            error,
        },
        refused,
    )
}

/// "审批人员（赫山区）, 窗口人员（赫山区）".
async fn roles_in_words(state: &AppState, t: T, roles: &[Binding]) -> String {
    let mut words = Vec::new();
    for binding in roles {
        words.push(format!(
            "{}（{}）",
            t.code("role", &binding.role),
            state.region_named(&binding.region).await
        ));
    }
    if words.is_empty() {
        return "—".to_owned();
    }
    words.join("、")
}

/// A new account, and its first role when one is chosen; then its page with the password.
impl Directory {
    /// What the new account's form had in `name` (kept when identity refused it).
    fn typed(&self, name: &str) -> &str {
        value(&self.form, name)
    }
}

async fn create(
    State(state): State<AppState>,
    staff: Staff,
    Form(fields): Form<Fields>,
) -> PageResult<Response> {
    let password = temporary_password();
    let region = value(&fields, "region_code");
    let body = json!({
        "username": value(&fields, "username"),
        "name": value(&fields, "name"),
        "region_code": region,
        "password": password,
    });
    let token = staff.session.token();
    let created: Result<Account, Failure> = state
        .api
        .send(
            token,
            Method::POST,
            Service::Identity,
            "/v1/accounts/staff",
            &body,
        )
        .await;
    let account = match created {
        Ok(account) => account,
        Err(Failure::Refused(refusal)) if refusal.status.as_u16() != 401 => {
            let query = DirectoryQuery::default();
            return show_directory(&state, &staff, query, fields, Some(refusal.message)).await;
        }
        Err(failure) => return Err(failure.into()),
    };
    let role = value(&fields, "role");
    let mut error = None;
    if !role.is_empty() {
        let grant = json!({ "role": role, "region": region });
        let path = format!("/v1/accounts/{}/roles", account.id);
        // Shown on this answer with the password, never a redirect: where it would lead is moot.
        if let Acted::Refused(message) =
            posted(&state, &staff, Service::Identity, &path, Some(&grant), "").await?
        {
            error = Some(message);
        }
    }
    let done = Some(staff.t.s("done.account_created").to_owned());
    show_account(
        &state,
        &staff,
        account.id,
        Shown {
            done,
            error,
            password: Some(password),
        },
    )
    .await
}

#[derive(Template)]
#[template(path = "account.html")]
struct AccountPage {
    chrome: Chrome,
    t: T,
    account: Account,
    region: String,
    roles: Vec<(Binding, String)>,
    roles_offered: [&'static str; 6],
    shown: Shown,
}

/// What an account's page says besides the account: what was done, why it was refused, and
/// a password just made (shown this once).
#[derive(Default)]
struct Shown {
    done: Option<String>,
    error: Option<String>,
    password: Option<String>,
}

async fn account(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<Uuid>,
    Query(done): Query<Done>,
) -> PageResult<Response> {
    let done = done.words(staff.t);
    show_account(
        &state,
        &staff,
        id,
        Shown {
            done,
            ..Shown::default()
        },
    )
    .await
}

async fn show_account(
    state: &AppState,
    staff: &Staff,
    id: Uuid,
    shown: Shown,
) -> PageResult<Response> {
    let Staff { session, t, path } = staff;
    let token = session.token();
    let (one, roles_of) = (
        format!("/v1/accounts/{id}"),
        format!("/v1/accounts/{id}/roles"),
    );
    let (account, bindings) = tokio::join!(
        state.api.get::<Account>(token, Service::Identity, &one),
        state
            .api
            .get::<Vec<Binding>>(token, Service::Identity, &roles_of),
    );
    let (account, bindings) = (account.map_err(not_found)?, bindings.map_err(not_found)?);
    let mut roles = Vec::new();
    for binding in bindings {
        let region = state.region_named(&binding.region).await;
        roles.push((binding, region));
    }
    let region = match &account.region_code {
        Some(code) => state.region_named(code).await,
        None => "—".to_owned(),
    };
    let refused = shown.error.is_some();
    html_refused(
        &AccountPage {
            chrome: Chrome::staff(session, *t, state, path, "/console/staff"),
            t: *t,
            account,
            region,
            roles,
            roles_offered: ROLES,
            shown,
        },
        refused,
    )
}

/// Grant a role, disable, enable, or reset the password.
async fn act(
    State(state): State<AppState>,
    staff: Staff,
    Path((id, action)): Path<(Uuid, String)>,
    Form(fields): Form<Fields>,
) -> PageResult<Response> {
    let token = staff.session.token();
    let mut password = None;
    let (method, path, body, done): (Method, String, Option<Value>, &str) = match action.as_str() {
        "roles" => {
            let department = Some(value(&fields, "department_id")).filter(|d| !d.is_empty());
            let body = json!({
                "role": value(&fields, "role"),
                "region": value(&fields, "region"),
                "department": department,
            });
            (
                Method::POST,
                format!("/v1/accounts/{id}/roles"),
                Some(body),
                "role_granted",
            )
        }
        "disable" | "enable" => {
            let done = if action == "disable" {
                "account_disabled"
            } else {
                "account_enabled"
            };
            (
                Method::POST,
                format!("/v1/accounts/{id}/{action}"),
                None,
                done,
            )
        }
        "password" => {
            let made = temporary_password();
            let body = json!({ "password": made });
            password = Some(made);
            (
                Method::PUT,
                format!("/v1/accounts/{id}/password"),
                Some(body),
                "password_reset",
            )
        }
        _ => return Err(PageError::NotFound),
    };
    let outcome = state
        .api
        .act(token, method, Service::Identity, &path, body.as_ref())
        .await;
    let back = format!("/console/staff/{id}?done={done}");
    match settled(outcome, &back)? {
        // A password just set is shown on this answer, never put in an address.
        Acted::Done(_) if password.is_some() => {
            let done = Some(staff.t.code("done", done));
            show_account(
                &state,
                &staff,
                id,
                Shown {
                    done,
                    error: None,
                    password,
                },
            )
            .await
        }
        Acted::Done(redirect) => Ok(redirect),
        Acted::Refused(message) => {
            let shown = Shown {
                error: Some(message),
                ..Shown::default()
            };
            show_account(&state, &staff, id, shown).await
        }
    }
}

async fn revoke(
    State(state): State<AppState>,
    staff: Staff,
    Path((id, binding)): Path<(Uuid, Uuid)>,
) -> PageResult<Response> {
    let outcome = state
        .api
        .act::<Value>(
            staff.session.token(),
            Method::DELETE,
            Service::Identity,
            &format!("/v1/accounts/{id}/roles/{binding}"),
            None,
        )
        .await;
    match settled(outcome, &format!("/console/staff/{id}?done=role_revoked"))? {
        Acted::Done(back) => Ok(back),
        Acted::Refused(message) => {
            let shown = Shown {
                error: Some(message),
                ..Shown::default()
            };
            show_account(&state, &staff, id, shown).await
        }
    }
}
