//! `tongban bench intake`: applicants submitting cases through the gateway (token verified,
//! materials checked, case, history and outbox committed), then a window clerk accepting them,
//! next to `pgbench` running a comparable two-row insert transaction on the same database at
//! the same concurrency.

use std::time::{Duration, Instant};

use anyhow::Context as _;
use axum::body::Bytes;
use http_body_util::Full;
use serde::Serialize;

use tongban_runtime::Settings;

use super::{
    HttpClient, Measured, client, run, send, sign_in, split_materials, summarise, wait_ready,
    window_clerk,
};
use crate::Platform;

/// The region whose window and applicants the intake benchmarks use (赫山区).
pub(super) const REGION: &str = "430903000000";

#[derive(Debug, Clone, Serialize)]
pub struct IntakeReport {
    pub cpus: usize,
    pub concurrency: usize,
    /// `POST /api/acceptance/v1/cases/{id}/submit`, each draft once.
    pub submissions: Measured,
    /// `POST /api/acceptance/v1/cases/{id}/accept` by a window clerk, each case once (due date
    /// from the calendar, 容缺 deferrals, case + history + outbox committed).
    pub acceptances: Measured,
    /// pgbench's transactions per second for two inserts in one transaction, if pgbench ran.
    pub pgbench_tps: Option<f64>,
    /// Submissions per second over pgbench's transactions per second.
    pub ratio: Option<f64>,
}

/// Runs the intake benchmark: `cases` drafts prepared (materials uploaded), then all submitted
/// at `concurrency`; then pgbench for `pgbench_secs`.
pub async fn intake(
    settings: Settings,
    cases: usize,
    concurrency: usize,
    pgbench_secs: u32,
    progress: impl Fn(&str),
) -> anyhow::Result<IntakeReport> {
    super::on_throwaway(settings, &progress, async |platform| {
        measure(platform, cases, concurrency, pgbench_secs, &progress).await
    })
    .await
}

async fn measure(
    platform: &Platform,
    cases: usize,
    concurrency: usize,
    pgbench_secs: u32,
    progress: &impl Fn(&str),
) -> anyhow::Result<IntakeReport> {
    let client = client(&platform.settings.http, concurrency);
    let (gateway, drafts) =
        Drafts::on_demo(platform, &client, cases, concurrency, progress).await?;

    progress(&format!(
        "submitting {cases} cases, {concurrency} at a time"
    ));
    let (elapsed, latencies) = drafts.submit(&client, concurrency).await?;
    let submissions = summarise(latencies, elapsed);

    progress("signing in a window clerk of 赫山区");
    let clerk = window_clerk(&platform.settings, &client, &gateway).await?;
    progress(&format!("accepting {cases} cases, {concurrency} at a time"));
    let (elapsed, latencies) = drafts.accept(&client, &clerk, concurrency).await?;
    let acceptances = summarise(latencies, elapsed);

    progress("running pgbench with a two-row insert transaction");
    let pgbench_tps = pgbench(&platform.settings, concurrency, pgbench_secs).await?;
    Ok(IntakeReport {
        cpus: std::thread::available_parallelism().map_or(1, |n| n.get()),
        concurrency,
        ratio: pgbench_tps.map(|tps| submissions.requests_per_second / tps),
        submissions,
        acceptances,
        pgbench_tps,
    })
}

/// Cases ready to submit: drafts of one demo item of 赫山区 by one registered applicant, each
/// with its required materials uploaded (deferrable ones left for 容缺 at acceptance).
pub(super) struct Drafts {
    /// The applicant's access token.
    pub applicant: String,
    /// `…/cases/{id}/submit`, one per draft.
    pub submit_urls: Vec<String>,
    /// The item's deferrable materials.
    pub deferrable: Vec<String>,
}

impl Drafts {
    /// Once every component of `platform` is ready: the demo data loaded, then
    /// [`Drafts::prepare`] through its gateway. Returns the gateway's URL too.
    pub async fn on_demo(
        platform: &Platform,
        client: &HttpClient,
        cases: usize,
        concurrency: usize,
        progress: &impl Fn(&str),
    ) -> anyhow::Result<(String, Self)> {
        wait_ready(client, platform).await?;
        let gateway = platform.gateway_url().context("no gateway")?;
        progress("loading the demo catalogue");
        crate::demo::load(&platform.settings, |_| {}).await?;
        let drafts = Self::prepare(
            &platform.settings,
            client,
            &gateway,
            cases,
            concurrency,
            progress,
        )
        .await?;
        Ok((gateway, drafts))
    }

