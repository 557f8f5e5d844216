//! Booking a visit to a hall (预约, `/halls/{region}/book?item=`): the item's bookable slots
//! by day with the places left, the card number of the person who will come; the slot is
//! held while the booking is reviewed and confirmed (`/my/appointments/{id}`), where the
//! booking's QR code is shown for checking in at the kiosk, and where it can be cancelled.
//! `/my/appointments` lists the person's bookings. The hall service applies every rule
//! (one per person, item and day; full slots; suspension after no-shows) and its refusals are
//! shown in its words.

use std::collections::BTreeMap;

use askama::Template;
use axum::Router;
use axum::extract::{Form, Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use chrono::NaiveDate;
use reqwest::Method;
use serde::Deserialize;
use serde_json::json;
use uuid::Uuid;

use tongban_pages::answer::{html, html_refused, not_found};
use tongban_pages::api::{Failure, Refusal, Service};
use tongban_pages::error::{PageError, PageResult};
use tongban_pages::guard::Ctx;
use tongban_pages::hall::{Booking, Centre, Slot, Slots};
use tongban_pages::i18n::T;

use crate::AppState;
use crate::catalogue::Item;
use crate::pages::frame::{Chrome, signed_in};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/halls/{region}/book", get(form).post(hold))
        .route("/my/appointments", get(list))
        .route("/my/appointments/{id}", get(show))
        .route("/my/appointments/{id}/confirm", post(confirm))
        .route("/my/appointments/{id}/cancel", post(cancel))
}

#[derive(Deserialize, Default)]
struct Chosen {
    #[serde(default)]
    item: String,
    #[serde(default)]
    starts_at: String,
    #[serde(default)]
    id_number: String,
}

#[derive(Template)]
#[template(path = "book.html")]
struct Book {
    chrome: Chrome,
    t: T,
    region: String,
    centre: String,
    item: Item,
    group: String,
    /// The slots by day.
    days: Vec<(NaiveDate, Vec<Slot>)>,
    form: Chosen,
    error: Option<String>,
}

/// The centre of `region` as the hall service shows it (a page for none: not found).
pub async fn centre(state: &AppState, region: &str) -> PageResult<Centre> {
    state
        .api
        .public_get(Service::Hall, &format!("/v1/centres/{region}"))
        .await
        .map_err(not_found)
}

async fn item(state: &AppState, code: &str) -> PageResult<Item> {
    state
        .api
        .public_get(Service::Catalogue, &format!("/v1/items/{code}"))
        .await
        .map_err(not_found)
}

/// The booking form, with `error` when the hall refused the last try.
async fn page(
    state: &AppState,
    ctx: &Ctx,
    region: &str,
    form: Chosen,
    error: Option<String>,
) -> PageResult<Response> {
    let centre = centre(state, region).await?;
    let item = item(state, &form.item).await?;
    let path = format!("/v1/centres/{region}/slots?item_code={}", form.item);
    let (group, days, error) = match state.api.public_get::<Slots>(Service::Hall, &path).await {
        Ok(slots) => (slots.group_name.clone(), slots.by_day(), error),
        // The hall takes no bookings for this item: the page says so instead of a form.
        Err(Failure::Refused(refusal)) => {
            (String::new(), Vec::new(), Some(refused(ctx.t, &refusal)))
        }
        Err(failure) => return Err(failure.into()),
    };
    let refused = error.is_some();
    let page = Book {
        chrome: Chrome::new(ctx, "/my/appointments"),
        t: ctx.t,
        region: region.to_owned(),
        centre: centre.name,
        item,
        group,
        days,
        form,
        error,
    };
    html_refused(&page, refused)
}

#[derive(Deserialize)]
struct ItemQuery {
    #[serde(default)]
    item: String,
}

async fn form(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(region): Path<String>,
    Query(query): Query<ItemQuery>,
) -> PageResult<Response> {
    signed_in(&ctx)?;
    let form = Chosen {
        item: query.item,
        ..Chosen::default()
    };
    page(&state, &ctx, &region, form, None).await
}

/// Holds the slot chosen and shows the booking to review and confirm.
async fn hold(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(region): Path<String>,
    Form(form): Form<Chosen>,
) -> PageResult<Response> {
    let session = signed_in(&ctx)?;
    let body = json!({
        "item_code": form.item,
        "starts_at": form.starts_at,
        "id_number": form.id_number.trim(),
        "hold": true,
    });
    let path = format!("/v1/centres/{region}/appointments");
    match state
        .api
        .send::<_, Booking>(session.token(), Method::POST, Service::Hall, &path, &body)
        .await
    {
        Ok(held) => Ok(Redirect::to(&format!("/my/appointments/{}", held.id)).into_response()),
        Err(Failure::Refused(refusal)) if refusal.status.as_u16() != 401 => {
            let message = match refusal.field.as_deref() {
                Some("starts_at") if form.starts_at.is_empty() => ctx.t.s("book.choose").to_owned(),
                _ => refused(ctx.t, &refusal),
            };
            page(&state, &ctx, &region, form, Some(message)).await
        }
        Err(failure) => Err(failure.into()),
    }
}

