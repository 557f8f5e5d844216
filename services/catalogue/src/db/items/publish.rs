//! Putting a draft in force and taking an item out of service, with their events.

use chrono::{DateTime, Utc};
use sqlx::types::Json as Jsonb;
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

use tongban_bus::outbox::{self, Subject};
use tongban_events::catalogue::v1 as events;
use tongban_kernel::{Error, ImplementationCode, RegionCode, TimeLimit};

use super::draft::basic_and_department;
use super::{Item, Row, SELECT, lock, wire};
use crate::actor::Actor;
use crate::db::regions::{self, Region};
use crate::domain::item::{CodeLists, ItemSpec};
use crate::domain::status::{Status, VersionStatus};

/// Puts the draft `version` in force: the previous version is superseded, the basic
/// catalogue's elements are frozen into it, where it may be applied for is recomputed, and
/// `ItemPublished` goes out. 409 when `version` is not the draft.
pub async fn publish(
    tx: &mut PgConnection,
    actor: Actor<'_>,
    lists: &CodeLists,
    code: &ImplementationCode,
    version: i32,
) -> Result<(), Error> {
    let locked = lock(tx, code).await?;
    actor.may_edit(&locked.region, Some(locked.department))?;
    let status: Option<VersionStatus> =
        sqlx::query_scalar("select status from item_versions where item_id = $1 and version = $2")
            .bind(locked.id)
            .bind(version)
            .fetch_optional(&mut *tx)
            .await?;
    match status {
        None => return Err(Error::NotFound(format!("version {version} of item {code}"))),
        Some(VersionStatus::Draft) => {}
        Some(other) => {
            return Err(Error::Conflict {
                code: "not_a_draft",
                message: format!("version {version} is {other}; only the draft can be published"),
            });
        }
    }
    // The basic catalogue may have changed since the draft was saved: freeze it as it is now.
    let (basic, _) = basic_and_department(tx, code).await?;
    sqlx::query("update item_versions set status = $2 where item_id = $1 and status = $3")
        .bind(locked.id)
        .bind(VersionStatus::Superseded)
        .bind(VersionStatus::Published)
        .execute(&mut *tx)
        .await?;
    let spec: Jsonb<ItemSpec> = sqlx::query_scalar(
        "update item_versions set basic = $3, name = $4, status = $6, published_by = $5, published_at = now()
         where item_id = $1 and version = $2 returning spec",
    )
    .bind(locked.id)
    .bind(version)
    .bind(Jsonb(&basic))
    .bind(&basic.name)
    .bind(actor.account())
    .bind(VersionStatus::Published)
    .fetch_one(&mut *tx)
    .await?;
    sqlx::query("update items set status = $3, current_version = $2 where id = $1")
        .bind(locked.id)
        .bind(version)
        .bind(Status::Published)
        .execute(&mut *tx)
        .await?;
    let lineage = regions::lineage(&mut *tx, &locked.region).await?;
    let roots = reach_roots(lists, &spec.0, &locked.region, &lineage);
    write_reach(tx, locked.id, &roots).await?;
    announce(tx, code, locked.id, version, &roots).await
}

/// Replaces where the item may be applied for.
async fn write_reach(
    tx: &mut PgConnection,
    item: Uuid,
    roots: &[(String, bool)],
) -> Result<(), Error> {
    sqlx::query("delete from item_reach where item_id = $1")
        .bind(item)
        .execute(&mut *tx)
        .await?;
    for (root, exact) in roots {
        sqlx::query(
            "insert into item_reach (item_id, root_code, exact) values ($1, $2, $3)
             on conflict (item_id, root_code) do update set exact = item_reach.exact and excluded.exact",
        )
        .bind(item)
        .bind(root)
        .bind(exact)
        .execute(&mut *tx)
        .await?;
    }
    Ok(())
}