    /// Registers an applicant and makes `cases` drafts through the gateway, `concurrency` at a
    /// time. The demo catalogue must be loaded.
    pub async fn prepare(
        settings: &Settings,
        client: &HttpClient,
        gateway: &str,
        cases: usize,
        concurrency: usize,
        progress: &impl Fn(&str),
    ) -> anyhow::Result<Self> {
        use futures::StreamExt;

        let (code, required, deferrable) = item(settings).await?;
        progress("registering an applicant");
        let id_number = tongban_kernel::IdCardNumber::complete("43090319900101777")
            .context("a valid ID number")?
            .as_str()
            .to_owned();
        let registration = serde_json::json!({
            "id_type": "resident_id_card", "id_number": id_number, "name": "压测申请人",
            "phone": "13800138000", "password": "bench-applicant-1",
        });
        let request = http::Request::post(format!("{gateway}/api/identity/v1/accounts/citizens"))
            .header("content-type", "application/json")
            .body(Full::new(Bytes::from(registration.to_string())))?;
        let (status, body) = send(client, request).await?;
        anyhow::ensure!(status == 201, "registration answered {status}: {body}");
        let token = sign_in(client, gateway, &id_number, "bench-applicant-1").await?;

        progress(&format!("preparing {cases} drafts with their materials"));
        let prepare = |_: usize| {
            let (token, code, required) = (&token, &code, &required);
            async move {
                let draft = serde_json::json!({ "implementation_code": code });
                let request = http::Request::post(format!("{gateway}/api/acceptance/v1/cases"))
                    .header("content-type", "application/json")
                    .header("authorization", format!("Bearer {token}"))
                    .body(Full::new(Bytes::from(draft.to_string())))?;
                let (status, body) = send(client, request).await?;
                anyhow::ensure!(status == 201, "a draft answered {status}: {body}");
                let id = body["id"].as_str().context("no case id")?.to_owned();
                for material in required {
                    let request = http::Request::put(format!(
                        "{gateway}/api/acceptance/v1/cases/{id}/materials/{material}"
                    ))
                    .header("content-type", "application/pdf")
                    .header("authorization", format!("Bearer {token}"))
                    .body(Full::new(Bytes::from_static(b"%PDF-1.7 bench scan")))?;
                    let (status, body) = send(client, request).await?;
                    anyhow::ensure!(status == 204, "an upload answered {status}: {body}");
                }
                anyhow::Ok(format!("{gateway}/api/acceptance/v1/cases/{id}/submit"))
            }
        };
        let submit_urls = futures::stream::iter(0..cases)
            .map(prepare)
            .buffer_unordered(concurrency)
            .collect::<Vec<_>>()
            .await
            .into_iter()
            .collect::<anyhow::Result<_>>()?;
        Ok(Self {
            applicant: token,
            submit_urls,
            deferrable,
        })
    }

    /// `…/cases/{id}/accept`, one per draft (once submitted).
    pub fn accept_urls(&self) -> Vec<String> {
        self.submit_urls
            .iter()
            .map(|u| u.replace("/submit", "/accept"))
            .collect()
    }

    /// Submits every draft as the applicant, `concurrency` at a time: the wall time and each
    /// request's latency.
    pub async fn submit(
        &self,
        client: &HttpClient,
        concurrency: usize,
    ) -> anyhow::Result<(Duration, Vec<Duration>)> {
        let body = Bytes::from_static(b"{}");
        let urls = &self.submit_urls;
        let token = Some(self.applicant.as_str());
        run(
            client,
            &http::Method::POST,
            urls,
            &body,
            token,
            urls.len(),
            concurrency,
        )
        .await
    }

    /// Accepts every submitted case as `clerk`, taking the deferrable materials as 容缺,
    /// `concurrency` at a time: the wall time and each request's latency.
    pub async fn accept(
        &self,
        client: &HttpClient,
        clerk: &str,
        concurrency: usize,
    ) -> anyhow::Result<(Duration, Vec<Duration>)> {
        let body = acceptance(&self.deferrable);
        let urls = self.accept_urls();
        run(
            client,
            &http::Method::POST,
            &urls,
            &body,
            Some(clerk),
            urls.len(),
            concurrency,
        )
        .await
    }
}

/// An acceptance decision taking `deferrable` materials as 容缺 (they were not uploaded).
pub(super) fn acceptance(deferrable: &[String]) -> Bytes {
    let deferred: Vec<serde_json::Value> = deferrable
        .iter()
        .map(|code| serde_json::json!({ "material_code": code, "within_working_days": 5 }))
        .collect();
    Bytes::from(
        serde_json::json!({ "deferred": deferred, "commitment": "本人承诺五个工作日内补齐" })
            .to_string(),
    )
}

