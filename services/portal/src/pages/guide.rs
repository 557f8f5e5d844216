//! An item's service guide (办事指南, `/items/{code}`), from the catalogue's version in force:
//! conditions, materials, time limits in working days, fees and their basis, visits, where to
//! go and when, online depth, legal basis, postal options and whom to ask. It prints on A4.
//! With `?region=` it also says how a hall of that region takes the item in.

use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use axum::routing::get;
use serde::Deserialize;

use tongban_pages::answer::{html, not_found};
use tongban_pages::api::Service;
use tongban_pages::error::{PageError, PageResult};
use tongban_pages::guard::Ctx;
use tongban_pages::i18n::T;

use crate::AppState;
use crate::catalogue::{Item, ItemSummary, Words};
use crate::pages::frame::Chrome;

pub fn router() -> Router<AppState> {
    Router::new().route("/items/{code}", get(page))
}

/// The online depths (网办深度) from which an application can be made online: the materials
/// are at least collected online.
pub const APPLY_ONLINE_FROM: [&str; 6] = [
    "collect",
    "precheck",
    "accept",
    "handle",
    "feedback",
    "e_certificate",
];

/// The message key of a time limit's unit (`{0} 个工作日`).
pub fn unit_key(unit: &str) -> &'static str {
    match unit {
        "calendar_days" => "limit.calendar_days",
        _ => "limit.working_days",
    }
}

/// A fee in yuan (`12.50`) from fen.
pub fn yuan(fen: &u64) -> String {
    format!("{}.{:02}", fen / 100, fen % 100)
}

#[derive(Deserialize)]
struct Near {
    region: Option<String>,
}

#[derive(Template)]
#[template(path = "guide.html")]
struct Guide {
    chrome: Chrome,
    t: T,
    words: Words,
    item: Item,
    region_name: String,
    /// The regions the item's 通办 scope lists, by name.
    covered: Vec<String>,
    /// With `?region=`: whether that region's halls take the item in, and how, in words.
    near: Option<(bool, String)>,
    /// With `?region=`: that region's hall, when it takes bookings for the item (预约).
    book_at: Option<String>,
    online: bool,
    /// The real-name level in words.
    real_name: String,
}

async fn page(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(code): Path<String>,
    Query(near): Query<Near>,
) -> PageResult<Response> {
    if code.len() != 31 || !code.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Err(PageError::NotFound);
    }
    let path = format!("/v1/items/{code}");
    let (item, words) = tokio::join!(
        state.api.public_get::<Item>(Service::Catalogue, &path),
        state.lists.words(&state.api, ctx.t.lang),
    );
    let item = item.map_err(not_found)?;
    let near_region = near
        .region
        .filter(|r| r.len() == 12 && r.bytes().all(|b| b.is_ascii_digit()));
    let (book_at, near) = match near_region {
        Some(region) => {
            // Whether the region's hall books the item, asked beside how its halls take it in.
            let (bookable, available) = tokio::join!(
                bookable(&state, &item.code, &region),
                availability(&state, &item, &region)
            );
            let (name, how) = available?;
            let near = match how {
                Some(how) => (
                    true,
                    ctx.t
                        .f("guide.near", &[&name, &ctx.t.code("available", &how)]),
                ),
                None => (false, ctx.t.f1("guide.not_near", name)),
            };
            (bookable.then_some(region), Some(near))
        }
        None => (None, None),
    };
    let mut covered = Vec::new();
    for region in &item.spec.tongban.covered_regions {
        covered.push(state.region_named(region).await);
    }
    let page = Guide {
        chrome: Chrome::new(&ctx, "/search"),
        t: ctx.t,
        region_name: state.region_named(&item.region_code).await,
        online: item.status == "published"
            && APPLY_ONLINE_FROM.contains(&item.spec.online_depth.as_str()),
        real_name: ctx
            .t
            .code("real_name", &item.spec.real_name_level.to_string()),
        words,
        item,
        covered,
        near,
        book_at,
    };
    html(&page)
}

/// Whether the hall of `region` takes bookings for item `code` (a window group serves it).
async fn bookable(state: &AppState, code: &str, region: &str) -> bool {
    let path = format!("/v1/centres/{region}");
    match state
        .api
        .public_get::<tongban_pages::hall::Centre>(Service::Hall, &path)
        .await
    {
        Ok(centre) => centre
            .groups
            .iter()
            .any(|g| g.active && g.items.iter().any(|i| i == code)),
        // No hall set up there (404), or the hall service out of reach: no booking link.
        Err(_) => false,
    }
}

/// Region `region`'s name, and how its halls may take `item` in, as the catalogue's search
/// for the region says (asked for that one item: an empty answer means they may not).
async fn availability(
    state: &AppState,
    item: &Item,
    region: &str,
) -> PageResult<(String, Option<String>)> {
    let path = format!("/v1/items?region_code={region}&code={}&limit=1", item.code);
    let found = match state
        .api
        .public_get::<Vec<ItemSummary>>(Service::Catalogue, &path)
        .await
    {
        Ok(found) => found,
        // An unknown region: say nothing about it.
        Err(failure) if failure.status().is_client_error() => return Err(PageError::NotFound),
        Err(failure) => return Err(failure.into()),
    };
    let how = found
        .into_iter()
        .find(|summary| summary.code == item.code)
        .and_then(|summary| summary.available_as);
    Ok((state.region_named(region).await, how))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fees_read_in_yuan() {
        assert_eq!(yuan(&1250), "12.50");
        assert_eq!(yuan(&5), "0.05");
        assert_eq!(yuan(&30000), "300.00");
    }
}