/// Puts `ItemPublished` for the version just put in force in the outbox.
async fn announce(
    tx: &mut PgConnection,
    code: &ImplementationCode,
    id: Uuid,
    version: i32,
    roots: &[(String, bool)],
) -> Result<(), Error> {
    let item: Item = {
        let row: Row = sqlx::query_as(&format!("{SELECT} where i.id = $1 and v.version = $2"))
            .bind(id)
            .bind(version)
            .fetch_one(&mut *tx)
            .await?;
        row.try_into()?
    };
    let event = published_event(&item, roots);
    let key = item.id.to_string();
    let mut regions: Vec<String> = vec![item.region_code.to_string()];
    regions.extend(
        item.spec
            .tongban
            .covered_regions
            .iter()
            .map(|r| r.to_string()),
    );
    outbox::enqueue(
        tx,
        &Subject {
            key: &key,
            subject: Some(code.as_str()),
            regions,
        },
        &event,
    )
    .await?;
    Ok(())
}

/// Takes the item out of service: its version in force becomes withdrawn and `ItemWithdrawn`
/// goes out. Cases accepted under it keep their version.
pub async fn withdraw(
    pool: &PgPool,
    actor: Actor<'_>,
    code: &ImplementationCode,
    reason: &str,
) -> Result<(), Error> {
    let mut tx = pool.begin().await?;
    let locked = lock(&mut tx, code).await?;
    actor.may_edit(&locked.region, Some(locked.department))?;
    let Some(version) = locked
        .current_version
        .filter(|_| locked.status == Status::Published)
    else {
        return Err(Error::Conflict {
            code: "not_published",
            message: format!("item {code} has no version in force"),
        });
    };
    let withdrawn_at: DateTime<Utc> = sqlx::query_scalar(
        "update item_versions set status = $4, withdrawn_at = now(), withdrawn_reason = $3
         where item_id = $1 and version = $2 returning withdrawn_at",
    )
    .bind(locked.id)
    .bind(version)
    .bind(reason)
    .bind(VersionStatus::Withdrawn)
    .fetch_one(&mut *tx)
    .await?;
    sqlx::query("update items set status = $2, current_version = null where id = $1")
        .bind(locked.id)
        .bind(Status::Withdrawn)
        .execute(&mut *tx)
        .await?;
    sqlx::query("delete from item_reach where item_id = $1")
        .bind(locked.id)
        .execute(&mut *tx)
        .await?;
    let key = locked.id.to_string();
    let event = events::ItemWithdrawn {
        item_id: key.clone(),
        implementation_code: code.to_string(),
        version: version as u32,
        region_code: locked.region.to_string(),
        reason: reason.to_owned(),
        withdrawn_at: Some(tongban_events::timestamp(withdrawn_at)),
    };
    let about = Subject {
        key: &key,
        subject: Some(code.as_str()),
        regions: vec![locked.region.to_string()],
    };
    outbox::enqueue(&mut tx, &about, &event).await?;
    tx.commit().await?;
    Ok(())
}

/// Where a published item may be applied for, as (root region, exactly that region only):
/// its 通办 scope reaches up from the item's region to a county, city or province (or stays at
/// the region itself), and every covered region adds its subtree.
fn reach_roots(
    lists: &CodeLists,
    spec: &ItemSpec,
    region: &RegionCode,
    lineage: &[Region],
) -> Vec<(String, bool)> {
    let at_level = |level: &str| {
        lineage
            .iter()
            .find(|r| r.level == level)
            .map(|r| r.code.clone())
            // An item above that level (a city item with a county-wide scope) keeps its region.
            .unwrap_or_else(|| region.to_string())
    };
    let mut roots = vec![match lists.reach(&spec.tongban.scope) {
        Some("county") => (at_level("county"), false),
        Some("city") => (at_level("city"), false),
        Some("province") => (at_level("province"), false),
        // `self`, `listed`: the implementing hall itself, plus the listed regions below.
        _ => (region.to_string(), true),
    }];
    roots.extend(
        spec.tongban
            .covered_regions
            .iter()
            .map(|r| (r.to_string(), false)),
    );
    roots
}

fn limit(limit: TimeLimit) -> events::TimeLimit {
    events::TimeLimit {
        value: limit.value,
        unit: wire(&limit.unit),
    }
}

