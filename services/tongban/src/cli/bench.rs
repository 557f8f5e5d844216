//! `tongban bench`: each benchmark starts the platform on a throwaway database, measures, and
//! prints its table (and writes its report as JSON when asked). `--quick` is a smoke test with
//! small numbers.

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Subcommand};

use tongban::bench::{self, Load};
use tongban_runtime::Settings;

#[derive(Subcommand)]
pub enum BenchCommand {
    /// Case submission through the gateway (token verified, materials checked, case + history
    /// + outbox committed), next to pgbench running a two-row insert transaction.
    Intake(Intake),
    /// Event propagation: from acceptance's commit of CaseAccepted to each service's applying
    /// it, while a window accepts cases at a steady rate.
    Events(Events),
    /// Resident size of a `tongban up --demo` process: idle, under a load of submissions and
    /// acceptances, and idle again.
    Memory(Memory),
    /// The back office's queue listing with a province's open work items in the database, then
    /// an approver's decisions, each sealing an e-certificate.
    Approval(Approval),
    /// The hall's inbox (counts, a list) and the staff search (by ID number, name, status and
    /// day, a department's) with a province's cases in the database.
    Hall(Hall),
    /// The staff console's pages: 32 staff of a county hall (clerks, approvers, supervisors)
    /// signed in through the form and asking for their pages at once, over a province's cases
    /// and open work items.
    Console(Console),
    /// Cross-region hand-over latency: 赫山区's window accepts cases 长沙县 decides; from each
    /// acceptance to its work item in 长沙县's queue. First at a steady rate, then flat out.
    Handover(Handover),
    /// Notification: events in → messages rendered and stored per second, and the drain time
    /// of a backlog of queued messages.
    Notification(Notification),
    /// Item lookup by code and keyword search by region, through the gateway, over the demo
    /// catalogue grown with synthetic town departments.
    Catalogue(Catalogue),
    /// The online hall's search and guide pages with many visitors at once, through the
    /// gateway, over the demo catalogue grown with synthetic town departments (about 2,000
    /// items in force); and what a page weighs.
    Portal(Portal),
    /// What token verification costs at the gateway: one route with and without a token.
    Auth(Auth),
    /// The hall's "call next": 200 windows pressing it at once over 10,000 waiting tickets,
    /// round after round, then the same windows pressing in turn at a steady rate; and how soon
    /// the display board's live feed shows a call.
    HallQueue(HallQueue),
}

// `bench hall-queue` (its help is the doc comment of its `BenchCommand` variant).
#[derive(Args)]
pub struct HallQueue {
    #[arg(long, default_value_t = 200)]
    windows: usize,
    /// Window groups the windows are shared among (1-26).
    #[arg(long, default_value_t = 10)]
    groups: usize,
    /// Tickets waiting when the first round starts.
    #[arg(long, default_value_t = 10_000)]
    waiting: usize,
    /// Rounds of every window calling at once.
    #[arg(long, default_value_t = 20)]
    rounds: usize,
    /// Paced calls a second (the windows taking turns) after the rounds.
    #[arg(long, default_value_t = 100)]
    rate: u32,
    /// Paced calls in all.
    #[arg(long, default_value_t = 2_000)]
    paced: usize,
    /// A short run (a smoke test; the numbers are rough).
    #[arg(long)]
    quick: bool,
    /// Also write the report as JSON to this file.
    #[arg(long)]
    json: Option<PathBuf>,
}

impl HallQueue {
    async fn run(self, settings: Settings) -> anyhow::Result<()> {
        let shape = if self.quick {
            bench::queue::Shape {
                windows: 20,
                groups: 2,
                waiting: 500,
                rounds: 3,
                rate: 50,
                paced: 200,
            }
        } else {
            bench::queue::Shape {
                windows: self.windows,
                groups: self.groups,
                waiting: self.waiting,
                rounds: self.rounds,
                rate: self.rate,
                paced: self.paced,
            }
        };
        let report = bench::queue::hall_queue(settings, shape, step).await?;
        print!("{}", bench::queue::table(&report));
        write_json(self.json, &report)
    }
}

// `bench intake` (its help is the doc comment of its `BenchCommand` variant).
#[derive(Args)]
pub struct Intake {
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
}

// `bench events` (its help is the doc comment of its `BenchCommand` variant).
#[derive(Args)]
pub struct Events {
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
}

// `bench memory` (its help is the doc comment of its `BenchCommand` variant).
#[derive(Args)]
pub struct Memory {
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
}

