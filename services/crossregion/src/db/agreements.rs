//! 通办 agreements: proposed by a catalogue administrator of one of the regions involved,
//! signed for every region involved (each collecting region, each item's region) by an
//! administrator covering it, in force once all have signed; public to read, checked for a
//! receiving region and an item on a date.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use sqlx::{PgConnection, PgPool};
use utoipa::ToSchema;
use uuid::Uuid;

use tongban_bus::outbox::{self, Subject};
use tongban_events::crossregion::v1 as events;
use tongban_kernel::{Error, ImplementationCode, Power, Principal, RegionCode};
use tongban_runtime::regions::RegionDirectory;

use crate::domain;

/// What an administrator asks for.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewAgreement {
    /// 1-200 characters, e.g. 长三角“一网通办”个体工商户登记.
    pub title: String,
    /// online (全程网办), collect_elsewhere (异地代收代办) or joint (多地联办).
    pub mode: String,
    /// The items (31-character implementation codes, in force) whose cases may be collected
    /// elsewhere; each is handled where it is implemented.
    pub items: Vec<String>,
    /// 12-digit codes of the regions where cases may be collected (with the regions below).
    pub collecting_regions: Vec<String>,
    pub effective_from: NaiveDate,
    /// Inclusive; absent while open-ended.
    pub effective_until: Option<NaiveDate>,
}

#[derive(Debug, Clone, Serialize, ToSchema, sqlx::FromRow)]
pub struct Item {
    pub implementation_code: String,
    /// Where the item is handled.
    pub region_code: String,
    pub name: String,
}

/// One region's signature (empty while it is awaited).
#[derive(Debug, Clone, Serialize, ToSchema, sqlx::FromRow)]
pub struct Signature {
    pub region_code: String,
    pub signed_by: Option<Uuid>,
    pub signed_at: Option<DateTime<Utc>>,
}

