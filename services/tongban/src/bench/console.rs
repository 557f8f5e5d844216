//! `tongban bench console`: how fast the staff console's pages answer with a county hall's
//! staff working at once over a province's cases — 200,000 cases by default (written as
//! `tongban bench hall` writes them) and 20,000 open work items (as `tongban bench approval`
//! writes them).
//!
//! Each of the 32 staff — 16 window clerks, 8 approvers, 8 supervisors of 赫山区 by default —
//! is made through the API and signs in through the console's own form, as a browser would;
//! then all of them ask for the pages their role opens, in turn, at once: every page is a real
//! request through the gateway with the session's cookie, answered by the console calling the
//! services with the person's token. Each answer must be 200 and HTML.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::Bytes;
use http_body_util::{BodyExt, Full};
use serde::Serialize;

use super::approval::staff;
use super::{HttpClient, Measured, identity_admin, summarise};
use crate::Platform;

/// The county whose hall works: 赫山区, county 1 of both seeds.
const COUNTY: &str = "430903000000";

#[derive(Debug, Clone, Serialize)]
pub struct ConsoleReport {
    pub cpus: usize,
    /// Staff signed in and asking at once.
    pub staff: usize,
    pub cases: i64,
    pub open_work_items: i64,
    /// Every page together.
    pub all_pages: Measured,
    /// Each page by its name, with the service calls it makes.
    pub pages: BTreeMap<&'static str, PageNumbers>,
}

#[derive(Debug, Clone, Serialize)]
pub struct PageNumbers {
    pub calls: u32,
    #[serde(flatten)]
    pub measured: Measured,
}

/// A page a role opens: its name, the calls it makes, its address.
struct Page {
    name: &'static str,
    calls: u32,
    path: String,
}

/// How many staff of each role, and how many pages each asks for.
#[derive(Debug, Clone, Copy)]
pub struct Shape {
    pub clerks: usize,
    pub approvers: usize,
    pub supervisors: usize,
    pub pages_each: usize,
}

/// Runs the benchmark over `cases` cases and `work_items` open work items.
pub async fn console(
    settings: tongban_runtime::Settings,
    shape: Shape,
    cases: usize,
    work_items: usize,
    progress: impl Fn(&str),
) -> anyhow::Result<ConsoleReport> {
    super::on_throwaway(settings, &progress, async |platform| {
        measure(platform, shape, cases, work_items, &progress).await
    })
    .await
}

async fn measure(
    platform: &Platform,
    shape: Shape,
    cases: usize,
    work_items: usize,
    progress: &impl Fn(&str),
) -> anyhow::Result<ConsoleReport> {
    let people = shape.clerks + shape.approvers + shape.supervisors;
    let client = super::client(&platform.settings.http, people);
    super::wait_ready(&client, platform).await?;
    let gateway = platform.gateway_url().unwrap_or_default();

    progress(&format!(
        "writing {cases} cases and {work_items} open work items"
    ));
    let (written, open, case_ids, work_ids) = seed(platform, cases, work_items).await?;

    progress(&format!(
        "making {people} staff and signing them in to the console"
    ));
    let admin =
        identity_admin(&platform.settings, &client, &gateway, "bench.console.admin").await?;
    let roles = [
        ("clerk", "window_clerk", shape.clerks),
        ("approver", "approver", shape.approvers),
        ("supervisor", "supervisor", shape.supervisors),
    ];
    let mut sessions = Vec::new();
    for (name, role, count) in roles {
        for n in 0..count {
            let username = format!("bench.console.{name}{n}");
            let binding = serde_json::json!({ "role": role, "region": COUNTY });
            staff(&client, &gateway, &admin, &username, COUNTY, binding).await?;
            let password = format!("{username}-password-own");
            let cookie = signed_in(&client, &gateway, &username, &password).await?;
            sessions.push((cookie, pages(role, &case_ids, &work_ids)));
        }
    }

    progress(&format!(
        "{people} staff asking for {} pages each, at once",
        shape.pages_each
    ));
    let started = Instant::now();
    let workers = sessions
        .into_iter()
        .enumerate()
        .map(|(k, (cookie, pages))| {
            let client = client.clone();
            let gateway = gateway.clone();
            async move {
                let mut timed = Vec::with_capacity(shape.pages_each);
                for i in 0..shape.pages_each {
                    let page = &pages[(i + k) % pages.len()];
                    let took = get_page(&client, &gateway, &cookie, &page.path).await?;
                    timed.push((page.name, page.calls, took));
                }
                anyhow::Ok(timed)
            }
        });
    let mut by_page: BTreeMap<&'static str, (u32, Vec<Duration>)> = BTreeMap::new();
    let mut all = Vec::new();
    for timed in futures::future::join_all(workers).await {
        for (name, calls, took) in timed? {
            by_page
                .entry(name)
                .or_insert((calls, Vec::new()))
                .1
                .push(took);
            all.push(took);
        }
    }
    let elapsed = started.elapsed();
    Ok(ConsoleReport {
        cpus: std::thread::available_parallelism().map_or(1, |n| n.get()),
        staff: people,
        cases: written,
        open_work_items: open,
        all_pages: summarise(all, elapsed),
        pages: by_page
            .into_iter()
            .map(|(name, (calls, latencies))| {
                let measured = summarise(latencies, elapsed);
                (name, PageNumbers { calls, measured })
            })
            .collect(),
    })
}

