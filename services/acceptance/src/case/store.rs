//! The case row: loading a case (for a step, locked), the checks of who may act on it, and its
//! history and outbox events (through `tongban_bus::aggregate`, in the caller's transaction).
//! With [`super::step`], the ONLY writer of a case's status: a use case works out what changes
//! and hands it a [`super::step::Step`].

use std::collections::BTreeSet;

use chrono::{DateTime, NaiveDate, Utc};
use serde_json::Value;
use sqlx::PgConnection;
use uuid::Uuid;

use tongban_bus::aggregate::{self, Aggregate, Column, Entry};
use tongban_bus::outbox::Subject;
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
    /// Masked.
    pub(super) applicant_phone: Option<String>,
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
    pub(super) withdrawn_at: Option<DateTime<Utc>>,
    pub(super) conclusion: Option<String>,
    pub(super) conclusion_reason: Option<String>,
    pub(super) concluded_at: Option<DateTime<Utc>>,
    pub(super) results: Value,
    pub(super) delivery: Option<Value>,
    pub(super) delivered_at: Option<DateTime<Utc>>,
    /// The applicant's real-name level shown for this case (see `real_name`).
    pub(super) real_name_level: i16,
    pub(super) identity_checked_by: Option<Uuid>,
    pub(super) identity_checked_at: Option<DateTime<Utc>>,
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
            applicant_name: self.applicant_name.clone().unwrap_or_default(),
            real_name_level: i32::from(crate::domain::real_name_level(self.real_name_level)),
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
    channel, mode, returns, returned, applicant_id, applicant_kind, applicant_name, applicant_document, applicant_phone, entered_by, status, submissions, visits, form, query_password, \
    due_date, due_date_provisional, created_at, submitted_at, decided_at, refusal_reason, withdrawal_reason, withdrawn_at, \
    conclusion, conclusion_reason, concluded_at, results, delivery, delivered_at, \
    real_name_level, identity_checked_by, identity_checked_at";

/// Whether `principal` may see the case: its applicant, or staff who take in, handle or
/// supervise cases in its receiving or handling region through a binding not restricted to
/// another department than the case's (DESIGN.md "Jurisdiction and access"). Having entered a
/// case for an applicant (帮代办) gives no access of its own: access follows the role, now.
/// Everyone else gets a 404.
async fn visible(conn: &mut PgConnection, principal: &Principal, row: &Row) -> Result<bool, Error> {
    if row.applicant_id == Some(principal.account) {
        return Ok(true);
    }
    let regions = [row.region("receiving")?, row.region("handling")?];
    if !regions.iter().any(|r| principal.works_on_cases_in(r)) {
        return Ok(false);
    }
    // A binding restricted to no department sees the case whatever its department.
    if regions.iter().any(|r| principal.works_on_cases_of(r, &[])) {
        return Ok(true);
    }
    let departments = departments(conn, row.id).await?;
    Ok(regions
        .iter()
        .any(|r| principal.works_on_cases_of(r, &departments)))
}

/// The departments a case belongs to: its item's, and for a 一件事 application also its parts'
/// items' (each part is handled by its own department, and sees only itself).
async fn departments(conn: &mut PgConnection, id: Uuid) -> Result<Vec<Uuid>, Error> {
    Ok(sqlx::query_scalar(
        "select coalesce(array_agg(distinct v.department_id), '{}') from cases c
         join item_versions v on v.implementation_code = c.implementation_code
                             and v.version = c.item_version
         where (c.id = $1 or c.parent_id = $1) and v.department_id is not null",
    )
    .bind(id)
    .fetch_one(&mut *conn)
    .await?)
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
        Some(row) if visible(conn, principal, &row).await? => Ok(row),
        _ => Err(Error::NotFound(format!("case {id}"))),
    }
}

/// `Ok` when the applicant (or the clerk who entered it, while still a window clerk of the
/// receiving region) acts on their own case.
pub(super) fn require_applicant(principal: &Principal, row: &Row) -> Result<(), Error> {
    let entered = row.entered_by == Some(principal.account)
        && principal.can(Power::AcceptCases, &row.region("receiving")?);
    if row.applicant_id == Some(principal.account) || entered {
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

/// A case as its history and the outbox see it: its events keyed by the case (one case's
/// events stay in order), its number the subject, both its regions in the routing header.
pub(super) struct Written<'a> {
    id: Uuid,
    key: String,
    number: Option<&'a str>,
    regions: Vec<String>,
}

impl Aggregate for Written<'_> {
    const HISTORY: (&'static str, &'static str) = ("case_history", "case_id");

    fn id(&self) -> Uuid {
        self.id
    }

    fn subject(&self) -> Subject<'_> {
        Subject {
            key: &self.key,
            subject: self.number,
            regions: self.regions.clone(),
        }
    }
}

