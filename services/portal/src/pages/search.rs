//! Finding a service (`/search`): by words, region (province → city → county → town, one
//! level at a time, no script needed) and department. Each result says how a hall of the
//! chosen region can take it in (its own item, by the item's 通办 scope, or collected under an
//! agreement) and whether it is done fully online (一次都不跑).

use askama::Template;
use axum::Router;
use axum::extract::{Query, State};
use axum::response::Response;
use axum::routing::get;
use serde::Deserialize;
use uuid::Uuid;

use tongban_pages::answer::{html_refused, urlencode};
use tongban_pages::api::{Failure, Refusal, Service};
use tongban_pages::error::PageResult;
use tongban_pages::guard::Ctx;
use tongban_pages::i18n::T;

use crate::AppState;
use crate::catalogue::{Department, ItemSummary, Words};
use crate::pages::frame::Chrome;
use crate::regions::Picked;

pub fn router() -> Router<AppState> {
    Router::new().route("/search", get(page))
}

/// Results shown at most (the catalogue's search is ranked: more would be noise).
const RESULTS: u32 = 50;

#[derive(Deserialize, Default)]
pub struct Form {
    #[serde(default)]
    pub q: String,
    #[serde(default)]
    pub region: String,
    #[serde(default)]
    pub department: String,
}

#[derive(Template)]
#[template(path = "search.html")]
struct Search {
    chrome: Chrome,
    t: T,
    words: Words,
    form: Form,
    picked: Picked,
    /// The chosen region's departments (to narrow by, or to browse).
    departments: Vec<Department>,
    /// None until something is asked (words, a region or a department).
    results: Option<Vec<Result>>,
    /// The search's refusal (too long a text), in the catalogue's words.
    error: Option<String>,
}

/// One result, as the page shows it.
struct Result {
    item: ItemSummary,
    region_name: String,
}

impl Search {
    /// The address of this search narrowed to `region` (the picker's breadcrumbs).
    fn at_region(&self, region: &str) -> String {
        format!("/search?q={}&region={region}", urlencode(&self.form.q))
    }
}

async fn page(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(form): Query<Form>,
) -> PageResult<Response> {
    let region =
        Some(form.region.trim()).filter(|r| r.len() == 12 && r.bytes().all(|b| b.is_ascii_digit()));
    let department = form.department.parse::<Uuid>().ok();
    let text = form.q.trim();
    let asked = !text.is_empty() || region.is_some() || department.is_some();
    let province = state.config.province.as_str();
    let search_path = search_path(text, region, department);
    let (picked, results, departments, words) = tokio::join!(
        state.regions.pick(&state.api, province, region),
        async {
            match asked {
                true => state
                    .api
                    .public_get::<Vec<ItemSummary>>(Service::Catalogue, &search_path)
                    .await
                    .map(Some),
                false => Ok(None),
            }
        },
        async {
            match region {
                Some(region) => state.regions.departments(&state.api, region).await,
                None => Ok(Vec::new()),
            }
        },
        state.lists.words(&state.api, ctx.t.lang),
    );
    let picked = picked?;
    let (results, error) = match results {
        Ok(results) => (results, None),
        Err(Failure::Refused(Refusal { message, .. })) => (None, Some(message)),
        Err(failure) => return Err(failure.into()),
    };
    let results = match results {
        Some(items) => Some(named(&state, items).await),
        None => None,
    };
    let page = Search {
        chrome: Chrome::new(&ctx, "/search"),
        t: ctx.t,
        words,
        form,
        picked,
        departments: departments.unwrap_or_default(),
        results,
        error,
    };
    html_refused(&page, page.error.is_some())
}

/// The catalogue's search for `text` in `region` (what its halls can take in) and
/// `department`.
fn search_path(text: &str, region: Option<&str>, department: Option<Uuid>) -> String {
    let mut path = format!("/v1/items?limit={RESULTS}");
    if !text.is_empty() {
        path.push_str(&format!("&q={}", urlencode(text)));
    }
    if let Some(region) = region {
        path.push_str(&format!("&region_code={region}"));
    }
    if let Some(department) = department {
        path.push_str(&format!("&department_id={department}"));
    }
    path
}

/// Each result with its region's name.
async fn named(state: &AppState, items: Vec<ItemSummary>) -> Vec<Result> {
    let mut results = Vec::with_capacity(items.len());
    for item in items {
        let region_name = state.region_named(&item.region_code).await;
        results.push(Result { item, region_name });
    }
    results
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_search_asks_for_what_the_form_says() {
        assert_eq!(search_path("", None, None), "/v1/items?limit=50");
        let department = Uuid::nil();
        assert_eq!(
            search_path("出生 证明", Some("430903000000"), Some(department)),
            format!(
                "/v1/items?limit=50&q=%E5%87%BA%E7%94%9F+%E8%AF%81%E6%98%8E&region_code=430903000000&department_id={department}"
            )
        );
    }
}
