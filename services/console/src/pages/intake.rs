//! A walk-in taken in at the window (窗口收件, 帮代办): the clerk picks the hall (one of the
//! regions their window role covers), finds the item the hall may collect — its own, by 通办
//! scope, or under an agreement, the mode shown — and records the applicant as their document
//! says. The case is opened as a draft for the clerk to complete on its page (materials, the
//! original ID, submission, the decision).
//!
//! Calls: the item search (catalogue, 1); the chosen item (catalogue, 1); the intake
//! (acceptance, 1, under an idempotency key the form carries, so a double click opens one case).

use askama::Template;
use axum::Router;
use axum::extract::{Form, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use serde::Deserialize;
use serde_json::json;

use tongban_kernel::Role;
use tongban_pages::api::{Failure, Service};
use tongban_pages::error::{PageError, PageResult};

use crate::AppState;
use crate::i18n::T;
use crate::pages::frame::{Chrome, html, html_refused, urlencode};
use crate::pages::views::ItemSummary;
use crate::session::store::random_token;
use crate::session::{Session, Staff};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/console/intake", get(find_item).post(take_in))
        .route("/console/intake/new", get(applicant_form))
}

/// A hall the clerk may take cases in at.
pub struct Hall {
    pub code: String,
    pub name: String,
    pub chosen: bool,
}

/// The halls of the person's window roles, `chosen` marked (the first when none is).
pub async fn halls(state: &AppState, session: &Session, chosen: &str) -> Vec<Hall> {
    let mut halls = Vec::new();
    for binding in session.bindings(Role::WindowClerk) {
        let code = binding.region.to_string();
        halls.push(Hall {
            name: state.region_name(&binding.region).await,
            chosen: code == chosen,
            code,
        });
    }
    if !halls.iter().any(|h| h.chosen)
        && let Some(first) = halls.first_mut()
    {
        first.chosen = true;
    }
    halls
}

/// The code of the hall chosen among `halls`; none when the person is no window clerk.
pub fn chosen(halls: &[Hall]) -> Option<String> {
    halls.iter().find(|h| h.chosen).map(|h| h.code.clone())
}

#[derive(Template)]
#[template(path = "intake.html")]
struct FindItem {
    chrome: Chrome,
    t: T,
    halls: Vec<Hall>,
    hall: String,
    q: String,
    /// None before a search.
    items: Option<Vec<ItemSummary>>,
}

#[derive(Deserialize, Default)]
struct FindQuery {
    #[serde(default)]
    region: String,
    #[serde(default)]
    q: String,
}

async fn find_item(
    State(state): State<AppState>,
    Staff { session, t, path }: Staff,
    Query(query): Query<FindQuery>,
) -> PageResult<Response> {
    let halls = halls(&state, &session, &query.region).await;
    let Some(hall) = chosen(&halls) else {
        return Err(PageError::Refused(tongban_pages::api::Refusal {
            status: StatusCode::FORBIDDEN,
            code: "not_a_window_clerk".into(),
            message: t.s("intake.not_clerk").to_owned(),
            field: None,
        }));
    };
    let q = query.q.trim().to_owned();
    let items = if q.is_empty() {
        None
    } else {
        let search = format!("/v1/items?limit=30&region_code={hall}&q={}", urlencode(&q));
        let mut found: Vec<ItemSummary> = state
            .api
            .get(session.token(), Service::Catalogue, &search)
            .await?;
        // Only what this hall may collect (the search marks it), its own first.
        found.retain(|item| item.available_as.is_some());
        found.sort_by_key(|item| item.available_as.as_deref() != Some("own"));
        for item in &mut found {
            item.region_name = state.region_named(&item.region_code).await;
        }
        Some(found)
    };
    html(&FindItem {
        chrome: Chrome::staff(&session, t, &state, &path, "/console/intake"),
        t,
        halls,
        hall,
        q,
        items,
    })
}

