//! Finding a case (by number, the applicant's document or name, status, the days it was
//! submitted) and the case's own page: the applicant, the materials against the item's list
//! (viewable in the page), the history as a timeline, a 一件事's parts.

use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use axum::routing::get;
use reqwest::Method;
use serde::Deserialize;
use uuid::Uuid;

use tongban_kernel::Role;
use tongban_pages::api::{Failure, Service};
use tongban_pages::error::{PageError, PageResult};

use crate::AppState;
use crate::i18n::T;
use crate::pages::frame::{
    Chrome, Done, html, html_refused, not_found, relayed, urlencode, with_history,
};
use crate::pages::views::{Case, HallCases, HistoryEntry, STATUSES};
use crate::session::Staff;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/console/cases", get(search))
        .route("/console/cases/{id}", get(case))
        .route("/console/cases/{id}/materials/{code}", get(material))
}

/// The search form's fields, as typed.
#[derive(Debug, Default, Deserialize)]
pub struct SearchForm {
    #[serde(default)]
    pub number: String,
    #[serde(default)]
    pub document: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub status: String,
    #[serde(default)]
    pub submitted_from: String,
    #[serde(default)]
    pub submitted_to: String,
    #[serde(default)]
    pub after: String,
}

impl SearchForm {
    /// The filters given, as acceptance's search takes them.
    fn query(&self) -> Vec<(&'static str, &str)> {
        [
            ("number", self.number.trim()),
            ("document", self.document.trim()),
            ("name", self.name.trim()),
            ("status", self.status.trim()),
            ("submitted_from", self.submitted_from.trim()),
            ("submitted_to", self.submitted_to.trim()),
        ]
        .into_iter()
        .filter(|(_, value)| !value.is_empty())
        .collect()
    }

    fn encoded(filters: &[(&str, &str)]) -> String {
        filters
            .iter()
            .map(|(key, value)| format!("{key}={}", urlencode(value)))
            .collect::<Vec<_>>()
            .join("&")
    }
}

#[derive(Template)]
#[template(path = "search.html")]
struct Search {
    chrome: Chrome,
    t: T,
    form: SearchForm,
    statuses: [&'static str; 9],
    /// None before a search.
    results: Option<HallCases>,
    /// A refused search: the field at fault and why.
    error: Option<(String, String)>,
    next: Option<String>,
}

async fn search(
    State(state): State<AppState>,
    Staff { session, t, path }: Staff,
    Query(form): Query<SearchForm>,
) -> PageResult<Response> {
    let filters = form.query();
    let (mut results, mut error, mut next) = (None, None, None);
    if !filters.is_empty() {
        let mut query = SearchForm::encoded(&filters);
        if !form.after.is_empty() {
            query.push_str(&format!("&after={}", urlencode(&form.after)));
        }
        match state
            .api
            .get::<HallCases>(
                session.token(),
                Service::Acceptance,
                &format!("/v1/cases?limit=20&{query}"),
            )
            .await
        {
            Ok(found) => {
                next = found.next.as_deref().map(|n| {
                    format!(
                        "/console/cases?{}&after={}",
                        SearchForm::encoded(&filters),
                        urlencode(n)
                    )
                });
                results = Some(found);
            }
            Err(Failure::Refused(refusal)) if refusal.status.as_u16() == 400 => {
                error = Some((refusal.field.unwrap_or_default(), refusal.message));
            }
            Err(failure) => return Err(failure.into()),
        }
    }
    html(&Search {
        chrome: Chrome::staff(&session, t, &state, &path, "/console/cases"),
        t,
        form,
        statuses: STATUSES,
        results,
        error,
        next,
    })
}

#[derive(Template)]
#[template(path = "case.html")]
struct CasePage {
    chrome: Chrome,
    t: T,
    case: Case,
    history: Vec<HistoryEntry>,
    /// The regions' names (赫山区), for the codes the case carries.
    receiving: String,
    handling: String,
    /// The person works a window: the window's actions are offered (the service decides
    /// whether they may).
    window: bool,
    /// What the last action did, or why the service refused it.
    done: Option<String>,
    error: Option<String>,
}

async fn case(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<String>,
    Query(done): Query<Done>,
) -> PageResult<Response> {
    // An id or a case number, as acceptance takes it; anything else is not a case.
    if id.len() > 64 || !id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
        return Err(PageError::NotFound);
    }
    let done = done.words(staff.t);
    show(&state, &staff, &id, done, None).await
}

/// The case page of case `id` (an id or a number) as `staff` sees it, with what the last
/// action did or why it was refused. Two calls: the case and its history.
pub async fn show(
    state: &AppState,
    staff: &Staff,
    id: &str,
    done: Option<String>,
    error: Option<String>,
) -> PageResult<Response> {
    let Staff { session, t, path } = staff;
    let (case, history): (Case, Vec<HistoryEntry>) = with_history(
        &state.api,
        session.token(),
        Service::Acceptance,
        &format!("/v1/cases/{id}"),
    )
    .await?;
    let (receiving, handling) = tokio::join!(
        state.region_named(&case.receiving_region),
        state.region_named(&case.handling_region),
    );
    let refused = error.is_some();
    html_refused(
        &CasePage {
            chrome: Chrome::staff(session, *t, state, path, ""),
            t: *t,
            case,
            history,
            receiving,
            handling,
            window: session.has(Role::WindowClerk),
            done,
            error,
        },
        refused,
    )
}

/// A material's file, as acceptance serves it to the signed-in person, for the case page to
/// show inline.
async fn material(
    State(state): State<AppState>,
    Staff { session, .. }: Staff,
    Path((id, code)): Path<(Uuid, String)>,
) -> PageResult<Response> {
    if !code.chars().all(|c| c.is_ascii_alphanumeric()) {
        return Err(PageError::NotFound);
    }
    let answer = state
        .api
        .fetch(
            session.token(),
            Method::GET,
            Service::Acceptance,
            &format!("/v1/cases/{id}/materials/{code}"),
        )
        .await
        .map_err(not_found)?;
    let content_type = match answer
        .headers()
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
    {
        Some("application/pdf") => "application/pdf",
        Some("image/png") => "image/png",
        Some("image/jpeg") => "image/jpeg",
        _ => "application/octet-stream",
    };
    // The file is shown in a frame of the case page, with nothing of its own to run.
    relayed(
        answer,
        content_type,
        "default-src 'none'; img-src 'self'; object-src 'self'; frame-ancestors 'self'",
    )
    .await
}
