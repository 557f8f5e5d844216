//! Keeps `item_versions`, `offered_items`, `bundle_versions`, `offered_bundles` and the calendar
//! tables from the catalogue's events. Events of one item (or bundle) share a key and arrive in
//! order; a version in force only ever moves forward, so a replayed older event changes nothing.

use chrono::{DateTime, Utc};
use serde_json::{Value, json};
use sqlx::PgConnection;

use tongban_bus::{Delivered, HandleError, On, field};
use tongban_events::catalogue::v1::{
    BundlePublished, BundleWithdrawn, CalendarChanged, ItemPublished, ItemWithdrawn, TimeLimit,
};

pub struct CatalogueProjection;

impl On<ItemPublished> for CatalogueProjection {
    async fn on(
        &self,
        tx: &mut PgConnection,
        item: ItemPublished,
        event: &Delivered,
    ) -> Result<(), HandleError> {
        item_published(tx, item, event.attributes.time).await
    }
}

impl On<ItemWithdrawn> for CatalogueProjection {
    async fn on(
        &self,
        tx: &mut PgConnection,
        item: ItemWithdrawn,
        _: &Delivered,
    ) -> Result<(), HandleError> {
        item_withdrawn(tx, item).await
    }
}

impl On<BundlePublished> for CatalogueProjection {
    async fn on(
        &self,
        tx: &mut PgConnection,
        bundle: BundlePublished,
        event: &Delivered,
    ) -> Result<(), HandleError> {
        bundle_published(tx, bundle, event.attributes.time).await
    }
}

impl On<BundleWithdrawn> for CatalogueProjection {
    async fn on(
        &self,
        tx: &mut PgConnection,
        bundle: BundleWithdrawn,
        _: &Delivered,
    ) -> Result<(), HandleError> {
        bundle_withdrawn(tx, bundle).await
    }
}

impl On<CalendarChanged> for CatalogueProjection {
    async fn on(
        &self,
        tx: &mut PgConnection,
        change: CalendarChanged,
        _: &Delivered,
    ) -> Result<(), HandleError> {
        tongban_calendar::apply(tx, change).await
    }
}

fn time(at: Option<prost_types::Timestamp>, otherwise: DateTime<Utc>) -> DateTime<Utc> {
    at.as_ref()
        .and_then(tongban_events::datetime)
        .unwrap_or(otherwise)
}

fn limit(limit: Option<&TimeLimit>) -> Value {
    limit.map_or(Value::Null, |l| json!({ "value": l.value, "unit": l.unit }))
}

/// The item's materials, steps, results and reach as the projection's JSON columns hold them.
fn item_lists(item: &ItemPublished) -> (Vec<Value>, Vec<Value>, Vec<Value>, Vec<Value>) {
    let materials = item
        .materials
        .iter()
        .map(|m| {
            json!({
                "code": m.code, "name": m.name, "kind": m.kind, "source": m.source,
                "necessity": m.necessity, "originals": m.originals, "copies": m.copies,
                "certificate_type": m.certificate_type,
            })
        })
        .collect();
    let steps = item
        .steps
        .iter()
        .map(|s| json!({ "name": s.name, "role": s.role, "time_limit": limit(s.time_limit.as_ref()) }))
        .collect();
    let results = item
        .results
        .iter()
        .map(|r| json!({ "name": r.name, "kind": r.kind, "e_certificate": r.e_certificate }))
        .collect();
    let reach = item
        .reach
        .iter()
        .map(|r| json!({ "root_code": r.root_code, "exact": r.exact }))
        .collect();
    (materials, steps, results, reach)
}

