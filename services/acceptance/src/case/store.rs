//! The case row and its one writer: loading a case (for a transition, locked), the checks of
//! who may act on it, and the history entry and outbox event every change writes.

use std::collections::BTreeSet;

use chrono::{DateTime, NaiveDate, Utc};
use serde_json::Value;
use sqlx::PgConnection;
use uuid::Uuid;

use tongban_bus::outbox::{self, Subject};
use tongban_events::acceptance::v1 as events;
use tongban_kernel::{Error, Power, Principal, RegionCode};

use crate::db::catalogue::{self, ItemVersion};

use super::state::Status;

#[derive(sqlx::FromRow)]
pub(super) struct Row {
    pub(super) id: Uuid,
    pub(super) number: Option<String>,
    pub(super) kind: String,
    pub(super) parent_id: Option<Uuid>,
    pub(super) bundle_id: Option<Uuid>,
    pub(super) bundle_version: Option<i32>,
    pub(super) implementation_code: String,
    pub(super) item_version: i32,
    pub(super) receiving_region: String,
    pub(super) handling_region: String,
    pub(super) channel: String,
    pub(super) mode: String,
    pub(super) returns: i32,
    pub(super) returned: Option<Value>,
    pub(super) applicant_id: Option<Uuid>,
    pub(super) applicant_kind: String,
    pub(super) applicant_name: Option<String>,
    pub(super) applicant_document: Option<String>,
    pub(super) entered_by: Option<Uuid>,
    pub(super) status: Status,
    pub(super) submissions: i32,
    pub(super) visits: i32,
    pub(super) form: Value,
    pub(super) query_password: Option<String>,
    pub(super) due_date: Option<NaiveDate>,
    pub(super) due_date_provisional: bool,
    pub(super) created_at: DateTime<Utc>,
    pub(super) submitted_at: Option<DateTime<Utc>>,
    pub(super) decided_at: Option<DateTime<Utc>>,
    pub(super) refusal_reason: Option<String>,
    pub(super) withdrawal_reason: Option<String>,
    pub(super) conclusion: Option<String>,
    pub(super) conclusion_reason: Option<String>,
    pub(super) concluded_at: Option<DateTime<Utc>>,
    pub(super) results: Value,
    pub(super) delivery: Option<Value>,
    pub(super) delivered_at: Option<DateTime<Utc>>,
}

impl Row {
    pub(super) fn status(&self) -> Result<Status, Error> {
        Ok(self.status)
    }

    /// What every event of the case says about it.
    pub(super) fn reference(&self) -> events::CaseRef {
        events::CaseRef {
            case_id: self.id.to_string(),
            case_number: self.number.clone().unwrap_or_default(),
            implementation_code: self.implementation_code.clone(),
            item_version: self.item_version as u32,
            receiving_region: self.receiving_region.clone(),
            handling_region: self.handling_region.clone(),
            channel: self.channel.clone(),
            applicant_id: self.applicant_id.map(|u| u.to_string()).unwrap_or_default(),
            applicant_kind: self.applicant_kind.clone(),
            entered_by: self.entered_by.map(|u| u.to_string()).unwrap_or_default(),
            applicant_document_masked: self.applicant_document.clone().unwrap_or_default(),
            kind: self.kind.clone(),
            parent_case_id: self.parent_id.map(|p| p.to_string()).unwrap_or_default(),
            mode: self.mode.clone(),
            visits: self.visits.max(0) as u32,
        }
    }

    pub(super) fn regions(&self) -> Vec<String> {
        let mut regions = vec![self.receiving_region.clone(), self.handling_region.clone()];
        regions.dedup();
        regions
    }

    pub(super) fn region(&self, which: &str) -> Result<RegionCode, Error> {
        let code = if which == "receiving" {
            &self.receiving_region
        } else {
            &self.handling_region
        };
        code.parse().map_err(Error::internal)
    }
}

pub(super) const COLUMNS: &str = "id, number, kind, parent_id, bundle_id, bundle_version, implementation_code, item_version, receiving_region, handling_region, \
    channel, mode, returns, returned, applicant_id, applicant_kind, applicant_name, applicant_document, entered_by, status, submissions, visits, form, query_password, \
    due_date, due_date_provisional, created_at, submitted_at, decided_at, refusal_reason, withdrawal_reason, \
    conclusion, conclusion_reason, concluded_at, results, delivery, delivered_at";

/// Whether `principal` may see the case: its applicant, or staff who take in, handle or
/// supervise cases in its receiving or handling region. Everyone else gets a 404.
pub(super) fn visible(principal: &Principal, row: &Row) -> Result<bool, Error> {
    if row.applicant_id == Some(principal.account) || row.entered_by == Some(principal.account) {
        return Ok(true);
    }
    let regions = [row.region("receiving")?, row.region("handling")?];
    Ok(regions.iter().any(|r| principal.works_on_cases_in(r)))
}

/// Reads the case for `principal` (404 when it does not exist or is not theirs to see),
/// locked when `lock` for a transition.
pub(super) async fn load(
    conn: &mut PgConnection,
    principal: &Principal,
    id: Uuid,
    lock: bool,
) -> Result<Row, Error> {
    let row: Option<Row> = sqlx::query_as(&format!(
        "select {COLUMNS} from cases where id = $1 {}",
        if lock { "for update" } else { "" }
    ))
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?;
    match row {
        Some(row) if visible(principal, &row)? => Ok(row),
        _ => Err(Error::NotFound(format!("case {id}"))),
    }
}

