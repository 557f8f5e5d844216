//! Booking for a caller (电话预约, `/console/booking`): a window clerk takes a phone call and
//! books the caller a slot at their hall — finds the item among those the hall books, picks
//! a slot with places left, types the caller's card number — and reads the booking back to
//! them (the day, the time, to check in at the kiosk with the card). The hall service applies
//! every rule (one per person, item and day; full or closed slots; suspension after no-shows)
//! and its refusals are shown in the clerk's words.

use askama::Template;
use axum::Router;
use axum::extract::{Form, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use chrono::{DateTime, NaiveDate, Utc};
use reqwest::Method;
use serde::Deserialize;
use serde_json::json;
use uuid::Uuid;

use tongban_pages::api::{Failure, Service};
use tongban_pages::error::PageResult;
use tongban_pages::hall::{Booking, Centre, Slot, Slots, hm};

use crate::AppState;
use crate::i18n::T;
use crate::pages::frame::{Chrome, html_refused, urlencode};
use crate::pages::intake::{Hall, chosen, halls};
use crate::pages::views::ItemSummary;
use crate::session::Staff;

pub fn router() -> Router<AppState> {
    Router::new().route("/console/booking", get(page).post(book))
}

/// What the clerk chose or typed; the page's query and the form's fields.
#[derive(Deserialize, Default)]
struct Chosen {
    #[serde(default)]
    hall: String,
    /// Words of the item searched for.
    #[serde(default)]
    q: String,
    /// The item to book (31-character implementation code).
    #[serde(default)]
    item: String,
    #[serde(default)]
    starts_at: String,
    #[serde(default)]
    id_number: String,
    /// The booking just made, read back.
    booked: Option<Uuid>,
}

#[derive(Template)]
#[template(path = "booking.html")]
struct Page {
    chrome: Chrome,
    t: T,
    halls: Vec<Hall>,
    hall: String,
    /// The hall's centre; none when it is not set up for visits.
    centre: Option<String>,
    form: Chosen,
    /// Items found by the words, those the hall books; none before a search.
    items: Option<Vec<ItemSummary>>,
    item: Option<ToBook>,
    /// The booking made: it, and its item's name.
    booked: Option<(Booking, String)>,
    error: Option<String>,
}

/// The item chosen, the group that serves it, and its slots by day.
struct ToBook {
    item: ItemSummary,
    group: String,
    days: Vec<(NaiveDate, Vec<Slot>)>,
}

impl Page {
    fn hm(&self, at: &DateTime<Utc>) -> String {
        hm(at)
    }
}

async fn page(
    State(state): State<AppState>,
    staff: Staff,
    Query(chosen): Query<Chosen>,
) -> PageResult<Response> {
    show(&state, &staff, chosen, None).await
}

async fn show(
    state: &AppState,
    staff: &Staff,
    form: Chosen,
    error: Option<String>,
) -> PageResult<Response> {
    let halls = halls(state, &staff.session, &form.hall).await;
    let hall = chosen(&halls).unwrap_or_default();
    let mut page = Page {
        chrome: Chrome::staff(
            &staff.session,
            staff.t,
            state,
            &staff.path,
            "/console/booking",
        ),
        t: staff.t,
        halls,
        hall: hall.clone(),
        centre: None,
        form,
        items: None,
        item: None,
        booked: None,
        error,
    };
    if hall.is_empty() {
        return html_refused(&page, page.error.is_some());
    }
    let centre = match state
        .api
        .public_get::<Centre>(Service::Hall, &format!("/v1/centres/{hall}"))
        .await
    {
        Ok(centre) => centre,
        // A hall not set up for visits: the page says so.
        Err(Failure::Refused(r)) if r.status.as_u16() == 404 => {
            return html_refused(&page, page.error.is_some());
        }
        Err(failure) => return Err(failure.into()),
    };
    page.centre = Some(centre.name.clone());
    fill(state, staff, &mut page, &centre).await?;
    html_refused(&page, page.error.is_some())
}

/// What the page shows at the hall's `centre`: the booking just made, or the item chosen and
/// its slots, or the items found by the words.
async fn fill(state: &AppState, staff: &Staff, page: &mut Page, centre: &Centre) -> PageResult<()> {
    let (hall, token) = (&page.hall, staff.session.token());
    if let Some(id) = page.form.booked {
        let booking: Booking = state
            .api
            .get(token, Service::Hall, &format!("/v1/appointments/{id}"))
            .await?;
        let name = item(state, token, &booking.item_code).await?.name;
        page.booked = Some((booking, name));
    } else if !page.form.item.is_empty() {
        let chosen = item(state, token, &page.form.item).await?;
        let path = format!(
            "/v1/centres/{hall}/slots?item_code={}",
            urlencode(&chosen.code)
        );
        match state.api.public_get::<Slots>(Service::Hall, &path).await {
            Ok(slots) => {
                page.item = Some(ToBook {
                    item: chosen,
                    group: slots.group_name.clone(),
                    days: slots.by_day(),
                });
            }
            Err(Failure::Refused(refusal)) if refusal.status.is_client_error() => {
                page.error = Some(refusal.in_words(staff.t, "booking.refused"));
            }
            Err(failure) => return Err(failure.into()),
        }
    } else if !page.form.q.trim().is_empty() {
        let search = format!(
            "/v1/items?limit=50&region_code={hall}&q={}",
            urlencode(page.form.q.trim())
        );
        let mut found: Vec<ItemSummary> = state.api.get(token, Service::Catalogue, &search).await?;
        // Only what one of the hall's open groups serves.
        found.retain(|item| {
            centre
                .groups
                .iter()
                .any(|g| g.active && g.items.contains(&item.code))
        });
        page.items = Some(found);
    }
    Ok(())
}

async fn item(state: &AppState, token: &str, code: &str) -> PageResult<ItemSummary> {
    if code.len() != 31 || !code.chars().all(|c| c.is_ascii_alphanumeric()) {
        return Err(tongban_pages::error::PageError::NotFound);
    }
    Ok(state
        .api
        .get(token, Service::Catalogue, &format!("/v1/items/{code}"))
        .await?)
}

/// Books the slot chosen for the caller (at once: no hold, the clerk has the card number).
async fn book(
    State(state): State<AppState>,
    staff: Staff,
    Form(form): Form<Chosen>,
) -> PageResult<Response> {
    let body = json!({
        "item_code": form.item,
        "starts_at": form.starts_at,
        "id_number": form.id_number.trim(),
    });
    let path = format!("/v1/centres/{}/appointments", form.hall);
    match state
        .api
        .send::<_, Booking>(
            staff.session.token(),
            Method::POST,
            Service::Hall,
            &path,
            &body,
        )
        .await
    {
        Ok(booked) => Ok(Redirect::to(&format!(
            "/console/booking?hall={}&booked={}",
            form.hall, booked.id
        ))
        .into_response()),
        Err(Failure::Refused(refusal)) if refusal.status.as_u16() != 401 => {
            let words = match refusal.field.as_deref() {
                Some("starts_at") if form.starts_at.is_empty() => {
                    staff.t.s("booking.choose").to_owned()
                }
                _ => refusal.in_words(staff.t, "booking.refused"),
            };
            show(&state, &staff, form, Some(words)).await
        }
        Err(failure) => Err(failure.into()),
    }
}
