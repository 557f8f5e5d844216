//! The catalogue administrators' pages: the 通办 agreements their regions are party to
//! (propose one, sign it for one's regions, terminate it with a reason) and the items' drafts
//! awaiting publication (put in force with one click; editing stays in the import and export
//! files).
//!
//! Calls: the agreements 1; proposing, signing, terminating 1 each; the drafts 1; publishing 1.

use askama::Template;
use axum::Router;
use axum::extract::{Form, Path, Query, State};
use axum::response::Response;
use axum::routing::{get, post};
use serde_json::{Value, json};
use uuid::Uuid;

use tongban_kernel::Power;
use tongban_pages::api::Service;
use tongban_pages::error::{PageError, PageResult};

use crate::AppState;
use crate::i18n::T;
use crate::pages::frame::{Acted, Chrome, Done, Fields, html_refused, posted, value};
use crate::pages::views::{Agreement, Draft};
use crate::session::Staff;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/console/agreements", get(agreements).post(propose))
        .route("/console/agreements/{id}/{action}", post(agreement_act))
        .route("/console/drafts", get(drafts))
        .route("/console/drafts/{code}/publish", post(publish))
}

/// The widest region the person keeps the catalogue of.
fn kept(staff: &Staff) -> PageResult<String> {
    staff
        .session
        .widest_region(Power::EditCatalogue)
        .map(|r| r.to_string())
        .ok_or(PageError::NotFound)
}

/// The codes typed in a box, one per line (or separated by spaces or commas).
fn codes(fields: &Fields, name: &str) -> Vec<String> {
    value(fields, name)
        .split(|c: char| c.is_whitespace() || c == ',' || c == '，')
        .filter(|code| !code.is_empty())
        .map(str::to_owned)
        .collect()
}

/// An agreement as a row of the page: what is awaited and whom.
pub struct Row {
    pub agreement: Agreement,
    pub collecting: String,
    /// The regions whose signature is still awaited, by name.
    pub awaited: String,
}

#[derive(Template)]
#[template(path = "agreements.html")]
struct Agreements {
    chrome: Chrome,
    t: T,
    rows: Vec<Row>,
    region: String,
    form: Fields,
    today: String,
    done: Option<String>,
    error: Option<String>,
}

impl Agreements {
    /// What the proposal's form had in `name` (kept when crossregion refused it).
    fn typed(&self, name: &str) -> &str {
        value(&self.form, name)
    }
}

async fn agreements(
    State(state): State<AppState>,
    staff: Staff,
    Query(done): Query<Done>,
) -> PageResult<Response> {
    let done = done.words(staff.t);
    show(&state, &staff, Vec::new(), done, None).await
}

async fn show(
    state: &AppState,
    staff: &Staff,
    form: Fields,
    done: Option<String>,
    error: Option<String>,
) -> PageResult<Response> {
    let Staff { session, t, path } = staff;
    let region = kept(staff)?;
    let list: Vec<Agreement> = state
        .api
        .get(
            session.token(),
            Service::Crossregion,
            &format!("/v1/agreements?region_code={region}"),
        )
        .await?;
    let mut rows = Vec::new();
    for agreement in list {
        let mut collecting = Vec::new();
        for code in &agreement.collecting_regions {
            collecting.push(state.region_named(code).await);
        }
        let mut awaited = Vec::new();
        for signature in agreement
            .signatures
            .iter()
            .filter(|s| s.signed_at.is_none())
        {
            awaited.push(state.region_named(&signature.region_code).await);
        }
        rows.push(Row {
            agreement,
            collecting: collecting.join("、"),
            awaited: awaited.join("、"),
        });
    }
    let today = tongban_kernel::clock::local_date(state.clock.now()).to_string();
    let region = format!("{}（{region}）", state.region_named(&region).await);
    let refused = error.is_some();
    html_refused(
        &Agreements {
            chrome: Chrome::staff(session, *t, state, path, "/console/agreements"),
            t: *t,
            rows,
            region,
            form,
            today,
            done,
            error,
        },
        refused,
    )
}