/// The cases and work items, written as the hall and approval benchmarks write them; a few of
/// each in the county, for the pages that show one.
async fn seed(
    platform: &Platform,
    cases: usize,
    work_items: usize,
) -> anyhow::Result<(i64, i64, Vec<uuid::Uuid>, Vec<uuid::Uuid>)> {
    let settings = &platform.settings;
    let departments: Vec<uuid::Uuid> = (0..50).map(|_| uuid::Uuid::now_v7()).collect();
    let acceptance =
        tongban_runtime::db::connect(&settings.database, tongban_acceptance::NAME).await?;
    let identities = tongban_acceptance::case::applicant::Identities::load(
        &acceptance,
        settings.secrets.vault()?,
        &settings.http,
    )
    .await?;
    super::hall::seed(&acceptance, &identities, &departments, cases).await?;
    let written: i64 = sqlx::query_scalar("select count(*) from cases")
        .fetch_one(&acceptance)
        .await?;
    let case_ids: Vec<uuid::Uuid> = sqlx::query_scalar(
        "select id from cases where receiving_region = $1 and status = 'accepted' limit 50",
    )
    .bind(COUNTY)
    .fetch_all(&acceptance)
    .await?;
    acceptance.close().await;

    let approval = tongban_runtime::db::connect(&settings.database, tongban_approval::NAME).await?;
    super::approval::seed(&approval, &departments, work_items).await?;
    let open: i64 = sqlx::query_scalar(
        "select count(*) from work_items where state in ('in_progress', 'paused')",
    )
    .fetch_one(&approval)
    .await?;
    let work_ids: Vec<uuid::Uuid> = sqlx::query_scalar(
        "select case_id from work_items where handling_region = $1 and state = 'in_progress'
         limit 50",
    )
    .bind(COUNTY)
    .fetch_all(&approval)
    .await?;
    approval.close().await;
    anyhow::ensure!(
        !case_ids.is_empty() && !work_ids.is_empty(),
        "the seeds wrote no case or work item in {COUNTY}"
    );
    Ok((written, open, case_ids, work_ids))
}

