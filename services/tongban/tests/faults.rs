#![allow(clippy::unwrap_used, clippy::expect_used)] // a panic is how a test fails
//! Faults a platform cannot stage from inside its own process, against the `tongban` binary and
//! the machine's PostgreSQL: a service killed with SIGKILL under load, and PostgreSQL restarted
//! under load. The two take turns: a restart would cut the other's connections too.
//!
//! The PostgreSQL test restarts the cluster with Debian's `pg_ctlcluster` (as `.ci/run` starts
//! it); where that is not possible it is skipped, unless TONGBAN_REQUIRE_PG_RESTART is set
//! (`.ci/run` sets it).

use std::collections::{BTreeMap, HashSet};
use std::net::TcpListener;
use std::path::PathBuf;
use std::process::Stdio;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use secrecy::ExposeSecret as _;
use serde_json::{Value, json};
use sqlx::ConnectOptions as _;
use tokio::sync::Mutex;

use tongban_runtime::Settings;

static TURN: Mutex<()> = Mutex::const_new(());

const HESHAN: &str = "430903000000";

/// A database of the test's own on the configured server, dropped at the end.
struct Database {
    name: String,
    settings: Settings,
}

impl Database {
    fn new(purpose: &str) -> Self {
        let mut settings = Settings::load(None).expect("default settings");
        let name = format!("tongban_{purpose}_{}", uuid::Uuid::now_v7().simple());
        let mut url = url::Url::parse(settings.database_url()).unwrap();
        url.set_path(&name);
        settings.database.url = url.to_string().into();
        settings.secrets.kek = tongban_vault::Vault::generate_kek().into();
        Self { name, settings }
    }

    fn url(&self) -> &str {
        self.settings.database_url()
    }

    async fn pool(&self) -> sqlx::PgPool {
        tongban_runtime::db::connect(&self.settings.database, "public")
            .await
            .unwrap()
    }

