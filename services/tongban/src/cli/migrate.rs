//! `tongban migrate`: every service's migrations, then exit (the Kubernetes migration Job).

use tongban::redact_url;
use tongban_runtime::Settings;

pub async fn run(settings: Settings) -> anyhow::Result<()> {
    println!("Migrating {}", redact_url(settings.database_url()));
    tongban::migrate_all(&settings, |schema| println!("  {schema}…")).await?;
    println!("Done.");
    Ok(())
}