#[derive(Template)]
#[template(path = "intake_new.html")]
struct ApplicantForm {
    chrome: Chrome,
    t: T,
    hall_name: String,
    item: ItemSummary,
    id_types: [&'static str; 5],
    /// What the clerk typed, kept when the form comes back with what to fix.
    form: Applicant,
    /// The field the service refused, and why.
    error: Option<(String, String)>,
}

#[derive(Deserialize, Default)]
struct ChosenItem {
    region: String,
    item: String,
}

/// The applicant as the form gives them.
#[derive(Deserialize, Default, Clone)]
pub struct Applicant {
    #[serde(default)]
    pub region: String,
    #[serde(default)]
    pub item: String,
    #[serde(default)]
    pub idempotency_key: String,
    #[serde(default = "citizen")]
    pub kind: String,
    #[serde(default)]
    pub id_type: String,
    #[serde(default)]
    pub document_number: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub phone: String,
    /// What the applicant asks, in their words (the case's form).
    #[serde(default)]
    pub note: String,
}

fn citizen() -> String {
    "citizen".to_owned()
}

/// The ID types a citizen may show.
pub const ID_TYPES: [&str; 5] = [
    "resident_id_card",
    "passport",
    "hk_macao_permit",
    "taiwan_permit",
    "foreign_permanent_resident",
];

async fn item_of(state: &AppState, session: &Session, code: &str) -> PageResult<ItemSummary> {
    if code.len() != 31 || !code.chars().all(|c| c.is_ascii_alphanumeric()) {
        return Err(PageError::NotFound);
    }
    state
        .api
        .get(
            session.token(),
            Service::Catalogue,
            &format!("/v1/items/{code}"),
        )
        .await
        .map_err(|f| match f.status().as_u16() {
            404 => PageError::NotFound,
            _ => f.into(),
        })
}

async fn applicant_form(
    State(state): State<AppState>,
    Staff { session, t, path }: Staff,
    Query(chosen): Query<ChosenItem>,
) -> PageResult<Response> {
    let item = item_of(&state, &session, &chosen.item).await?;
    let form = Applicant {
        region: chosen.region.clone(),
        item: chosen.item,
        idempotency_key: random_token(),
        kind: citizen(),
        id_type: ID_TYPES[0].to_owned(),
        ..Applicant::default()
    };
    render_form(&state, &session, t, &path, item, form, None).await
}

async fn render_form(
    state: &AppState,
    session: &Session,
    t: T,
    path: &str,
    item: ItemSummary,
    form: Applicant,
    error: Option<(String, String)>,
) -> PageResult<Response> {
    let hall_name = state.region_named(&form.region).await;
    let refused = error.is_some();
    html_refused(
        &ApplicantForm {
            chrome: Chrome::staff(session, t, state, path, "/console/intake"),
            t,
            hall_name,
            item,
            id_types: ID_TYPES,
            error,
            form,
        },
        refused,
    )
}

#[derive(Deserialize)]
struct Opened {
    id: uuid::Uuid,
}

async fn take_in(
    State(state): State<AppState>,
    Staff { session, t, path }: Staff,
    Form(form): Form<Applicant>,
) -> PageResult<Response> {
    let citizen = form.kind == "citizen";
    let body = json!({
        "implementation_code": form.item,
        "receiving_region": form.region,
        "applicant": {
            "kind": form.kind,
            "name": form.name.trim(),
            "id_type": citizen.then_some(form.id_type.as_str()),
            "document_number": form.document_number.trim(),
            "phone": Some(form.phone.trim()).filter(|p| !p.is_empty()),
        },
        "form": { "note": form.note.trim() },
    });
    let key = if form.idempotency_key.is_empty() {
        random_token()
    } else {
        form.idempotency_key.clone()
    };
    match state
        .api
        .create::<_, Opened>(
            session.token(),
            Service::Acceptance,
            "/v1/cases/intake",
            &key,
            &body,
        )
        .await
    {
        Ok(opened) => Ok(Redirect::to(&format!("/console/cases/{}", opened.id)).into_response()),
        Err(Failure::Refused(refusal))
            if refusal.status.as_u16() == 422 || refusal.status.as_u16() == 400 =>
        {
            let item = item_of(&state, &session, &form.item).await?;
            let field = refusal.field.unwrap_or_default();
            let field = field.rsplit('.').next().unwrap_or_default().to_owned();
            render_form(
                &state,
                &session,
                t,
                &path,
                item,
                form,
                Some((field, refusal.message)),
            )
            .await
        }
        Err(failure) => Err(failure.into()),
    }
}
