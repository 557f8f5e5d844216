//! 通办 agreements (跨域通办) as the services that act on them keep them: acceptance, whose
//! windows take cases in under them, and the catalogue, whose search shows a hall what it may
//! collect. The crossregion service owns the agreements; each of these services keeps the same
//! two tables in its own schema (`agreements` and `agreement_items`, a projection of
//! `AgreementConcluded` and `AgreementTerminated`) and asks them the same question, so when an
//! agreement applies, and to whom, is written once, here.
//!
//! # Layout
//! - [`consumer`]: the projection, one consumer group per service on the crossregion topic.
//! - [`push_collectable`]: the items agreements in force let a region collect, as a query a
//!   service builds on (the catalogue's search joins it).
//! - [`agreed`]: whether they let a region collect one item.
//! - [`ITEM_ON_ITS_OWN`], [`BUNDLE_MEMBER`]: the modes a window collects under.

use std::sync::Arc;

use chrono::NaiveDate;
use sqlx::{PgConnection, Postgres, QueryBuilder};

use tongban_bus::{ConsumerSpec, Delivered, HandleError, On, field};
use tongban_events::crossregion::v1::{AgreementConcluded, AgreementTerminated};
use tongban_events::topics;
use tongban_kernel::Error;

/// 异地代收代办: collected at a window elsewhere, handled where the item is implemented.
pub const COLLECT_ELSEWHERE: &str = "collect_elsewhere";
/// 多地联办: several regions each handle their part of a 一件事 bundle.
pub const JOINT: &str = "joint";

/// The modes under which a window takes in an item applied for on its own: a collect_elsewhere
/// agreement only. A joint one covers the item as a member of a bundle, and an online one
/// (全程网办) lets no window collect at all.
pub const ITEM_ON_ITS_OWN: &[&str] = &[COLLECT_ELSEWHERE];
/// The modes under which a window takes in a bundle's member handled elsewhere.
pub const BUNDLE_MEMBER: &[&str] = &[JOINT, COLLECT_ELSEWHERE];

/// The consumer that keeps `agreements` and `agreement_items` from the crossregion topic.
pub fn consumer() -> ConsumerSpec {
    let projection = Arc::new(Projection);
    ConsumerSpec::named("agreements", &[topics::CROSSREGION])
        .on::<AgreementConcluded, _>(projection.clone())
        .on::<AgreementTerminated, _>(projection)
        .into()
}

struct Projection;

impl On<AgreementConcluded> for Projection {
    async fn on(
        &self,
        tx: &mut PgConnection,
        agreement: AgreementConcluded,
        _: &Delivered,
    ) -> Result<(), HandleError> {
        let id = field::uuid("agreement_id", &agreement.agreement_id)?;
        let from = field::optional_date("effective_from", &agreement.effective_from)?
            .ok_or_else(|| HandleError::Permanent("an agreement without effective_from".into()))?;
        let until = field::optional_date("effective_until", &agreement.effective_until)?;
        let inserted = sqlx::query(
            "insert into agreements (id, mode, collecting_regions, effective_from, effective_until)
             values ($1, $2, $3, $4, $5) on conflict (id) do nothing",
        )
        .bind(id)
        .bind(&agreement.mode)
        .bind(&agreement.collecting_regions)
        .bind(from)
        .bind(until)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if inserted == 1 {
            let codes: Vec<&str> = agreement
                .items
                .iter()
                .map(|i| i.implementation_code.as_str())
                .collect();
            sqlx::query(
                "insert into agreement_items (agreement_id, implementation_code)
                 select $1, unnest($2::text[])",
            )
            .bind(id)
            .bind(&codes)
            .execute(&mut *tx)
            .await?;
        }
        Ok(())
    }
}

impl On<AgreementTerminated> for Projection {
    async fn on(
        &self,
        tx: &mut PgConnection,
        ended: AgreementTerminated,
        _: &Delivered,
    ) -> Result<(), HandleError> {
        let until = field::optional_date("effective_until", &ended.effective_until)?;
        sqlx::query("update agreements set effective_until = $2 where id = $1")
            .bind(field::uuid("agreement_id", &ended.agreement_id)?)
            .bind(until)
            .execute(&mut *tx)
            .await?;
        Ok(())
    }
}

/// Pushes onto `sql` a query of the items that agreements in force on `on`, in one of `modes`,
/// let the region whose lineage (province first, itself last) is `lineage` collect: rows of
/// (`implementation_code`, `mode`), one an item (the first mode by name when several agreements
/// cover it). A collecting region covers the regions below it, hence the overlap with the whole
/// lineage; an agreement applies from `effective_from` up to and including `effective_until`
/// (a termination takes effect the day after it).
pub fn push_collectable(
    sql: &mut QueryBuilder<'_, Postgres>,
    lineage: &[String],
    on: NaiveDate,
    modes: &[&str],
) {
    let modes: Vec<String> = modes.iter().map(|m| (*m).to_owned()).collect();
    sql.push(
        "select i.implementation_code, min(a.mode) as mode
         from agreements a join agreement_items i on i.agreement_id = a.id
         where a.collecting_regions && ",
    )
    .push_bind(lineage.to_vec())
    .push(" and a.mode = any (")
    .push_bind(modes)
    .push(") and a.effective_from <= ")
    .push_bind(on)
    .push(" and (a.effective_until is null or a.effective_until >= ")
    .push_bind(on)
    .push(") group by i.implementation_code");
}

/// Whether an agreement in force on `on`, in one of `modes`, lets the region whose lineage
/// (province first, itself last) is `lineage` collect cases of item `code` (跨域通办).
pub async fn agreed(
    conn: &mut PgConnection,
    code: &str,
    lineage: &[String],
    on: NaiveDate,
    modes: &[&str],
) -> Result<bool, Error> {
    let mut sql = QueryBuilder::new("select exists (select 1 from (");
    push_collectable(&mut sql, lineage, on, modes);
    sql.push(") agreed where agreed.implementation_code = ")
        .push_bind(code.to_owned())
        .push(")");
    Ok(sql.build_query_scalar::<bool>().fetch_one(conn).await?)
}
