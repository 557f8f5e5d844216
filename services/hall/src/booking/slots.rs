//! The slots of a window group anyone may see before booking: each bookable slot with its
//! places left.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use sqlx::PgPool;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use tongban_kernel::{Error, Now, RegionCode};

use super::{rules, store};
use crate::centre;
use crate::queue::take::{choose_group, item_code};

#[derive(Debug, Deserialize, IntoParams)]
pub struct SlotsQuery {
    /// The window group; or the item, and the first open group serving it.
    pub group_id: Option<Uuid>,
    /// 31-character implementation code.
    pub item_code: Option<String>,
}

/// A group's bookable slots.
#[derive(Debug, Serialize, ToSchema)]
pub struct Slots {
    pub group_id: Uuid,
    pub group_name: String,
    pub slot_minutes: i32,
    /// Places per slot.
    pub capacity: i32,
    pub slots: Vec<FreeSlot>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct FreeSlot {
    pub day: NaiveDate,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    /// Places left.
    pub free: i64,
}

/// The bookable slots of the group asked for at the centre of `region`, at `now`.
pub async fn slots(
    pool: &PgPool,
    region: &RegionCode,
    query: SlotsQuery,
    now: Now,
) -> Result<Slots, Error> {
    let item = query.item_code.as_deref().map(item_code).transpose()?;
    let mut conn = pool.acquire().await?;
    let centre = centre::store::get(&mut conn, region.as_str()).await?;
    let group = choose_group(&centre.groups, query.group_id, item.as_deref())?;
    let calendar = tongban_calendar::load(&mut conn, region.as_str()).await?;
    let all = rules::slots(&calendar, &centre, group, now.today);
    let (Some(first), Some(last)) = (all.first(), all.last()) else {
        return Ok(Slots {
            group_id: group.id,
            group_name: group.name.clone(),
            slot_minutes: group.slot_minutes,
            capacity: group.slot_capacity,
            slots: Vec::new(),
        });
    };
    let span = (first.starts_at, last.starts_at);
    let taken = store::places_taken(&mut conn, group.id, span, now.at).await?;
    let slots = all
        .iter()
        .map(|s| {
            let used = taken
                .iter()
                .find(|(at, _)| *at == s.starts_at)
                .map_or(0, |(_, n)| *n);
            FreeSlot {
                day: s.day,
                starts_at: s.starts_at,
                ends_at: s.ends_at,
                free: (i64::from(group.slot_capacity) - used).max(0),
            }
        })
        .collect();
    Ok(Slots {
        group_id: group.id,
        group_name: group.name.clone(),
        slot_minutes: group.slot_minutes,
        capacity: group.slot_capacity,
        slots,
    })
}
