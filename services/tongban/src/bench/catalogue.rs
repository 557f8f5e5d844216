//! The catalogue the catalogue and online-hall benchmarks measure over: the demo data set
//! grown with synthetic town service centres, each implementing every demo basic item (as a
//! town does for items delegated to it), so searches and lookups run over a catalogue of some
//! size.

use anyhow::Context as _;

use tongban_catalogue::actor::Actor;
use tongban_catalogue::db;

use crate::Platform;

/// Loads the demo catalogue and `extra_departments` synthetic centres in the towns of
/// `counties` with their items, all in force; returns how many items are in force and up to
/// 1,000 of their codes, at random.
pub(super) async fn grown(
    platform: &Platform,
    counties: &[&str],
    extra_departments: usize,
    progress: &impl Fn(&str),
) -> anyhow::Result<(i64, Vec<String>)> {
    progress("loading the demo catalogue");
    crate::demo::load(&platform.settings, |_| {}).await?;
    let demo = crate::demo::data()?;
    let pool =
        tongban_runtime::db::connect(&platform.settings.database, tongban_catalogue::NAME).await?;
    let mut towns = Vec::new();
    for county in counties {
        towns.extend(db::regions::children(&pool, &county.parse()?).await?);
    }
    anyhow::ensure!(!towns.is_empty(), "the demo counties have no towns loaded");
    let template = &demo.items[0].spec;
    for n in 0..extra_departments {
        let town = &towns[n % towns.len()];
        let region: tongban_kernel::RegionCode = town.code.parse()?;
        let organisation = format!("12{}MC{:07}", &town.code[..6], n + 1);
        let credit =
            tongban_kernel::CreditCode::complete(&organisation).context("synthetic credit code")?;
        let name = format!("{}便民服务中心{}", town.name, n + 1);
        db::departments::register(&pool, region, &name, &credit)
            .await
            .context("registering a synthetic centre")?;
        let rows = demo
            .basic_items
            .iter()
            .map(|basic| tongban_catalogue::domain::item::ItemRow {
                code: None,
                name: None,
                basic_code: basic.code.clone(),
                department_credit_code: credit.clone(),
                spec: template.clone(),
            })
            .collect();
        let report = db::items::import(&pool, Actor::Operator, &region, rows, true, |_| {})
            .await
            .context("importing a synthetic centre's items")?;
        anyhow::ensure!(
            report.rejected.is_empty(),
            "synthetic rows refused: {:?}",
            report.rejected
        );
        if (n + 1) % 10 == 0 || n + 1 == extra_departments {
            progress(&format!(
                "{} of {extra_departments} synthetic departments and their items",
                n + 1
            ));
        }
    }
    let items: i64 = sqlx::query_scalar("select count(*) from items where status = 'published'")
        .fetch_one(&pool)
        .await?;
    let codes: Vec<String> = sqlx::query_scalar(
        "select code from items where status = 'published' order by random() limit 1000",
    )
    .fetch_all(&pool)
    .await?;
    pool.close().await;
    Ok((items, codes))
}
