//! The parts of a 一件事 bundle application: one case per member item, handled by its own
//! department (并联审批), moving with the bundle case the applicant and the window deal with.
//! Each part gets its own number and due date and its own events, so approval creates one work
//! item per part.

use chrono::{DateTime, NaiveDate, Utc};
use serde_json::json;
use sqlx::PgConnection;
use uuid::Uuid;

use tongban_bus::aggregate::Entry;
use tongban_events::acceptance::v1 as events;
use tongban_kernel::calendar::Reckoning;
use tongban_kernel::{Error, Principal};

use super::state::{Action, Status};
use super::step::{Change, Move, Step, apply};
use super::store::{COLUMNS, Row, publish};
use crate::db::catalogue;
use crate::db::numbers::CaseNumbers;
use crate::domain::MaterialState;

/// Creates a draft part per member of `bundle` under the bundle case `parent`, received through
/// `channel` in the region whose lineage is `lineage` (a part handled outside it is 多地联办).
pub(super) async fn open(
    tx: &mut PgConnection,
    parent: Uuid,
    bundle: &catalogue::BundleVersion,
    channel: &str,
    lineage: &[String],
) -> Result<(), Error> {
    for member in &bundle.members {
        sqlx::query(
            "insert into cases (id, kind, parent_id, bundle_id, bundle_version, implementation_code,
                 item_version, receiving_region, handling_region, channel, applicant_id,
                 applicant_kind, applicant_name, applicant_document, applicant_phone, entered_by,
                 status, form, mode, department_id)
             select $1, 'part', id, bundle_id, bundle_version, $2, $3, receiving_region, $4, channel,
                 applicant_id, applicant_kind, applicant_name, applicant_document, applicant_phone,
                 entered_by, $7, '{}', $6, (select department_id from item_versions where implementation_code = $2 and version = $3)
             from cases where id = $5",
        )
        .bind(Uuid::now_v7())
        .bind(&member.implementation_code)
        .bind(member.version)
        .bind(&member.region_code)
        .bind(parent)
        .bind(crate::domain::mode(
            channel,
            "part",
            lineage,
            &member.region_code,
        ))
        .bind(Status::Draft)
        .execute(&mut *tx)
        .await?;
    }
    Ok(())
}

/// The parts of `parent`, locked.
async fn of(tx: &mut PgConnection, parent: Uuid) -> Result<Vec<Row>, Error> {
    Ok(sqlx::query_as(&format!(
        "select {COLUMNS} from cases where parent_id = $1 order by implementation_code for update"
    ))
    .bind(parent)
    .fetch_all(&mut *tx)
    .await?)
}

/// The parts of `parent` still with the front office (locked): when a handling region sends
/// one part back (多地联办), the others stay with their back offices while the bundle is
/// corrected and accepted again.
async fn in_front_office(tx: &mut PgConnection, parent: Uuid) -> Result<Vec<Row>, Error> {
    let mut parts = of(tx, parent).await?;
    parts.retain(|p| p.status.in_front_office());
    Ok(parts)
}

/// Submits every part with the bundle case: each gets its number (from its own item) and a
/// `CaseSubmitted` whose material states are those of the combined entries covering them.
pub(super) async fn submit(
    tx: &mut PgConnection,
    numbers: &CaseNumbers,
    principal: &Principal,
    parent: &Row,
    bundle: &catalogue::BundleVersion,
    states: &[MaterialState],
    now: DateTime<Utc>,
) -> Result<(), Error> {
    for mut part in in_front_office(&mut *tx, parent.id).await? {
        let item =
            catalogue::version(&mut *tx, &part.implementation_code, part.item_version).await?;
        if part.number.is_none() {
            part.number = Some(
                numbers
                    .next(&item.code, super::local_today(now))
                    .await?
                    .to_string(),
            );
            // One password for the whole application: any of its numbers can be looked up.
            part.query_password = parent.query_password.clone();
        }
        let detail = json!({ "bundle_case": parent.id, "number": part.number });
        let step = Step {
            to: Move::WithBundle(Status::Submitted),
            change: Change::Submitted {
                number: part.number.as_deref(),
                query_password: part.query_password.as_deref(),
                submissions: parent.submissions,
                at: now,
            },
            entry: Entry::new(now, Some(principal.account), "submitted", detail),
        };
        apply(&mut *tx, &part, step).await?;
        let materials = item
            .materials
            .iter()
            .map(|m| {
                let entry = bundle.entry_of(&m.code);
                let state = states
                    .iter()
                    .find(|s| Some(s.material_code.as_str()) == entry)
                    .map_or("missing", |s| s.state.as_str());
                events::MaterialState {
                    material_code: m.code.clone(),
                    state: state.to_owned(),
                }
            })
            .collect();
        let event = events::CaseSubmitted {
            case: Some(part.reference()),
            materials,
            submission: parent.submissions as u32,
            submitted_at: Some(tongban_events::timestamp(now)),
        };
        publish(&mut *tx, &part, &event).await?;
    }
    Ok(())
}