pub(super) fn written(row: &Row) -> Written<'_> {
    Written {
        id: row.id,
        key: row.id.to_string(),
        number: row.number.as_deref(),
        regions: row.regions(),
    }
}

/// The staff actions on a case that go into the service's audit chain (besides the history):
/// the acceptance decisions, the original ID checked (its full number shown to the clerk), and
/// the result handed over.
const AUDITED: [&str; 5] = [
    "accepted",
    "refused",
    "correction_requested",
    "identity_checked",
    "delivered",
];

/// Appends `entry` to the history of case `case`, which moved from `from` (none: it was
/// created) to `to`; a staff member's decision also to the audit chain ([`AUDITED`]).
pub(super) async fn append(
    tx: &mut PgConnection,
    case: &Written<'_>,
    from: Option<Status>,
    to: Status,
    entry: Entry<'_>,
) -> Result<(), sqlx::Error> {
    if entry.actor.is_some() && AUDITED.contains(&entry.action) {
        let detail = serde_json::json!({ "case_id": case.id, "from": from.map(Status::as_str),
            "to": to.as_str(), "detail": entry.detail });
        let action = tongban_audit::Action {
            actor: entry.actor,
            action: entry.action,
            subject: case.number.unwrap_or_default(),
            detail: &detail,
            at: entry.at,
        };
        tongban_audit::append(tx, action).await?;
    }
    let columns = [
        ("from_status", Column::Text(from.map(Status::as_str))),
        ("to_status", Column::Text(Some(to.as_str()))),
    ];
    aggregate::record(tx, case, entry.with(&columns)).await
}

/// Appends `entry` to the case's history at its current status (a visit, a file, a flag: the
/// case stays where it is).
pub(super) async fn note(tx: &mut PgConnection, row: &Row, entry: Entry<'_>) -> Result<(), Error> {
    append(tx, &written(row), Some(row.status), row.status, entry).await?;
    Ok(())
}

/// The first entry of a new case's history: created, a draft.
pub(super) async fn created(
    tx: &mut PgConnection,
    id: Uuid,
    entry: Entry<'_>,
) -> Result<(), Error> {
    let case = Written {
        id,
        key: id.to_string(),
        number: None,
        regions: Vec::new(),
    };
    append(tx, &case, None, Status::Draft, entry).await?;
    Ok(())
}

/// Appends `entry` (what the back office did) to the history of case `id` at its current
/// status; a case acceptance does not know (another deployment's) is passed over.
pub(crate) async fn note_progress(
    tx: &mut PgConnection,
    id: Uuid,
    entry: Entry<'_>,
) -> Result<(), sqlx::Error> {
    let status: Option<Status> = sqlx::query_scalar("select status from cases where id = $1")
        .bind(id)
        .fetch_optional(&mut *tx)
        .await?;
    let Some(status) = status else {
        return Ok(());
    };
    let case = Written {
        id,
        key: id.to_string(),
        number: None,
        regions: Vec::new(),
    };
    append(tx, &case, Some(status), status, entry).await
}

/// Writes `event` about the case to the outbox.
pub(super) async fn publish<E: tongban_events::Event>(
    tx: &mut PgConnection,
    row: &Row,
    event: &E,
) -> Result<(), Error> {
    aggregate::publish(tx, &written(row), event).await?;
    Ok(())
}

/// Case `id`, locked for a step; none when there is no such case.
pub(super) async fn lock(tx: &mut PgConnection, id: Uuid) -> Result<Option<Row>, Error> {
    Ok(sqlx::query_as(&format!(
        "select {COLUMNS} from cases where id = $1 for update"
    ))
    .bind(id)
    .fetch_optional(&mut *tx)
    .await?)
}

/// The accepted case `id`'s new due date, and its application's: a 一件事 application is due
/// when its last part is.
pub(crate) async fn move_due_date(
    tx: &mut PgConnection,
    id: Uuid,
    due: NaiveDate,
) -> Result<(), sqlx::Error> {
    sqlx::query("update cases set due_date = $2 where id = $1 and status = $3")
        .bind(id)
        .bind(due)
        .bind(Status::Accepted)
        .execute(&mut *tx)
        .await?;
    sqlx::query(
        "update cases b set due_date = (select max(p.due_date) from cases p where p.parent_id = b.id)
         from cases part
         where part.id = $1 and b.id = part.parent_id and b.status = $2",
    )
    .bind(id)
    .bind(Status::Accepted)
    .execute(&mut *tx)
    .await?;
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