// `bench approval` (its help is the doc comment of its `BenchCommand` variant).
#[derive(Args)]
pub struct Approval {
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
    /// Work items then approved, each sealing an e-certificate (0: none).
    #[arg(long, default_value_t = 2_000)]
    decisions: usize,
    /// A short run (a smoke test; the numbers are rough).
    #[arg(long)]
    quick: bool,
    /// Also write the report as JSON to this file.
    #[arg(long)]
    json: Option<PathBuf>,
}

// `bench hall` (its help is the doc comment of its `BenchCommand` variant).
#[derive(Args)]
pub struct Hall {
    /// Requests per kind of request and round.
    #[arg(long, default_value_t = 3_000)]
    requests: usize,
    #[arg(long, default_value_t = 32)]
    concurrency: usize,
    #[arg(long, default_value_t = 3)]
    rounds: usize,
    /// Cases written before measuring.
    #[arg(long, default_value_t = 200_000)]
    cases: usize,
    /// A short run (a smoke test; the numbers are rough).
    #[arg(long)]
    quick: bool,
    /// Also write the report as JSON to this file.
    #[arg(long)]
    json: Option<PathBuf>,
}

// `bench console` (its help is the doc comment of its `BenchCommand` variant).
#[derive(Args)]
pub struct Console {
    /// Window clerks, approvers and supervisors signed in at once.
    #[arg(long, default_value_t = 16)]
    clerks: usize,
    #[arg(long, default_value_t = 8)]
    approvers: usize,
    #[arg(long, default_value_t = 8)]
    supervisors: usize,
    /// Pages each of them asks for.
    #[arg(long, default_value_t = 200)]
    pages_each: usize,
    /// Cases written before measuring.
    #[arg(long, default_value_t = 200_000)]
    cases: usize,
    /// Open work items written before measuring.
    #[arg(long, default_value_t = 20_000)]
    work_items: usize,
    /// A short run (a smoke test; the numbers are rough).
    #[arg(long)]
    quick: bool,
    /// Also write the report as JSON to this file.
    #[arg(long)]
    json: Option<PathBuf>,
}

// `bench handover` (its help is the doc comment of its `BenchCommand` variant).
#[derive(Args)]
pub struct Handover {
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
}

// `bench notification` (its help is the doc comment of its `BenchCommand` variant).
#[derive(Args)]
pub struct Notification {
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
}

// `bench catalogue` (its help is the doc comment of its `BenchCommand` variant).
#[derive(Args)]
pub struct Catalogue {
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
}

// `bench portal` (its help is the doc comment of its `BenchCommand` variant).
#[derive(Args)]
pub struct Portal {
    /// Pages per kind and round.
    #[arg(long, default_value_t = 10_000)]
    requests: usize,
    /// Visitors asking at once.
    #[arg(long, default_value_t = 64)]
    concurrency: usize,
    #[arg(long, default_value_t = 3)]
    rounds: usize,
    /// Synthetic departments, each implementing every demo basic item (14 items each): 142
    /// make about 2,000 items with the demo's.
    #[arg(long, default_value_t = 142)]
    departments: usize,
    /// A short run (a smoke test; the numbers are rough).
    #[arg(long)]
    quick: bool,
    /// Also write the report as JSON to this file.
    #[arg(long)]
    json: Option<PathBuf>,
}

// `bench auth` (its help is the doc comment of its `BenchCommand` variant).
#[derive(Args)]
pub struct Auth {
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
}

/// Runs one benchmark, `--quick` replacing the numbers given with a smoke test's.
pub async fn run(settings: Settings, command: BenchCommand) -> anyhow::Result<()> {
    match command {
        BenchCommand::Intake(bench) => bench.run(settings).await,
        BenchCommand::Events(bench) => bench.run(settings).await,
        BenchCommand::Memory(bench) => bench.run(settings).await,
        BenchCommand::Approval(bench) => bench.run(settings).await,
        BenchCommand::Hall(bench) => bench.run(settings).await,
        BenchCommand::Console(bench) => bench.run(settings).await,
        BenchCommand::Handover(bench) => bench.run(settings).await,
        BenchCommand::Notification(bench) => bench.run(settings).await,
        BenchCommand::Catalogue(bench) => bench.run(settings).await,
        BenchCommand::Portal(bench) => bench.run(settings).await,
        BenchCommand::Auth(bench) => bench.run(settings).await,
        BenchCommand::HallQueue(bench) => bench.run(settings).await,
    }
}

/// Shows a benchmark's progress on standard error (standard output is its table).
fn step(step: &str) {
    eprintln!("  {step}…");
}

impl Intake {
    async fn run(self, settings: Settings) -> anyhow::Result<()> {
        let (cases, concurrency, secs) = if self.quick {
            (200, 8, 3)
        } else {
            (self.cases, self.concurrency, self.pgbench_secs)
        };
        let report = bench::intake::intake(settings, cases, concurrency, secs, step).await?;
        print!("{}", bench::intake::table(&report));
        write_json(self.json, &report)
    }
}

