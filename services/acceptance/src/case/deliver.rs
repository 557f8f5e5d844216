//! Delivering the result (统一窗口出件).

use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::json;
use sqlx::PgPool;
use utoipa::ToSchema;
use uuid::Uuid;

use tongban_bus::aggregate::Entry;
use tongban_events::acceptance::v1 as events;
use tongban_kernel::{Error, Power, Principal};

use super::state::Action;
use super::step::{Change, Move, Step, apply};
use super::store::{load, publish, require_clerk, require_not_part};
use super::view::{Case, get};

/// How the result goes out.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Delivery {
    /// pickup (at a window; counts a visit), post, or electronic.
    pub method: String,
    /// For post.
    #[serde(default)]
    pub carrier: Option<String>,
    #[serde(default)]
    pub tracking_number: Option<String>,
}

/// Delivers the result of a concluded case (统一窗口出件), by a clerk whose scope covers the
/// receiving region (or, posting a transferred case's result, a handler of the handling
/// region); a bundle's parts go out with it.
pub async fn deliver(
    pool: &PgPool,
    principal: &Principal,
    id: Uuid,
    delivery: &Delivery,
    now: DateTime<Utc>,
) -> Result<Case, Error> {
    let text = |field: &str, value: &Option<String>| -> Result<String, Error> {
        let value = value.as_deref().map(str::trim).unwrap_or_default();
        if value.is_empty() || value.chars().count() > 50 {
            return Err(Error::bad_request(
                field,
                "a posted result needs it (1-50 characters)",
            ));
        }
        Ok(value.to_owned())
    };
    let (carrier, tracking) = match delivery.method.as_str() {
        "post" => (
            text("carrier", &delivery.carrier)?,
            text("tracking_number", &delivery.tracking_number)?,
        ),
        "pickup" | "electronic" => (String::new(), String::new()),
        _ => return Err(Error::bad_request("method", "pickup, post or electronic")),
    };
    let mut tx = pool.begin().await?;
    let row = load(&mut tx, principal, id, true).await?;
    require_not_part(&row)?;
    // 异地送达: the handling region may post a transferred case's result straight to the
    // applicant instead of sending it back to the receiving window.
    let posted_by_handling = row.mode == "collect_elsewhere"
        && delivery.method == "post"
        && principal.can(Power::HandleCases, &row.region("handling")?);
    if !posted_by_handling {
        require_clerk(principal, &row)?;
    }
    let from = row.status()?;
    from.allow(Action::Deliver)?;
    let details =
        json!({ "method": delivery.method, "carrier": carrier, "tracking_number": tracking });
    // The bundle and its parts go out together.
    let visit = i32::from(delivery.method == "pickup");
    let step = Step {
        to: Move::By(Action::Deliver),
        change: Change::Delivered {
            delivery: &details,
            at: now,
            visit,
        },
        entry: Entry::new(now, Some(principal.account), "delivered", details.clone()),
    };
    apply(&mut tx, &row, step).await?;
    let mut case = row.reference();
    case.visits += visit as u32;
    let event = events::CaseDelivered {
        case: Some(case),
        method: delivery.method.clone(),
        carrier,
        tracking_number: tracking,
        delivered_by: principal.account.to_string(),
        delivered_at: Some(tongban_events::timestamp(now)),
    };
    publish(&mut tx, &row, &event).await?;
    tx.commit().await?;
    get(pool, principal, id).await
}