    async fn drop(self) {
        let options: sqlx::postgres::PgConnectOptions = self.url().parse().unwrap();
        if let Ok(mut admin) = options.database("postgres").connect().await {
            let _ = sqlx::query(&format!(
                "drop database if exists \"{}\" with (force)",
                self.name
            ))
            .execute(&mut admin)
            .await;
        }
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn output_dir() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/test-output/faults");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Starts `tongban <args>` with `env`, its output in target/test-output/faults/<log>.log.
fn spawn(env: &[(String, String)], args: &[&str], log: &str) -> tokio::process::Child {
    let log = std::fs::File::create(output_dir().join(format!("{log}.log"))).unwrap();
    tokio::process::Command::new(env!("CARGO_BIN_EXE_tongban"))
        .args(args)
        .envs(env.iter().cloned())
        .stdin(Stdio::null())
        .stdout(log.try_clone().unwrap())
        .stderr(log)
        .kill_on_drop(true)
        .spawn()
        .unwrap()
}

/// A client that lets go of idle connections before the servers close them.
fn client() -> reqwest::Client {
    let http = Settings::load(None).unwrap().http;
    reqwest::Client::builder()
        .pool_idle_timeout(http.client_idle_timeout())
        .build()
        .unwrap()
}

async fn answers(http: &reqwest::Client, url: &str) -> Option<u16> {
    let response = http
        .get(url)
        .timeout(Duration::from_secs(2))
        .send()
        .await
        .ok()?;
    Some(response.status().as_u16())
}

async fn wait_ready(http: &reqwest::Client, url: &str) {
    let deadline = Instant::now() + Duration::from_secs(180);
    while answers(http, url).await != Some(200) {
        assert!(Instant::now() < deadline, "{url} did not become ready");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// An applicant registered through the gateway and signed in: their token.
async fn applicant(http: &reqwest::Client, gateway: &str) -> String {
    let id_number = tongban_kernel::IdCardNumber::complete("43090319900101888").unwrap();
    let registered = http
        .post(format!("{gateway}/api/identity/v1/accounts/citizens"))
        .json(&json!({
            "id_type": "resident_id_card", "id_number": id_number.as_str(), "name": "故障测试",
            "phone": "13800138000", "password": "faults-applicant-1",
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(registered.status(), 201);
    let signed_in: Value = http
        .post(format!("{gateway}/api/identity/v1/oauth/token"))
        .form(&[
            ("grant_type", "password"),
            ("username", id_number.as_str()),
            ("password", "faults-applicant-1"),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    signed_in["access_token"].as_str().unwrap().to_owned()
}

/// A demo item of 赫山区 once acceptance knows it: its code and required materials.
async fn item(pool: &sqlx::PgPool) -> (String, Vec<String>) {
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let found: Option<(String, Value)> = sqlx::query_as(
            "select v.implementation_code, v.materials from acceptance.offered_items o
             join acceptance.item_versions v using (implementation_code, version)
             where v.region_code = $1 and v.real_name_level = 1 -- an unverified applicant applies
             order by v.implementation_code limit 1",
        )
        .bind(HESHAN)
        .fetch_optional(pool)
        .await
        .unwrap();
        if let Some((code, materials)) = found {
            let required = materials
                .as_array()
                .unwrap()
                .iter()
                .filter(|m| m["necessity"] == "required")
                .map(|m| m["code"].as_str().unwrap().to_owned())
                .collect();
            return (code, required);
        }
        assert!(
            Instant::now() < deadline,
            "acceptance did not learn the demo items"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// What one draft's requests got: the case's id from the first 2xx, and every other answer.
#[derive(Default)]
struct Outcome {
    id: Option<String>,
    failures: Vec<String>,
}

/// Opens a draft with `key` as its Idempotency-Key, sending again (same key) on any answer but
/// 201/200 — a dropped connection, a 502 while the service is down, a 503 — for up to 90 s.
async fn draft_until_answered(
    http: &reqwest::Client,
    gateway: &str,
    token: &str,
    code: &str,
    key: &str,
) -> Outcome {
    let mut outcome = Outcome::default();
    let deadline = Instant::now() + Duration::from_secs(90);
    while Instant::now() < deadline {
        let sent = http
            .post(format!("{gateway}/api/acceptance/v1/cases"))
            .bearer_auth(token)
            .header("idempotency-key", key)
            .json(&json!({ "implementation_code": code }))
            .timeout(Duration::from_secs(10))
            .send()
            .await;
        match sent {
            Ok(response) if matches!(response.status().as_u16(), 200 | 201) => {
                let case: Value = response.json().await.unwrap();
                outcome.id = Some(case["id"].as_str().unwrap().to_owned());
                return outcome;
            }
            Ok(response) => {
                let status = response.status().as_u16();
                let body = response.text().await.unwrap_or_default();
                outcome.failures.push(format!("{status} {body}"));
            }
            Err(e) => outcome.failures.push(format!("no answer: {e}")),
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    outcome
}

/// Eight clients opening `count` drafts, keys `<prefix>-0000`, …, each sent until answered
/// ([`draft_until_answered`]); `answered` counts the drafts done so far.
async fn drafts(
    http: &reqwest::Client,
    gateway: &str,
    token: &str,
    code: &str,
    prefix: &str,
    count: usize,
    answered: &AtomicUsize,
) -> Vec<(String, Outcome)> {
    use futures::StreamExt;
    futures::stream::iter((0..count).map(|n| format!("{prefix}-{n:04}")))
        .map(|key| async move {
            let outcome = draft_until_answered(http, gateway, token, code, &key).await;
            answered.fetch_add(1, Ordering::SeqCst);
            (key, outcome)
        })
        .buffer_unordered(8)
        .collect()
        .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_service_killed_with_sigkill_loses_no_answered_request_and_retries_create_nothing_twice()
{
    let _turn = TURN.lock().await;
    // Arrange: a broker, the acceptance service, and every other component, as three processes
    // (pods) on one database; the gateway finds acceptance at a fixed port.
    let database = Database::new("sigkill");
    let broker_dir = tempfile::tempdir().unwrap();
    let broker = format!("127.0.0.1:{}", free_port());
    let mut env: Vec<(String, String)> = vec![
        ("DATABASE__URL".into(), database.url().to_owned()),
        ("KAFKA__BROKERS".into(), broker.clone()),
        ("BROKER__LISTEN".into(), broker.clone()),
        (
            "BROKER__STORAGE".into(),
            tongban_broker::sqlite_storage(&broker_dir.path().join("broker.db")),
        ),
        ("OUTBOX__POLL_INTERVAL_MS".into(), "200".into()),
        ("TELEMETRY__LOG_FILTER".into(), "warn".into()),
        (
            "SECRETS__KEK".into(),
            database.settings.secrets.kek.expose_secret().to_owned(),
        ),
    ];
    for limit in [
        "RATE_LIMIT_IP_PER_SECOND",
        "RATE_LIMIT_IP_BURST",
        "RATE_LIMIT_SUBJECT_PER_SECOND",
        "RATE_LIMIT_SUBJECT_BURST",
    ] {
        env.push((format!("GATEWAY__{limit}"), "100000".into()));
    }
    let ports: BTreeMap<&str, u16> = tongban::COMPONENTS
        .iter()
        .map(|c| (*c, free_port()))
        .collect();
    for (component, port) in &ports {
        env.push((
            format!("HTTP__PORTS__{}", component.to_uppercase()),
            port.to_string(),
        ));
    }
    let env: Vec<(String, String)> = env
        .into_iter()
        .map(|(k, v)| (format!("TONGBAN__{k}"), v))
        .collect();
    let http = client();
    let _broker = spawn(&env, &["broker"], "sigkill-broker");
    let rest: Vec<&str> = tongban::COMPONENTS
        .iter()
        .copied()
        .filter(|c| *c != "acceptance")
        .collect();
    let _rest = spawn(&env, &[&["serve"], &rest[..]].concat(), "sigkill-rest");
    let gateway = format!("http://127.0.0.1:{}", ports["gateway"]);
    let acceptance_ready = format!("http://127.0.0.1:{}/readyz", ports["acceptance"]);
    // (The gateway is ready only once every service behind it is: acceptance is not yet.)
    for component in rest.iter().filter(|c| **c != "gateway") {
        wait_ready(
            &http,
            &format!("http://127.0.0.1:{}/readyz", ports[component]),
        )
        .await;
    }
    let mut acceptance = spawn(&env, &["serve", "acceptance"], "sigkill-acceptance-1");
    wait_ready(&http, &acceptance_ready).await;
    let mut settings = database.settings.clone();
    settings.kafka.brokers = broker.clone();
    tongban::demo::load(&settings, |_| {}).await.unwrap();
    let pool = database.pool().await;
    let (code, _) = item(&pool).await;
    let token = applicant(&http, &gateway).await;

    // Act: eight clients open 400 drafts, each with its own Idempotency-Key, sending again
    // until answered; after 100 answers the acceptance process is killed with SIGKILL, and
    // started again a second later.
    const DRAFTS: usize = 400;
    let answered = AtomicUsize::new(0);
    let load = drafts(&http, &gateway, &token, &code, "sigkill", DRAFTS, &answered);
    let fault = async {
        while answered.load(Ordering::SeqCst) < DRAFTS / 4 {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        let pid = acceptance.id().unwrap();
        let killed = std::process::Command::new("kill")
            .args(["-KILL", &pid.to_string()])
            .status()
            .unwrap();
        assert!(killed.success());
        acceptance.wait().await.unwrap();
        let killed_at = answered.load(Ordering::SeqCst);
        tokio::time::sleep(Duration::from_secs(1)).await;
        acceptance = spawn(&env, &["serve", "acceptance"], "sigkill-acceptance-2");
        killed_at
    };
    let (outcomes, killed_at) = tokio::join!(load, fault);

    // Assert: every draft answered 2xx, each is in the database, none twice; the kill was felt.
    let failures: usize = outcomes.iter().map(|(_, o)| o.failures.len()).sum();
    assert!(
        killed_at < DRAFTS && failures > 0,
        "requests failed while acceptance was down ({failures} after {killed_at} answers)"
    );
    let mut ids = HashSet::new();
    for (key, outcome) in &outcomes {
        let id = outcome
            .id
            .as_ref()
            .unwrap_or_else(|| panic!("{key} was never answered: {:?}", outcome.failures));
        assert!(ids.insert(id.clone()), "{key}: a case answered twice");
        assert!(
            outcome.failures.iter().all(|f| f.starts_with("no answer")
                || f.starts_with("502")
                || f.starts_with("503")),
            "{key}: only 'not now' answers before success, not {:?}",
            outcome.failures
        );
    }
    let stored: Vec<(String, String)> = sqlx::query_as(
        "select idempotency_key, id::text from acceptance.cases where idempotency_key like 'sigkill-%'",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(
        stored.len(),
        DRAFTS,
        "one case per key: none lost, none twice"
    );
    let stored: BTreeMap<String, String> = stored.into_iter().collect();
    for (key, outcome) in &outcomes {
        assert_eq!(
            stored.get(key),
            outcome.id.as_ref(),
            "{key}: the case answered is the case kept"
        );
    }
    // Every key sent once more: the case it made, not a new one.
    wait_ready(&http, &acceptance_ready).await;
    for (key, outcome) in outcomes.iter().step_by(10) {
        let again = http
            .post(format!("{gateway}/api/acceptance/v1/cases"))
            .bearer_auth(&token)
            .header("idempotency-key", key)
            .json(&json!({ "implementation_code": code }))
            .send()
            .await
            .unwrap();
        assert_eq!(again.status(), 200, "{key} again");
        let case: Value = again.json().await.unwrap();
        assert_eq!(case["id"].as_str(), outcome.id.as_deref());
    }
    let total: i64 = sqlx::query_scalar("select count(*) from acceptance.cases")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(total, DRAFTS as i64);

    pool.close().await;
    drop(acceptance);
    drop(_rest);
    drop(_broker);
    database.drop().await;
}

/// The cluster `.ci/run` starts: (version, name) for `pg_ctlcluster`.
fn cluster() -> Option<(String, String)> {
    let version = std::fs::read_dir("/etc/postgresql")
        .ok()?
        .filter_map(Result::ok)
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .next()?;
    let usable = std::process::Command::new("pg_ctlcluster")
        .args([&version, "main", "status"])
        .output()
        .is_ok_and(|o| o.status.success());
    usable.then(|| (version, "main".to_owned()))
}

fn pg_ctlcluster(cluster: &(String, String), action: &str) -> bool {
    std::process::Command::new("pg_ctlcluster")
        .args(["--skip-systemctl-redirect", &cluster.0, &cluster.1, action])
        .args(if action == "stop" {
            &["-m", "fast"][..]
        } else {
            &[][..]
        })
        .status()
        .is_ok_and(|s| s.success())
}

/// Starts the cluster again however the test ends: the rest of the suite needs it.
struct StartsAgain((String, String));

impl Drop for StartsAgain {
    fn drop(&mut self) {
        if !pg_ctlcluster(&self.0, "start") {
            // Already running is fine; anything else is for the operator to see.
            let _ = pg_ctlcluster(&self.0, "status");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn postgres_restarted_under_load_the_services_recover_by_themselves_and_say_so() {
    let _turn = TURN.lock().await;
    let Some(cluster) = cluster() else {
        assert!(
            std::env::var_os("TONGBAN_REQUIRE_PG_RESTART").is_none(),
            "pg_ctlcluster cannot restart the PostgreSQL cluster here"
        );
        eprintln!("skipped: no PostgreSQL cluster pg_ctlcluster can restart");
        return;
    };
    // Arrange: the whole platform in this process (as `tongban up`), the demo data, an
    // applicant.
    let database = Database::new("pgrestart");
    let mut settings = database.settings.clone();
    settings.kafka.brokers = String::new();
    settings.broker.listen = "127.0.0.1:0".to_owned();
    settings.broker.storage = "memory://tansu/".to_owned();
    for port in settings.http.ports.values_mut() {
        *port = 0;
    }
    settings.outbox.poll_interval_ms = 200;
    let gateway = settings
        .section_mut::<tongban_gateway::config::GatewaySettings>()
        .unwrap();

    gateway.rate_limit_ip_per_second = 100_000;

    gateway.rate_limit_ip_burst = 100_000;

    gateway.rate_limit_subject_per_second = 100_000;

    gateway.rate_limit_subject_burst = 100_000;
    let mut platform = tongban::Platform::start(settings, &tongban::COMPONENTS)
        .await
        .unwrap();
    let gateway = platform.gateway_url().unwrap();
    let http = client();
    wait_ready(&http, &format!("{gateway}/readyz")).await;
    tongban::demo::load(&platform.settings, |_| {})
        .await
        .unwrap();
    let pool = database.pool().await;
    let (code, required) = item(&pool).await;
    pool.close().await;
    let token = applicant(&http, &gateway).await;

    // Readiness of every service, watched throughout: (service, status, body) whenever it
    // changes.
    let watching = Arc::new(AtomicBool::new(true));
    let watcher = {
        let (http, watching) = (http.clone(), watching.clone());
        let services: Vec<(String, String)> = platform
            .addresses
            .iter()
            .filter(|(name, _)| **name != "gateway")
            .map(|(name, address)| (name.to_string(), format!("http://{address}/readyz")))
            .collect();
        tokio::spawn(async move {
            let mut seen: Vec<(String, u16, String)> = Vec::new();
            let mut last: BTreeMap<String, u16> = BTreeMap::new();
            while watching.load(Ordering::SeqCst) {
                for (name, url) in &services {
                    let Ok(response) = http.get(url).timeout(Duration::from_secs(2)).send().await
                    else {
                        continue;
                    };
                    let status = response.status().as_u16();
                    if last.insert(name.clone(), status) != Some(status) {
                        seen.push((
                            name.clone(),
                            status,
                            response.text().await.unwrap_or_default(),
                        ));
                    }
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            (seen, last)
        })
    };

    // Act: eight clients open 400 drafts without pause (sending again, same key, on anything
    // but 2xx); after 100 answers PostgreSQL is stopped (fast: every session ends) and started
    // again eight seconds later.
    const DRAFTS: usize = 400;
    let answered = AtomicUsize::new(0);
    let load = drafts(
        &http,
        &gateway,
        &token,
        &code,
        "pgrestart",
        DRAFTS,
        &answered,
    );
    let restart = async {
        while answered.load(Ordering::SeqCst) < DRAFTS / 4 {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        let guard = StartsAgain(cluster.clone());
        assert!(pg_ctlcluster(&cluster, "stop"), "PostgreSQL stops");
        let stopped_at = answered.load(Ordering::SeqCst);
        // Longer than a request waits for a connection (database.acquire_timeout_ms, 5 s):
        // some requests must give up with a 503 rather than wait it out.
        tokio::time::sleep(Duration::from_secs(8)).await;
        assert!(pg_ctlcluster(&cluster, "start"), "PostgreSQL starts again");
        std::mem::forget(guard);
        let started_at = answered.load(Ordering::SeqCst);
        (stopped_at, started_at)
    };
    let (outcomes, (stopped_at, started_at)) = tokio::join!(load, restart);

    // Assert: no request failed but with "not now" (503, or no answer while a connection broke),
    // every answered draft is stored once, and the platform served on without a restart.
    assert!(
        stopped_at < DRAFTS,
        "the load was still running when PostgreSQL stopped"
    );
    let mut not_now = 0;
    for (key, outcome) in &outcomes {
        assert!(
            outcome.id.is_some(),
            "{key} was never answered: {:?}",
            outcome.failures
        );
        for failure in &outcome.failures {
            assert!(
                failure.starts_with("503") || failure.starts_with("no answer"),
                "{key}: {failure}"
            );
            not_now += 1;
        }
    }
    assert!(
        not_now > 0,
        "requests met the outage ({stopped_at} → {started_at})"
    );
    let pool = database.pool().await;
    let stored: i64 =
        sqlx::query_scalar("select count(distinct idempotency_key) from acceptance.cases where idempotency_key like 'pgrestart-%'")
            .fetch_one(&pool)
            .await
            .unwrap();
    let cases: i64 = sqlx::query_scalar("select count(*) from acceptance.cases")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!((stored, cases), (DRAFTS as i64, DRAFTS as i64));

    // Events flow again: five drafts submitted now reach the statistics (relay and consumers
    // reconnected by themselves).
    let submitted: Vec<String> = outcomes
        .iter()
        .take(5)
        .map(|(_, o)| o.id.clone().unwrap())
        .collect();
    for id in &submitted {
        for material in &required {
            let uploaded = http
                .put(format!(
                    "{gateway}/api/acceptance/v1/cases/{id}/materials/{material}"
                ))
                .bearer_auth(&token)
                .header("content-type", "application/pdf")
                .body(b"%PDF-1.7 scan".to_vec())
                .send()
                .await
                .unwrap();
            assert_eq!(uploaded.status(), 204);
        }
        let submit = http
            .post(format!("{gateway}/api/acceptance/v1/cases/{id}/submit"))
            .bearer_auth(&token)
            .json(&json!({}))
            .send()
            .await
            .unwrap();
        assert_eq!(submit.status(), 200, "{}", submit.text().await.unwrap());
    }
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let counted: i64 = sqlx::query_scalar("select count(*) from insight.cases")
            .fetch_one(&pool)
            .await
            .unwrap();
        if counted == submitted.len() as i64 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the statistics have {counted} of the cases submitted after the restart"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    pool.close().await;

    // Readiness said so: some service reported its database failing, and all are ready again.
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let mut ready = true;
        for address in platform.addresses.values() {
            ready &= answers(&http, &format!("http://{address}/readyz")).await == Some(200);
        }
        if ready {
            break;
        }
        assert!(Instant::now() < deadline, "every service ready again");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    watching.store(false, Ordering::SeqCst);
    let (seen, last) = watcher.await.unwrap();
    assert!(
        seen.iter()
            .any(|(_, status, body)| *status == 503 && body.contains("database")),
        "readiness reported the database failing: {seen:?}"
    );
    assert!(last.values().all(|s| *s == 200), "{last:?}");

    platform.stop().await.unwrap();
    database.drop().await;
}
