//! `tongban`: the operator CLI. See `tongban --help`.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use tongban::{COMPONENTS, Platform, redact_url};
use tongban_runtime::{Settings, shutdown, telemetry};

/// mimalloc instead of glibc's malloc: a request allocates and frees many small buffers across
/// threads, where glibc's malloc and free took a tenth of the process's CPU and a load left a
/// larger peak (see README, Performance).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(
    name = "tongban",
    version,
    about = "Tongban (通办): integrated government services platform"
)]
struct Cli {
    /// TOML settings file (environment variables TONGBAN__SECTION__KEY override it).
    #[arg(long, short, global = true, env = "TONGBAN_CONFIG")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run every service and the gateway in this process (and the embedded broker when no
    /// Kafka is configured).
    Up {
        /// Do not apply migrations at start (a migration Job already did).
        #[arg(long)]
        no_migrate: bool,
        /// Load the demo data set (a province, two cities, three counties: departments, 20 items,
        /// two bundles); loading it again changes nothing.
        #[arg(long)]
        demo: bool,
    },
    /// Run some components, as one Kubernetes pod would: gateway, identity, catalogue,
    /// acceptance, approval, notification, crossregion.
    Serve {
        #[arg(required = true, value_parser = clap::builder::PossibleValuesParser::new(COMPONENTS))]
        components: Vec<String>,
        #[arg(long)]
        no_migrate: bool,
    },
    /// Apply every service's database migrations and exit.
    Migrate,
    /// Run only the embedded Kafka-compatible broker (for development setups).
    Broker,
    /// Check the installation: the database and every service's migrations, the broker and
    /// every topic, the token signing key, the first administrator, the secrets a cluster
    /// needs. Exits 1 when a check fails. Changes nothing.
    Doctor {
        /// Print only what is not fine (for a container health check).
        #[arg(long)]
        quiet: bool,
        /// Print the report as JSON.
        #[arg(long)]
        json: bool,
    },
    /// The services' outboxes of events.
    #[command(subcommand)]
    Outbox(OutboxCommand),
    /// Administrator accounts.
    #[command(subcommand)]
    Admin(AdminCommand),
    /// The catalogue's reference data.
    #[command(subcommand)]
    Catalogue(CatalogueCommand),
    /// The provincial statistics (the insight service).
    #[command(subcommand)]
    Insight(InsightCommand),
    /// Benchmarks: start the platform on a throwaway database and measure.
    #[command(subcommand)]
    Bench(BenchCommand),
}

