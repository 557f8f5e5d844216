//! `tongban bench`: each benchmark starts the platform on a throwaway database, measures, and
//! prints its table (and writes its report as JSON when asked). `--quick` is a smoke test with
//! small numbers.

use std::path::PathBuf;
use std::time::Duration;

use clap::Subcommand;

use tongban::bench::{self, Load};
use tongban_runtime::Settings;

#[derive(Subcommand)]
pub enum BenchCommand {
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

/// Runs one benchmark, `--quick` replacing the numbers given with a smoke test's.
pub async fn run(settings: Settings, command: BenchCommand) -> anyhow::Result<()> {
    use BenchCommand as B;
    match command {
        B::Intake {
            quick: true, json, ..
        } => intake(settings, 200, 8, 3, json).await,
        B::Intake {
            cases,
            concurrency,
            pgbench_secs,
            json,
            ..
        } => intake(settings, cases, concurrency, pgbench_secs, json).await,
        B::Events {
            quick: true,
            rate,
            json,
            ..
        } => events(settings, 100, rate, json).await,
        B::Events {
            cases, rate, json, ..
        } => events(settings, cases, rate, json).await,
        B::Memory {
            quick: true, json, ..
        } => memory(settings, 200, 8, 2, json).await,
        B::Memory {
            cases,
            concurrency,
            settle_secs,
            json,
            ..
        } => memory(settings, cases, concurrency, settle_secs, json).await,
        B::Approval {
            quick: true, json, ..
        } => approval(settings, load(200, 8, 1), 2_000, json).await,
        B::Approval {
            requests,
            concurrency,
            rounds,
            work_items,
            json,
            ..
        } => {
            approval(
                settings,
                load(requests, concurrency, rounds),
                work_items,
                json,
            )
            .await
        }
        B::Handover {
            quick: true, json, ..
        } => handover(settings, 100, 20.0, 4, json).await,
        B::Handover {
            cases,
            rate,
            concurrency,
            json,
            ..
        } => handover(settings, cases, rate, concurrency, json).await,
        B::Notification {
            quick: true, json, ..
        } => notification(settings, 500, 2_000, json).await,
        B::Notification {
            events,
            queued,
            json,
            ..
        } => notification(settings, events, queued, json).await,
        B::Catalogue {
            quick: true, json, ..
        } => catalogue(settings, load(1_000, 8, 1), 10, json).await,
        B::Catalogue {
            requests,
            concurrency,
            rounds,
            departments,
            json,
            ..
        } => {
            catalogue(
                settings,
                load(requests, concurrency, rounds),
                departments,
                json,
            )
            .await
        }
        B::Auth {
            quick: true, json, ..
        } => auth(settings, load(1_000, 8, 1), json).await,
        B::Auth {
            requests,
            concurrency,
            rounds,
            json,
            ..
        } => auth(settings, load(requests, concurrency, rounds), json).await,
    }
}

/// Shows a benchmark's progress on standard error (standard output is its table).
fn step(step: &str) {
    eprintln!("  {step}…");
}

async fn auth(settings: Settings, load: Load, json: Option<PathBuf>) -> anyhow::Result<()> {
    let report = bench::auth(settings, load, step).await?;
    print!("{}", bench::table(&report));
    write_json(json, &report)
}

async fn approval(
    settings: Settings,
    load: Load,
    work_items: usize,
    json: Option<PathBuf>,
) -> anyhow::Result<()> {
    let report = bench::approval::approval(settings, load, work_items, step).await?;
    print!("{}", bench::approval::table(&report));
    write_json(json, &report)
}

async fn handover(
    settings: Settings,
    cases: usize,
    rate: f64,
    concurrency: usize,
    json: Option<PathBuf>,
) -> anyhow::Result<()> {
    let report = bench::handover::handover(settings, cases, rate, concurrency, step).await?;
    print!("{}", bench::handover::table(&report));
    write_json(json, &report)
}

async fn notification(
    settings: Settings,
    events: usize,
    queued: usize,
    json: Option<PathBuf>,
) -> anyhow::Result<()> {
    let report = bench::notification::notification(settings, events, queued, step).await?;
    print!("{}", bench::notification::table(&report));
    write_json(json, &report)
}

async fn catalogue(
    settings: Settings,
    load: Load,
    departments: usize,
    json: Option<PathBuf>,
) -> anyhow::Result<()> {
    let report = bench::catalogue(settings, load, departments, step).await?;
    print!("{}", bench::catalogue_table(&report));
    write_json(json, &report)
}

async fn intake(
    settings: Settings,
    cases: usize,
    concurrency: usize,
    pgbench_secs: u32,
    json: Option<PathBuf>,
) -> anyhow::Result<()> {
    let report = bench::intake::intake(settings, cases, concurrency, pgbench_secs, step).await?;
    print!("{}", bench::intake::table(&report));
    write_json(json, &report)
}

async fn events(
    settings: Settings,
    cases: usize,
    rate: f64,
    json: Option<PathBuf>,
) -> anyhow::Result<()> {
    let report = bench::events::events(settings, cases, rate, step).await?;
    print!("{}", bench::events::table(&report));
    write_json(json, &report)
}

async fn memory(
    settings: Settings,
    cases: usize,
    concurrency: usize,
    settle_secs: u64,
    json: Option<PathBuf>,
) -> anyhow::Result<()> {
    let binary = std::env::current_exe()?;
    let settle = Duration::from_secs(settle_secs);
    let report = bench::memory::memory(settings, &binary, cases, concurrency, settle, step).await?;
    print!("{}", bench::memory::table(&report));
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

fn load(requests: usize, concurrency: usize, rounds: usize) -> Load {
    Load {
        requests,
        concurrency,
        rounds,
    }
}
