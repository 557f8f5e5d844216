//! Submitting (and resubmitting after the correction notice): numbering, pinning the item
//! version, taking e-certificates (一证通办).

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::json;
use sqlx::{PgConnection, PgPool};
use utoipa::ToSchema;
use uuid::Uuid;

use tongban_bus::aggregate::Entry;
use tongban_events::acceptance::v1 as events;
use tongban_kernel::{Error, Principal};

use crate::db::catalogue::{self, ItemVersion};
use crate::db::numbers::CaseNumbers;
use crate::domain::{MaterialState, check_materials};

use super::password::QueryPasswords;

use super::local_today;
use super::parts;
use super::real_name;
use super::state::Action;
use super::step::{Change, Move, Step, apply};
use super::store::{
    Listing, Row, listing, load, provided, publish, require_applicant, require_not_part,
};
use super::view::{Case, view_listed};

/// Where the newest valid e-certificate of each wanted type comes from: the holder `$1`'s
/// certificates of the types `$3` wanted for the materials `$2`, valid on the day `$4`. The
/// submission records them (`select distinct on (w.code) …` into `case_certificates`); the
/// draft's preview only reads them. One text for both, so they cannot drift apart.
macro_rules! held_certificates {
    () => {
        "from unnest($2::text[], $3::text[]) as w (code, certificate_type)
         join certificates c on c.holder_account_id = $1 and c.certificate_type = w.certificate_type
         where c.revoked_at is null and (c.valid_until is null or c.valid_until >= $4)
         order by w.code, c.issued_at desc"
    };
}

/// The government-issued materials of `listed` not provided as a file, with their
/// certificate types: those an e-certificate may stand in for.
fn wanted<'a>(
    listed: &'a [crate::domain::ListedMaterial],
    provided: &BTreeSet<String>,
) -> (Vec<&'a str>, Vec<&'a str>) {
    listed
        .iter()
        .filter(|m| {
            m.source == "government"
                && !m.certificate_type.is_empty()
                && !provided.contains(&m.code)
        })
        .map(|m| (m.code.as_str(), m.certificate_type.as_str()))
        .unzip()
}

/// 一证通办: for each government-issued material the applicant did not provide as a file, takes
/// the applicant's valid e-certificate of that type, if there is one, and records which (those
/// recorded at an earlier submission are replaced).
pub(super) async fn take_certificates(
    conn: &mut PgConnection,
    row: &Row,
    listed: &[crate::domain::ListedMaterial],
    provided: &BTreeSet<String>,
    now: DateTime<Utc>,
) -> Result<BTreeSet<String>, Error> {
    if row.submissions > 0 {
        sqlx::query("delete from case_certificates where case_id = $1")
            .bind(row.id)
            .execute(&mut *conn)
            .await?;
    }
    let Some(holder) = row.applicant_id else {
        return Ok(BTreeSet::new());
    };
    let (codes, types) = wanted(listed, provided);
    if codes.is_empty() {
        return Ok(BTreeSet::new());
    }
    // The newest valid certificate of each type, recorded for its material, in one statement.
    let certified: Vec<String> = sqlx::query_scalar(concat!(
        "insert into case_certificates (case_id, material_code, certificate_id)
         select distinct on (w.code) $5, w.code, c.certificate_id ",
        held_certificates!(),
        " returning material_code"
    ))
    .bind(holder)
    .bind(&codes)
    .bind(&types)
    .bind(local_today(now))
    .bind(row.id)
    .fetch_all(&mut *conn)
    .await?;
    Ok(certified.into_iter().collect())
}

/// An e-certificate of the applicant's that stands in for a material (一证通办).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, sqlx::FromRow)]
pub struct HeldCertificate {
    pub material_code: String,
    pub certificate_id: Uuid,
    /// Its type, as the item's material names it (居民身份证, 营业执照 ...).
    pub certificate_type: String,
}

/// Before submitting: which of the case's materials the applicant's valid e-certificates would
/// stand in for if it were submitted now (those provided as a file excepted). Once submitted,
/// the case's materials name the certificates taken.
pub async fn held(
    pool: &PgPool,
    principal: &Principal,
    id: Uuid,
    now: DateTime<Utc>,
) -> Result<Vec<HeldCertificate>, Error> {
    let mut tx = pool.begin().await?;
    let row = load(&mut tx, principal, id, false).await?;
    let Some(holder) = row.applicant_id else {
        return Ok(Vec::new());
    };
    let listing = listing(&mut tx, &row).await?;
    let provided = provided(&mut tx, id).await?;
    let (codes, types) = wanted(&listing.materials, &provided);
    let found = sqlx::query_as(concat!(
        "select distinct on (w.code) w.code as material_code, c.certificate_id, c.certificate_type ",
        held_certificates!()
    ))
        .bind(holder)
        .bind(&codes)
        .bind(&types)
        .bind(local_today(now))
        .fetch_all(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(found)
}

/// What a submission answers.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Submission {
    pub case: Case,
    /// The query password for looking the case up by number (查询密码), with the first
    /// submission only: it is kept as a keyed hash, never shown again (a new one can be issued:
    /// `POST /cases/{id}/query-password`).
    pub query_password: Option<String>,
}