#[derive(Subcommand)]
enum CatalogueCommand {
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

#[derive(Subcommand)]
enum BenchCommand {
    /// Case submission through the gateway (token verified, materials checked, case + history
    /// + outbox committed), next to pgbench running a two-row insert transaction.
    Intake {
        /// Drafts prepared and then submitted.
        #[arg(long, default_value_t = 3_000)]
        cases: usize,
        #[arg(long, default_value_t = 32)]
        concurrency: usize,
        /// How long pgbench runs (seconds).
        #[arg(long, default_value_t = 20)]
        pgbench_secs: u32,
        /// A short run (a smoke test; the numbers are rough).
        #[arg(long)]
        quick: bool,
        /// Also write the report as JSON to this file.
        #[arg(long)]
        json: Option<PathBuf>,
    },
    /// Event propagation: from acceptance's commit of CaseAccepted to each service's applying
    /// it, while a window accepts cases at a steady rate.
    Events {
        /// Cases submitted, then accepted at the rate.
        #[arg(long, default_value_t = 1_000)]
        cases: usize,
        /// Acceptances per second.
        #[arg(long, default_value_t = 50.0)]
        rate: f64,
        /// A short run (a smoke test; the numbers are rough).
        #[arg(long)]
        quick: bool,
        /// Also write the report as JSON to this file.
        #[arg(long)]
        json: Option<PathBuf>,
    },
    /// Resident size of a `tongban up --demo` process: idle, under a load of submissions and
    /// acceptances, and idle again.
    Memory {
        /// Cases made, submitted and accepted as the load.
        #[arg(long, default_value_t = 3_000)]
        cases: usize,
        #[arg(long, default_value_t = 32)]
        concurrency: usize,
        /// How long the process is left alone before an idle reading (seconds).
        #[arg(long, default_value_t = 10)]
        settle_secs: u64,
        /// A short run (a smoke test; the numbers are rough).
        #[arg(long)]
        quick: bool,
        /// Also write the report as JSON to this file.
        #[arg(long)]
        json: Option<PathBuf>,
    },
    /// The back office's queue listing with a province's open work items in the database.
    Approval {
        /// Requests per listing and round.
        #[arg(long, default_value_t = 5_000)]
        requests: usize,
        #[arg(long, default_value_t = 32)]
        concurrency: usize,
        #[arg(long, default_value_t = 3)]
        rounds: usize,
        /// Open work items written before measuring.
        #[arg(long, default_value_t = 100_000)]
        work_items: usize,
        /// A short run (a smoke test; the numbers are rough).
        #[arg(long)]
        quick: bool,
        /// Also write the report as JSON to this file.
        #[arg(long)]
        json: Option<PathBuf>,
    },
    /// Cross-region hand-over latency: 赫山区's window accepts cases 长沙县 decides; from each
    /// acceptance to its work item in 长沙县's queue. First at a steady rate, then flat out.
    Handover {
        /// Cases accepted in each of the two phases.
        #[arg(long, default_value_t = 1_000)]
        cases: usize,
        /// Acceptances per second in the paced phase.
        #[arg(long, default_value_t = 50.0)]
        rate: f64,
        /// Acceptances in flight in the flat-out phase.
        #[arg(long, default_value_t = 16)]
        concurrency: usize,
        /// A short run (a smoke test; the numbers are rough).
        #[arg(long)]
        quick: bool,
        /// Also write the report as JSON to this file.
        #[arg(long)]
        json: Option<PathBuf>,
    },
    /// Notification: events in → messages rendered and stored per second, and the drain time
    /// of a backlog of queued messages.
    Notification {
        /// CaseAccepted events written at once (each makes an inbox message and a text).
        #[arg(long, default_value_t = 20_000)]
        events: usize,
        /// Webhook messages queued for the drain.
        #[arg(long, default_value_t = 100_000)]
        queued: usize,
        /// A short run (a smoke test; the numbers are rough).
        #[arg(long)]
        quick: bool,
        /// Also write the report as JSON to this file.
        #[arg(long)]
        json: Option<PathBuf>,
    },
    /// Item lookup by code and keyword search by region, through the gateway, over the demo
    /// catalogue grown with synthetic town departments.
    Catalogue {
        /// Requests per kind and round.
        #[arg(long, default_value_t = 20_000)]
        requests: usize,
        #[arg(long, default_value_t = 32)]
        concurrency: usize,
        #[arg(long, default_value_t = 3)]
        rounds: usize,
        /// Synthetic departments, each implementing every demo basic item (14 items each).
        #[arg(long, default_value_t = 150)]
        departments: usize,
        /// A short run (a smoke test; the numbers are rough).
        #[arg(long)]
        quick: bool,
        /// Also write the report as JSON to this file.
        #[arg(long)]
        json: Option<PathBuf>,
    },
    /// What token verification costs at the gateway: one route with and without a token.
    Auth {
        /// Requests per variant and round.
        #[arg(long, default_value_t = 20_000)]
        requests: usize,
        #[arg(long, default_value_t = 32)]
        concurrency: usize,
        #[arg(long, default_value_t = 3)]
        rounds: usize,
        /// A short run (a smoke test; the numbers are rough).
        #[arg(long)]
        quick: bool,
        /// Also write the report as JSON to this file.
        #[arg(long)]
        json: Option<PathBuf>,
    },
}

#[derive(Subcommand)]
enum OutboxCommand {
    /// Publish again every event recorded since a moment (consumers apply each once): for a
    /// topic restored from an older backup, or a consumer that lost its state. The outbox keeps
    /// outbox.retention_hours (72); older events are replayed from Kafka (deploy/RUNBOOK.md).
    Replay {
        /// An RFC 3339 instant (2026-11-27T08:00:00+08:00) or a China date (2026-11-27).
        #[arg(long)]
        since: String,
        /// Only these services' events (repeatable); all when omitted.
        #[arg(long = "service")]
        services: Vec<String>,
    },
}

#[derive(Subcommand)]
enum InsightCommand {
    /// Throw the statistics away and count them again from every topic's first retained
    /// event (after a fix to how they are counted, or to recover from lost state). The running
    /// insight service starts over within a second; this waits, showing progress, until it has
    /// read what the topics held when the rebuild began. Topics keep what their retention
    /// keeps: statistics older than that cannot be rebuilt (deploy/RUNBOOK.md).
    Rebuild {
        /// Return once the rebuild has started, without waiting for it.
        #[arg(long)]
        no_wait: bool,
    },
}

#[derive(Subcommand)]
enum AdminCommand {
    /// Create an identity administrator (a staff account holding identity_admin over a region),
    /// e.g. the first one of an install. Without --password-stdin a password is generated and
    /// printed once.
    Create {
        /// Sign-in name (3-32 of a-z, 0-9, '.', '_', '-').
        #[arg(long)]
        username: String,
        /// Display name; the user name when omitted.
        #[arg(long)]
        name: Option<String>,
        /// 12-digit region code the administrator's powers cover (usually the province).
        #[arg(long)]
        region: String,
        /// Read the password from the first line of standard input.
        #[arg(long)]
        password_stdin: bool,
    },
    /// Give the notification service its service account (made, or given a new secret) and
    /// print the secret once, for `TONGBAN__NOTIFICATION__CLIENT_SECRET` in a cluster's secret
    /// store. (`tongban up` does this itself on every start.)
    NotificationAccount,
    /// Make a new token signing key now; the old ones keep verifying until the tokens they
    /// signed expire (identity.access_token_ttl_secs).
    RotateKeys,
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    let mut settings = match Settings::load(cli.config.as_deref()) {
        Ok(settings) => settings,
        Err(err) => {
            eprintln!("tongban: {err}");
            return ExitCode::from(2);
        }
    };
    if matches!(cli.command, Command::Bench(_)) && std::env::var_os("RUST_LOG").is_none() {
        // A benchmark's output is its table; the platform's info logs would bury it.
        settings.telemetry.log_filter = "warn".to_owned();
    }
    if let Err(err) = telemetry::init(&settings.telemetry, "tongban") {
        eprintln!("tongban: telemetry: {err:#}");
    }
    let result = match cli.command {
        Command::Up { no_migrate, demo } => run(settings, &COMPONENTS, no_migrate, demo).await,
        Command::Serve {
            components,
            no_migrate,
        } => {
            let names: Vec<&str> = components.iter().map(String::as_str).collect();
            run(settings, &names, no_migrate, false).await
        }
        Command::Migrate => migrate(settings).await,
        Command::Broker => broker(settings).await,
        Command::Doctor { quiet, json } => return doctor(settings, quiet, json).await,
        Command::Outbox(OutboxCommand::Replay { since, services }) => {
            replay(settings, &since, &services).await
        }
        Command::Admin(AdminCommand::RotateKeys) => rotate_keys(settings).await,
        Command::Insight(InsightCommand::Rebuild { no_wait }) => {
            rebuild_insight(settings, no_wait).await
        }
        Command::Catalogue(CatalogueCommand::ImportRegions) => import_regions(settings).await,
        Command::Catalogue(CatalogueCommand::ImportItems { file, publish }) => {
            import_items(settings, &file, publish).await
        }
        Command::Catalogue(CatalogueCommand::ExportItems { region, output }) => {
            export_items(settings, &region, output).await
        }
        Command::Catalogue(CatalogueCommand::ImportCalendar { file, source }) => {
            import_calendar(settings, &file, &source).await
        }
        Command::Bench(BenchCommand::Auth {
            requests,
            concurrency,
            rounds,
            quick,
            json,
        }) => {
            let load = if quick {
                tongban::bench::Load {
                    requests: 1_000,
                    concurrency: 8,
                    rounds: 1,
                }
            } else {
                tongban::bench::Load {
                    requests,
                    concurrency,
                    rounds,
                }
            };
            bench_auth(settings, load, json).await
        }
        Command::Bench(BenchCommand::Intake {
            cases,
            concurrency,
            pgbench_secs,
            quick,
            json,
        }) => {
            let (cases, concurrency, secs) = if quick {
                (200, 8, 3)
            } else {
                (cases, concurrency, pgbench_secs)
            };
            bench_intake(settings, cases, concurrency, secs, json).await
        }
        Command::Bench(BenchCommand::Events {
            cases,
            rate,
            quick,
            json,
        }) => {
            let cases = if quick { 100 } else { cases };
            bench_events(settings, cases, rate, json).await
        }
        Command::Bench(BenchCommand::Memory {
            cases,
            concurrency,
            settle_secs,
            quick,
            json,
        }) => {
            let (cases, concurrency, settle_secs) = if quick {
                (200, 8, 2)
            } else {
                (cases, concurrency, settle_secs)
            };
            bench_memory(settings, cases, concurrency, settle_secs, json).await
        }
        Command::Bench(BenchCommand::Approval {
            requests,
            concurrency,
            rounds,
            work_items,
            quick,
            json,
        }) => {
            let (load, work_items) = if quick {
                (
                    tongban::bench::Load {
                        requests: 200,
                        concurrency: 8,
                        rounds: 1,
                    },
                    2_000,
                )
            } else {
                (
                    tongban::bench::Load {
                        requests,
                        concurrency,
                        rounds,
                    },
                    work_items,
                )
            };
            bench_approval(settings, load, work_items, json).await
        }
        Command::Bench(BenchCommand::Handover {
            cases,
            rate,
            concurrency,
            quick,
            json,
        }) => {
            let (cases, rate, concurrency) = if quick {
                (100, 20.0, 4)
            } else {
                (cases, rate, concurrency)
            };
            bench_handover(settings, cases, rate, concurrency, json).await
        }
        Command::Bench(BenchCommand::Notification {
            events,
            queued,
            quick,
            json,
        }) => {
            let (events, queued) = if quick {
                (500, 2_000)
            } else {
                (events, queued)
            };
            bench_notification(settings, events, queued, json).await
        }
        Command::Bench(BenchCommand::Catalogue {
            requests,
            concurrency,
            rounds,
            departments,
            quick,
            json,
        }) => {
            let (load, departments) = if quick {
                (
                    tongban::bench::Load {
                        requests: 1_000,
                        concurrency: 8,
                        rounds: 1,
                    },
                    10,
                )
            } else {
                (
                    tongban::bench::Load {
                        requests,
                        concurrency,
                        rounds,
                    },
                    departments,
                )
            };
            bench_catalogue(settings, load, departments, json).await
        }
        Command::Admin(AdminCommand::NotificationAccount) => notification_account(settings).await,
        Command::Admin(AdminCommand::Create {
            username,
            name,
            region,
            password_stdin,
        }) => {
            create_admin(
                settings,
                &username,
                name.as_deref(),
                &region,
                password_stdin,
            )
            .await
        }
    };
    telemetry::shutdown();
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("tongban: {err:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(
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

async fn migrate(settings: Settings) -> anyhow::Result<()> {
    println!("Migrating {}", redact_url(settings.database_url()));
    tongban::migrate_all(&settings, |schema| println!("  {schema}…")).await?;
    println!("Done.");
    Ok(())
}

async fn doctor(settings: Settings, quiet: bool, json: bool) -> ExitCode {
    let report = tongban::ops::doctor(&settings).await;
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(&report).unwrap_or_default()
        );
    } else {
        print!("{}", report.render(quiet));
    }
    if report.healthy() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

/// `since` as an instant: RFC 3339, or a date meaning its midnight in China.
fn instant(since: &str) -> anyhow::Result<chrono::DateTime<chrono::Utc>> {
    if let Ok(at) = chrono::DateTime::parse_from_rfc3339(since) {
        return Ok(at.with_timezone(&chrono::Utc));
    }
    let date: chrono::NaiveDate = since.parse().map_err(|_| {
        anyhow::anyhow!("--since: {since:?} is neither an RFC 3339 instant nor a date")
    })?;
    date.and_hms_opt(0, 0, 0)
        .and_then(|t| {
            t.and_local_timezone(tongban_runtime::clock::china())
                .single()
        })
        .map(|t| t.with_timezone(&chrono::Utc))
        .ok_or_else(|| anyhow::anyhow!("--since: {since:?} is out of range"))
}

async fn replay(settings: Settings, since: &str, services: &[String]) -> anyhow::Result<()> {
    let since = instant(since)?;
    println!("Publishing again every event recorded since {since}:");
    for (service, marked) in tongban::ops::replay_outbox(&settings, since, services).await? {
        println!("  {service:<13} {marked} events");
    }
    println!("Each service's relay sends them now; consumers apply each event once.");
    Ok(())
}

async fn rebuild_insight(mut settings: Settings, no_wait: bool) -> anyhow::Result<()> {
    let feed = tongban::ops::rebuild_insight(&settings).await?;
    println!(
        "Statistics emptied; the insight service reads every topic again as generation {} \
         (consumer group {}).",
        feed.generation,
        feed.group()
    );
    if no_wait {
        return Ok(());
    }
    if settings.embedded_broker() {
        // `tongban up` runs the embedded broker here.
        settings.kafka.brokers = settings.broker.listen.clone();
    }
    // What the topics hold now is what the rebuild must read.
    let target = tongban::ops::insight_position(&settings, &feed)
        .await?
        .retained;
    let bar = indicatif::ProgressBar::new(target.max(0) as u64).with_style(
        indicatif::ProgressStyle::with_template("  {bar:40} {pos}/{len} events  {elapsed}  {msg}")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    let started = std::time::Instant::now();
    loop {
        let position = tongban::ops::insight_position(&settings, &feed).await?;
        bar.set_position(position.done.clamp(0, target) as u64);
        if position.done >= target {
            break;
        }
        if position.done == 0 && started.elapsed() > std::time::Duration::from_secs(30) {
            bar.set_message("nothing read yet: is the insight service running?");
        }
        let current = tongban::ops::insight_feed(&settings).await?;
        anyhow::ensure!(
            current.group() == feed.group(),
            "another rebuild (generation {}) started meanwhile",
            current.generation
        );
        tokio::time::sleep(std::time::Duration::from_secs(1)).await;
    }
    bar.finish();
    println!("Rebuilt: the statistics count every event the topics held.");
    Ok(())
}

async fn rotate_keys(settings: Settings) -> anyhow::Result<()> {
    let kid = tongban::ops::rotate_keys(&settings).await?;
    println!(
        "New signing key {kid}. Every identity replica signs with it within a minute; tokens \
         signed before keep verifying until they expire."
    );
    Ok(())
}

async fn broker(settings: Settings) -> anyhow::Result<()> {
    let mut broker =
        tongban_broker::EmbeddedBroker::start(&settings.broker.listen, &settings.broker.storage)
            .await?;
    tongban_bus::kafka::ensure_topics(
        &tongban_runtime::config::KafkaSettings {
            brokers: broker.address(),
            ..settings.kafka
        },
        &tongban_events::topics::ALL,
    )
    .await?;
    println!(
        "Embedded broker on {} (storage {}). Ctrl-C stops.",
        broker.address(),
        settings.broker.storage
    );
    let token = tongban_runtime::CancellationToken::new();
    shutdown::cancel_on_signal(token.clone()).await;
    broker.stop().await;
    Ok(())
}

async fn notification_account(settings: Settings) -> anyhow::Result<()> {
    println!("Connecting to {}", redact_url(settings.database_url()));
    let pool = tongban_runtime::db::connect(&settings.database, tongban_identity::NAME).await?;
    tongban_runtime::db::migrate(
        &pool,
        tongban_identity::NAME,
        vec![tongban_bus::migrator(), tongban_identity::migrator()],
    )
    .await?;
    let client_id = &settings
        .section::<tongban_notification::config::NotificationSettings>()?
        .client_id;
    let secret = tongban_identity::provision_service(&pool, client_id, "通办通知服务", None)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    println!("Service account {client_id} is ready; any earlier secret no longer works.");
    println!("Secret (shown once; set TONGBAN__NOTIFICATION__CLIENT_SECRET): {secret}");
    Ok(())
}

async fn create_admin(
    settings: Settings,
    username: &str,
    name: Option<&str>,
    region: &str,
    password_stdin: bool,
) -> anyhow::Result<()> {
    let region: tongban_kernel::RegionCode = region
        .parse()
        .map_err(|e| anyhow::anyhow!("--region: {e}"))?;
    let (password, generated) = if password_stdin {
        let mut line = String::new();
        std::io::stdin().read_line(&mut line)?;
        (line.trim_end_matches(['\r', '\n']).to_owned(), false)
    } else {
        (tongban_identity::password::new_secret(), true)
    };
    println!("Connecting to {}", redact_url(settings.database_url()));
    let pool = tongban_runtime::db::connect(&settings.database, tongban_identity::NAME).await?;
    tongban_runtime::db::migrate(
        &pool,
        tongban_identity::NAME,
        vec![tongban_bus::migrator(), tongban_identity::migrator()],
    )
    .await?;
    let account = tongban_identity::create_admin(
        &pool,
        username,
        name.unwrap_or(username),
        region,
        &password,
    )
    .await
    .map_err(|e| anyhow::anyhow!("{e}"))?;
    println!(
        "Created identity administrator {username} ({}) over region {region}.",
        account.id
    );
    if generated {
        println!("Password (shown once, change it after signing in): {password}");
    }
    pool.close().await;
    Ok(())
}

async fn bench_auth(
    settings: Settings,
    load: tongban::bench::Load,
    json: Option<PathBuf>,
) -> anyhow::Result<()> {
    let report = tongban::bench::auth(settings, load, |step| eprintln!("  {step}…")).await?;
    print!("{}", tongban::bench::table(&report));
    write_json(json, &report)
}

async fn bench_approval(
    settings: Settings,
    load: tongban::bench::Load,
    work_items: usize,
    json: Option<PathBuf>,
) -> anyhow::Result<()> {
    let report = tongban::bench::approval::approval(settings, load, work_items, |step| {
        eprintln!("  {step}…")
    })
    .await?;
    print!("{}", tongban::bench::approval::table(&report));
    write_json(json, &report)
}

async fn bench_handover(
    settings: Settings,
    cases: usize,
    rate: f64,
    concurrency: usize,
    json: Option<PathBuf>,
) -> anyhow::Result<()> {
    let report = tongban::bench::handover::handover(settings, cases, rate, concurrency, |step| {
        eprintln!("  {step}…")
    })
    .await?;
    print!("{}", tongban::bench::handover::table(&report));
    write_json(json, &report)
}

async fn bench_notification(
    settings: Settings,
    events: usize,
    queued: usize,
    json: Option<PathBuf>,
) -> anyhow::Result<()> {
    let report = tongban::bench::notification::notification(settings, events, queued, |step| {
        eprintln!("  {step}…")
    })
    .await?;
    print!("{}", tongban::bench::notification::table(&report));
    write_json(json, &report)
}

async fn bench_catalogue(
    settings: Settings,
    load: tongban::bench::Load,
    departments: usize,
    json: Option<PathBuf>,
) -> anyhow::Result<()> {
    let report =
        tongban::bench::catalogue(settings, load, departments, |step| eprintln!("  {step}…"))
            .await?;
    print!("{}", tongban::bench::catalogue_table(&report));
    write_json(json, &report)
}

async fn bench_intake(
    settings: Settings,
    cases: usize,
    concurrency: usize,
    pgbench_secs: u32,
    json: Option<PathBuf>,
) -> anyhow::Result<()> {
    let report =
        tongban::bench::intake::intake(settings, cases, concurrency, pgbench_secs, |step| {
            eprintln!("  {step}…")
        })
        .await?;
    print!("{}", tongban::bench::intake::table(&report));
    write_json(json, &report)
}

async fn bench_events(
    settings: Settings,
    cases: usize,
    rate: f64,
    json: Option<PathBuf>,
) -> anyhow::Result<()> {
    let report =
        tongban::bench::events::events(settings, cases, rate, |step| eprintln!("  {step}…"))
            .await?;
    print!("{}", tongban::bench::events::table(&report));
    write_json(json, &report)
}

async fn bench_memory(
    settings: Settings,
    cases: usize,
    concurrency: usize,
    settle_secs: u64,
    json: Option<PathBuf>,
) -> anyhow::Result<()> {
    let binary = std::env::current_exe()?;
    let report = tongban::bench::memory::memory(
        settings,
        &binary,
        cases,
        concurrency,
        std::time::Duration::from_secs(settle_secs),
        |step| eprintln!("  {step}…"),
    )
    .await?;
    print!("{}", tongban::bench::memory::table(&report));
    write_json(json, &report)
}

/// Writes a report as JSON when asked to.
fn write_json(path: Option<PathBuf>, report: &impl serde::Serialize) -> anyhow::Result<()> {
    if let Some(path) = path {
        std::fs::write(&path, serde_json::to_vec_pretty(report)?)?;
        println!("written to {}", path.display());
    }
    Ok(())
}

async fn import_regions(settings: Settings) -> anyhow::Result<()> {
    println!(
        "Loading regions into {}",
        redact_url(settings.database_url())
    );
    let pool = tongban_runtime::db::connect(&settings.database, tongban_catalogue::NAME).await?;
    tongban_runtime::db::migrate(
        &pool,
        tongban_catalogue::NAME,
        vec![tongban_bus::migrator(), tongban_catalogue::migrator()],
    )
    .await?;
    let total = tongban_catalogue::db::regions::import(&pool, |level, rows| {
        println!("  {level:<8} {rows:>6}");
    })
    .await
    .map_err(|e| anyhow::anyhow!("{e}"))?;
    println!("Done: {total} regions.");
    pool.close().await;
    Ok(())
}

/// The catalogue's pool, migrated (the commands work without the service running).
async fn catalogue_pool(settings: &Settings) -> anyhow::Result<sqlx::PgPool> {
    let pool = tongban_runtime::db::connect(&settings.database, tongban_catalogue::NAME).await?;
    tongban_runtime::db::migrate(
        &pool,
        tongban_catalogue::NAME,
        vec![tongban_bus::migrator(), tongban_catalogue::migrator()],
    )
    .await?;
    Ok(pool)
}

async fn import_items(
    settings: Settings,
    file: &std::path::Path,
    publish: bool,
) -> anyhow::Result<()> {
    use tongban_catalogue::http::items::ItemList;
    let text =
        std::fs::read_to_string(file).map_err(|e| anyhow::anyhow!("{}: {e}", file.display()))?;
    let list: ItemList = serde_json::from_str(&text)
        .map_err(|e| anyhow::anyhow!("{}: not an item list: {e}", file.display()))?;
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
        tongban_catalogue::actor::Actor::Operator,
        &list.region_code,
        list.items,
        publish || list.publish,
        |done| bar.set_position(done as u64),
    )
    .await
    .map_err(|e| anyhow::anyhow!("{e}"))?;
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
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    pool.close().await;
    let count = items.len();
    let list = tongban_catalogue::http::items::ItemList {
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

async fn import_calendar(
    settings: Settings,
    file: &std::path::Path,
    source: &str,
) -> anyhow::Result<()> {
    let text =
        std::fs::read_to_string(file).map_err(|e| anyhow::anyhow!("{}: {e}", file.display()))?;
    let years = tongban_catalogue::db::calendar::parse_csv(&text)
        .map_err(|e| anyhow::anyhow!("{}: {e}", file.display()))?;
    let pool = catalogue_pool(&settings).await?;
    let mut tx = pool.begin().await?;
    for (year, days) in &years {
        tongban_catalogue::db::calendar::replace_year(
            &mut tx,
            tongban_catalogue::actor::Actor::Operator,
            *year,
            days,
            source,
        )
        .await
        .map_err(|e| anyhow::anyhow!("{year}: {e}"))?;
        println!("  {year}: {} days", days.len());
    }
    tx.commit().await?;
    pool.close().await;
    println!("Done: {} years.", years.len());
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replay_since_takes_an_instant_or_a_china_date() {
        assert_eq!(
            instant("2026-11-27T08:00:00+08:00").unwrap().to_rfc3339(),
            "2026-11-27T00:00:00+00:00"
        );
        // A date is its midnight in China.
        assert_eq!(
            instant("2026-11-27").unwrap().to_rfc3339(),
            "2026-11-26T16:00:00+00:00"
        );
        assert!(
            instant("yesterday")
                .unwrap_err()
                .to_string()
                .contains("--since")
        );
    }
}
