//! The operator CLI's commands: what `tongban --help` lists, one file per command group.
//!
//! # Layout
//! - [`up`]: `up` and `serve` (run components in this process).
//! - [`migrate`]: `migrate`, every service's migrations.
//! - [`broker`]: `broker` (the embedded broker alone).
//! - [`doctor`]: `doctor`, the installation's checks.
//! - [`outbox`]: `outbox replay`.
//! - [`admin`]: `admin create`, `admin notification-account`, `admin rotate-keys`,
//!   `admin rotate-kek`.
//! - [`catalogue`]: `catalogue import-regions | import-items | export-items | import-calendar`.
//! - [`insight`]: `insight rebuild`.
//! - [`audit`]: `audit verify`, the audit chains walked.
//! - [`bench`]: `bench ...`, measurements on a throwaway database.
//!
//! A command returns `anyhow::Result<()>`: an error is printed with its chain of causes and the
//! process exits 1 (`doctor` chooses its exit code itself; bad settings exit 2 in `main`).
//!
//! # Logs
//! The servers (`up`, `serve`, `broker`) log as configured, to standard output, where a
//! container's logs are collected. Every other command is an operator's: its standard output is
//! its answer (a password shown once, `doctor --json`, `catalogue export-items`), so the
//! services' log lines go to standard error, and only warnings and errors unless `--verbose` or
//! `RUST_LOG` asks for more ([`Cli::init_logging`]).

pub mod admin;
pub mod audit;
pub mod bench;
pub mod broker;
pub mod catalogue;
pub mod doctor;
pub mod insight;
pub mod migrate;
pub mod outbox;
pub mod up;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use tongban::COMPONENTS;
use tongban_runtime::{Settings, telemetry};

#[derive(Parser)]
#[command(
    name = "tongban",
    version,
    about = "Tongban (通办): integrated government services platform"
)]
pub struct Cli {
    /// TOML settings file (environment variables TONGBAN__SECTION__KEY override it).
    #[arg(long, short, global = true, env = "TONGBAN_CONFIG")]
    pub config: Option<PathBuf>,
    /// Show the services' log lines (info and up) on standard error; RUST_LOG chooses them too.
    /// Without it an operator command logs only warnings and errors. The servers (up, serve,
    /// broker) always log as configured.
    #[arg(long, short, global = true)]
    pub verbose: bool,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand)]
pub enum Command {
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
    Outbox(outbox::OutboxCommand),
    /// Administrator accounts.
    #[command(subcommand)]
    Admin(admin::AdminCommand),
    /// The catalogue's reference data.
    #[command(subcommand)]
    Catalogue(catalogue::CatalogueCommand),
    /// The provincial statistics (the insight service).
    #[command(subcommand)]
    Insight(insight::InsightCommand),
    /// The tamper-evident audit chains of the staff's actions.
    #[command(subcommand)]
    Audit(audit::AuditCommand),
    /// Benchmarks: start the platform on a throwaway database and measure.
    #[command(subcommand)]
    Bench(bench::BenchCommand),
}

/// An operator command's log filter when RUST_LOG is not set: warnings and errors only (sqlx's
/// slow-statement warnings during a long migration are chatter too), or with `--verbose` what
/// the services log at info.
fn operator_log_filter(verbose: bool) -> &'static str {
    if verbose { "info" } else { "warn,sqlx=error" }
}

impl Cli {
    /// Starts logging as this command needs it: a server's log lines on standard output as
    /// configured; an operator command's on standard error, quiet unless asked (module docs).
    /// RUST_LOG wins over either filter (`telemetry::init`).
    pub fn init_logging(&self, settings: &mut Settings) {
        let result = if self.command.serves() {
            telemetry::init(&settings.telemetry, "tongban")
        } else {
            if std::env::var_os("RUST_LOG").is_none() {
                settings.telemetry.log_filter = operator_log_filter(self.verbose).to_owned();
            }
            telemetry::init_with_writer(&settings.telemetry, "tongban", std::io::stderr)
        };
        if let Err(err) = result {
            eprintln!("tongban: telemetry: {err:#}");
        }
    }
}

impl Command {
    /// A server, running until stopped, whose log lines are its output; every other command is
    /// an operator's, answering on standard output (a benchmark's answer is its table).
    pub fn serves(&self) -> bool {
        matches!(self, Self::Up { .. } | Self::Serve { .. } | Self::Broker)
    }

    /// Runs the command; its exit code: 0 when it succeeded, 1 (the error printed) when not.
    pub async fn run(self, settings: Settings) -> ExitCode {
        let result = match self {
            Self::Up { no_migrate, demo } => {
                up::run(settings, &COMPONENTS, no_migrate, demo, false).await
            }
            Self::Serve {
                components,
                no_migrate,
            } => up::serve(settings, &components, no_migrate).await,
            Self::Migrate => migrate::run(settings).await,
            Self::Broker => broker::run(settings).await,
            // The doctor's report is its answer: it sets the exit code itself.
            Self::Doctor { quiet, json } => return doctor::run(settings, quiet, json).await,
            Self::Outbox(command) => outbox::run(settings, command).await,
            Self::Admin(command) => admin::run(settings, command).await,
            Self::Catalogue(command) => catalogue::run(settings, command).await,
            Self::Insight(command) => insight::run(settings, command).await,
            Self::Audit(command) => audit::run(settings, command).await,
            Self::Bench(command) => bench::run(settings, command).await,
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
}

#[cfg(test)]
mod tests {
    use clap::Parser as _;

    use super::*;

    fn parse(args: &[&str]) -> Cli {
        Cli::try_parse_from(std::iter::once("tongban").chain(args.iter().copied())).unwrap()
    }

    #[test]
    fn only_the_servers_log_to_standard_output() {
        for servers in [&["up"][..], &["serve", "gateway"], &["broker"]] {
            assert!(parse(servers).command.serves(), "{servers:?}");
        }
        for operators in [
            &["migrate"][..],
            &["doctor", "--json"],
            &[
                "admin",
                "create",
                "--username",
                "a",
                "--region",
                "430000000000",
            ],
            &["audit", "verify"],
            &["bench", "memory", "--quick"],
        ] {
            assert!(!parse(operators).command.serves(), "{operators:?}");
        }
    }

    #[test]
    fn verbose_is_one_flag_anywhere_on_the_line() {
        assert!(!parse(&["migrate"]).verbose);
        assert!(parse(&["--verbose", "migrate"]).verbose);
        assert!(parse(&["migrate", "-v"]).verbose);
        assert_eq!(operator_log_filter(false), "warn,sqlx=error");
        assert_eq!(operator_log_filter(true), "info");
    }
}