async fn item_published(
    tx: &mut PgConnection,
    item: ItemPublished,
    at: DateTime<Utc>,
) -> Result<(), HandleError> {
    let id = field::uuid("item_id", &item.item_id)?;
    if item.implementation_code.len() != 31 {
        return Err(field::malformed(
            "implementation_code",
            &item.implementation_code,
        ));
    }
    let promised = item.promised_time_limit.clone().unwrap_or_default();
    let level = real_name_level(item.real_name_level)?;
    let (materials, steps, results, reach) = item_lists(&item);
    sqlx::query(
        "insert into item_versions (implementation_code, version, item_id, name, region_code,
             department_credit_code, kind, promised_value, promised_unit, visits_required,
             tongban_scope, covered_regions, materials, steps, results, reach, published_at,
             department_id, real_name_level)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18,
                 $19)
         -- A version is immutable; a replayed event only fills a department learned late.
         on conflict (implementation_code, version) do update
             set department_id = coalesce(item_versions.department_id, excluded.department_id)",
    )
    .bind(&item.implementation_code)
    .bind(item.version as i32)
    .bind(id)
    .bind(&item.name)
    .bind(&item.region_code)
    .bind(&item.department_credit_code)
    .bind(&item.kind)
    .bind(promised.value as i32)
    .bind(&promised.unit)
    .bind(item.visits_required as i32)
    .bind(&item.tongban_scope)
    .bind(&item.covered_regions)
    .bind(Value::Array(materials))
    .bind(Value::Array(steps))
    .bind(Value::Array(results))
    .bind(Value::Array(reach))
    .bind(time(item.published_at, at))
    // Who may see the item's cases (a department-bound role sees its department's only); an
    // event without one leaves the cases to unrestricted roles.
    .bind(uuid::Uuid::parse_str(&item.department_id).ok())
    .bind(level)
    .execute(&mut *tx)
    .await?;
    sqlx::query(
        "insert into offered_items (implementation_code, version) values ($1, $2)
         on conflict (implementation_code) do update set version = excluded.version
         where offered_items.version < excluded.version",
    )
    .bind(&item.implementation_code)
    .bind(item.version as i32)
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// The level an item's applicants need: 0 is an event from before items stated one (level 1).
fn real_name_level(stated: u32) -> Result<i16, HandleError> {
    match stated {
        0 => Ok(1),
        1..=3 => Ok(stated as i16),
        other => Err(field::malformed("real_name_level", &other.to_string())),
    }
}

async fn item_withdrawn(tx: &mut PgConnection, item: ItemWithdrawn) -> Result<(), HandleError> {
    sqlx::query("delete from offered_items where implementation_code = $1 and version <= $2")
        .bind(&item.implementation_code)
        .bind(item.version as i32)
        .execute(&mut *tx)
        .await?;
    Ok(())
}

async fn bundle_published(
    tx: &mut PgConnection,
    bundle: BundlePublished,
    at: DateTime<Utc>,
) -> Result<(), HandleError> {
    let id = field::uuid("bundle_id", &bundle.bundle_id)?;
    let members: Vec<Value> = bundle
        .members
        .iter()
        .map(|m| {
            json!({
                "implementation_code": m.implementation_code, "version": m.version,
                "department_credit_code": m.department_credit_code, "region_code": m.region_code,
            })
        })
        .collect();
    let materials: Vec<Value> = bundle
        .materials
        .iter()
        .map(|m| {
            json!({
                "name": m.name, "kind": m.kind, "source": m.source, "necessity": m.necessity,
                "originals": m.originals, "copies": m.copies,
                "certificate_type": m.certificate_type, "used_by": m.used_by,
            })
        })
        .collect();
    sqlx::query(
        "insert into bundle_versions (bundle_id, version, name, region_code,
             lead_department_credit_code, members, materials, published_at)
         values ($1, $2, $3, $4, $5, $6, $7, $8)
         on conflict (bundle_id, version) do nothing",
    )
    .bind(id)
    .bind(bundle.version as i32)
    .bind(&bundle.name)
    .bind(&bundle.region_code)
    .bind(&bundle.lead_department_credit_code)
    .bind(Value::Array(members))
    .bind(Value::Array(materials))
    .bind(time(bundle.published_at, at))
    .execute(&mut *tx)
    .await?;
    sqlx::query(
        "insert into offered_bundles (bundle_id, version) values ($1, $2)
         on conflict (bundle_id) do update set version = excluded.version
         where offered_bundles.version < excluded.version",
    )
    .bind(id)
    .bind(bundle.version as i32)
    .execute(&mut *tx)
    .await?;
    Ok(())
}

async fn bundle_withdrawn(
    tx: &mut PgConnection,
    bundle: BundleWithdrawn,
) -> Result<(), HandleError> {
    let id = field::uuid("bundle_id", &bundle.bundle_id)?;
    sqlx::query("delete from offered_bundles where bundle_id = $1 and version <= $2")
        .bind(id)
        .bind(bundle.version as i32)
        .execute(&mut *tx)
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::real_name_level;

    #[test]
    fn an_item_published_before_levels_needs_level_one() {
        assert_eq!(real_name_level(0).ok(), Some(1));
        assert_eq!(real_name_level(2).ok(), Some(2));
        assert!(real_name_level(4).is_err());
    }
}
