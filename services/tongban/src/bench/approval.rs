//! `tongban bench approval`: how fast the back office's queue answers when the database holds a
//! province's open work — 100,000 work items by default, across two cities, ten counties and
//! fifty departments, due dates spread over two months (a sixth overdue, a tenth paused).
//!
//! The work items are written straight into the approval schema (opening 100,000 cases through
//! acceptance would measure intake, not the queue); the listings are real requests through the
//! gateway by staff with real tokens: a department's approver, a county's supervisor and a
//! city's supervisor. Then the department's approver approves work items at their last step,
//! each sealing an e-certificate: what a decision costs, with its seal, identifier and history.

use serde::Serialize;

use super::{HttpClient, Load, Measured, first_sign_in, identity_admin, run, send, summarise};
use crate::Platform;

/// Ten counties of 益阳市 and 长沙市; department `d` belongs to county `d % 10`.
const COUNTIES: [&str; 10] = [
    "430902000000",
    "430903000000",
    "430921000000",
    "430922000000",
    "430923000000",
    "430981000000",
    "430102000000",
    "430103000000",
    "430104000000",
    "430121000000",
];
const DEPARTMENTS: usize = 50;

#[derive(Debug, Clone, Serialize)]
pub struct ApprovalReport {
    pub cpus: usize,
    pub concurrency: usize,
    /// Open work items in the database during the run.
    pub open_work_items: i64,
    /// A department-bound approver's queue of one county (first page of 50).
    pub department_queue: Measured,
    /// A county supervisor's queue, every department (first page of 50).
    pub county_queue: Measured,
    /// A city supervisor's queue of overdue items (first page of 50).
    pub city_overdue_queue: Measured,
    /// The department's approver approving work items at their last step, each issuing one
    /// sealed e-certificate (`POST …/steps/2/decide`), `concurrency` at a time.
    pub decisions: Measured,
}

/// Runs the benchmark with `work_items` open work items, then `decisions` decisions.
pub async fn approval(
    settings: tongban_runtime::Settings,
    load: Load,
    work_items: usize,
    decisions: usize,
    progress: impl Fn(&str),
) -> anyhow::Result<ApprovalReport> {
    super::on_throwaway(settings, &progress, async |platform| {
        measure(platform, load, work_items, decisions, &progress).await
    })
    .await
}

async fn measure(
    platform: &Platform,
    load: Load,
    work_items: usize,
    decisions: usize,
    progress: &impl Fn(&str),
) -> anyhow::Result<ApprovalReport> {
    let client = super::client(&platform.settings.http, load.concurrency);
    super::wait_ready(&client, platform).await?;
    let gateway = platform.gateway_url().unwrap_or_default();
    let departments: Vec<uuid::Uuid> = (0..DEPARTMENTS).map(|_| uuid::Uuid::now_v7()).collect();

    progress(&format!("writing {work_items} open work items"));
    let pool =
        tongban_runtime::db::connect(&platform.settings.database, tongban_approval::NAME).await?;
    seed(&pool, &departments, work_items).await?;
    let open: i64 = sqlx::query_scalar(
        "select count(*) from work_items where state in ('in_progress', 'paused')",
    )
    .fetch_one(&pool)
    .await?;
    pool.close().await;

    progress("signing in an approver, a county supervisor and a city supervisor");
    let admin = identity_admin(
        &platform.settings,
        &client,
        &gateway,
        "bench.approval.admin",
    )
    .await?;
    let approver = staff(&client, &gateway, &admin, "bench.approver", COUNTIES[1],
        serde_json::json!({ "role": "approver", "region": COUNTIES[1], "department": departments[1] })).await?;
    let county = staff(
        &client,
        &gateway,
        &admin,
        "bench.county",
        COUNTIES[1],
        serde_json::json!({ "role": "supervisor", "region": COUNTIES[1] }),
    )
    .await?;
    let city = staff(
        &client,
        &gateway,
        &admin,
        "bench.city",
        "430900000000",
        serde_json::json!({ "role": "supervisor", "region": "430900000000" }),
    )
    .await?;

    let queue = |region: &str, extra: &str| {
        vec![format!(
            "{gateway}/api/approval/v1/work-items?region_code={region}{extra}"
        )]
    };
    let mut report = Vec::new();
    for (name, token, urls) in [
        ("a department's approver", &approver, queue(COUNTIES[1], "")),
        ("a county supervisor", &county, queue(COUNTIES[1], "")),
        (
            "a city supervisor, overdue",
            &city,
            queue("430900000000", "&overdue=true"),
        ),
    ] {
        progress(&format!("listing the queue of {name}"));
        report.push(measure_urls(&client, load, token, &urls).await?);
    }
    progress(&format!(
        "approving {decisions} work items, each sealing an e-certificate"
    ));
    let decided = decide(
        platform,
        &client,
        load,
        &approver,
        departments[1],
        decisions,
    )
    .await?;
    let mut report = report.into_iter();
    Ok(ApprovalReport {
        cpus: std::thread::available_parallelism().map_or(1, |n| n.get()),
        concurrency: load.concurrency,
        open_work_items: open,
        department_queue: report.next().unwrap_or_else(empty),
        county_queue: report.next().unwrap_or_else(empty),
        city_overdue_queue: report.next().unwrap_or_else(empty),
        decisions: decided,
    })
}

