//! Proposing an agreement: every field checked (400/422 naming it), and signed at once for
//! every region involved that the caller administers (403 when none). It is concluded when
//! nothing is left to sign (see [`super::sign`]).

use chrono::{DateTime, NaiveDate, Utc};
use serde::Deserialize;
use sqlx::{PgConnection, PgPool};
use utoipa::ToSchema;
use uuid::Uuid;

use tongban_kernel::{Error, ImplementationCode, Principal, RegionCode};
use tongban_runtime::regions::RegionDirectory;

use super::parties::{covered, regions_of};
use super::sign::sign_for;
use super::state::{self, Mode};
use super::store::{self, NewRow};
use super::view::{self, Agreement, Item};

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

/// The fields that need no I/O, checked: the title, the mode, the sizes and the dates.
fn checked(new: &NewAgreement) -> Result<(String, Mode), Error> {
    let title = new.title.trim().to_owned();
    if title.is_empty() || title.chars().count() > 200 {
        return Err(Error::bad_request("title", "1 to 200 characters"));
    }
    let Some(mode) = Mode::parse(&new.mode) else {
        let all: Vec<&str> = Mode::ALL.iter().map(|m| m.as_str()).collect();
        return Err(Error::bad_request(
            "mode",
            format!("one of {}", all.join(", ")),
        ));
    };
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
    Ok((title, mode))
}

/// The item codes, parsed, each once, sorted.
fn item_codes(raw: &[String]) -> Result<Vec<String>, Error> {
    let mut codes = Vec::with_capacity(raw.len());
    for (i, raw) in raw.iter().enumerate() {
        let code: ImplementationCode = tongban_kernel::parse_param(&format!("items[{i}]"), raw)?;
        codes.push(code.to_string());
    }
    codes.sort();
    codes.dedup();
    Ok(codes)
}

/// The collecting regions, parsed, each once, sorted; their lineages go to `lineages`.
async fn collecting_regions(
    regions: &RegionDirectory,
    raw: &[String],
    lineages: &mut Vec<Vec<String>>,
) -> Result<Vec<String>, Error> {
    let mut collecting = Vec::with_capacity(raw.len());
    for (i, raw) in raw.iter().enumerate() {
        let field = format!("collecting_regions[{i}]");
        let region: RegionCode = tongban_kernel::parse_param(&field, raw)?;
        lineages.push(regions.lineage(&region, &field).await?);
        collecting.push(region.to_string());
    }
    collecting.sort();
    collecting.dedup();
    Ok(collecting)
}

/// The items in force for `codes` (422 naming one that is not); their regions' lineages go to
/// `lineages`.
async fn items_in_force(
    tx: &mut PgConnection,
    regions: &RegionDirectory,
    codes: &[String],
    lineages: &mut Vec<Vec<String>>,
) -> Result<Vec<Item>, Error> {
    let mut items = Vec::with_capacity(codes.len());
    for (i, code) in codes.iter().enumerate() {
        let Some((name, region_code)) = store::item_in_force(tx, code).await? else {
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
    Ok(items)
}

pub async fn propose(
    pool: &PgPool,
    regions: &RegionDirectory,
    principal: &Principal,
    new: NewAgreement,
    now: DateTime<Utc>,
) -> Result<Agreement, Error> {
    let (title, mode) = checked(&new)?;
    let codes = item_codes(&new.items)?;
    let mut lineages = Vec::new();
    let collecting = collecting_regions(regions, &new.collecting_regions, &mut lineages).await?;
    let mut tx = pool.begin().await?;
    let items = items_in_force(&mut tx, regions, &codes, &mut lineages).await?;
    let involved = regions_of(&collecting, &items);
    let mine = covered(principal, &involved)?;
    if mine.is_empty() {
        return Err(Error::Forbidden(
            "no catalogue_admin role covers any region of this agreement".into(),
        ));
    }
    let id = Uuid::now_v7();
    let row = NewRow {
        id,
        title: &title,
        mode,
        scope: state::scope(&lineages),
        collecting_regions: &collecting,
        effective_from: new.effective_from,
        effective_until: new.effective_until,
        proposed_by: principal.account,
        proposed_at: now,
        items: items
            .iter()
            .map(|i| {
                (
                    i.implementation_code.as_str(),
                    i.region_code.as_str(),
                    i.name.as_str(),
                )
            })
            .collect(),
        involved: &involved,
    };
    store::insert(&mut tx, &row).await?;
    sign_for(&mut tx, id, &mine, principal, now).await?;
    let agreement = view::get_in(&mut tx, id).await?;
    tx.commit().await?;
    Ok(agreement)
}