/// Submits a draft, or resubmits after the correction notice. Every required material must be
/// provided (422 listing the missing ones). The first submission gives the case its number,
/// from `numbers` once the checks have passed.
pub async fn submit(
    pool: &PgPool,
    numbers: &CaseNumbers,
    passwords: &QueryPasswords,
    principal: &Principal,
    id: Uuid,
    now: DateTime<Utc>,
) -> Result<Submission, Error> {
    let mut tx = pool.begin().await?;
    let mut row = load(&mut tx, principal, id, true).await?;
    require_not_part(&row)?;
    require_applicant(principal, &row)?;
    let from = row.status()?;
    from.allow(Action::Submit)?;
    let pinned = if row.number.is_none() {
        repin(&mut tx, &mut row).await?
    } else {
        None
    };
    let listing = match pinned {
        Some(item) => Listing::of(item),
        None => listing(&mut tx, &row).await?,
    };
    let shown = real_name::record_shown(&mut tx, principal, &row).await?;
    real_name::require(shown, real_name::needed(&listing), &row.channel)?;
    let item = &listing.item;
    let provided = provided(&mut tx, id).await?;
    let certified = take_certificates(&mut tx, &row, &listing.materials, &provided, now).await?;
    let states = check_materials(&listing.materials, &provided, &certified)?;
    let mut issued = None;
    if row.number.is_none() {
        row.number = Some(
            numbers
                .next(&item.code, local_today(now))
                .await?
                .to_string(),
        );
        let (password, hash) = passwords.issue();
        row.query_password = Some(hash);
        issued = Some(password);
    }
    let detail = json!({ "submission": row.submissions + 1, "number": row.number, "item_version": row.item_version });
    let step = Step {
        to: Move::By(Action::Submit),
        change: Change::Submitted {
            number: row.number.as_deref(),
            query_password: row.query_password.as_deref(),
            submissions: row.submissions + 1,
            at: now,
        },
        entry: Entry::new(now, Some(principal.account), "submitted", detail),
    };
    let row = apply(&mut tx, &row, step).await?;
    let event = submitted_event(&row, &states, now);
    publish(&mut tx, &row, &event).await?;
    if let Some(bundle) = &listing.bundle {
        parts::submit(&mut tx, numbers, principal, &row, bundle, &states, now).await?;
    }
    let case = view_listed(&mut tx, row, &listing).await?;
    tx.commit().await?;
    Ok(Submission {
        case,
        query_password: issued,
    })
}

/// The event of a submission: the state of every listed material.
fn submitted_event(
    row: &Row,
    states: &[MaterialState],
    now: DateTime<Utc>,
) -> events::CaseSubmitted {
    events::CaseSubmitted {
        case: Some(row.reference()),
        materials: states
            .iter()
            .map(|s| events::MaterialState {
                material_code: s.material_code.clone(),
                state: s.state.clone(),
            })
            .collect(),
        submission: row.submissions as u32,
        submitted_at: Some(tongban_events::timestamp(now)),
    }
}

/// A case is pinned to the version in force when it is first submitted: a draft opened under
/// an older version moves to the current one (its files for materials no longer listed are
/// simply not counted); an item withdrawn meanwhile is a 422, and a bundle changed meanwhile a
/// 409 (its parts were made from the old members: start a new application). Returns an
/// item's version in force (`None` for a bundle).
pub(super) async fn repin(
    conn: &mut PgConnection,
    row: &mut Row,
) -> Result<Option<ItemVersion>, Error> {
    if row.kind == "bundle" {
        let id = row
            .bundle_id
            .ok_or_else(|| Error::internal("a bundle case without its bundle"))?;
        let current = catalogue::offered_bundle(conn, id).await?;
        return match current {
            Some(bundle) if Some(bundle.version) == row.bundle_version => Ok(None),
            Some(_) => Err(Error::Conflict {
                code: "bundle_changed",
                message: "the bundle changed since this application was opened: open a new one"
                    .into(),
            }),
            None => Err(Error::unprocessable(
                "bundle_id",
                "the bundle is no longer offered",
            )),
        };
    }
    let current = catalogue::offered(conn, &row.implementation_code)
        .await?
        .ok_or_else(|| {
            Error::unprocessable("implementation_code", "the item is no longer offered")
        })?;
    if current.version != row.item_version {
        sqlx::query(
            "update cases set item_version = $2, department_id = (select department_id
                 from item_versions where implementation_code = cases.implementation_code
                 and version = $2)
             where id = $1",
        )
        .bind(row.id)
        .bind(current.version)
        .execute(&mut *conn)
        .await?;
        row.item_version = current.version;
    }
    Ok(Some(current))
}