async fn propose(
    State(state): State<AppState>,
    staff: Staff,
    Form(fields): Form<Fields>,
) -> PageResult<Response> {
    let until = Some(value(&fields, "effective_until")).filter(|d| !d.is_empty());
    let body = json!({
        "title": value(&fields, "title"),
        "mode": value(&fields, "mode"),
        "items": codes(&fields, "items"),
        "collecting_regions": codes(&fields, "collecting_regions"),
        "effective_from": value(&fields, "effective_from"),
        "effective_until": until,
    });
    let back = "/console/agreements?done=agreement_proposed";
    let path = "/v1/agreements";
    match posted(
        &state,
        &staff,
        Service::Crossregion,
        path,
        Some(&body),
        back,
    )
    .await?
    {
        Acted::Done(back) => Ok(back),
        Acted::Refused(message) => show(&state, &staff, fields, None, Some(message)).await,
    }
}

/// Sign an agreement for one's regions, or terminate it with a reason.
async fn agreement_act(
    State(state): State<AppState>,
    staff: Staff,
    Path((id, action)): Path<(Uuid, String)>,
    Form(fields): Form<Fields>,
) -> PageResult<Response> {
    let (body, done): (Option<Value>, &str) = match action.as_str() {
        "sign" => (None, "agreement_signed"),
        "terminate" => {
            let until = Some(value(&fields, "effective_until")).filter(|d| !d.is_empty());
            let body = json!({ "reason": value(&fields, "reason"), "effective_until": until });
            (Some(body), "agreement_terminated")
        }
        _ => return Err(PageError::NotFound),
    };
    let path = format!("/v1/agreements/{id}/{action}");
    let back = format!("/console/agreements?done={done}");
    match posted(
        &state,
        &staff,
        Service::Crossregion,
        &path,
        body.as_ref(),
        &back,
    )
    .await?
    {
        Acted::Done(back) => Ok(back),
        Acted::Refused(message) => show(&state, &staff, Vec::new(), None, Some(message)).await,
    }
}

#[derive(Template)]
#[template(path = "drafts.html")]
struct Drafts {
    chrome: Chrome,
    t: T,
    drafts: Vec<(Draft, String)>,
    done: Option<String>,
    error: Option<String>,
}

async fn drafts(
    State(state): State<AppState>,
    staff: Staff,
    Query(done): Query<Done>,
) -> PageResult<Response> {
    let done = done.words(staff.t);
    show_drafts(&state, &staff, done, None).await
}

async fn show_drafts(
    state: &AppState,
    staff: &Staff,
    done: Option<String>,
    error: Option<String>,
) -> PageResult<Response> {
    let Staff { session, t, path } = staff;
    let list: Vec<Draft> = state
        .api
        .get(
            session.token(),
            Service::Catalogue,
            &format!("/v1/items/drafts?region_code={}", kept(staff)?),
        )
        .await?;
    let mut drafts = Vec::new();
    for draft in list {
        let region = state.region_named(&draft.region_code).await;
        drafts.push((draft, region));
    }
    let refused = error.is_some();
    html_refused(
        &Drafts {
            chrome: Chrome::staff(session, *t, state, path, "/console/drafts"),
            t: *t,
            drafts,
            done,
            error,
        },
        refused,
    )
}

async fn publish(
    State(state): State<AppState>,
    staff: Staff,
    Path(code): Path<String>,
    Form(fields): Form<Fields>,
) -> PageResult<Response> {
    // An implementation code is 31 letters and digits: nothing else reaches the catalogue's path.
    if !code.chars().all(|c| c.is_ascii_alphanumeric()) {
        return Err(PageError::NotFound);
    }
    let version: i32 = value(&fields, "version")
        .parse()
        .map_err(|_| PageError::NotFound)?;
    let path = format!("/v1/items/{code}/publish");
    let body = json!({ "version": version });
    let back = "/console/drafts?done=draft_published";
    match posted(&state, &staff, Service::Catalogue, &path, Some(&body), back).await? {
        Acted::Done(back) => Ok(back),
        Acted::Refused(message) => show_drafts(&state, &staff, None, Some(message)).await,
    }
}