#[derive(sqlx::FromRow)]
struct SignatureRow {
    agreement_id: Uuid,
    region_code: String,
    signed_by: Option<Uuid>,
    signed_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Agreement {
    pub id: Uuid,
    pub title: String,
    pub mode: String,
    /// county, city, province or cross_province: the widest reach between its regions.
    pub scope: String,
    pub items: Vec<Item>,
    pub collecting_regions: Vec<String>,
    pub effective_from: NaiveDate,
    pub effective_until: Option<NaiveDate>,
    /// proposed (awaiting signatures), in_force (from `effective_from`) or terminated.
    pub status: String,
    pub proposed_by: Uuid,
    pub proposed_at: DateTime<Utc>,
    /// When the last region signed.
    pub concluded_at: Option<DateTime<Utc>>,
    pub signatures: Vec<Signature>,
    pub terminated_at: Option<DateTime<Utc>>,
    pub termination_reason: Option<String>,
}

#[derive(sqlx::FromRow)]
struct Row {
    id: Uuid,
    title: String,
    mode: String,
    scope: String,
    collecting_regions: Vec<String>,
    effective_from: NaiveDate,
    effective_until: Option<NaiveDate>,
    proposed_by: Uuid,
    proposed_at: DateTime<Utc>,
    concluded_at: Option<DateTime<Utc>>,
    terminated_at: Option<DateTime<Utc>>,
    termination_reason: Option<String>,
}

const COLUMNS: &str = "a.id, a.title, a.mode, a.scope, a.collecting_regions, a.effective_from, \
    a.effective_until, a.proposed_by, a.proposed_at, a.concluded_at, a.terminated_at, \
    a.termination_reason";

async fn with_items(conn: &mut PgConnection, rows: Vec<Row>) -> Result<Vec<Agreement>, Error> {
    let ids: Vec<Uuid> = rows.iter().map(|r| r.id).collect();
    let items: Vec<(Uuid, String, String, String)> = sqlx::query_as(
        "select agreement_id, implementation_code, region_code, name from agreement_items
         where agreement_id = any($1) order by implementation_code",
    )
    .bind(&ids)
    .fetch_all(&mut *conn)
    .await?;
    let signatures: Vec<(Uuid, Signature)> = sqlx::query_as::<_, SignatureRow>(
        "select agreement_id, region_code, signed_by, signed_at from agreement_signatures
         where agreement_id = any($1) order by region_code",
    )
    .bind(&ids)
    .fetch_all(&mut *conn)
    .await?
    .into_iter()
    .map(|row| {
        (
            row.agreement_id,
            Signature {
                region_code: row.region_code,
                signed_by: row.signed_by,
                signed_at: row.signed_at,
            },
        )
    })
    .collect();
    Ok(rows
        .into_iter()
        .map(|row| Agreement {
            signatures: signatures
                .iter()
                .filter(|(id, _)| *id == row.id)
                .map(|(_, signature)| signature.clone())
                .collect(),
            status: if row.terminated_at.is_some() {
                "terminated"
            } else if row.concluded_at.is_some() {
                "in_force"
            } else {
                "proposed"
            }
            .to_owned(),
            items: items
                .iter()
                .filter(|(id, ..)| *id == row.id)
                .map(|(_, code, region, name)| Item {
                    implementation_code: code.clone(),
                    region_code: region.clone(),
                    name: name.clone(),
                })
                .collect(),
            id: row.id,
            title: row.title,
            mode: row.mode,
            scope: row.scope,
            collecting_regions: row.collecting_regions,
            effective_from: row.effective_from,
            effective_until: row.effective_until,
            proposed_by: row.proposed_by,
            proposed_at: row.proposed_at,
            concluded_at: row.concluded_at,
            terminated_at: row.terminated_at,
            termination_reason: row.termination_reason,
        })
        .collect())
}

/// Proposes an agreement: every field checked (400/422 naming it), and signed at once for
/// every region involved that the caller administers (403 when none). It is concluded when
/// nothing is left to sign (see [`sign`]).
pub async fn propose(
    pool: &PgPool,
    regions: &RegionDirectory,
    principal: &Principal,
    new: NewAgreement,
    now: DateTime<Utc>,
) -> Result<Agreement, Error> {
    let title = new.title.trim().to_owned();
    if title.is_empty() || title.chars().count() > 200 {
        return Err(Error::bad_request("title", "1 to 200 characters"));
    }
    if !domain::MODES.contains(&new.mode.as_str()) {
        return Err(Error::bad_request(
            "mode",
            format!("one of {}", domain::MODES.join(", ")),
        ));
    }
    if new.items.is_empty() || new.items.len() > 500 {
        return Err(Error::bad_request("items", "1 to 500 implementation codes"));
    }
    if new.collecting_regions.is_empty() || new.collecting_regions.len() > 100 {
        return Err(Error::bad_request(
            "collecting_regions",
            "1 to 100 region codes",
        ));
    }
    if new
        .effective_until
        .is_some_and(|until| until < new.effective_from)
    {
        return Err(Error::unprocessable(
            "effective_until",
            "an agreement ends on or after the day it starts",
        ));
    }
    let mut codes = Vec::with_capacity(new.items.len());
    for (i, raw) in new.items.iter().enumerate() {
        let code: ImplementationCode = tongban_kernel::parse_param(&format!("items[{i}]"), raw)?;
        codes.push(code.to_string());
    }
    codes.sort();
    codes.dedup();
    let mut collecting = Vec::with_capacity(new.collecting_regions.len());
    let mut lineages = Vec::new();
    for (i, raw) in new.collecting_regions.iter().enumerate() {
        let field = format!("collecting_regions[{i}]");
        let region: RegionCode = tongban_kernel::parse_param(&field, raw)?;
        lineages.push(regions.lineage(&region, &field).await?);
        collecting.push(region.to_string());
    }
    collecting.sort();
    collecting.dedup();

    let mut tx = pool.begin().await?;
    let mut items = Vec::with_capacity(codes.len());
    for (i, code) in codes.iter().enumerate() {
        let found: Option<(String, String)> = sqlx::query_as(
            "select name, region_code from items where implementation_code = $1 and in_force",
        )
        .bind(code)
        .fetch_optional(&mut *tx)
        .await?;
        let Some((name, region_code)) = found else {
            return Err(Error::unprocessable(
                format!("items[{i}]"),
                format!("{code} is not an item in force"),
            ));
        };
        let region: RegionCode = region_code
            .parse()
            .map_err(|_| Error::internal(format!("stored region {region_code} is malformed")))?;
        lineages.push(regions.lineage(&region, &format!("items[{i}]")).await?);
        items.push(Item {
            implementation_code: code.clone(),
            region_code,
            name,
        });
    }
    let scope = domain::scope(&lineages);
    let involved = regions_of(&collecting, &items);
    let mine = covered(principal, &involved)?;
    if mine.is_empty() {
        return Err(Error::Forbidden(
            "no catalogue_admin role covers any region of this agreement".into(),
        ));
    }
    let id = Uuid::now_v7();
    sqlx::query(
        "insert into agreements (id, title, mode, scope, collecting_regions, effective_from,
             effective_until, proposed_by, proposed_at)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(id)
    .bind(&title)
    .bind(&new.mode)
    .bind(scope)
    .bind(&collecting)
    .bind(new.effective_from)
    .bind(new.effective_until)
    .bind(principal.account)
    .bind(now)
    .execute(&mut *tx)
    .await?;
    for item in &items {
        sqlx::query(
            "insert into agreement_items (agreement_id, implementation_code, region_code, name)
             values ($1, $2, $3, $4)",
        )
        .bind(id)
        .bind(&item.implementation_code)
        .bind(&item.region_code)
        .bind(&item.name)
        .execute(&mut *tx)
        .await?;
    }
    sqlx::query(
        "insert into agreement_signatures (agreement_id, region_code)
         select $1, unnest($2::text[])",
    )
    .bind(id)
    .bind(&involved)
    .execute(&mut *tx)
    .await?;
    sign_for(&mut tx, id, &mine, principal, now).await?;
    let agreement = get_in(&mut tx, id).await?;
    tx.commit().await?;
    Ok(agreement)
}

/// The regions of `involved` that `principal` administers the catalogue of.
fn covered(principal: &Principal, involved: &[String]) -> Result<Vec<String>, Error> {
    let mut mine = Vec::new();
    for region in involved {
        let code: RegionCode = region
            .parse()
            .map_err(|_| Error::internal(format!("stored region {region} is malformed")))?;
        if principal.can(Power::EditCatalogue, &code) {
            mine.push(region.clone());
        }
    }
    Ok(mine)
}

/// Signs for `regions` and, when nothing is left to sign, concludes the agreement and
/// publishes `AgreementConcluded`.
async fn sign_for(
    tx: &mut PgConnection,
    id: Uuid,
    regions: &[String],
    principal: &Principal,
    now: DateTime<Utc>,
) -> Result<(), Error> {
    sqlx::query(
        "update agreement_signatures set signed_by = $3, signed_at = $4
         where agreement_id = $1 and region_code = any($2) and signed_at is null",
    )
    .bind(id)
    .bind(regions)
    .bind(principal.account)
    .bind(now)
    .execute(&mut *tx)
    .await?;
    let pending: i64 = sqlx::query_scalar(
        "select count(*) from agreement_signatures where agreement_id = $1 and signed_at is null",
    )
    .bind(id)
    .fetch_one(&mut *tx)
    .await?;
    if pending > 0 {
        return Ok(());
    }
    sqlx::query("update agreements set concluded_at = $2 where id = $1")
        .bind(id)
        .bind(now)
        .execute(&mut *tx)
        .await?;
    let agreement = get_in(tx, id).await?;
    let event = events::AgreementConcluded {
        agreement_id: id.to_string(),
        title: agreement.title.clone(),
        mode: agreement.mode.clone(),
        scope: agreement.scope.clone(),
        items: agreement
            .items
            .iter()
            .map(|i| events::AgreedItem {
                implementation_code: i.implementation_code.clone(),
                region_code: i.region_code.clone(),
                name: i.name.clone(),
            })
            .collect(),
        collecting_regions: agreement.collecting_regions.clone(),
        effective_from: agreement.effective_from.to_string(),
        effective_until: agreement
            .effective_until
            .map(|d| d.to_string())
            .unwrap_or_default(),
        concluded_by: principal.account.to_string(),
        concluded_at: Some(tongban_events::timestamp(now)),
    };
    publish(
        tx,
        id,
        regions_of(&agreement.collecting_regions, &agreement.items),
        &event,
    )
    .await?;
    Ok(())
}

/// Signs a proposed agreement for the regions involved that `principal` administers (403 when
/// none is left for them); the last signature concludes it.
pub async fn sign(
    pool: &PgPool,
    principal: &Principal,
    id: Uuid,
    now: DateTime<Utc>,
) -> Result<Agreement, Error> {
    let mut tx = pool.begin().await?;
    let agreement: Option<Option<DateTime<Utc>>> =
        sqlx::query_scalar("select concluded_at from agreements where id = $1 for update")
            .bind(id)
            .fetch_optional(&mut *tx)
            .await?;
    match agreement {
        None => return Err(Error::NotFound(format!("agreement {id}"))),
        Some(Some(_)) => {
            return Err(Error::Conflict {
                code: "already_concluded",
                message: format!("agreement {id} is signed by every region already"),
            });
        }
        Some(None) => {}
    }
    let pending: Vec<String> = sqlx::query_scalar(
        "select region_code from agreement_signatures where agreement_id = $1 and signed_at is null",
    )
    .bind(id)
    .fetch_all(&mut *tx)
    .await?;
    let mine = covered(principal, &pending)?;
    if mine.is_empty() {
        return Err(Error::Forbidden(format!(
            "no catalogue_admin role covers a region still to sign: {}",
            pending.join(", ")
        )));
    }
    sign_for(&mut tx, id, &mine, principal, now).await?;
    let agreement = get_in(&mut tx, id).await?;
    tx.commit().await?;
    Ok(agreement)
}

fn regions_of(collecting: &[String], items: &[Item]) -> Vec<String> {
    let mut regions: Vec<String> = collecting
        .iter()
        .cloned()
        .chain(items.iter().map(|i| i.region_code.clone()))
        .collect();
    regions.sort();
    regions.dedup();
    regions
}

async fn publish<E: tongban_events::Event>(
    tx: &mut PgConnection,
    id: Uuid,
    regions: Vec<String>,
    event: &E,
) -> Result<(), sqlx::Error> {
    let key = id.to_string();
    outbox::enqueue(
        tx,
        &Subject {
            key: &key,
            subject: None,
            regions,
        },
        event,
    )
    .await?;
    Ok(())
}

async fn get_in(conn: &mut PgConnection, id: Uuid) -> Result<Agreement, Error> {
    let row: Option<Row> = sqlx::query_as(&format!(
        "select {COLUMNS} from agreements a where a.id = $1"
    ))
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?;
    let row = row.ok_or_else(|| Error::NotFound(format!("agreement {id}")))?;
    Ok(with_items(conn, vec![row]).await?.remove(0))
}

pub async fn get(pool: &PgPool, id: Uuid) -> Result<Agreement, Error> {
    let mut conn = pool.acquire().await?;
    get_in(&mut conn, id).await
}

/// Agreements involving a region (collecting in it, above it or below it, or handling in
/// it), or an item; those in force on `on` when given. `region` comes with its lineage.
pub async fn list(
    pool: &PgPool,
    region: Option<(&RegionCode, &[String])>,
    item: Option<&str>,
    on: Option<NaiveDate>,
) -> Result<Vec<Agreement>, Error> {
    let mut conn = pool.acquire().await?;
    let rows: Vec<Row> = sqlx::query_as(&format!(
        "select {COLUMNS} from agreements a
         where ($1::text is null
                or a.collecting_regions && $4
                or exists (select 1 from unnest(a.collecting_regions) r where r like $1 || '%')
                or exists (select 1 from agreement_items i where i.agreement_id = a.id and i.region_code like $1 || '%'))
           and ($2::text is null or exists (select 1 from agreement_items i where i.agreement_id = a.id and i.implementation_code = $2))
           and ($3::date is null or (a.effective_from <= $3 and (a.effective_until is null or a.effective_until >= $3)))
         order by a.concluded_at desc
         limit 500"
    ))
    .bind(region.map(|(r, _)| r.prefix().to_owned()))
    .bind(item)
    .bind(on)
    .bind(region.map(|(_, lineage)| lineage.to_vec()).unwrap_or_default())
    .fetch_all(&mut *conn)
    .await?;
    with_items(&mut conn, rows).await
}

/// The agreements in force on `on` that let a case of `item` be collected in the region whose
/// lineage (province first, itself last) is `lineage`.
pub async fn covering(
    pool: &PgPool,
    item: &str,
    lineage: &[String],
    on: NaiveDate,
) -> Result<Vec<Agreement>, Error> {
    let mut conn = pool.acquire().await?;
    let rows: Vec<Row> = sqlx::query_as(&format!(
        "select {COLUMNS} from agreements a
         join agreement_items i on i.agreement_id = a.id and i.implementation_code = $1
         where a.collecting_regions && $2 and a.concluded_at is not null
           and a.effective_from <= $3 and (a.effective_until is null or a.effective_until >= $3)
         order by a.concluded_at"
    ))
    .bind(item)
    .bind(lineage)
    .bind(on)
    .fetch_all(&mut *conn)
    .await?;
    with_items(&mut conn, rows).await
}

/// Ends an agreement on `until` (inclusive; today when absent), with the reason: any region
/// involved may withdraw from it (an administrator covering one of them).
pub async fn terminate(
    pool: &PgPool,
    principal: &Principal,
    id: Uuid,
    until: Option<NaiveDate>,
    reason: &str,
    now: DateTime<Utc>,
    today: NaiveDate,
) -> Result<Agreement, Error> {
    let reason = reason.trim();
    if reason.is_empty() || reason.chars().count() > 1000 {
        return Err(Error::bad_request(
            "reason",
            "a written reason of 1 to 1000 characters is required",
        ));
    }
    let mut tx = pool.begin().await?;
    let agreement = get_in(&mut tx, id).await?;
    let involved = regions_of(&agreement.collecting_regions, &agreement.items);
    if covered(principal, &involved)?.is_empty() {
        return Err(Error::Forbidden(
            "no catalogue_admin role covers any region of this agreement".into(),
        ));
    }
    if agreement.terminated_at.is_some() {
        return Err(Error::Conflict {
            code: "already_terminated",
            message: format!("agreement {id} is already terminated"),
        });
    }
    let until = until.unwrap_or(today);
    if until < agreement.effective_from || until < today {
        return Err(Error::unprocessable(
            "effective_until",
            "an agreement ends today or later, and not before it starts",
        ));
    }
    let until = agreement
        .effective_until
        .map_or(until, |current| current.min(until));
    sqlx::query(
        "update agreements set effective_until = $2, terminated_by = $3, terminated_at = $4,
             termination_reason = $5
         where id = $1",
    )
    .bind(id)
    .bind(until)
    .bind(principal.account)
    .bind(now)
    .bind(reason)
    .execute(&mut *tx)
    .await?;
    let event = events::AgreementTerminated {
        agreement_id: id.to_string(),
        effective_until: until.to_string(),
        reason: reason.to_owned(),
        terminated_by: principal.account.to_string(),
        terminated_at: Some(tongban_events::timestamp(now)),
    };
    publish(&mut tx, id, involved, &event).await?;
    let agreement = get_in(&mut tx, id).await?;
    tx.commit().await?;
    Ok(agreement)
}
