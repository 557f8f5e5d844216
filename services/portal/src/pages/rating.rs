//! Rating without signing in: a window visit from the QR code its clerk shows (一次一评,
//! `/rate/{code}`), and a public comment on a hall (`/comment`). A bad rating must say what
//! went wrong (acceptance's rule, shown in its words) and opens a remediation for the hall.

use askama::Template;
use axum::Router;
use axum::extract::{Form, Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use serde::Deserialize;
use uuid::Uuid;

use tongban_pages::answer::html_refused;
use tongban_pages::api::{Failure, Service};
use tongban_pages::error::{PageError, PageResult};
use tongban_pages::guard::Ctx;
use tongban_pages::i18n::T;

use crate::AppState;
use crate::catalogue::Region;
use crate::pages::frame::Chrome;
use crate::pages::frame::signed_in;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/rate/{code}", get(visit_form).post(rate_visit))
        .route("/comment", get(comment_form).post(comment))
        .route("/my/cases/{id}/rate", get(case_form).post(rate_case))
}

pub use tongban_pages::rating::LEVELS;

#[derive(Deserialize, Default)]
struct Rated {
    #[serde(default)]
    level: String,
    #[serde(default)]
    comment: String,
    #[serde(default)]
    anonymous: Option<String>,
    #[serde(default)]
    region: String,
}

/// A county or city whose hall a comment may be about, under its city's name.
pub struct Hall {
    pub code: String,
    pub name: String,
}

