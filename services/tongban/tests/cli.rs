#![allow(clippy::unwrap_used, clippy::expect_used)] // a panic is how a test fails
//! The operator commands through the binary an operator runs, on a throwaway database: standard
//! output carries the command's answer and nothing else (a password shown once is copied from
//! it, a script reads the id), an error is one `tongban: …` line on standard error, and the
//! services' log lines appear only when asked for (`--verbose`), on standard error.

use std::io::Write as _;
use std::process::{Command, Output, Stdio};

use sqlx::ConnectOptions as _;
use tongban_runtime::Settings;

/// The demo's province (Hunan), the region an install's first administrator usually covers.
const PROVINCE: &str = "430000000000";

/// A database of the test's own on the configured server, dropped (with its connections) when
/// the test ends, passed or failed.
struct Database {
    name: String,
    url: String,
}

impl Database {
    fn new(purpose: &str) -> Self {
        let settings = Settings::load(None).expect("default settings");
        // A time-ordered id: unique across runs and test processes, within PostgreSQL's 63
        // bytes of a name.
        let name = format!("tongban_cli_{purpose}_{}", uuid::Uuid::now_v7().simple());
        let mut url = url::Url::parse(settings.database_url()).unwrap();
        url.set_path(&name);
        Self {
            name,
            url: url.to_string(),
        }
    }

    /// `tongban args…` on this database, `stdin` fed to it; the log settings of whoever runs
    /// the test (RUST_LOG, a settings file) are kept out so the defaults are what is tested.
    fn tongban(&self, args: &[&str], stdin: &str) -> Output {
        let mut child = Command::new(env!("CARGO_BIN_EXE_tongban"))
            .args(args)
            .env("TONGBAN__DATABASE__URL", &self.url)
            .env_remove("RUST_LOG")
            .env_remove("TONGBAN_CONFIG")
            .env_remove("TONGBAN__TELEMETRY__LOG_FILTER")
            .env_remove("TONGBAN__TELEMETRY__LOG_FORMAT")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the tongban binary starts");
        child
            .stdin
            .take()
            .unwrap()
            .write_all(stdin.as_bytes())
            .unwrap();
        child.wait_with_output().unwrap()
    }
}

impl Drop for Database {
    fn drop(&mut self) {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async {
            let options: sqlx::postgres::PgConnectOptions = self.url.parse().unwrap();
            if let Ok(mut admin) = options.database("postgres").connect().await {
                let drop = format!("drop database if exists \"{}\" with (force)", self.name);
                let _ = sqlx::query(&drop).execute(&mut admin).await;
            }
        });
    }
}

/// The command's standard output and standard error, after checking how it exited.
fn outcome(output: &Output, code: i32) -> (String, String) {
    let stdout = String::from_utf8(output.stdout.clone()).unwrap();
    let stderr = String::from_utf8(output.stderr.clone()).unwrap();
    assert_eq!(
        output.status.code(),
        Some(code),
        "exit code\n--- stdout\n{stdout}--- stderr\n{stderr}"
    );
    (stdout, stderr)
}

/// What `tongban migrate` answers: the database, each schema, done.
fn migrate_answer(db: &Database) -> String {
    let schemas = tongban::database::migrators()
        .into_iter()
        .chain(tongban::database::page_migrators())
        .map(|(name, _)| format!("  {name}…\n"))
        .collect::<String>();
    format!(
        "Migrating {}\n{schemas}Done.\n",
        tongban::redact_url(&db.url)
    )
}

/// Checks `admin create`'s answer for `username`: its lines and the id in them, the generated
/// password (when there is one) on a line of its own. Returns the password shown.
fn created(stdout: &str, username: &str, name: &str, generated: bool) -> Option<String> {
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), if generated { 3 } else { 2 }, "{stdout}");
    assert_eq!(
        lines[0],
        format!("Created identity administrator {username} ({name}) over region {PROVINCE}.")
    );
    let id = lines[1].strip_prefix("Id: ").expect(lines[1]);
    uuid::Uuid::parse_str(id).expect("the id is a UUID");
    let password = lines.get(2).map(|line| {
        let password = line
            .strip_prefix("Password (shown once, change it after signing in): ")
            .expect(line);
        assert!(!password.trim().is_empty(), "{line}");
        password.to_owned()
    });
    assert_eq!(password.is_some(), generated);
    password
}

#[test]
fn operator_commands_answer_on_stdout_and_log_nothing() {
    let db = Database::new("quiet");

    let (stdout, stderr) = outcome(&db.tongban(&["migrate"], ""), 0);
    assert_eq!(stdout, migrate_answer(&db));
    assert_eq!(stderr, "", "no log line on standard error either");

    let create = [
        "admin",
        "create",
        "--username",
        "ops.admin",
        "--name",
        "运维管理员",
        "--region",
        PROVINCE,
    ];
    let (stdout, stderr) = outcome(&db.tongban(&create, ""), 0);
    created(&stdout, "ops.admin", "运维管理员", true);
    assert_eq!(stderr, "");

    let with_password = [
        "admin",
        "create",
        "--username",
        "ops.second",
        "--region",
        PROVINCE,
        "--password-stdin",
    ];
    let fed = "lantern orchid Xiang river quietly 47\n";
    let (stdout, stderr) = outcome(&db.tongban(&with_password, fed), 0);
    created(&stdout, "ops.second", "ops.second", false);
    assert!(
        !stdout.contains("lantern"),
        "a typed password is not echoed"
    );
    assert_eq!(stderr, "");

    // The same user name again: the cause on one line, nothing on standard output.
    let (stdout, stderr) = outcome(&db.tongban(&create, ""), 1);
    assert_eq!(stdout, "");
    assert_eq!(
        stderr,
        "tongban: creating the administrator: an account with this sign-in identifier already \
         exists\n"
    );
}

#[test]
fn verbose_puts_the_services_log_lines_on_stderr() {
    let db = Database::new("verbose");

    let (stdout, stderr) = outcome(&db.tongban(&["--verbose", "migrate"], ""), 0);
    assert_eq!(stdout, migrate_answer(&db), "the answer is the same");
    assert!(
        stderr.contains("INFO") && stderr.contains("migrations applied"),
        "{stderr}"
    );
    assert!(!stdout.contains("INFO"));

    let create = [
        "admin",
        "create",
        "--username",
        "ops.third",
        "--region",
        PROVINCE,
        "-v",
    ];
    let (stdout, stderr) = outcome(&db.tongban(&create, ""), 0);
    created(&stdout, "ops.third", "ops.third", true);
    assert!(
        stderr.contains("connecting") && stderr.contains(&db.name),
        "which database, said in a log line: {stderr}"
    );
}
