//! Keeps `item_steps` from the catalogue's `ItemPublished`, and opens a work item for every
//! accepted case of an item and every accepted part of a bundle application (the bundle case
//! itself is the front office's: its parts are the work).

use chrono::{DateTime, NaiveDate};
use futures::future::BoxFuture;
use serde_json::{Value, json};
use sqlx::PgConnection;

use tongban_bus::{Delivered, HandleError, Handler};
use tongban_events::Event;
use tongban_events::acceptance::v1::CaseAccepted;
use tongban_events::catalogue::v1::ItemPublished;

/// The catalogue's item versions, for their steps.
pub struct ItemSteps;

impl Handler for ItemSteps {
    fn handles(&self, ce_type: &str) -> bool {
        ce_type == ItemPublished::TYPE
    }

    fn handle<'a>(
        &'a self,
        tx: &'a mut PgConnection,
        event: &'a Delivered,
    ) -> BoxFuture<'a, Result<(), HandleError>> {
        Box::pin(async move {
            let item: ItemPublished = event.decode()?;
            let steps: Vec<Value> = item
                .steps
                .iter()
                .map(|s| {
                    let limit = s.time_limit.clone().unwrap_or_default();
                    json!({ "name": s.name, "role": s.role, "time_limit": { "value": limit.value, "unit": limit.unit } })
                })
                .collect();
            sqlx::query(
                "insert into item_steps (implementation_code, version, name, region_code, department_credit_code, steps)
                 values ($1, $2, $3, $4, $5, $6)
                 on conflict (implementation_code, version) do nothing",
            )
            .bind(&item.implementation_code)
            .bind(item.version as i32)
            .bind(&item.name)
            .bind(&item.region_code)
            .bind(&item.department_credit_code)
            .bind(Value::Array(steps))
            .execute(&mut *tx)
            .await?;
            Ok(())
        })
    }
}

/// Accepted cases, as work items.
pub struct WorkItems;

impl Handler for WorkItems {
    fn handles(&self, ce_type: &str) -> bool {
        ce_type == CaseAccepted::TYPE
    }

    fn handle<'a>(
        &'a self,
        tx: &'a mut PgConnection,
        event: &'a Delivered,
    ) -> BoxFuture<'a, Result<(), HandleError>> {
        Box::pin(async move {
            let accepted: CaseAccepted = event.decode()?;
            let case = accepted
                .case
                .ok_or_else(|| HandleError::Permanent("CaseAccepted without its case".into()))?;
            if case.kind == "bundle" {
                return Ok(());
            }
            let id = uuid::Uuid::parse_str(&case.case_id)
                .map_err(|_| HandleError::Permanent(format!("case_id {:?}", case.case_id)))?;
            let parent = match case.parent_case_id.as_str() {
                "" => None,
                raw => Some(
                    uuid::Uuid::parse_str(raw)
                        .map_err(|_| HandleError::Permanent(format!("parent_case_id {raw:?}")))?,
                ),
            };
            let due: Option<NaiveDate> = match accepted.due_date.as_str() {
                "" => None,
                raw => Some(
                    raw.parse()
                        .map_err(|_| HandleError::Permanent(format!("due_date {raw:?}")))?,
                ),
            };
            let accepted_at = accepted
                .accepted_at
                .and_then(|t| DateTime::from_timestamp(t.seconds, t.nanos as u32))
                .unwrap_or(event.attributes.time);
            let item: Option<(String, String, Value)> = sqlx::query_as(
                "select name, department_credit_code, steps from item_steps
                 where implementation_code = $1 and version = $2",
            )
            .bind(&case.implementation_code)
            .bind(case.item_version as i32)
            .fetch_optional(&mut *tx)
            .await?;
            // The catalogue's event comes on another topic and may not be here yet: try again.
            let (name, department, steps) = item.ok_or_else(|| {
                HandleError::Transient(anyhow::anyhow!(
                    "item {} version {} not known yet",
                    case.implementation_code,
                    case.item_version
                ))
            })?;
            sqlx::query(
                "insert into work_items (case_id, case_number, kind, parent_case_id, implementation_code,
                     item_version, item_name, receiving_region, handling_region, department_credit_code,
                     steps, due_date, accepted_at)
                 values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
                 on conflict (case_id) do nothing",
            )
            .bind(id)
            .bind(&case.case_number)
            .bind(if case.kind == "part" { "part" } else { "item" })
            .bind(parent)
            .bind(&case.implementation_code)
            .bind(case.item_version as i32)
            .bind(name)
            .bind(&case.receiving_region)
            .bind(&case.handling_region)
            .bind(department)
            .bind(steps)
            .bind(due)
            .bind(accepted_at)
            .execute(&mut *tx)
            .await?;
            Ok(())
        })
    }
}