/// The pages `role` opens in a day, in turn, with the service calls each makes
/// (docs/console.md).
fn pages(role: &str, cases: &[uuid::Uuid], work: &[uuid::Uuid]) -> Arc<Vec<Page>> {
    let page = |name, calls, path: String| Page { name, calls, path };
    let mut pages = vec![page("home", 4, "/console/".to_owned())];
    for (k, case) in cases.iter().take(5).enumerate() {
        match role {
            "window_clerk" => {
                pages.push(page(
                    "inbox list",
                    2,
                    "/console/inbox/awaiting_review".into(),
                ));
                pages.push(page("case", 2, format!("/console/cases/{case}")));
                pages.push(page(
                    "search by name",
                    1,
                    "/console/cases?name=%E5%BC%A0".into(),
                ));
            }
            "approver" => {
                pages.push(page("queue", 1, "/console/queue".into()));
                pages.push(page(
                    "work item",
                    2,
                    format!("/console/work/{}", work[k % work.len()]),
                ));
                pages.push(page("case", 2, format!("/console/cases/{case}")));
            }
            _ => {
                pages.push(page("oversight", 5, "/console/oversight".into()));
                pages.push(page("queue, overdue", 1, "/console/queue?overdue=1".into()));
                pages.push(page("desk", 1, "/console/transfers".into()));
            }
        }
    }
    Arc::new(pages)
}

/// Signs `username` in through the console's form (the pre-session cookie repeated in the
/// form); returns the session's cookie.
async fn signed_in(
    client: &HttpClient,
    gateway: &str,
    username: &str,
    password: &str,
) -> anyhow::Result<String> {
    let request =
        http::Request::get(format!("{gateway}/console/sign-in")).body(Full::new(Bytes::new()))?;
    let response = client.request(request).await?;
    let pre = cookie(&response, "tongban_console_pre")
        .ok_or_else(|| anyhow::anyhow!("the sign-in page set no pre-session cookie"))?;
    response.into_body().collect().await?;
    let form = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("csrf", &pre)
        .append_pair("username", username)
        .append_pair("password", password)
        .finish();
    let request = http::Request::post(format!("{gateway}/console/sign-in"))
        .header("content-type", "application/x-www-form-urlencoded")
        .header("cookie", format!("tongban_console_pre={pre}"))
        .body(Full::new(Bytes::from(form)))?;
    let response = client.request(request).await?;
    let status = response.status();
    let session = cookie(&response, "tongban_console");
    response.into_body().collect().await?;
    session
        .map(|value| format!("tongban_console={value}"))
        .ok_or_else(|| anyhow::anyhow!("{username} signing in to the console answered {status}"))
}

/// The value of cookie `name` the response sets.
fn cookie<B>(response: &http::Response<B>, name: &str) -> Option<String> {
    response
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .filter_map(|v| v.split(';').next()?.split_once('='))
        .find(|(key, value)| *key == name && !value.is_empty())
        .map(|(_, value)| value.to_owned())
}

/// GETs a page with the session's cookie; its time. Anything but a 200 HTML page is an error.
async fn get_page(
    client: &HttpClient,
    gateway: &str,
    cookie: &str,
    path: &str,
) -> anyhow::Result<Duration> {
    let request = http::Request::get(format!("{gateway}{path}"))
        .header("cookie", cookie)
        .body(Full::new(Bytes::new()))?;
    let sent = Instant::now();
    let response = client.request(request).await?;
    let status = response.status();
    let html = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"));
    response.into_body().collect().await?;
    let took = sent.elapsed();
    anyhow::ensure!(status == 200 && html, "{path} answered {status}");
    Ok(took)
}

/// The report as a table for a terminal.
pub fn table(report: &ConsoleReport) -> String {
    let mut out = format!(
        "the staff console through the gateway, {} CPUs, {} staff at once, {} cases, {} open work items\n{:<28} {:>6} {:>9} {:>12} {:>9} {:>9}\n",
        report.cpus,
        report.staff,
        report.cases,
        report.open_work_items,
        "page",
        "calls",
        "requests",
        "requests/s",
        "p50 ms",
        "p99 ms",
    );
    for (name, page) in &report.pages {
        let m = &page.measured;
        out.push_str(&format!(
            "{name:<28} {:>6} {:>9} {:>12.0} {:>9.2} {:>9.2}\n",
            page.calls, m.requests, m.requests_per_second, m.p50_ms, m.p99_ms
        ));
    }
    let m = &report.all_pages;
    out.push_str(&format!(
        "{:<28} {:>6} {:>9} {:>12.0} {:>9.2} {:>9.2}\n",
        "every page", "", m.requests, m.requests_per_second, m.p50_ms, m.p99_ms
    ));
    out
}