#[derive(Template)]
#[template(path = "rate.html")]
struct Rate {
    chrome: Chrome,
    t: T,
    /// The page's heading and its first words (message keys).
    title: &'static str,
    intro: &'static str,
    levels: [&'static str; 5],
    /// Where the form posts.
    action: String,
    /// The halls to choose from (a public comment); empty for a visit.
    halls: Vec<Hall>,
    form: Rated,
    /// Why the rating was not taken, in acceptance's words or ours.
    error: Option<String>,
    done: bool,
}

impl Rate {
    fn new(ctx: &Ctx, action: String, halls: Vec<Hall>) -> Self {
        let (title, intro) = if halls.is_empty() {
            ("rate.title", "rate.intro")
        } else {
            ("comment.title", "comment.intro")
        };
        Self {
            chrome: Chrome::new(ctx, ""),
            t: ctx.t,
            title,
            intro,
            levels: LEVELS,
            action,
            halls,
            form: Rated::default(),
            error: None,
            done: false,
        }
    }
}

/// A rating code as the clerk's QR code carries it: 16 letters and digits.
fn visit_code(code: &str) -> PageResult<&str> {
    if code.len() == 16 && code.bytes().all(|b| b.is_ascii_alphanumeric()) {
        Ok(code)
    } else {
        Err(PageError::NotFound)
    }
}

async fn visit_form(ctx: Ctx, Path(code): Path<String>) -> PageResult<Response> {
    let code = visit_code(&code)?;
    html_refused(&Rate::new(&ctx, format!("/rate/{code}"), Vec::new()), false)
}

/// The form again: a level must be chosen (the rest kept).
fn unchosen(mut page: Rate, form: Rated) -> PageResult<Response> {
    page.error = Some(page.t.s("rate.choose").to_owned());
    page.form = form;
    html_refused(&page, true)
}

/// The rating's body for acceptance.
fn body(form: &Rated) -> serde_json::Value {
    serde_json::json!({
        "level": form.level,
        "comment": form.comment.trim(),
        "anonymous": form.anonymous.is_some(),
    })
}

/// The page after acceptance's answer: thanks, or the form again with why.
fn answered(mut page: Rate, form: Rated, outcome: Result<(), Failure>) -> PageResult<Response> {
    page.form = form;
    match outcome {
        Ok(()) => page.done = true,
        Err(Failure::Refused(refusal)) if refusal.status.as_u16() == 409 => {
            page.error = Some(page.t.s("rate.already").to_owned());
        }
        Err(Failure::Refused(refusal)) if refusal.status.as_u16() == 404 => {
            page.error = Some(page.t.s("rate.unknown").to_owned());
        }
        Err(Failure::Refused(refusal)) => page.error = Some(refusal.message),
        Err(failure) => return Err(failure.into()),
    }
    html_refused(&page, page.error.is_some())
}

async fn rate_visit(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(code): Path<String>,
    Form(form): Form<Rated>,
) -> PageResult<Response> {
    let code = visit_code(&code)?;
    let page = Rate::new(&ctx, format!("/rate/{code}"), Vec::new());
    if !LEVELS.contains(&form.level.as_str()) {
        return unchosen(page, form);
    }
    let outcome = state
        .api
        .public_act(
            reqwest::Method::POST,
            Service::Acceptance,
            &format!("/v1/ratings/visits/{code}"),
            &body(&form),
        )
        .await;
    answered(page, form, outcome)
}

/// The province's cities and their counties: the halls a comment may be about.
async fn halls(state: &AppState) -> PageResult<Vec<Hall>> {
    let province = state.config.province.as_str();
    let cities = state.regions.children(&state.api, province).await?;
    let mut halls = Vec::new();
    for city in cities {
        let counties: Vec<Region> = state.regions.children(&state.api, &city.code).await?;
        halls.push(Hall {
            code: city.code.clone(),
            name: city.name.clone(),
        });
        halls.extend(counties.into_iter().map(|county| Hall {
            code: county.code,
            name: format!("{} {}", city.name, county.name),
        }));
    }
    Ok(halls)
}

async fn comment_form(State(state): State<AppState>, ctx: Ctx) -> PageResult<Response> {
    let halls = halls(&state).await?;
    html_refused(&Rate::new(&ctx, "/comment".to_owned(), halls), false)
}

async fn comment(
    State(state): State<AppState>,
    ctx: Ctx,
    Form(form): Form<Rated>,
) -> PageResult<Response> {
    let mut page = Rate::new(&ctx, "/comment".to_owned(), halls(&state).await?);
    let known = page.halls.iter().any(|h| h.code == form.region);
    if !known || !LEVELS.contains(&form.level.as_str()) {
        page.error = Some(
            ctx.t
                .s(if known {
                    "rate.choose"
                } else {
                    "rate.choose_hall"
                })
                .to_owned(),
        );
        page.form = form;
        return html_refused(&page, true);
    }
    let mut body = body(&form);
    body["region_code"] = serde_json::Value::String(form.region.clone());
    let outcome = state
        .api
        .public_act(
            reqwest::Method::POST,
            Service::Acceptance,
            "/v1/ratings/comments",
            &body,
        )
        .await;
    answered(page, form, outcome)
}

/// The rating form of the person's own concluded case (一事一评).
fn case_page(ctx: &Ctx, id: Uuid) -> Rate {
    let mut page = Rate::new(ctx, format!("/my/cases/{id}/rate"), Vec::new());
    page.title = "rate.case_title";
    page.intro = "rate.case_intro";
    page.chrome = Chrome::new(ctx, "/my");
    page
}

async fn case_form(ctx: Ctx, Path(id): Path<Uuid>) -> PageResult<Response> {
    signed_in(&ctx)?;
    html_refused(&case_page(&ctx, id), false)
}

/// Rates the case as its applicant (a change within acceptance's hours replaces the rating);
/// back to the case, which shows the rating and, for a bad one, what became of it.
async fn rate_case(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<Uuid>,
    Form(form): Form<Rated>,
) -> PageResult<Response> {
    let session = signed_in(&ctx)?;
    let page = case_page(&ctx, id);
    if !LEVELS.contains(&form.level.as_str()) {
        return unchosen(page, form);
    }
    let outcome = state
        .api
        .act(
            session.token(),
            reqwest::Method::PUT,
            Service::Acceptance,
            &format!("/v1/cases/{id}/rating"),
            Some(&body(&form)),
        )
        .await;
    match outcome {
        Ok(()) => Ok(Redirect::to(&format!("/my/cases/{id}?done=rated")).into_response()),
        outcome => answered(page, form, outcome),
    }
}