/// The item the decisions are made on: its last step 审核 by an approver, its result an
/// e-certificate (营业执照), its department's credit code a valid one (the certificate's
/// identifier names it).
const DECIDED_ITEM: &str = "4309030000000000000000000000001";
const DECIDED_DEPARTMENT_CREDIT_CODE: &str = "11430900MB0000001R";

/// `count` work items of `department` waiting at their last step, claimed by `approver` (not
/// timed), then approved (timed), `load.concurrency` at a time.
async fn decide(
    platform: &Platform,
    client: &HttpClient,
    load: Load,
    approver: &str,
    department: uuid::Uuid,
    count: usize,
) -> anyhow::Result<Measured> {
    if count == 0 {
        return Ok(empty());
    }
    let pool =
        tongban_runtime::db::connect(&platform.settings.database, tongban_approval::NAME).await?;
    let cases = seed_decisions(&pool, department, count).await?;
    pool.close().await;
    let gateway = platform.gateway_url().unwrap_or_default();
    let urls = |action: &str| -> Vec<String> {
        cases
            .iter()
            .map(|case| format!("{gateway}/api/approval/v1/work-items/{case}/steps/2/{action}"))
            .collect()
    };
    let post = http::Method::POST;
    let claims = urls("claim");
    let body = axum::body::Bytes::from_static(b"{}");
    run(
        client,
        &post,
        &claims,
        &body,
        Some(approver),
        count,
        load.concurrency,
    )
    .await?;
    let decisions = urls("decide");
    let body = axum::body::Bytes::from(
        serde_json::json!({ "decision": "approve", "opinion": "符合条件，予以批准。" }).to_string(),
    );
    let (took, latencies) = run(
        client,
        &post,
        &decisions,
        &body,
        Some(approver),
        count,
        load.concurrency,
    )
    .await?;
    Ok(summarise(latencies, took))
}

/// Writes `count` work items of `department` in county 1 at their last step (审核, open), of an
/// item issuing one e-certificate; their case ids.
async fn seed_decisions(
    pool: &sqlx::PgPool,
    department: uuid::Uuid,
    count: usize,
) -> anyhow::Result<Vec<uuid::Uuid>> {
    let county = COUNTIES[1];
    sqlx::query(
        "insert into department_directory (department_id, region_code, name, credit_code, registered_at)
         values ($1, $2, '压测市场监督管理局', $3, now()) on conflict do nothing",
    )
    .bind(department)
    .bind(county)
    .bind(DECIDED_DEPARTMENT_CREDIT_CODE)
    .execute(pool)
    .await?;
    sqlx::query(
        r#"insert into item_versions (implementation_code, version, name, department_id,
             department_credit_code, region_code, kind, promised_value, promised_unit, steps,
             results, published_at)
         values ($1, 1, '压测发证事项', $2, $3, $4, 'promised', 20, 'working_days',
             '[{"name": "受理", "role": "window_clerk", "time_limit": {"value": 1, "unit": "working_days"}},
               {"name": "审核", "role": "approver", "time_limit": {"value": 5, "unit": "working_days"}}]',
             '[{"name": "营业执照", "kind": "licence", "e_certificate": true}]', now())"#,
    )
    .bind(DECIDED_ITEM)
    .bind(department)
    .bind(DECIDED_DEPARTMENT_CREDIT_CODE)
    .bind(county)
    .execute(pool)
    .await?;
    let cases: Vec<uuid::Uuid> = sqlx::query_scalar(
        "insert into work_items (case_id, case_number, kind, implementation_code, item_version,
             handling_region, receiving_region, applicant_kind, accepted_at, accepted_on, item_name,
             department_id, department_credit_code, limit_value, limit_unit, due_date, warn_on,
             state, current_step)
         select gen_random_uuid(), 'D' || lpad(n::text, 42, '0'), 'item', $1, 1, $2, $2, 'citizen',
             now(), current_date - 3, '压测发证事项', $3, $4, 20, 'working_days',
             current_date + 30, current_date + 28, 'in_progress', 2
         from generate_series(1, $5) as n
         returning case_id",
    )
    .bind(DECIDED_ITEM)
    .bind(county)
    .bind(department)
    .bind(DECIDED_DEPARTMENT_CREDIT_CODE)
    .bind(count as i64)
    .fetch_all(pool)
    .await?;
    two_steps(pool, Some(DECIDED_ITEM)).await?;
    Ok(cases)
}

/// An empty measurement, for a report's request that was not made.
pub(super) fn empty() -> Measured {
    summarise(Vec::new(), std::time::Duration::from_secs(1))
}

