//! A bad rating opens its remediation for whoever handled what was rated (谁办理谁负责), due
//! in working days of the handling centre.

use chrono::{DateTime, Utc};
use serde_json::json;
use sqlx::PgConnection;
use uuid::Uuid;

use tongban_events::acceptance::v1 as events;
use tongban_kernel::{Error, TimeLimit};

use crate::case::local_today;
use crate::case::rated::Rated;
use crate::config::AcceptanceSettings;
use crate::db::catalogue;
use crate::rating::state::level_name;
use crate::rating::store::RatingRow;

use super::policy::working_days;
use super::store::{self, Opened};

/// Opens the remediation of the bad rating `rating`, assigned to whoever it concerns.
pub async fn open(
    tx: &mut PgConnection,
    rating: &RatingRow,
    case: Option<&Rated>,
    settings: &AcceptanceSettings,
    now: DateTime<Utc>,
) -> Result<(), Error> {
    // A case's remediation is the handling side's business, in its centre's working days.
    let region = rating
        .handling_region
        .clone()
        .filter(|_| rating.department_id.is_some())
        .unwrap_or_else(|| rating.region_code.clone());
    let days = working_days(tx, &region, settings).await?;
    let calendar = catalogue::calendar(tx, &region).await?;
    let due = calendar
        .due(local_today(now), TimeLimit::working_days(days), &[])
        .ok_or_else(|| Error::internal("the remediation deadline is out of range"))?
        .date;
    let id = Uuid::now_v7();
    let opened = Opened {
        id,
        rating,
        region: &region,
        due,
    };
    store::insert(tx, &opened, now).await?;
    store::record(
        tx,
        id,
        None,
        "opened",
        json!({ "level": level_name(rating.level), "due_date": due, "working_days": days }),
        now,
    )
    .await?;
    let event = events::RemediationOpened {
        remediation_id: id.to_string(),
        rating_id: rating.id.to_string(),
        case_id: rating.case_id.map(|c| c.to_string()).unwrap_or_default(),
        case_number: case.and_then(|c| c.number.clone()).unwrap_or_default(),
        region_code: region.clone(),
        department_id: rating
            .department_id
            .map(|d| d.to_string())
            .unwrap_or_default(),
        assignee_id: rating.staff_id.map(|s| s.to_string()).unwrap_or_default(),
        level: rating.level as u32,
        due_date: due.to_string(),
        callback_required: rating.real_name(),
        opened_at: Some(tongban_events::timestamp(now)),
    };
    let number = case.and_then(|c| c.number.as_deref());
    store::publish(tx, id, rating, number, &event).await
}
