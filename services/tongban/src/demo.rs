//! Demo data for `tongban up --demo`: one province (湖南省) with two cities (益阳市, 长沙市) and
//! three counties (赫山区, 安化县, 长沙县) — their departments, a basic catalogue, 20
//! implementation items in force and two 一件事 bundles. The data set and what is real in it
//! are described in `demo/README.md`.
//!
//! Loading goes through the catalogue's own domain functions, so the events flow like any
//! other; loading twice changes nothing.
//!
//! [`load_hall`] sets up 赫山区's service centre (政务服务中心): a 综合窗口 group serving the
//! county's items and a 社保医保 group, four windows, bookable slots, so the kiosk, the board,
//! booking and the calling panel can be tried at once.
//!
//! [`load_staff`] adds the people who work the demo's halls, so the staff console can be
//! tried at once: window clerks and two approvers in 赫山区 and 长沙县 (two, because no one
//! handles two steps of a case), a supervisor of 益阳市 and an administrator of the province.

use serde::Deserialize;

use tongban_catalogue::actor::Actor;
use tongban_catalogue::db::{basic_items, bundles, code_lists, departments, items};
use tongban_catalogue::domain::basic::BasicItem;
use tongban_catalogue::domain::bundle::BundleSpec;
use tongban_catalogue::domain::item::ItemRow;
use tongban_kernel::{CreditCode, Error, RegionCode, Role, RoleBinding};
use tongban_runtime::{Settings, db};

