//! Accepting a case (受理), with 容缺 deferrals and the promised due date.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, NaiveDate, Utc};
use serde::Deserialize;
use serde_json::json;
use sqlx::{PgConnection, PgPool};
use utoipa::ToSchema;
use uuid::Uuid;

use tongban_bus::aggregate::Entry;
use tongban_events::acceptance::v1 as events;
use tongban_kernel::{Calendar, Error, Principal, TimeLimit};

use crate::db::catalogue::{self};
use crate::domain::{MaterialState, check_materials};

use super::local_today;
use super::parts;
use super::real_name;
use super::state::Action;
use super::step::{Change, Move, Step, apply};
use super::store::{certified, listing, load, provided, publish, require_clerk, require_not_part};
use super::view::{Case, get};

/// A deferrable material accepted as missing (容缺受理).
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Deferral {
    pub material_code: String,
    /// Working days the applicant has to supply it (1-30).
    pub within_working_days: u32,
}

/// Accepts the case (受理). Every deferrable material still missing must be listed as a
/// deferral with its deadline (容缺受理 against the applicant's commitment); the promised due date
/// is computed in the handling centre's working days from today.
/// `now` is the moment of acceptance: the time-limit clock counts from its date.
pub async fn accept(
    pool: &PgPool,
    principal: &Principal,
    id: Uuid,
    deferrals: &[Deferral],
    commitment: Option<&str>,
    now: DateTime<Utc>,
) -> Result<Case, Error> {
    let commitment = commitment_for(deferrals, commitment)?;
    let mut tx = pool.begin().await?;
    let row = load(&mut tx, principal, id, true).await?;
    require_not_part(&row)?;
    require_clerk(principal, &row)?;
    let from = row.status()?;
    from.allow(Action::Accept)?;
    let listing = listing(&mut tx, &row).await?;
    real_name::require(
        crate::domain::real_name_level(row.real_name_level),
        real_name::needed(&listing),
        &row.channel,
    )?;
    let provided = provided(&mut tx, id).await?;
    let states = check_materials(
        &listing.materials,
        &provided,
        &certified(&mut tx, id).await?,
    )?;
    check_deferrals(&states, deferrals)?;
    let today = local_today(now);
    let calendar = catalogue::calendar(&mut tx, &row.handling_region).await?;
    // A bundle is due when its last part is; each part by its own item and handling centre.
    let (due, part_case_ids) = match row.kind.as_str() {
        "bundle" => parts::accept(&mut tx, principal, &row, today, now).await?,
        _ => (
            calendar
                .due(today, listing.item.promised, &[])
                .ok_or_else(|| Error::internal("the promised limit is out of range"))?,
            Vec::new(),
        ),
    };
    let deferred_events =
        store_deferrals(&mut tx, id, &calendar, today, deferrals, commitment).await?;
    // Accepted again after a returned transfer: the next round goes to the handling region.
    let round = row.returns as u32 + 1;
    let deferred: Vec<_> = deferred_events.iter().map(|d| &d.material_code).collect();
    let detail = json!({ "due_date": due.date, "round": round, "deferred": deferred });
    let step = Step {
        to: Move::By(Action::Accept),
        change: Change::Accepted {
            due: due.date,
            provisional: due.provisional,
            at: now,
            by: principal.account,
        },
        entry: Entry::new(now, Some(principal.account), "accepted", detail),
    };
    apply(&mut tx, &row, step).await?;
    let event = events::CaseAccepted {
        case: Some(row.reference()),
        accepted_by: principal.account.to_string(),
        accepted_at: Some(tongban_events::timestamp(now)),
        due_date: due.date.to_string(),
        due_date_provisional: due.provisional,
        deferred: deferred_events,
        commitment: commitment.to_owned(),
        part_case_ids,
        round,
    };
    publish(&mut tx, &row, &event).await?;
    tx.commit().await?;
    get(pool, principal, id).await
}

/// The applicant's written commitment, trimmed: 容缺受理 (any deferral) needs one of 1-500
/// characters.
fn commitment_for<'a>(
    deferrals: &[Deferral],
    commitment: Option<&'a str>,
) -> Result<&'a str, Error> {
    let commitment = commitment.map(str::trim).unwrap_or_default();
    if !deferrals.is_empty() && (commitment.is_empty() || commitment.chars().count() > 500) {
        return Err(Error::bad_request(
            "commitment",
            "容缺受理 needs the applicant's written commitment (1-500 characters)",
        ));
    }
    Ok(commitment)
}

/// Every deferral names a deferrable material that is missing, within 1-30 working days, and
/// every deferrable material that is missing is deferred.
fn check_deferrals(states: &[MaterialState], deferrals: &[Deferral]) -> Result<(), Error> {
    let missing: BTreeMap<&str, &MaterialState> = states
        .iter()
        .filter(|s| s.state == "missing" && s.necessity == "deferrable")
        .map(|s| (s.material_code.as_str(), s))
        .collect();
    for (n, deferral) in deferrals.iter().enumerate() {
        if !missing.contains_key(deferral.material_code.as_str()) {
            return Err(Error::unprocessable(
                format!("deferred[{n}].material_code"),
                "only a deferrable (容缺后补) material that is missing can be deferred",
            ));
        }
        if !(1..=30).contains(&deferral.within_working_days) {
            return Err(Error::bad_request(
                format!("deferred[{n}].within_working_days"),
                "must be 1 to 30",
            ));
        }
    }
    let deferred: BTreeSet<&str> = deferrals.iter().map(|d| d.material_code.as_str()).collect();
    let undecided: Vec<&str> = missing
        .keys()
        .filter(|c| !deferred.contains(*c))
        .copied()
        .collect();
    if !undecided.is_empty() {
        return Err(Error::unprocessable(
            "deferred",
            format!(
                "deferrable materials are missing: {}; accept them as 容缺 with a deadline, or request a correction",
                undecided.join(", ")
            ),
        ));
    }
    Ok(())
}

/// Stores each deferral with its deadline in the handling centre's working days from `today`
/// (replacing an earlier one for the same material); returns them as the event lists them.
async fn store_deferrals(
    tx: &mut PgConnection,
    id: Uuid,
    calendar: &Calendar,
    today: NaiveDate,
    deferrals: &[Deferral],
    commitment: &str,
) -> Result<Vec<events::DeferredMaterial>, Error> {
    let mut deferred_events = Vec::new();
    for deferral in deferrals {
        let deadline = calendar
            .due(
                today,
                TimeLimit::working_days(deferral.within_working_days),
                &[],
            )
            .ok_or_else(|| Error::internal("deadline out of range"))?;
        sqlx::query(
            "insert into deferred_materials (case_id, material_code, deadline, commitment)
             values ($1, $2, $3, $4)
             on conflict (case_id, material_code) do update
                 set deadline = excluded.deadline, commitment = excluded.commitment, overdue_at = null",
        )
        .bind(id)
        .bind(&deferral.material_code)
        .bind(deadline.date)
        .bind(commitment)
        .execute(&mut *tx)
        .await?;
        deferred_events.push(events::DeferredMaterial {
            material_code: deferral.material_code.clone(),
            deadline: deadline.date.to_string(),
        });
    }
    Ok(deferred_events)
}