/// An item of 赫山区 in force, once acceptance has learned it from the catalogue's events:
/// (code, required materials, deferrable materials).
async fn item(settings: &Settings) -> anyhow::Result<(String, Vec<String>, Vec<String>)> {
    let pool = tongban_runtime::db::connect(&settings.database, "acceptance").await?;
    let deadline = Instant::now() + Duration::from_secs(60);
    let found = loop {
        let found: Option<(String, serde_json::Value)> = sqlx::query_as(
            "select v.implementation_code, v.materials from offered_items o
             join item_versions v using (implementation_code, version)
             where v.region_code = $1 and v.real_name_level = 1 -- an unverified applicant applies
             order by v.implementation_code limit 1",
        )
        .bind(REGION)
        .fetch_optional(&pool)
        .await?;
        if let Some(found) = found {
            break found;
        }
        anyhow::ensure!(
            Instant::now() < deadline,
            "acceptance did not learn the demo items"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    pool.close().await;
    let (code, materials) = found;
    let (required, deferrable) = split_materials(&materials);
    Ok((code, required, deferrable))
}

/// pgbench on the platform's database: one transaction inserting a case-sized row and an
/// outbox-sized row, at `concurrency` clients for `secs` seconds. `None` when pgbench is not
/// installed.
async fn pgbench(
    settings: &Settings,
    concurrency: usize,
    secs: u32,
) -> anyhow::Result<Option<f64>> {
    let pool = tongban_runtime::db::connect(&settings.database, "bench").await?;
    sqlx::query("create schema if not exists bench")
        .execute(&pool)
        .await?;
    sqlx::query("create table if not exists bench.cases (id uuid primary key, number text, payload jsonb, at timestamptz default now())")
        .execute(&pool)
        .await?;
    sqlx::query("create table if not exists bench.outbox (seq bigserial primary key, id uuid, payload bytea, at timestamptz default now())")
        .execute(&pool)
        .await?;
    pool.close().await;
    let script = tempfile_path("tongban-pgbench.sql");
    std::fs::write(
        &script,
        "begin;\n\
         insert into bench.cases (id, number, payload) values (gen_random_uuid(), md5(random()::text), '{\"form\": \"x\"}');\n\
         insert into bench.outbox (id, payload) values (gen_random_uuid(), decode(md5(random()::text), 'hex'));\n\
         commit;\n",
    )?;
    let output = tokio::process::Command::new("pgbench")
        .args([
            "-n",
            "-c",
            &concurrency.to_string(),
            "-j",
            "2",
            "-T",
            &secs.to_string(),
            "-f",
        ])
        .arg(&script)
        .arg(settings.database_url())
        .output()
        .await;
    let _ = std::fs::remove_file(&script);
    let output = match output {
        Ok(output) => output,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(err) => return Err(err.into()),
    };
    let stdout = String::from_utf8_lossy(&output.stdout);
    anyhow::ensure!(
        output.status.success(),
        "pgbench failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let tps = stdout
        .lines()
        .find(|l| l.starts_with("tps = "))
        .and_then(|l| l["tps = ".len()..].split_whitespace().next())
        .and_then(|n| n.parse::<f64>().ok())
        .context("pgbench printed no tps")?;
    Ok(Some(tps))
}

fn tempfile_path(name: &str) -> std::path::PathBuf {
    std::env::temp_dir().join(format!("{}-{name}", uuid::Uuid::now_v7().simple()))
}

/// The intake report as a table for a terminal.
pub fn table(report: &IntakeReport) -> String {
    let pgbench = match (report.pgbench_tps, report.ratio) {
        (Some(tps), Some(ratio)) => format!(
            "pgbench (two inserts, one transaction): {tps:.0} tps; submissions / pgbench = {ratio:.2}\n"
        ),
        _ => "pgbench not found: no comparison\n".to_owned(),
    };
    let row = |name: &str, m: &Measured| {
        format!(
            "{name:<10} {:>7} {:>9.0} {:>8.2} {:>8.2} {:>8.2}\n",
            m.requests, m.requests_per_second, m.p50_ms, m.p95_ms, m.p99_ms
        )
    };
    format!(
        "cases through the gateway, {} CPUs, concurrency {}\n{:<10} {:>7} {:>9} {:>8} {:>8} {:>8}\n{}{}{pgbench}",
        report.cpus,
        report.concurrency,
        "",
        "cases",
        "cases/s",
        "p50 ms",
        "p95 ms",
        "p99 ms",
        row("submitted", &report.submissions),
        row("accepted", &report.acceptances),
    )
}