/// `Ok` when the applicant (or the clerk who entered it) acts on their own case.
pub(super) fn require_applicant(principal: &Principal, row: &Row) -> Result<(), Error> {
    if row.applicant_id == Some(principal.account) || row.entered_by == Some(principal.account) {
        Ok(())
    } else {
        Err(Error::Forbidden(
            "only the applicant (or the clerk who entered the case) may do this".into(),
        ))
    }
}

/// `Ok` when a clerk whose scope covers the receiving region decides.
pub(super) fn require_clerk(principal: &Principal, row: &Row) -> Result<(), Error> {
    principal.require(Power::AcceptCases, &row.region("receiving")?)
}

pub(super) async fn record(
    conn: &mut PgConnection,
    id: Uuid,
    actor: Option<Uuid>,
    action: &str,
    from: Option<Status>,
    to: Status,
    detail: Value,
) -> Result<(), Error> {
    record_at(conn, id, None, actor, action, from, to, detail).await
}

/// [`record`], stamped `at` (what another service did, when it did it) instead of now.
#[allow(clippy::too_many_arguments)]
pub(super) async fn record_at(
    conn: &mut PgConnection,
    id: Uuid,
    at: Option<DateTime<Utc>>,
    actor: Option<Uuid>,
    action: &str,
    from: Option<Status>,
    to: Status,
    detail: Value,
) -> Result<(), Error> {
    sqlx::query(
        "insert into case_history (case_id, at, actor, action, from_status, to_status, detail)
         values ($1, coalesce($7, now()), $2, $3, $4, $5, $6)",
    )
    .bind(id)
    .bind(actor)
    .bind(action)
    .bind(from.map(Status::as_str))
    .bind(to.as_str())
    .bind(detail)
    .bind(at)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

pub(super) async fn publish<E: tongban_events::Event>(
    conn: &mut PgConnection,
    row: &Row,
    event: &E,
) -> Result<(), Error> {
    let key = row.id.to_string();
    let about = Subject {
        key: &key,
        subject: row.number.as_deref(),
        regions: row.regions(),
    };
    outbox::enqueue(conn, &about, event).await?;
    Ok(())
}

/// What a case asks for: its item's materials, or a bundle's combined list.
pub(super) struct Listing {
    pub(super) name: String,
    pub(super) materials: Vec<crate::domain::ListedMaterial>,
    /// The item (a bundle application's lead item).
    pub(super) item: ItemVersion,
    pub(super) bundle: Option<catalogue::BundleVersion>,
}

impl Listing {
    /// An item's listing.
    pub(super) fn of(item: ItemVersion) -> Self {
        Self {
            name: item.name.clone(),
            materials: item.materials.clone(),
            item,
            bundle: None,
        }
    }

    /// The listed code standing for `code` (a bundle entry stands for each member's code).
    pub(super) fn listed_code(&self, code: &str) -> Option<String> {
        match &self.bundle {
            Some(bundle) => bundle.entry_of(code).map(str::to_owned),
            None => self
                .materials
                .iter()
                .any(|m| m.code == code)
                .then(|| code.to_owned()),
        }
    }
}

pub(super) async fn listing(conn: &mut PgConnection, row: &Row) -> Result<Listing, Error> {
    let item = catalogue::version(conn, &row.implementation_code, row.item_version).await?;
    match (row.kind.as_str(), row.bundle_id, row.bundle_version) {
        ("bundle", Some(id), Some(version)) => {
            let bundle = catalogue::bundle_version(conn, id, version).await?;
            Ok(Listing {
                name: bundle.name.clone(),
                materials: bundle.listed(),
                item,
                bundle: Some(bundle),
            })
        }
        _ => Ok(Listing::of(item)),
    }
}

/// A part of a bundle application moves only with it: 409 for acting on the part itself.
pub(super) fn require_not_part(row: &Row) -> Result<(), Error> {
    if row.kind == "part" {
        return Err(Error::Conflict {
            code: "part_of_bundle",
            message: format!(
                "this case is part of the bundle application {}: act on that case",
                row.parent_id.map(|p| p.to_string()).unwrap_or_default()
            ),
        });
    }
    Ok(())
}

pub(super) async fn provided(conn: &mut PgConnection, id: Uuid) -> Result<BTreeSet<String>, Error> {
    let codes: Vec<String> =
        sqlx::query_scalar("select material_code from attachments where case_id = $1")
            .bind(id)
            .fetch_all(&mut *conn)
            .await?;
    Ok(codes.into_iter().collect())
}

/// The materials an e-certificate stands in for.
pub(super) async fn certified(
    conn: &mut PgConnection,
    id: Uuid,
) -> Result<BTreeSet<String>, Error> {
    let codes: Vec<String> =
        sqlx::query_scalar("select material_code from case_certificates where case_id = $1")
            .bind(id)
            .fetch_all(&mut *conn)
            .await?;
    Ok(codes.into_iter().collect())
}