#[derive(Template)]
#[template(path = "appointment.html")]
struct Shown {
    chrome: Chrome,
    t: T,
    booking: Booking,
    centre: String,
    item: String,
    /// The booking's QR code (its id), for the kiosk.
    qr: String,
    error: Option<String>,
    done: Option<String>,
}

#[derive(Deserialize)]
struct Done {
    done: Option<String>,
}

async fn show(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<Uuid>,
    Query(done): Query<Done>,
) -> PageResult<Response> {
    shown(&state, &ctx, id, None, done.done).await
}

async fn shown(
    state: &AppState,
    ctx: &Ctx,
    id: Uuid,
    error: Option<String>,
    done: Option<String>,
) -> PageResult<Response> {
    let session = signed_in(ctx)?;
    let booking: Booking = state
        .api
        .get(
            session.token(),
            Service::Hall,
            &format!("/v1/appointments/{id}"),
        )
        .await
        .map_err(not_found)?;
    let centre = centre(state, &booking.region_code).await?.name;
    let item = item(state, &booking.item_code).await?.name;
    let qr = tongban_kernel::printable::qr_svg(&booking.id.to_string(), ctx.t.s("appointment.qr"))
        .map_err(|e| PageError::Unavailable(e.to_string()))?;
    let refused = error.is_some();
    let page = Shown {
        chrome: Chrome::new(ctx, "/my/appointments"),
        t: ctx.t,
        booking,
        centre,
        item,
        qr,
        error,
        done: done.filter(|d| ["booked", "cancelled"].contains(&d.as_str())),
    };
    html_refused(&page, refused)
}

/// Confirms or cancels booking `id`, then shows it again (with the hall's refusal, if any).
async fn acted(state: &AppState, ctx: &Ctx, id: Uuid, action: &str) -> PageResult<Response> {
    let session = signed_in(ctx)?;
    let path = format!("/v1/appointments/{id}/{action}");
    let outcome = state
        .api
        .act::<()>(session.token(), Method::POST, Service::Hall, &path, None)
        .await;
    let done = if action == "confirm" {
        "booked"
    } else {
        "cancelled"
    };
    match outcome {
        Ok(()) => Ok(Redirect::to(&format!("/my/appointments/{id}?done={done}")).into_response()),
        Err(Failure::Refused(refusal)) if refusal.status.as_u16() != 401 => {
            shown(state, ctx, id, Some(refused(ctx.t, &refusal)), None).await
        }
        Err(failure) => Err(failure.into()),
    }
}

async fn confirm(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<Uuid>,
) -> PageResult<Response> {
    acted(&state, &ctx, id, "confirm").await
}

async fn cancel(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<Uuid>,
) -> PageResult<Response> {
    acted(&state, &ctx, id, "cancel").await
}

#[derive(Template)]
#[template(path = "appointments.html")]
struct Listed {
    chrome: Chrome,
    t: T,
    /// Each booking with its item's name.
    bookings: Vec<(Booking, String)>,
}

async fn list(State(state): State<AppState>, ctx: Ctx) -> PageResult<Response> {
    let session = signed_in(&ctx)?;
    let found: Vec<Booking> = state
        .api
        .get(session.token(), Service::Hall, "/v1/appointments")
        .await?;
    let mut bookings = Vec::with_capacity(found.len());
    let mut names: BTreeMap<String, String> = BTreeMap::new();
    for booking in found {
        if !names.contains_key(&booking.item_code) {
            let name = item(&state, &booking.item_code)
                .await
                .map_or_else(|_| booking.item_code.clone(), |i| i.name);
            names.insert(booking.item_code.clone(), name);
        }
        let name = names[&booking.item_code].clone();
        bookings.push((booking, name));
    }
    html(&Listed {
        chrome: Chrome::new(&ctx, "/my/appointments"),
        t: ctx.t,
        bookings,
    })
}

/// The hall's refusal in the page's words (`hall.refused.*`), or its own message.
pub fn refused(t: T, refusal: &Refusal) -> String {
    refusal.in_words(t, "hall.refused")
}

pub use tongban_pages::hall::hm;

#[cfg(test)]
mod tests {
    use super::*;
    use tongban_pages::i18n::Lang;

    #[test]
    fn the_halls_refusals_are_told_in_the_pages_words() {
        let refusal = |code: &str, field: Option<&str>| Refusal {
            status: reqwest::StatusCode::CONFLICT,
            code: code.into(),
            message: "in English".into(),
            field: field.map(Into::into),
        };
        let t = crate::i18n::t(Lang::Zh);
        assert!(refused(t, &refusal("booking_suspended", None)).contains("暂停"));
        assert!(refused(t, &refusal("unprocessable", Some("id_number"))).contains("身份证号"));
        assert_eq!(refused(t, &refusal("new_rule", None)), "in English");
    }
}
