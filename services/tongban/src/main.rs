//! `tongban`: the operator CLI. See `tongban --help`.
//!
//! This file only parses and dispatches; each command group lives in a file of its own under
//! `cli/` and the work itself in the library (`tongban::ops`, `tongban::database`, ...).

mod cli;

use std::process::ExitCode;

use clap::Parser as _;

use tongban_runtime::Settings;

/// mimalloc instead of glibc's malloc: a request allocates and frees many small buffers across
/// threads, where glibc's malloc and free took a tenth of the process's CPU and a load left a
/// larger peak (see README, Performance).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    let mut settings = match Settings::load(cli.config.as_deref()) {
        Ok(settings) => settings,
        Err(err) => {
            eprintln!("tongban: {err}");
            return ExitCode::from(2);
        }
    };
    cli.init_logging(&mut settings);
    cli.command.run(settings).await
}
