//! `tongban bench handover`: how long a cross-region hand-over takes — from the moment 赫山区's
//! window accepts a case that 长沙县 decides (异地代收代办) to the moment the work item stands
//! in 长沙县's queue — while the window accepts cases as fast as it can.
//!
//! A 通办 agreement lets 赫山区 collect a promised item of 长沙县 (signed through the API by a
//! province-wide catalogue administrator). The cases are real: taken in through the gateway by
//! a window clerk, materials uploaded,
//! submitted, then accepted `concurrency` at a time. The path measured is the platform's own:
//! acceptance's transaction with its outbox row, the relay, the broker, approval's consumer
//! opening the work item. Each latency is read from the database afterwards — the case's
//! acceptance instant (`acceptance.cases.decided_at`) to its work item's `opened` history
//! entry (`approval.work_item_history.at`) — so watching does not slow what is watched.

use std::time::{Duration, Instant};

use anyhow::Context as _;
use axum::body::Bytes;
use http_body_util::Full;
use serde::Serialize;

use super::{HttpClient, Measured, run, send, summarise};
use crate::Platform;

const HESHAN: &str = "430903000000";
const CHANGSHA_COUNTY: &str = "430121000000";

#[derive(Debug, Clone, Serialize)]
pub struct HandoverReport {
    pub cpus: usize,
    pub concurrency: usize,
    /// The acceptances at 赫山区's window (requests through the gateway).
    pub acceptances: Measured,
    /// Hand-overs measured: every accepted case's work item in 长沙县's queue.
    pub handovers: usize,
    pub handover_p50_ms: f64,
    pub handover_p95_ms: f64,
    pub handover_p99_ms: f64,
    pub handover_max_ms: f64,
    /// Transfers the crossregion service opened for the cases (one each).
    pub transfers: i64,
}

/// Runs the benchmark over `cases` cases accepted `concurrency` at a time.
pub async fn handover(
    mut settings: tongban_runtime::Settings,
    cases: usize,
    concurrency: usize,
    progress: impl Fn(&str),
) -> anyhow::Result<HandoverReport> {
    let database = super::throwaway(&mut settings)?;
    progress("starting the platform on a throwaway database");
    let mut platform = Platform::start(settings, &crate::COMPONENTS).await?;
    let result = measure(&platform, cases, concurrency, &progress).await;
    platform.stop().await?;
    super::drop_database(&platform.settings, &database).await;
    result
}

