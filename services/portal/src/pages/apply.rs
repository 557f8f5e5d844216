//! Applying online (`/apply`): the application's form for one item (`?item=`) or a life event
//! (`?event=`), and the draft it opens. The form carries an idempotency key made when the page
//! was drawn, so a double tap, a resent form or a retry after a lost answer opens one case;
//! the materials are then uploaded on the case's own page.

use askama::Template;
use axum::Router;
use axum::extract::{Form, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use uuid::Uuid;

use tongban_pages::answer::{html, html_refused, not_found};
use tongban_pages::api::{Failure, Service};
use tongban_pages::error::{PageError, PageResult};
use tongban_pages::guard::Ctx;
use tongban_pages::i18n::T;

use crate::AppState;
use crate::catalogue::{Bundle, Item};
use crate::pages::frame::Chrome;
use crate::pages::frame::signed_in;
use crate::pages::guide::APPLY_ONLINE_FROM;

pub fn router() -> Router<AppState> {
    Router::new().route("/apply", get(form).post(apply))
}

/// What is applied for, as the page's query and the form's hidden fields say.
#[derive(Deserialize, Serialize, Default, Clone)]
pub struct Target {
    #[serde(default)]
    item: Option<String>,
    #[serde(default)]
    event: Option<Uuid>,
}

/// The application's own fields, kept when the form comes back with a fault.
#[derive(Deserialize, Default)]
struct Fields {
    #[serde(default)]
    item: Option<String>,
    #[serde(default)]
    event: Option<Uuid>,
    #[serde(default)]
    idempotency_key: String,
    #[serde(default)]
    phone: String,
    #[serde(default)]
    note: String,
    /// How the result reaches the applicant: electronic, post or pickup.
    #[serde(default)]
    delivery: String,
    #[serde(default)]
    address: String,
}

/// What the page says about the thing applied for.
struct Applied {
    name: String,
    /// The guide to read first.
    guide: String,
    /// The results can be posted (the item's, or every item's of a life event).
    postal: bool,
    /// Can be applied for online at all.
    online: bool,
}

#[derive(Template)]
#[template(path = "apply.html")]
struct Apply {
    chrome: Chrome,
    t: T,
    applied: Applied,
    form: Fields,
    /// The field at fault and why.
    error: Option<(String, String)>,
}

impl Apply {
    /// Whether the error is about `field` (the field is marked invalid and described by it).
    fn wrong(&self, field: &str) -> bool {
        self.error.as_ref().is_some_and(|(f, _)| f == field)
    }
}

/// The item or life event `target` names, as the catalogue has it in force.
async fn applied(state: &AppState, target: &Target) -> PageResult<Applied> {
    match (&target.item, target.event) {
        (Some(code), None)
            if code.len() == 31 && code.bytes().all(|b| b.is_ascii_alphanumeric()) =>
        {
            let item: Item = state
                .api
                .public_get(Service::Catalogue, &format!("/v1/items/{code}"))
                .await
                .map_err(not_found)?;
            Ok(Applied {
                guide: format!("/items/{code}"),
                postal: item.spec.postal.results,
                online: item.status == "published"
                    && APPLY_ONLINE_FROM.contains(&item.spec.online_depth.as_str()),
                name: item.name,
            })
        }
        (None, Some(id)) => {
            let bundle: Bundle = state
                .api
                .public_get(Service::Catalogue, &format!("/v1/bundles/{id}"))
                .await
                .map_err(not_found)?;
            Ok(Applied {
                guide: format!("/life-events/{id}"),
                // A life event's results come from several departments: each is posted only if
                // every one may be; otherwise they are collected or sent electronically.
                postal: false,
                online: !bundle.members.is_empty(),
                name: bundle.spec.name,
            })
        }
        _ => Err(PageError::NotFound),
    }
}

async fn form(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(target): Query<Target>,
) -> PageResult<Response> {
    signed_in(&ctx)?;
    let applied = applied(&state, &target).await?;
    let page = Apply {
        chrome: Chrome::new(&ctx, "/my"),
        t: ctx.t,
        form: Fields {
            item: target.item,
            event: target.event,
            idempotency_key: Uuid::now_v7().to_string(),
            delivery: "electronic".into(),
            ..Fields::default()
        },
        applied,
        error: None,
    };
    html(&page)
}

/// The form's fault, as (field, message key): checked here so the person sees it beside the
/// field; acceptance checks the form's size again.
fn fault(form: &Fields, postal: bool) -> Option<(&'static str, &'static str)> {
    let phone = form.phone.trim();
    let mobile =
        phone.len() == 11 && phone.starts_with('1') && phone.bytes().all(|b| b.is_ascii_digit());
    if !phone.is_empty() && !mobile {
        return Some(("phone", "apply.phone_invalid"));
    }
    if form.note.chars().count() > 2000 {
        return Some(("note", "apply.note_long"));
    }
    match form.delivery.as_str() {
        "electronic" | "pickup" => None,
        "post" if !postal => Some(("delivery", "apply.no_post")),
        "post" if form.address.trim().chars().count() < 5 => {
            Some(("address", "apply.address_needed"))
        }
        "post" => None,
        _ => Some(("delivery", "apply.delivery_needed")),
    }
}

/// The application form as acceptance keeps it.
fn application(form: &Fields) -> Value {
    let mut delivery = json!({ "method": form.delivery });
    if form.delivery == "post" {
        delivery["address"] = json!(form.address.trim());
    }
    json!({
        "phone": form.phone.trim(),
        "note": form.note.trim(),
        "delivery": delivery,
    })
}

#[derive(Deserialize)]
struct Opened {
    id: Uuid,
}

async fn apply(
    State(state): State<AppState>,
    ctx: Ctx,
    Form(form): Form<Fields>,
) -> PageResult<Response> {
    let session = signed_in(&ctx)?;
    let target = Target {
        item: form.item.clone(),
        event: form.event,
    };
    let applied = applied(&state, &target).await?;
    let key_ok = (1..=100).contains(&form.idempotency_key.len())
        && form.idempotency_key.bytes().all(|b| b.is_ascii_graphic());
    let refused = |form: Fields, applied: Applied, field: &str, message: String| {
        let page = Apply {
            chrome: Chrome::new(&ctx, "/my"),
            t: ctx.t,
            applied,
            form,
            error: Some((field.to_owned(), message)),
        };
        html_refused(&page, true)
    };
    if !key_ok {
        return Err(PageError::NotFound);
    }
    if !applied.online {
        // The page says so and offers no form.
        let message = ctx.t.s("apply.not_online").to_owned();
        return refused(form, applied, "", message);
    }
    if let Some((field, key)) = fault(&form, applied.postal) {
        let message = ctx.t.s(key).to_owned();
        return refused(form, applied, field, message);
    }
    let mut body = json!({ "form": application(&form) });
    match (&target.item, target.event) {
        (Some(code), _) => body["implementation_code"] = json!(code),
        (_, Some(id)) => body["bundle_id"] = json!(id),
        _ => return Err(PageError::NotFound),
    }
    let opened: Result<Opened, Failure> = state
        .api
        .create(
            session.token(),
            Service::Acceptance,
            "/v1/cases",
            &form.idempotency_key,
            &body,
        )
        .await;
    match opened {
        Ok(case) => {
            Ok(Redirect::to(&format!("/my/cases/{}?done=created", case.id)).into_response())
        }
        Err(Failure::Refused(refusal)) if refusal.status.as_u16() != 401 => {
            let field = refusal.field.clone().unwrap_or_default();
            refused(form, applied, &field, refusal.message)
        }
        Err(failure) => Err(failure.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(phone: &str, delivery: &str, address: &str) -> Fields {
        Fields {
            phone: phone.into(),
            delivery: delivery.into(),
            address: address.into(),
            ..Fields::default()
        }
    }

    #[test]
    fn a_form_is_checked_field_by_field() {
        assert_eq!(fault(&fields("", "electronic", ""), false), None);
        assert_eq!(fault(&fields("13900139000", "pickup", ""), false), None);
        assert_eq!(
            fault(&fields("1390013900", "pickup", ""), false),
            Some(("phone", "apply.phone_invalid"))
        );
        assert_eq!(
            fault(&fields("", "post", "益阳市赫山区龙岭大道 8 号"), false),
            Some(("delivery", "apply.no_post"))
        );
        assert_eq!(
            fault(&fields("", "post", "益阳"), true),
            Some(("address", "apply.address_needed"))
        );
        assert_eq!(
            fault(&fields("", "post", "益阳市赫山区龙岭大道 8 号"), true),
            None
        );
        assert_eq!(
            fault(&fields("", "", ""), true),
            Some(("delivery", "apply.delivery_needed"))
        );
    }

    #[test]
    fn the_address_is_kept_only_for_post() {
        let kept = application(&fields("", "pickup", "somewhere"));
        assert_eq!(kept["delivery"], json!({ "method": "pickup" }));
        let posted = application(&fields("", "post", " 龙岭大道 8 号 "));
        assert_eq!(posted["delivery"]["address"], "龙岭大道 8 号");
    }
}
