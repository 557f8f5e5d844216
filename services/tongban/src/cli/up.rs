//! `tongban up` and `tongban serve`: components in this process until Ctrl-C or SIGTERM.

use tongban::{Platform, redact_url};
use tongban_runtime::{Settings, shutdown};

/// `serve`: the components named, as one Kubernetes pod runs them.
pub async fn serve(
    settings: Settings,
    components: &[String],
    no_migrate: bool,
) -> anyhow::Result<()> {
    let names: Vec<&str> = components.iter().map(String::as_str).collect();
    run(settings, &names, no_migrate, false).await
}

/// Starts `components`, prints where they listen and, with `demo`, loads the demo data.
pub async fn run(
    mut settings: Settings,
    components: &[&str],
    no_migrate: bool,
    demo: bool,
) -> anyhow::Result<()> {
    if no_migrate {
        settings.database.migrate = false;
    }
    let database = redact_url(settings.database_url());
    let mut platform = Platform::start(settings, components).await?;
    tokio::spawn(shutdown::cancel_on_signal(platform.shutdown_token()));

    println!("Tongban is starting:");
    print_addresses(&platform, &database);
    if demo {
        println!("Loading demo data:");
        let loaded = tongban::demo::load(&platform.settings, |stage| println!("  {stage}")).await?;
        println!(
            "  {} records created, {} already there",
            loaded.created, loaded.existing
        );
    }
    if let Some(gateway) = platform.gateway_url() {
        println!("Ready when {gateway}/readyz answers 200. Ctrl-C stops.");
    }
    platform.wait().await
}

/// Where each component, the broker and the database are.
fn print_addresses(platform: &Platform, database: &str) {
    for (name, address) in &platform.addresses {
        let note = if *name == "gateway" {
            "  API /api/<service>/v1/…, OpenAPI /api/<service>/openapi.json"
        } else {
            ""
        };
        println!("  {name:<13} http://{address}{note}");
    }
    match &platform.broker {
        Some(broker) => println!(
            "  {:<13} {} (embedded, storage {})",
            "broker",
            broker.address(),
            platform.settings.broker.storage
        ),
        None => println!("  {:<13} {}", "broker", platform.settings.kafka.brokers),
    }
    println!("  {:<13} {database}", "database");
}