/// A promised demo item of 长沙县, once acceptance and approval both know it: (code, required
/// materials, deferrable materials).
async fn item(pool: &sqlx::PgPool) -> anyhow::Result<(String, Vec<String>, Vec<String>)> {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let found: Option<(String, serde_json::Value)> = sqlx::query_as(
            "select v.implementation_code, v.materials
             from acceptance.offered_items o
             join acceptance.item_versions v using (implementation_code, version)
             join approval.item_versions a using (implementation_code, version)
             where v.region_code = $1 and v.kind = 'promised'
             order by v.implementation_code limit 1",
        )
        .bind(CHANGSHA_COUNTY)
        .fetch_optional(pool)
        .await?;
        if let Some((code, materials)) = found {
            let with = |necessity: &str| -> Vec<String> {
                materials
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter(|m| m["necessity"] == necessity)
                    .filter_map(|m| m["code"].as_str().map(str::to_owned))
                    .collect()
            };
            return Ok((code, with("required"), with("deferrable")));
        }
        anyhow::ensure!(
            Instant::now() < deadline,
            "acceptance and approval did not learn a promised item of 长沙县"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

async fn measure(
    platform: &Platform,
    cases: usize,
    concurrency: usize,
    progress: &impl Fn(&str),
) -> anyhow::Result<HandoverReport> {
    use futures::StreamExt;

    let client: HttpClient =
        hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
            .pool_max_idle_per_host(concurrency)
            .build_http();
    super::wait_ready(&client, platform).await?;
    let gateway = platform.gateway_url().context("no gateway")?;
    progress("loading the demo catalogue");
    crate::demo::load(&platform.settings, |_| {}).await?;
    // One pool reading across the services' schemas (they share the database).
    let pool = tongban_runtime::db::connect(&platform.settings.database, "public").await?;
    let (code, required, deferrable) = item(&pool).await?;

    progress("concluding a 通办 agreement: 赫山区 collects the item for 长沙县");
    let admin = super::identity_admin(platform, &client, &gateway, "bench.handover.admin").await?;
    let catalogue_admin = super::approval::staff(
        &client,
        &gateway,
        &admin,
        "bench.agreements",
        "430000000000",
        serde_json::json!({ "role": "catalogue_admin", "region": "430000000000" }),
    )
    .await?;
    let today = tongban_runtime::clock::local_date(chrono::Utc::now());
    let agreement = serde_json::json!({
        "title": "压测：长沙县事项赫山区代收", "mode": "collect_elsewhere", "items": [code],
        "collecting_regions": [HESHAN], "effective_from": today,
    });
    let request = http::Request::post(format!("{gateway}/api/crossregion/v1/agreements"))
        .header("content-type", "application/json")
        .header("authorization", format!("Bearer {catalogue_admin}"))
        .body(Full::new(Bytes::from(agreement.to_string())))?;
    let (status, body) = send(&client, request).await?;
    anyhow::ensure!(
        status == 201 && body["status"] == "in_force",
        "the agreement answered {status}: {body}"
    );
    let deadline = Instant::now() + Duration::from_secs(60);
    while sqlx::query_scalar::<_, i64>("select count(*) from acceptance.agreements")
        .fetch_one(&pool)
        .await?
        == 0
    {
        anyhow::ensure!(
            Instant::now() < deadline,
            "acceptance did not learn the agreement"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    progress("signing in a window clerk of 赫山区");
    let clerk = super::window_clerk(platform, &client, &gateway).await?;

    progress(&format!(
        "taking {cases} cases in at 赫山区's window with their materials"
    ));
    let prepare = |n: usize| {
        let (client, gateway, clerk, code, required) =
            (&client, &gateway, &clerk, &code, &required);
        async move {
            let document =
                tongban_kernel::IdCardNumber::complete(&format!("43090319900101{:03}", n % 1_000))
                    .context("a valid ID number")?;
            let intake = serde_json::json!({
                "implementation_code": code, "receiving_region": HESHAN,
                "applicant": { "kind": "citizen", "name": "压测申请人", "id_type": "resident_id_card",
                               "document_number": document.as_str() },
            });
            let post = |path: String, body: String| {
                http::Request::post(format!("{gateway}{path}"))
                    .header("content-type", "application/json")
                    .header("authorization", format!("Bearer {clerk}"))
                    .body(Full::new(Bytes::from(body)))
            };
            let (status, body) = send(
                client,
                post("/api/acceptance/v1/cases/intake".into(), intake.to_string())?,
            )
            .await?;
            anyhow::ensure!(status == 201, "an intake answered {status}: {body}");
            anyhow::ensure!(
                body["mode"] == "collect_elsewhere",
                "the case is not transferred: {body}"
            );
            let id = body["id"].as_str().context("no case id")?.to_owned();
            for material in required {
                let request = http::Request::put(format!(
                    "{gateway}/api/acceptance/v1/cases/{id}/materials/{material}"
                ))
                .header("content-type", "application/pdf")
                .header("authorization", format!("Bearer {clerk}"))
                .body(Full::new(Bytes::from_static(b"%PDF-1.7 bench scan")))?;
                let (status, body) = send(client, request).await?;
                anyhow::ensure!(status == 204, "an upload answered {status}: {body}");
            }
            let (status, body) = send(
                client,
                post(format!("/api/acceptance/v1/cases/{id}/submit"), "{}".into())?,
            )
            .await?;
            anyhow::ensure!(status == 200, "a submission answered {status}: {body}");
            anyhow::Ok(format!("{gateway}/api/acceptance/v1/cases/{id}/accept"))
        }
    };
    let urls: Vec<String> = futures::stream::iter(0..cases)
        .map(prepare)
        .buffer_unordered(concurrency)
        .collect::<Vec<_>>()
        .await
        .into_iter()
        .collect::<anyhow::Result<_>>()?;

    // Deferrable materials were not uploaded: each acceptance takes them as 容缺.
    let deferred: Vec<serde_json::Value> = deferrable
        .iter()
        .map(|code| serde_json::json!({ "material_code": code, "within_working_days": 5 }))
        .collect();
    let acceptance = Bytes::from(
        serde_json::json!({ "deferred": deferred, "commitment": "本人承诺五个工作日内补齐" })
            .to_string(),
    );
    progress(&format!(
        "accepting {cases} cases, {concurrency} at a time; each goes to 长沙县"
    ));
    let (elapsed, latencies) = run(
        &client,
        &http::Method::POST,
        &urls,
        &acceptance,
        Some(&clerk),
        cases,
        concurrency,
    )
    .await?;
    let acceptances = summarise(latencies, elapsed);

    progress("waiting for every work item to reach 长沙县's queue and every transfer to open");
    let deadline = Instant::now() + Duration::from_secs(120);
    let transfers = loop {
        let (opened, transfers): (i64, i64) = sqlx::query_as(
            "select (select count(*) from approval.work_items
                     where handling_region = $1 and transfer_round > 0 and state = 'in_progress'),
                    (select count(*) from crossregion.transfers
                     where receiving_region = $2 and handling_region = $1)",
        )
        .bind(CHANGSHA_COUNTY)
        .bind(HESHAN)
        .fetch_one(&pool)
        .await?;
        if opened as usize >= cases && transfers as usize >= cases {
            break transfers;
        }
        anyhow::ensure!(
            Instant::now() < deadline,
            "in two minutes only {opened} of {cases} work items reached 长沙县's queue and {transfers} transfers opened"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let mut handovers: Vec<f64> = sqlx::query_scalar(
        "select (extract(epoch from (h.at - c.decided_at)) * 1000)::float8
         from acceptance.cases c
         join approval.work_item_history h on h.case_id = c.id and h.action = 'opened'
         where c.mode = 'collect_elsewhere' and c.status = 'accepted'",
    )
    .fetch_all(&pool)
    .await?;
    anyhow::ensure!(
        handovers.len() == cases,
        "{} hand-overs measured for {cases} cases",
        handovers.len()
    );
    handovers.sort_by(f64::total_cmp);
    let at = |q: f64| {
        let index = ((handovers.len() as f64 * q).ceil() as usize).saturating_sub(1);
        handovers.get(index).copied().unwrap_or(0.0)
    };
    pool.close().await;
    Ok(HandoverReport {
        cpus: std::thread::available_parallelism().map_or(1, |n| n.get()),
        concurrency,
        acceptances,
        handovers: handovers.len(),
        handover_p50_ms: at(0.50),
        handover_p95_ms: at(0.95),
        handover_p99_ms: at(0.99),
        handover_max_ms: handovers.last().copied().unwrap_or(0.0),
        transfers,
    })
}

/// The report as lines for a terminal.
pub fn table(report: &HandoverReport) -> String {
    let a = &report.acceptances;
    format!(
        "cross-region hand-over 赫山区 → 长沙县, {} CPUs, concurrency {}\n\
         acceptances at 赫山区's window   {:>6} at {:>7.0}/s   p50 {:>7.2} ms   p99 {:>7.2} ms\n\
         acceptance → 长沙县's queue      {:>6} cases        p50 {:>7.2} ms   p99 {:>7.2} ms   (p95 {:.2}, max {:.2} ms; {} transfers)\n",
        report.cpus,
        report.concurrency,
        a.requests,
        a.requests_per_second,
        a.p50_ms,
        a.p99_ms,
        report.handovers,
        report.handover_p50_ms,
        report.handover_p99_ms,
        report.handover_p95_ms,
        report.handover_max_ms,
        report.transfers,
    )
}