/// The data set, shipped inside the binary.
const CATALOGUE: &str = include_str!("../demo/catalogue.json");

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DemoSet {
    pub departments: Vec<DemoDepartment>,
    pub basic_items: Vec<BasicItem>,
    pub items: Vec<ItemRow>,
    pub bundles: Vec<DemoBundle>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DemoDepartment {
    pub region_code: RegionCode,
    pub name: String,
    pub credit_code: CreditCode,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DemoBundle {
    pub region_code: RegionCode,
    pub spec: BundleSpec,
}

/// The demo data set.
pub fn data() -> anyhow::Result<DemoSet> {
    Ok(serde_json::from_str(CATALOGUE)?)
}

/// What loading did, over departments, basic items, items and bundles together.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Loaded {
    pub created: usize,
    pub existing: usize,
}

impl Loaded {
    fn count(&mut self, created: bool) {
        if created {
            self.created += 1;
        } else {
            self.existing += 1;
        }
    }
}

/// Loads the demo data set, reporting each stage through `progress`.
pub async fn load(settings: &Settings, mut progress: impl FnMut(&str)) -> anyhow::Result<Loaded> {
    let set = data()?;
    let pool = db::connect(&settings.database, tongban_catalogue::NAME).await?;
    // Waits for (or does) the catalogue's migrations under their lock.
    db::migrate(
        &pool,
        tongban_catalogue::NAME,
        vec![tongban_bus::migrator(), tongban_catalogue::migrator()],
    )
    .await?;
    // The catalogue loads the divisions as it starts; do not race it.
    if tongban_catalogue::db::regions::count(&pool).await? == 0 {
        tongban_catalogue::db::regions::import(&pool, |_, _| {}).await?;
    }
    tongban_catalogue::db::calendar::load_shipped_if_empty(&pool).await?;
    let lists = code_lists::load(&pool).await?;
    let mut loaded = Loaded::default();

    for department in &set.departments {
        let created = departments::register(
            &pool,
            department.region_code,
            &department.name,
            &department.credit_code,
        )
        .await;
        loaded.count(created_or_existing(created)?);
    }
    progress(&format!("{} departments", set.departments.len()));

    for basic in &set.basic_items {
        basic.check(&lists)?;
        let created = basic_items::save(&pool, basic, false).await;
        loaded.count(created_or_existing(created)?);
    }
    progress(&format!("{} basic catalogue items", set.basic_items.len()));

    let items = set.items.len();
    for row in set.items {
        let mut tx = pool.begin().await?;
        match items::create(&mut tx, Actor::Operator, &lists, row, false).await {
            Ok((code, version)) => {
                items::publish(&mut tx, Actor::Operator, &lists, &code, version).await?;
                tx.commit().await?;
                loaded.count(true);
            }
            Err(Error::Conflict { .. }) => loaded.count(false),
            Err(err) => return Err(err.into()),
        }
    }
    progress(&format!("{items} implementation items in force"));

    for bundle in &set.bundles {
        if bundles::find_by_name(&pool, &bundle.region_code, &bundle.spec.name)
            .await?
            .is_some()
        {
            loaded.count(false);
            continue;
        }
        let id = bundles::create(&pool, Actor::Operator, &bundle.region_code, &bundle.spec).await?;
        let mut tx = pool.begin().await?;
        bundles::publish(&mut tx, Actor::Operator, id, 1).await?;
        tx.commit().await?;
        loaded.count(true);
    }
    progress(&format!("{} bundles (一件事) in force", set.bundles.len()));
    pool.close().await;
    Ok(loaded)
}

/// 赫山区, whose hall the demo sets up.
const HALL_REGION: &str = "430903000000";

/// Sets up 赫山区's hall unless it is there: hours 09:00–17:00 with the real halls' rules,
/// group A (综合窗口) serving every item 赫山区 implements, group B (社保医保) those whose
/// name says so, half-hour slots of six places, and windows 1-4号 (4号 for B). True when made.
pub async fn load_hall(settings: &Settings) -> anyhow::Result<bool> {
    use tongban_hall::centre::{Group, Rules, Window, store};
    let pool =
        crate::database::migrated(settings, tongban_hall::NAME, tongban_hall::migrator()).await?;
    let mut tx = pool.begin().await?;
    if store::get(&mut tx, HALL_REGION).await.is_ok() {
        return Ok(false);
    }
    let catalogue = db::connect(&settings.database, tongban_catalogue::NAME).await?;
    let items: Vec<(String, String)> = sqlx::query_as(
        "select i.code, b.name from items i join basic_items b on b.code = i.basic_code
         where i.region_code = $1 order by i.code",
    )
    .bind(HALL_REGION)
    .fetch_all(&catalogue)
    .await?;
    catalogue.close().await;
    let social: Vec<String> = items
        .iter()
        .filter(|(_, name)| {
            name.contains("社会保障")
                || name.contains("医保")
                || name.contains("低保")
                || name.contains("最低生活保障")
        })
        .map(|(code, _)| code.clone())
        .collect();
    let nine = chrono::NaiveTime::from_hms_opt(9, 0, 0).unwrap_or_default();
    let five = chrono::NaiveTime::from_hms_opt(17, 0, 0).unwrap_or_default();
    let now = settings.clock.now();
    store::put(
        &mut tx,
        HALL_REGION,
        "赫山区政务服务中心",
        nine,
        five,
        &Rules::default(),
        uuid::Uuid::nil(),
        now,
    )
    .await?;
    let group = |letter: &str, name: &str, items: Vec<String>| Group {
        id: uuid::Uuid::now_v7(),
        letter: letter.to_owned(),
        name: name.to_owned(),
        items,
        slot_minutes: 30,
        slot_capacity: 6,
        active: true,
    };
    let a = group(
        "A",
        "综合窗口",
        items.into_iter().map(|(code, _)| code).collect(),
    );
    let b = group("B", "社保医保", social);
    for g in [&a, &b] {
        store::save_group(&mut tx, HALL_REGION, g).await?;
    }
    for (n, g) in [(1, &a), (2, &a), (3, &a), (4, &b)] {
        let window = Window {
            id: uuid::Uuid::now_v7(),
            group_id: g.id,
            name: format!("{n}号窗口"),
            active: true,
        };
        store::save_window(&mut tx, HALL_REGION, &window).await?;
    }
    tx.commit().await?;
    pool.close().await;
    Ok(true)
}

/// The demo's staff: user name, name, the region they work in, and their roles there.
const STAFF: [(&str, &str, &str, &[Role]); 9] = [
    ("heshan.clerk", "刘敏", "430903000000", &[Role::WindowClerk]),
    ("heshan.approver", "陈刚", "430903000000", &[Role::Approver]),
    ("heshan.reviewer", "周静", "430903000000", &[Role::Approver]),
    ("heshan.hall", "吴倩", "430903000000", &[Role::HallAdmin]),
    (
        "changsha.clerk",
        "王芳",
        "430121000000",
        &[Role::WindowClerk],
    ),
    (
        "changsha.approver",
        "赵磊",
        "430121000000",
        &[Role::Approver],
    ),
    (
        "changsha.reviewer",
        "孙丽",
        "430121000000",
        &[Role::Approver],
    ),
    (
        "yiyang.supervisor",
        "李强",
        "430900000000",
        &[Role::Supervisor],
    ),
    (
        "hunan.admin",
        "湖南省管理员",
        "430000000000",
        &[Role::IdentityAdmin, Role::CatalogueAdmin, Role::Supervisor],
    ),
];

/// A demo staff account, and its password when this load made it (shown once).
#[derive(Debug)]
pub struct DemoStaff {
    pub username: &'static str,
    pub name: &'static str,
    pub region: &'static str,
    pub roles: &'static [Role],
    pub password: Option<String>,
}

/// Creates the demo's staff accounts that are not there yet, each with a new password.
pub async fn load_staff(settings: &Settings) -> anyhow::Result<Vec<DemoStaff>> {
    let pool = crate::database::migrated(
        settings,
        tongban_identity::NAME,
        tongban_identity::migrator(),
    )
    .await?;
    let mut staff = Vec::new();
    for (username, name, region, roles) in STAFF {
        let code: RegionCode = region.parse()?;
        let bindings: Vec<RoleBinding> = roles
            .iter()
            .map(|role| RoleBinding {
                role: *role,
                region: code,
                department: None,
            })
            .collect();
        let password = tongban_identity::password::new_secret();
        let created =
            tongban_identity::create_staff(&pool, username, name, code, &password, &bindings).await;
        staff.push(DemoStaff {
            username,
            name,
            region,
            roles,
            password: created_or_existing(created.map(drop))?.then_some(password),
        });
    }
    pool.close().await;
    Ok(staff)
}

/// `true` for created, `false` for already there (a 409), the error otherwise.
fn created_or_existing<T>(result: Result<T, Error>) -> anyhow::Result<bool> {
    match result {
        Ok(_) => Ok(true),
        Err(Error::Conflict { .. }) => Ok(false),
        Err(err) => Err(err.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn benefit_and_identity_document_items_need_basic_real_name() {
        let demo = data().unwrap();
        let names: std::collections::BTreeMap<_, _> = demo
            .basic_items
            .iter()
            .map(|b| (b.code.to_string(), b.name.clone()))
            .collect();
        for item in &demo.items {
            let name = &names[&item.basic_code.to_string()];
            let expected = match name.as_str() {
                "最低生活保障审核确认" | "居民身份证换领" | "社会保障卡申领" => {
                    2
                }
                _ => 1,
            };
            assert_eq!(item.spec.real_name_level, expected, "{name}");
        }
    }
}
