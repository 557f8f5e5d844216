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

use super::{Measured, run, send, summarise};
use crate::Platform;

const HESHAN: &str = "430903000000";
const CHANGSHA_COUNTY: &str = "430121000000";

/// One way of loading the window, and what the hand-overs took meanwhile.
#[derive(Debug, Clone, Serialize)]
pub struct Phase {
    /// Acceptances offered per second (paced, whatever the answers take), or none when the
    /// window accepts `concurrency` at a time as fast as it is answered (flat out).
    pub offered_per_second: Option<f64>,
    /// The acceptances at 赫山区's window (requests through the gateway).
    pub acceptances: Measured,
    /// Hand-overs measured: every accepted case's work item in 长沙县's queue.
    pub handovers: usize,
    pub handover_p50_ms: f64,
    pub handover_p95_ms: f64,
    pub handover_p99_ms: f64,
    pub handover_max_ms: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct HandoverReport {
    pub cpus: usize,
    pub concurrency: usize,
    /// A steady stream of acceptances, as busy halls make.
    pub paced: Phase,
    /// As many acceptances as the platform answers: the hand-overs queue behind them.
    pub flat_out: Phase,
    /// Transfers the crossregion service opened for the cases (one each).
    pub transfers: i64,
}

/// Runs the benchmark: `cases` cases accepted at `rate` per second, then `cases` more accepted
/// `concurrency` at a time as fast as the platform answers.
pub async fn handover(
    settings: tongban_runtime::Settings,
    cases: usize,
    rate: f64,
    concurrency: usize,
    progress: impl Fn(&str),
) -> anyhow::Result<HandoverReport> {
    anyhow::ensure!(rate > 0.0, "the rate must be positive");
    super::on_throwaway(settings, &progress, async |platform| {
        measure(platform, cases, rate, concurrency, &progress).await
    })
    .await
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
            let (required, deferrable) = super::split_materials(&materials);
            return Ok((code, required, deferrable));
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
    rate: f64,
    concurrency: usize,
    progress: &impl Fn(&str),
) -> anyhow::Result<HandoverReport> {
    use futures::StreamExt;

    let client = super::client(&platform.settings.http, concurrency);
    super::wait_ready(&client, platform).await?;
    let gateway = platform.gateway_url().context("no gateway")?;
    progress("loading the demo catalogue");
    crate::demo::load(&platform.settings, |_| {}).await?;
    // One pool reading across the services' schemas (they share the database).
    let pool = tongban_runtime::db::connect(&platform.settings.database, "public").await?;
    let (code, required, deferrable) = item(&pool).await?;

    progress("concluding a 通办 agreement: 赫山区 collects the item for 长沙县");
    let admin = super::identity_admin(
        &platform.settings,
        &client,
        &gateway,
        "bench.handover.admin",
    )
    .await?;
    let catalogue_admin = super::approval::staff(
        &client,
        &gateway,
        &admin,
        "bench.agreements",
        "430000000000",
        serde_json::json!({ "role": "catalogue_admin", "region": "430000000000" }),
    )
    .await?;
    let today = tongban_kernel::Clock::system().today();
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
    let clerk = super::window_clerk(&platform.settings, &client, &gateway).await?;

    progress(&format!(
        "taking {} cases in at 赫山区's window with their materials",
        2 * cases
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
    let urls: Vec<String> = futures::stream::iter(0..2 * cases)
        .map(prepare)
        .buffer_unordered(concurrency)
        .collect::<Vec<_>>()
        .await
        .into_iter()
        .collect::<anyhow::Result<_>>()?;

    // Deferrable materials were not uploaded: each acceptance takes them as 容缺.
    let acceptance = super::intake::acceptance(&deferrable);
    let (paced, flat_out) = urls.split_at(cases);

    progress(&format!(
        "accepting {cases} cases at {rate} per second; each goes to 长沙县"
    ));
    let acceptances = super::paced(&client, paced, &acceptance, &clerk, rate).await?;
    let paced = phase(&pool, paced, Some(rate), acceptances, progress).await?;

    progress(&format!(
        "accepting {cases} cases, {concurrency} at a time as fast as they are answered"
    ));
    let (elapsed, latencies) = run(
        &client,
        &http::Method::POST,
        flat_out,
        &acceptance,
        Some(&clerk),
        cases,
        concurrency,
    )
    .await?;
    let flat_out = phase(
        &pool,
        flat_out,
        None,
        summarise(latencies, elapsed),
        progress,
    )
    .await?;
    let transfers: i64 = sqlx::query_scalar(
        "select count(*) from crossregion.transfers where receiving_region = $1 and handling_region = $2",
    )
    .bind(HESHAN)
    .bind(CHANGSHA_COUNTY)
    .fetch_one(&pool)
    .await?;
    pool.close().await;
    Ok(HandoverReport {
        cpus: std::thread::available_parallelism().map_or(1, |n| n.get()),
        concurrency,
        paced,
        flat_out,
        transfers,
    })
}

/// Waits until the cases accepted at `urls` all stand in 长沙县's queue with their transfers
/// open, and reads each hand-over's latency from the database.
async fn phase(
    pool: &sqlx::PgPool,
    urls: &[String],
    offered_per_second: Option<f64>,
    acceptances: Measured,
    progress: &impl Fn(&str),
) -> anyhow::Result<Phase> {
    let ids: Vec<uuid::Uuid> = urls
        .iter()
        .map(|u| {
            let id = u.rsplit('/').nth(1).unwrap_or_default();
            uuid::Uuid::parse_str(id).context("a case id in the acceptance URL")
        })
        .collect::<anyhow::Result<_>>()?;
    progress("waiting for every work item to reach 长沙县's queue and every transfer to open");
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let (opened, transfers): (i64, i64) = sqlx::query_as(
            "select (select count(*) from approval.work_items
                     where case_id = any($1) and state = 'in_progress'),
                    (select count(*) from crossregion.transfers where case_id = any($1))",
        )
        .bind(&ids)
        .fetch_one(pool)
        .await?;
        if opened as usize >= ids.len() && transfers as usize >= ids.len() {
            break;
        }
        anyhow::ensure!(
            Instant::now() < deadline,
            "in two minutes only {opened} of {} work items reached 长沙县's queue and {transfers} transfers opened",
            ids.len()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let handovers: Vec<f64> = sqlx::query_scalar(
        "select (extract(epoch from (h.at - c.decided_at)) * 1000)::float8
         from acceptance.cases c
         join approval.work_item_history h on h.case_id = c.id and h.action = 'opened'
         where c.id = any($1)",
    )
    .bind(&ids)
    .fetch_all(pool)
    .await?;
    anyhow::ensure!(
        handovers.len() == ids.len(),
        "{} hand-overs measured for {} cases",
        handovers.len(),
        ids.len()
    );
    let measured = handovers.len();
    let [p50, p95, p99, max] = super::percentiles(handovers);
    Ok(Phase {
        offered_per_second,
        acceptances,
        handovers: measured,
        handover_p50_ms: p50,
        handover_p95_ms: p95,
        handover_p99_ms: p99,
        handover_max_ms: max,
    })
}

/// The report as lines for a terminal.
pub fn table(report: &HandoverReport) -> String {
    let line = |name: String, p: &Phase| {
        let a = &p.acceptances;
        format!(
            "{name:<28} {:>6} {:>8.0} {:>9.2} {:>9.2} │ {:>9.2} {:>9.2} {:>9.2} {:>9.2}\n",
            a.requests,
            a.requests_per_second,
            a.p50_ms,
            a.p99_ms,
            p.handover_p50_ms,
            p.handover_p95_ms,
            p.handover_p99_ms,
            p.handover_max_ms,
        )
    };
    format!(
        "cross-region hand-over 赫山区 → 长沙县, {} CPUs; {} transfers opened\n\
         {:<28} {:>6} {:>8} {:>9} {:>9} │ {:>9} {:>9} {:>9} {:>9}\n{}{}",
        report.cpus,
        report.transfers,
        "acceptances",
        "cases",
        "per s",
        "p50 ms",
        "p99 ms",
        "hand-over",
        "p95 ms",
        "p99 ms",
        "max ms",
        line(
            format!(
                "paced, {:.0}/s offered",
                report.paced.offered_per_second.unwrap_or_default()
            ),
            &report.paced
        ),
        line(
            format!("flat out, {} at a time", report.concurrency),
            &report.flat_out
        ),
    )
}
