//! The administrator's changes to a centre's hall: a `hall_admin` role covering the region.
//! Every change is checked whole before anything is written.

use chrono::NaiveTime;
use serde::Deserialize;
use sqlx::PgPool;
use utoipa::ToSchema;
use uuid::Uuid;

use tongban_kernel::access::Power;
use tongban_kernel::{Error, ImplementationCode, Now, Principal, RegionCode};
use tongban_runtime::regions::RegionDirectory;

use super::rules::{self, Rules};
use super::{Centre, Group, Window, store};

/// A centre's name, hours and rules.
#[derive(Debug, Deserialize, ToSchema)]
pub struct CentreForm {
    /// What the kiosk and board show (赫山区政务服务中心), 1-60 characters.
    pub name: String,
    #[schema(value_type = String, example = "09:00")]
    pub opens_at: NaiveTime,
    #[schema(value_type = String, example = "17:00")]
    pub closes_at: NaiveTime,
    /// Every rule left out takes its default.
    #[serde(default)]
    pub rules: Rules,
}

/// A window group as its administrator sends it.
#[derive(Debug, Deserialize, ToSchema)]
pub struct GroupForm {
    pub letter: String,
    pub name: String,
    /// Implementation codes of the items it serves.
    #[serde(default)]
    pub items: Vec<String>,
    pub slot_minutes: i32,
    pub slot_capacity: i32,
    #[serde(default = "yes")]
    pub active: bool,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct WindowForm {
    pub name: String,
    pub group_id: Uuid,
    #[serde(default = "yes")]
    pub active: bool,
}

fn yes() -> bool {
    true
}

/// Sets up or changes the centre of `region`.
pub async fn put_centre(
    pool: &PgPool,
    regions: &RegionDirectory,
    principal: &Principal,
    region: &RegionCode,
    form: CentreForm,
    now: Now,
) -> Result<Centre, Error> {
    principal.require(Power::RunHall, region)?;
    let name = rules::name("name", &form.name)?;
    rules::check_hours(form.opens_at, form.closes_at)?;
    form.rules.check()?;
    regions.require_known(region, "region_code").await?;
    let mut tx = pool.begin().await?;
    store::put(
        &mut tx,
        region.as_str(),
        &name,
        form.opens_at,
        form.closes_at,
        &form.rules,
        principal.account,
        now.at,
    )
    .await?;
    let centre = store::get(&mut tx, region.as_str()).await?;
    tx.commit().await?;
    Ok(centre)
}

/// Adds a window group (`id` none) or changes group `id` of the centre of `region`.
pub async fn save_group(
    pool: &PgPool,
    principal: &Principal,
    region: &RegionCode,
    id: Option<Uuid>,
    form: GroupForm,
) -> Result<Group, Error> {
    principal.require(Power::RunHall, region)?;
    let name = rules::name("name", &form.name)?;
    rules::check_letter(&form.letter)?;
    rules::check_slots(form.slot_minutes, form.slot_capacity)?;
    let mut items = Vec::with_capacity(form.items.len());
    for (i, code) in form.items.iter().enumerate() {
        let code: ImplementationCode = code.trim().parse().map_err(|e| {
            Error::unprocessable(
                format!("items[{i}]"),
                format!("not an implementation code: {e}"),
            )
        })?;
        items.push(code.to_string());
    }
    items.sort();
    items.dedup();
    let mut tx = pool.begin().await?;
    store::lock(&mut tx, region.as_str()).await?;
    let id = match id {
        Some(id) => store::group(&mut tx, region.as_str(), id).await?.id,
        None => Uuid::now_v7(),
    };
    let group = Group {
        id,
        letter: form.letter,
        name,
        items,
        slot_minutes: form.slot_minutes,
        slot_capacity: form.slot_capacity,
        active: form.active,
    };
    store::save_group(&mut tx, region.as_str(), &group).await?;
    tx.commit().await?;
    Ok(group)
}

/// Adds a window (`id` none) or changes window `id` of the centre of `region`.
pub async fn save_window(
    pool: &PgPool,
    principal: &Principal,
    region: &RegionCode,
    id: Option<Uuid>,
    form: WindowForm,
) -> Result<Window, Error> {
    principal.require(Power::RunHall, region)?;
    let name = rules::name("name", &form.name)?;
    let mut tx = pool.begin().await?;
    store::lock(&mut tx, region.as_str()).await?;
    store::group(&mut tx, region.as_str(), form.group_id)
        .await
        .map_err(|_| Error::unprocessable("group_id", "not a window group of this hall"))?;
    let id = match id {
        Some(id) => store::window(&mut tx, region.as_str(), id).await?.id,
        None => Uuid::now_v7(),
    };
    let window = Window {
        id,
        group_id: form.group_id,
        name,
        active: form.active,
    };
    store::save_window(&mut tx, region.as_str(), &window).await?;
    tx.commit().await?;
    Ok(window)
}