/// Moves the parts to `to` with the bundle case (a correction notice, a withdrawal, a refusal:
/// the applicant deals with one case), publishing the part's event where it has one. A
/// correction notice moves the parts still with the front office (the others stay with their
/// back offices); a withdrawal or a refusal ends every part not decided yet, wherever it is
/// (issue 25: a part another region took over must not stay open with its clock running), and
/// each part's own event closes its work item in approval and its transfer in crossregion.
pub(super) async fn follow(
    tx: &mut PgConnection,
    principal: &Principal,
    parent: &Row,
    to: Status,
    reason: &str,
    now: DateTime<Utc>,
) -> Result<(), Error> {
    let parts = if matches!(to, Status::Refused | Status::Withdrawn) {
        let mut parts = of(&mut *tx, parent.id).await?;
        parts.retain(|p| p.status.undecided());
        parts
    } else {
        in_front_office(&mut *tx, parent.id).await?
    };
    for part in parts {
        let from = part.status()?;
        let change = match to {
            Status::Refused => Change::Refused {
                reason,
                at: now,
                by: principal.account,
            },
            Status::Withdrawn => Change::Withdrawn { reason, at: now },
            _ => Change::Status,
        };
        let detail = json!({ "bundle_case": parent.id, "reason": reason });
        let step = Step {
            to: Move::WithBundle(to),
            change,
            entry: Entry::new(now, Some(principal.account), to.as_str(), detail),
        };
        apply(&mut *tx, &part, step).await?;
        let at = Some(tongban_events::timestamp(now));
        match to {
            Status::Refused => {
                let event = events::CaseRefused {
                    case: Some(part.reference()),
                    reason: reason.to_owned(),
                    refused_by: principal.account.to_string(),
                    refused_at: at,
                };
                publish(&mut *tx, &part, &event).await?;
            }
            Status::Withdrawn if from != Status::Draft => {
                let event = events::CaseWithdrawn {
                    case: Some(part.reference()),
                    reason: reason.to_owned(),
                    withdrawn_at: at,
                };
                publish(&mut *tx, &part, &event).await?;
            }
            _ => {}
        }
    }
    Ok(())
}

/// Accepts every part, each due by its own item's promise in its handling centre's working
/// days (并联审批: the parts run in parallel); returns the latest due date, the bundle's, and
/// the parts' case ids.
pub(super) async fn accept(
    tx: &mut PgConnection,
    principal: &Principal,
    parent: &Row,
    today: NaiveDate,
    now: DateTime<Utc>,
) -> Result<(Reckoning, Vec<String>), Error> {
    let mut ids = Vec::new();
    let mut latest = Reckoning {
        date: today,
        provisional: false,
    };
    for part in of(&mut *tx, parent.id).await? {
        ids.push(part.id.to_string());
        let from = part.status()?;
        if !matches!(from, Status::Submitted | Status::Returned) {
            // Accepted before and still with its back office: only returned parts go again.
            if let Some(due) = part.due_date {
                latest.date = latest.date.max(due);
                latest.provisional |= part.due_date_provisional;
            }
            continue;
        }
        let round = part.returns as u32 + 1;
        let item =
            catalogue::version(&mut *tx, &part.implementation_code, part.item_version).await?;
        let calendar = catalogue::calendar(&mut *tx, &part.handling_region).await?;
        let due = calendar
            .due(today, item.promised, &[])
            .ok_or_else(|| Error::internal("the promised limit is out of range"))?;
        let detail = json!({ "bundle_case": parent.id, "due_date": due.date, "round": round });
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
        apply(&mut *tx, &part, step).await?;
        let event = events::CaseAccepted {
            case: Some(part.reference()),
            accepted_by: principal.account.to_string(),
            accepted_at: Some(tongban_events::timestamp(now)),
            due_date: due.date.to_string(),
            due_date_provisional: due.provisional,
            deferred: Vec::new(),
            commitment: String::new(),
            part_case_ids: Vec::new(),
            round,
        };
        publish(&mut *tx, &part, &event).await?;
        if due.date > latest.date {
            latest.date = due.date;
        }
        latest.provisional |= due.provisional;
    }
    Ok((latest, ids))
}