/// The event of a version put in force, with where it may be applied for.
fn published_event(item: &Item, reach: &[(String, bool)]) -> events::ItemPublished {
    let spec = &item.spec;
    events::ItemPublished {
        item_id: item.id.to_string(),
        implementation_code: item.code.to_string(),
        version: item.version as u32,
        basic_code: item.basic.code.to_string(),
        name: item.name.clone(),
        item_type: item.basic.item_type.clone(),
        legal_basis: item.basic.legal_basis.clone(),
        supervising_department: item.basic.supervising_department.clone(),
        department_id: item.department.id.to_string(),
        department_credit_code: item.department.credit_code.to_string(),
        region_code: item.region_code.to_string(),
        kind: wire(&spec.kind),
        legal_time_limit: Some(limit(spec.legal_time_limit)),
        promised_time_limit: Some(limit(spec.promised_time_limit)),
        visits_required: u32::from(spec.visits_required),
        real_name_level: u32::from(spec.real_name_level),
        online_depth: spec.online_depth.clone(),
        post_results: spec.postal.results,
        post_materials: spec.postal.materials,
        tongban_scope: spec.tongban.scope.clone(),
        covered_regions: spec
            .tongban
            .covered_regions
            .iter()
            .map(|r| r.to_string())
            .collect(),
        steps: spec
            .steps
            .iter()
            .map(|s| events::Step {
                name: s.name.clone(),
                role: s.role.as_str().to_owned(),
                time_limit: Some(limit(s.time_limit)),
            })
            .collect(),
        results: spec
            .results
            .iter()
            .map(|r| events::Result {
                name: r.name.clone(),
                kind: wire(&r.kind),
                e_certificate: r.e_certificate,
            })
            .collect(),
        materials: spec
            .material_codes(&item.code)
            .map(|(code, m)| events::Material {
                code: code.to_string(),
                name: m.name.clone(),
                kind: wire(&m.kind),
                source: wire(&m.source),
                necessity: wire(&m.necessity),
                originals: u32::from(m.originals),
                copies: u32::from(m.copies),
                certificate_type: m.certificate_type.clone().unwrap_or_default(),
            })
            .collect(),
        fee_fen: spec.fee.amount_fen.unwrap_or(0),
        published_at: item.published_at.map(tongban_events::timestamp),
        aliases: spec.aliases.clone(),
        reach: reach
            .iter()
            .map(|(root_code, exact)| events::Reach {
                root_code: root_code.clone(),
                exact: *exact,
            })
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::item::tests::{lists, spec};

    fn region(code: &str, level: &str) -> Region {
        Region {
            code: code.into(),
            name: String::new(),
            level: level.into(),
            parent_code: None,
        }
    }

    #[test]
    fn a_scope_reaches_up_to_its_level_and_out_to_covered_regions() {
        let lineage = [
            region("430000000000", "province"),
            region("430900000000", "city"),
            region("430903000000", "county"),
        ];
        let heshan: RegionCode = "430903000000".parse().unwrap();
        let roots = |scope: &str, covered: &[&str]| {
            let mut s = spec();
            s.tongban.scope = scope.into();
            s.tongban.covered_regions = covered.iter().map(|c| c.parse().unwrap()).collect();
            reach_roots(&lists(), &s, &heshan, &lineage)
        };
        assert_eq!(roots("none", &[]), [("430903000000".into(), true)]);
        assert_eq!(roots("county", &[]), [("430903000000".into(), false)]);
        assert_eq!(roots("province", &[]), [("430000000000".into(), false)]);
        assert_eq!(
            roots("cross_province", &["440000000000"]),
            [
                ("430903000000".into(), true),
                ("440000000000".into(), false)
            ]
        );
        // A city-level item with a county-wide scope cannot reach below its own region's level
        // more than its own subtree.
        let city: RegionCode = "430900000000".parse().unwrap();
        let mut s = spec();
        s.tongban.scope = "county".into();
        assert_eq!(
            reach_roots(&lists(), &s, &city, &lineage[..2]),
            [("430900000000".into(), false)]
        );
    }
}