/// `load.rounds` rounds of `load.requests` GETs of `urls` in turn as `token`, `load.concurrency`
/// at a time.
pub(super) async fn measure_urls(
    client: &HttpClient,
    load: Load,
    token: &str,
    urls: &[String],
) -> anyhow::Result<Measured> {
    let mut latencies = Vec::new();
    let mut elapsed = std::time::Duration::ZERO;
    for _ in 0..load.rounds.max(1) {
        let (took, round) = run(
            client,
            &http::Method::GET,
            urls,
            &axum::body::Bytes::new(),
            Some(token),
            load.requests,
            load.concurrency,
        )
        .await?;
        elapsed += took;
        latencies.extend(round);
    }
    Ok(summarise(latencies, elapsed))
}

/// Writes `count` open work items (and their two steps each) in one statement each.
pub(super) async fn seed(
    pool: &sqlx::PgPool,
    departments: &[uuid::Uuid],
    count: usize,
) -> anyhow::Result<()> {
    let counties: Vec<&str> = COUNTIES.to_vec();
    // Due dates from 10 days ago to 50 days ahead; every tenth paused.
    sqlx::query(
        "insert into work_items (case_id, case_number, kind, implementation_code, item_version,
             handling_region, receiving_region, applicant_kind, accepted_at, accepted_on, item_name,
             department_id, department_credit_code, limit_value, limit_unit, due_date, warn_on,
             state, current_step)
         select gen_random_uuid(), lpad(n::text, 43, '0'), 'item', lpad((n % 50)::text, 31, '0'), 1,
             $2[1 + (n % 50) % 10], $2[1 + (n % 50) % 10], 'citizen', now(), current_date - 20,
             '压测事项', $1[1 + n % 50], 'bench', 20, 'working_days',
             current_date - 10 + (n % 60)::int, current_date - 12 + (n % 60)::int,
             case when n % 10 = 0 then 'paused' else 'in_progress' end, 2
         from generate_series(1, $3) as n",
    )
    .bind(departments)
    .bind(&counties)
    .bind(count as i64)
    .execute(pool)
    .await?;
    two_steps(pool, None).await?;
    sqlx::query("analyze work_items").execute(pool).await?;
    sqlx::query("analyze work_item_steps").execute(pool).await?;
    Ok(())
}

/// Gives the work items of `item` (every work item when `None`) their two steps: 受理 done,
/// 审核 open.
async fn two_steps(pool: &sqlx::PgPool, item: Option<&str>) -> anyhow::Result<()> {
    sqlx::query(
        "insert into work_item_steps (case_id, position, name, role, limit_value, limit_unit, state)
         select case_id, s.position, s.name, s.role, 5, 'working_days', s.state
         from work_items,
              (values (1, '受理', 'window_clerk', 'done'), (2, '审核', 'approver', 'open')) as s(position, name, role, state)
         where $1::text is null or implementation_code = $1",
    )
    .bind(item)
    .execute(pool)
    .await?;
    Ok(())
}

/// A staff member made through the API by `admin`, with one role binding; returns a token.
pub(super) async fn staff(
    client: &HttpClient,
    gateway: &str,
    admin: &str,
    username: &str,
    region: &str,
    binding: serde_json::Value,
) -> anyhow::Result<String> {
    let post = |path: &str, body: serde_json::Value| {
        http::Request::post(format!("{gateway}{path}"))
            .header("content-type", "application/json")
            .header("authorization", format!("Bearer {admin}"))
            .body(http_body_util::Full::new(axum::body::Bytes::from(
                body.to_string(),
            )))
    };
    let password = format!("{username}-password");
    let account = serde_json::json!({ "username": username, "name": "压测", "region_code": region, "password": password });
    let (status, body) = send(client, post("/api/identity/v1/accounts/staff", account)?).await?;
    anyhow::ensure!(
        status == 201,
        "creating {username} answered {status}: {body}"
    );
    let id = body["id"].as_str().unwrap_or_default().to_owned();
    let (status, body) = send(
        client,
        post(&format!("/api/identity/v1/accounts/{id}/roles"), binding)?,
    )
    .await?;
    anyhow::ensure!(
        status == 201,
        "granting {username} its role answered {status}: {body}"
    );
    first_sign_in(client, gateway, username, &password).await
}

/// The report as a table for a terminal.
pub fn table(report: &ApprovalReport) -> String {
    format!(
        "approval queue through the gateway, {} CPUs, concurrency {}, {} open work items\n{:<28} {:>9} {:>12} {:>9} {:>9}\n{}{}{}{}",
        report.cpus,
        report.concurrency,
        report.open_work_items,
        "",
        "requests",
        "requests/s",
        "p50 ms",
        "p99 ms",
        super::row_wide("department approver", &report.department_queue),
        super::row_wide("county supervisor", &report.county_queue),
        super::row_wide("city supervisor, overdue", &report.city_overdue_queue),
        super::row_wide("decisions, 1 certificate", &report.decisions),
    )
}
