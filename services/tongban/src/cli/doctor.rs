//! `tongban doctor`: the installation's checks (`tongban::ops::doctor`), as a table or JSON.

use std::process::ExitCode;

use tongban_runtime::Settings;

/// Prints the report; exits 1 when a check failed.
pub async fn run(settings: Settings, quiet: bool, json: bool) -> ExitCode {
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