impl Events {
    async fn run(self, settings: Settings) -> anyhow::Result<()> {
        let cases = if self.quick { 100 } else { self.cases };
        let report = bench::events::events(settings, cases, self.rate, step).await?;
        print!("{}", bench::events::table(&report));
        write_json(self.json, &report)
    }
}

impl Memory {
    async fn run(self, settings: Settings) -> anyhow::Result<()> {
        let (cases, concurrency, settle_secs) = if self.quick {
            (200, 8, 2)
        } else {
            (self.cases, self.concurrency, self.settle_secs)
        };
        let binary = std::env::current_exe()?;
        let settle = Duration::from_secs(settle_secs);
        let report =
            bench::memory::memory(settings, &binary, cases, concurrency, settle, step).await?;
        print!("{}", bench::memory::table(&report));
        write_json(self.json, &report)
    }
}

impl Approval {
    async fn run(self, settings: Settings) -> anyhow::Result<()> {
        let (load, work_items, decisions) = if self.quick {
            (load(200, 8, 1), 2_000, 100)
        } else {
            (
                load(self.requests, self.concurrency, self.rounds),
                self.work_items,
                self.decisions,
            )
        };
        let report = bench::approval::approval(settings, load, work_items, decisions, step).await?;
        print!("{}", bench::approval::table(&report));
        write_json(self.json, &report)
    }
}

impl Hall {
    async fn run(self, settings: Settings) -> anyhow::Result<()> {
        let (load, cases) = if self.quick {
            (load(200, 8, 1), 2_000)
        } else {
            (
                load(self.requests, self.concurrency, self.rounds),
                self.cases,
            )
        };
        let report = bench::hall::hall(settings, load, cases, step).await?;
        print!("{}", bench::hall::table(&report));
        write_json(self.json, &report)
    }
}

impl Console {
    async fn run(self, settings: Settings) -> anyhow::Result<()> {
        use bench::console::Shape;
        let (shape, cases, work_items) = if self.quick {
            let shape = Shape {
                clerks: 2,
                approvers: 1,
                supervisors: 1,
                pages_each: 10,
            };
            (shape, 2_000, 500)
        } else {
            let shape = Shape {
                clerks: self.clerks,
                approvers: self.approvers,
                supervisors: self.supervisors,
                pages_each: self.pages_each,
            };
            (shape, self.cases, self.work_items)
        };
        let report = bench::console::console(settings, shape, cases, work_items, step).await?;
        print!("{}", bench::console::table(&report));
        write_json(self.json, &report)
    }
}

impl Handover {
    async fn run(self, settings: Settings) -> anyhow::Result<()> {
        let (cases, rate, concurrency) = if self.quick {
            (100, 20.0, 4)
        } else {
            (self.cases, self.rate, self.concurrency)
        };
        let report = bench::handover::handover(settings, cases, rate, concurrency, step).await?;
        print!("{}", bench::handover::table(&report));
        write_json(self.json, &report)
    }
}

impl Notification {
    async fn run(self, settings: Settings) -> anyhow::Result<()> {
        let (events, queued) = if self.quick {
            (500, 2_000)
        } else {
            (self.events, self.queued)
        };
        let report = bench::notification::notification(settings, events, queued, step).await?;
        print!("{}", bench::notification::table(&report));
        write_json(self.json, &report)
    }
}

impl Catalogue {
    async fn run(self, settings: Settings) -> anyhow::Result<()> {
        let (load, departments) = if self.quick {
            (load(1_000, 8, 1), 10)
        } else {
            (
                load(self.requests, self.concurrency, self.rounds),
                self.departments,
            )
        };
        let report = bench::catalogue(settings, load, departments, step).await?;
        print!("{}", bench::catalogue_table(&report));
        write_json(self.json, &report)
    }
}

impl Portal {
    async fn run(self, settings: Settings) -> anyhow::Result<()> {
        let (load, departments) = if self.quick {
            (load(500, 8, 1), 10)
        } else {
            (
                load(self.requests, self.concurrency, self.rounds),
                self.departments,
            )
        };
        let report = bench::portal::portal(settings, load, departments, step).await?;
        print!("{}", bench::portal::table(&report));
        write_json(self.json, &report)
    }
}

impl Auth {
    async fn run(self, settings: Settings) -> anyhow::Result<()> {
        let load = if self.quick {
            load(1_000, 8, 1)
        } else {
            load(self.requests, self.concurrency, self.rounds)
        };
        let report = bench::auth(settings, load, step).await?;
        print!("{}", bench::table(&report));
        write_json(self.json, &report)
    }
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
