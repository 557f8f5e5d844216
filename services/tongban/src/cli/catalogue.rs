//! `tongban catalogue`: the catalogue's reference data (regions, implementation lists, the
//! national calendar), straight in its database: the commands work without the service running.

use std::path::{Path, PathBuf};

use anyhow::Context as _;
use clap::Subcommand;

use tongban::{database, redact_url};
use tongban_catalogue::actor::Actor;
use tongban_catalogue::http::items::ItemList;
use tongban_runtime::Settings;

#[derive(Subcommand)]
pub enum CatalogueCommand {
    /// Load or refresh the administrative divisions shipped with the catalogue (NBS 2023,
    /// province to town, about 45,000); running it again changes only what changed.
    ImportRegions,
    /// Import a region's implementation list (the JSON of `export-items` or
    /// `GET /api/catalogue/v1/items/export`) as drafts; all or nothing: when any row is refused
    /// nothing is imported and every refused row is listed (row, field, reason).
    ImportItems {
        /// The JSON file: {"region_code": "...", "items": [...]}.
        file: PathBuf,
        /// Also put the imported drafts in force (publishes ItemPublished events).
        #[arg(long)]
        publish: bool,
    },
    /// Export a region's items in force as JSON, in the import format.
    ExportItems {
        /// 12-digit code of the region whose implementation list to export.
        #[arg(long)]
        region: String,
        /// Write here instead of standard output.
        #[arg(long, short)]
        output: Option<PathBuf>,
    },
    /// Add or correct national calendar years from a CSV file (date,kind,festival; kind
    /// holiday or workday), e.g. when the State Council publishes next year's holidays.
    ImportCalendar {
        file: PathBuf,
        /// Where the list comes from (recorded with each year).
        #[arg(long, default_value = "imported by an operator")]
        source: String,
    },
}

pub async fn run(settings: Settings, command: CatalogueCommand) -> anyhow::Result<()> {
    match command {
        CatalogueCommand::ImportRegions => import_regions(settings).await,
        CatalogueCommand::ImportItems { file, publish } => {
            import_items(settings, &file, publish).await
        }
        CatalogueCommand::ExportItems { region, output } => {
            export_items(settings, &region, output).await
        }
        CatalogueCommand::ImportCalendar { file, source } => {
            import_calendar(settings, &file, &source).await
        }
    }
}

/// The catalogue's pool, migrated (the commands work without the service running).
async fn catalogue_pool(settings: &Settings) -> anyhow::Result<sqlx::PgPool> {
    database::migrated(
        settings,
        tongban_catalogue::NAME,
        tongban_catalogue::migrator(),
    )
    .await
}

async fn import_regions(settings: Settings) -> anyhow::Result<()> {
    println!(
        "Loading regions into {}",
        redact_url(settings.database_url())
    );
    let pool = catalogue_pool(&settings).await?;
    let total = tongban_catalogue::db::regions::import(&pool, |level, rows| {
        println!("  {level:<8} {rows:>6}");
    })
    .await
    .context("loading the regions")?;
    println!("Done: {total} regions.");
    pool.close().await;
    Ok(())
}

async fn import_items(settings: Settings, file: &Path, publish: bool) -> anyhow::Result<()> {
    let text = std::fs::read_to_string(file).with_context(|| file.display().to_string())?;
    let list: ItemList = serde_json::from_str(&text)
        .with_context(|| format!("{}: not an item list", file.display()))?;
    println!(
        "Importing {} items of region {} into {}",
        list.items.len(),
        list.region_code,
        redact_url(settings.database_url())
    );
    let pool = catalogue_pool(&settings).await?;
    let bar = indicatif::ProgressBar::new(list.items.len() as u64).with_style(
        indicatif::ProgressStyle::with_template("  {bar:40} {pos}/{len} rows  {elapsed}")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    let report = tongban_catalogue::db::items::import(
        &pool,
        Actor::Operator,
        &list.region_code,
        list.items,
        publish || list.publish,
        |done| bar.set_position(done as u64),
    )
    .await
    .context("importing the items")?;
    bar.finish_and_clear();
    pool.close().await;
    if report.rejected.is_empty() {
        println!(
            "Done: {} drafts written, {} put in force.",
            report.imported, report.published
        );
        return Ok(());
    }
    println!(
        "Nothing imported: {} of {} rows refused.",
        report.rejected.len(),
        report.rows
    );
    for rejected in &report.rejected {
        println!(
            "  row {:>5}  {:<40} {}",
            rejected.row,
            rejected.field.as_deref().unwrap_or("-"),
            rejected.reason
        );
    }
    anyhow::bail!("the import was refused")
}

async fn export_items(
    settings: Settings,
    region: &str,
    output: Option<PathBuf>,
) -> anyhow::Result<()> {
    let region: tongban_kernel::RegionCode = region
        .parse()
        .map_err(|e| anyhow::anyhow!("--region: {e}"))?;
    let pool = catalogue_pool(&settings).await?;
    let items = tongban_catalogue::db::items::export(&pool, &region)
        .await
        .context("reading the region's items")?;
    pool.close().await;
    let count = items.len();
    let list = ItemList {
        region_code: region,
        publish: false,
        items,
    };
    let json = serde_json::to_string_pretty(&list)?;
    match output {
        Some(path) => {
            std::fs::write(&path, json)?;
            eprintln!("{count} items of {region} written to {}", path.display());
        }
        None => println!("{json}"),
    }
    Ok(())
}

async fn import_calendar(settings: Settings, file: &Path, source: &str) -> anyhow::Result<()> {
    let text = std::fs::read_to_string(file).with_context(|| file.display().to_string())?;
    // The parser's error is its own message (a line and what is wrong), no chain to keep.
    let years = tongban_catalogue::db::calendar::parse_csv(&text)
        .map_err(|e| anyhow::anyhow!("{}: {e}", file.display()))?;
    let pool = catalogue_pool(&settings).await?;
    let mut tx = pool.begin().await?;
    for (year, days) in &years {
        tongban_catalogue::db::calendar::replace_year(
            &mut tx,
            Actor::Operator,
            *year,
            days,
            source,
        )
        .await
        .with_context(|| year.to_string())?;
        println!("  {year}: {} days", days.len());
    }
    tx.commit().await?;
    pool.close().await;
    println!("Done: {} years.", years.len());
    Ok(())
}
