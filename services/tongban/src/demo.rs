//! Demo data for `tongban up --demo`: the departments of Yiyang (益阳市, Hunan), the city whose
//! halls the platform's first seed documents describe.
//!
//! Region codes are real (NBS 2023). The credit codes are synthetic but well-formed: GB 32100
//! registration type `11` (government body), the region's six digits, a made-up organisation
//! code `MB…` and a correct check character. Loading goes through the catalogue's own domain
//! function, so the events flow like any other; loading twice changes nothing.

use tongban_catalogue::db::departments;
use tongban_kernel::{CreditCode, Error, RegionCode};
use tongban_runtime::{Settings, db};

/// (region code, department name) of the demo data set.
const DEPARTMENTS: [(&str, &str); 14] = [
    ("430900000000", "益阳市行政审批服务局"),
    ("430900000000", "益阳市市场监督管理局"),
    ("430900000000", "益阳市民政局"),
    ("430900000000", "益阳市人力资源和社会保障局"),
    ("430902000000", "资阳区行政审批服务局"),
    ("430902000000", "资阳区民政局"),
    ("430903000000", "赫山区行政审批服务局"),
    ("430903000000", "赫山区民政局"),
    ("430921000000", "南县行政审批服务局"),
    ("430921000000", "南县民政局"),
    ("430922000000", "桃江县行政审批服务局"),
    ("430923000000", "安化县行政审批服务局"),
    ("430981000000", "沅江市行政审批服务局"),
    ("430981000000", "沅江市民政局"),
];

/// What loading did.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Loaded {
    pub created: usize,
    pub existing: usize,
}

/// Loads the demo data set, reporting each department through `progress`.
pub async fn load(settings: &Settings, mut progress: impl FnMut(&str)) -> anyhow::Result<Loaded> {
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
    let mut loaded = Loaded::default();
    for (n, (region, name)) in DEPARTMENTS.iter().enumerate() {
        let region: RegionCode = region.parse()?;
        let organisation = format!("11{}MB{:07}", &region.as_str()[..6], n + 1);
        let credit = CreditCode::complete(&organisation)
            .ok_or_else(|| anyhow::anyhow!("demo credit code {organisation} is malformed"))?;
        match departments::register(&pool, region, name, &credit).await {
            Ok(_) => loaded.created += 1,
            Err(Error::Conflict { .. }) => loaded.existing += 1,
            Err(err) => return Err(err.into()),
        }
        progress(name);
    }
    pool.close().await;
    Ok(loaded)
}
