//! Storing a new draft (and a bundle's parts), idempotently.

use chrono::{DateTime, Utc};
use serde_json::{Value, json};
use sqlx::PgPool;
use uuid::Uuid;

use tongban_bus::aggregate::Entry;
use tongban_kernel::{Error, Principal};

use crate::db::catalogue::{self, ItemVersion};

use super::applicant::{Applicant, Identities};
use super::parts;
use super::state::Status;
use super::store::created;
use super::view::{Case, get};

/// The case an Idempotency-Key of this caller already created.
pub(super) async fn existing(
    pool: &PgPool,
    principal: &Principal,
    key: Option<&str>,
) -> Result<Option<Case>, Error> {
    let Some(key) = key else {
        return Ok(None);
    };
    let id: Option<Uuid> = sqlx::query_scalar(
        "select id from cases where coalesce(applicant_id, entered_by) = $1 and idempotency_key = $2",
    )
    .bind(principal.account)
    .bind(key)
    .fetch_optional(pool)
    .await?;
    match id {
        Some(id) => Ok(Some(get(pool, principal, id).await?)),
        None => Ok(None),
    }
}

/// A new draft: who applies, through which channel, where.
pub(super) struct Opening<'a> {
    pub(super) item: ItemVersion,
    /// For a bundle application: the bundle version, whose members become parts.
    pub(super) bundle: Option<catalogue::BundleVersion>,
    pub(super) receiving_region: String,
    /// The receiving region's lineage (province first, itself last): at a window, where the
    /// case goes decides whether it is transferred. None online (全程网办).
    pub(super) lineage: Option<Vec<String>>,
    pub(super) channel: &'static str,
    pub(super) applicant_id: Option<Uuid>,
    pub(super) applicant_kind: &'static str,
    /// Who applies: from identity online, from the document shown at a window.
    pub(super) applicant: Applicant,
    pub(super) entered_by: Option<Uuid>,
    pub(super) form: &'a Value,
    /// The service clock's now: the history's first entry.
    pub(super) now: DateTime<Utc>,
}

/// Stores the draft and its first history entry; a parallel retry with the same key that won
/// the race gives its case back instead.
pub(super) async fn open(
    pool: &PgPool,
    identities: &Identities,
    principal: &Principal,
    key: Option<&str>,
    opening: Opening<'_>,
) -> Result<(Case, bool), Error> {
    let mut tx = pool.begin().await?;
    let id = Uuid::now_v7();
    let item = &opening.item;
    let lineage = opening.lineage.as_deref().unwrap_or_default();
    let mode = mode_of(&opening, lineage);
    let inserted = sqlx::query(
        "insert into cases (id, implementation_code, item_version, receiving_region, handling_region,
             channel, applicant_id, applicant_kind, applicant_name, applicant_document, entered_by,
             status, form, idempotency_key, visits, kind, bundle_id, bundle_version, mode,
             applicant_phone, applicant_document_index, applicant_document_sealed, department_id)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $19, $12, $13, $14, $15, $16, $17,
             $18, $20, $21, $22, (select department_id from item_versions where implementation_code = $2 and version = $3))",
    )
    .bind(id)
    .bind(&item.code)
    .bind(item.version)
    .bind(&opening.receiving_region)
    .bind(&item.region_code)
    .bind(opening.channel)
    .bind(opening.applicant_id)
    .bind(opening.applicant_kind)
    .bind(&opening.applicant.name)
    .bind(&opening.applicant.document_masked)
    .bind(opening.entered_by)
    .bind(opening.form)
    .bind(key)
    // Taken in at a window: the applicant came once.
    .bind(i32::from(opening.channel == "window"))
    .bind(if opening.bundle.is_some() { "bundle" } else { "item" })
    .bind(opening.bundle.as_ref().map(|b| b.id))
    .bind(opening.bundle.as_ref().map(|b| b.version))
    .bind(mode)
    .bind(Status::Draft)
    .bind(&opening.applicant.phone_masked)
    .bind(identities.index(&opening.applicant.document))
    .bind(identities.seal(id, &opening.applicant.document))
    .execute(&mut *tx)
    .await;
    match inserted
        .map_err(|err| Error::conflict_on(err, &[("cases_idempotency_key", "duplicate", "")]))
    {
        Ok(_) => {}
        Err(Error::Conflict { .. }) => {
            drop(tx);
            let case = existing(pool, principal, key).await?;
            return case
                .map(|c| (c, false))
                .ok_or_else(|| Error::internal("the idempotent case vanished"));
        }
        Err(err) => return Err(err),
    }
    let detail = json!({ "item_version": item.version, "channel": opening.channel });
    let entry = Entry::new(opening.now, Some(principal.account), "created", detail);
    created(&mut tx, id, entry).await?;
    if let Some(bundle) = &opening.bundle {
        parts::open(&mut tx, id, bundle, opening.channel, lineage).await?;
    }
    tx.commit().await?;
    Ok((get(pool, principal, id).await?, true))
}

/// How the case is handled (`crate::domain::mode`) given where it is taken in: a bundle is
/// joint when any of its parts is.
fn mode_of(opening: &Opening<'_>, lineage: &[String]) -> &'static str {
    let item = &opening.item;
    match &opening.bundle {
        // A bundle is joint when any of its parts is.
        Some(bundle) => {
            let joint = bundle.members.iter().any(|m| {
                crate::domain::mode(opening.channel, "part", lineage, &m.region_code) == "joint"
            });
            if joint {
                "joint"
            } else {
                crate::domain::mode(opening.channel, "bundle", lineage, &item.region_code)
            }
        }
        None => crate::domain::mode(opening.channel, "item", lineage, &item.region_code),
    }
}
