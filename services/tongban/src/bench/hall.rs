//! `tongban bench hall`: how fast the hall's lists and the staff search answer with a
//! province's cases in the database — 200,000 by default, across ten counties and fifty
//! departments, most of them long delivered, the rest spread over the hall's lists, submitted
//! over half a year.
//!
//! The cases are written straight into the acceptance schema (opening 200,000 cases through
//! the API would measure intake, not the lists); their applicants' documents are indexed under
//! the service's own key, as intake does. The requests are real, through the gateway, by staff
//! with real tokens: a county's window clerk (the inbox's counts, a list, a search by ID
//! number, by name, by status and day) and a department-bound approver searching their
//! department's cases.

use serde::Serialize;

use super::approval::{empty, measure_urls, staff};
use super::{Load, Measured, identity_admin, send};
use crate::Platform;

/// Ten counties of 益阳市 and 长沙市; item `i` belongs to county `i % 10`.
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
const ITEMS: usize = 50;

#[derive(Debug, Clone, Serialize)]
pub struct HallReport {
    pub cpus: usize,
    pub concurrency: usize,
    /// Cases in the database during the run.
    pub cases: i64,
    /// The county hall's inbox counts (one query).
    pub inbox_counts: Measured,
    /// The county hall's list of applications awaiting review (first page of 20).
    pub awaiting_review: Measured,
    /// Search by an applicant's ID number.
    pub search_document: Measured,
    /// Search by the beginning of an applicant's name.
    pub search_name: Measured,
    /// Search by status and a month of submissions.
    pub search_status_month: Measured,
    /// A department-bound approver's search of their department's accepted cases.
    pub search_department: Measured,
}

/// Runs the benchmark with `cases` cases.
pub async fn hall(
    settings: tongban_runtime::Settings,
    load: Load,
    cases: usize,
    progress: impl Fn(&str),
) -> anyhow::Result<HallReport> {
    super::on_throwaway(settings, &progress, async |platform| {
        measure(platform, load, cases, &progress).await
    })
    .await
}

async fn measure(
    platform: &Platform,
    load: Load,
    cases: usize,
    progress: &impl Fn(&str),
) -> anyhow::Result<HallReport> {
    let client = super::client(&platform.settings.http, load.concurrency);
    super::wait_ready(&client, platform).await?;
    let gateway = platform.gateway_url().unwrap_or_default();
    let departments: Vec<uuid::Uuid> = (0..ITEMS).map(|_| uuid::Uuid::now_v7()).collect();

    progress(&format!("writing {cases} cases"));
    let pool =
        tongban_runtime::db::connect(&platform.settings.database, tongban_acceptance::NAME).await?;
    let vault = platform.settings.secrets.vault()?;
    let identities = tongban_acceptance::case::applicant::Identities::load(
        &pool,
        vault,
        &platform.settings.http,
    )
    .await?;
    seed(&pool, &identities, &departments, cases).await?;
    let written: i64 = sqlx::query_scalar("select count(*) from cases")
        .fetch_one(&pool)
        .await?;
    pool.close().await;

    progress("signing in a county's window clerk and a department's approver");
    let admin = identity_admin(&platform.settings, &client, &gateway, "bench.hall.admin").await?;
    let county = COUNTIES[1];
    let clerk = staff(
        &client,
        &gateway,
        &admin,
        "bench.hall.clerk",
        county,
        serde_json::json!({ "role": "window_clerk", "region": county }),
    )
    .await?;
    let approver = staff(
        &client,
        &gateway,
        &admin,
        "bench.hall.approver",
        county,
        serde_json::json!({ "role": "approver", "region": county, "department": departments[1] }),
    )
    .await?;

    let api = format!("{gateway}/api/acceptance/v1");
    let today = tongban_runtime::clock::local_date(platform.settings.clock.now());
    let month_ago = today - chrono::Days::new(30);
    // Documents of county 1's applicants (see `seed`): a spread of them.
    let documents: Vec<String> = (0..50)
        .map(|k| format!("{api}/cases?document={}", document(1 + 10 * k * 37)))
        .collect();
    let names: Vec<String> = ["张", "王", "李", "赵", "陈"]
        .iter()
        .map(|n| format!("{api}/cases?name={}", percent(n)))
        .collect();
    // A search that finds nothing measures nothing: the first ID number must find its case.
    let request = http::Request::get(&documents[0])
        .header("authorization", format!("Bearer {clerk}"))
        .body(http_body_util::Full::new(axum::body::Bytes::new()))?;
    let (status, found) = send(&client, request).await?;
    anyhow::ensure!(
        status == 200 && found["items"].as_array().map(Vec::len) == Some(1),
        "searching by a written ID number answered {status}: {found}"
    );
    let measured = [
        (&clerk, vec![format!("{api}/inbox")]),
        (&clerk, vec![format!("{api}/inbox/awaiting_review")]),
        (&clerk, documents),
        (&clerk, names),
        (
            &clerk,
            vec![format!(
                "{api}/cases?status=accepted&submitted_from={month_ago}&submitted_to={today}"
            )],
        ),
        (&approver, vec![format!("{api}/cases?status=accepted")]),
    ];
    let mut report = Vec::new();
    for (token, urls) in measured {
        progress(&format!("requesting {}", urls[0].trim_start_matches(&api)));
        report.push(measure_urls(&client, load, token, &urls).await?);
    }
    let mut report = report.into_iter();
    let mut next = || report.next().unwrap_or_else(empty);
    Ok(HallReport {
        cpus: std::thread::available_parallelism().map_or(1, |n| n.get()),
        concurrency: load.concurrency,
        cases: written,
        inbox_counts: next(),
        awaiting_review: next(),
        search_document: next(),
        search_name: next(),
        search_status_month: next(),
        search_department: next(),
    })
}

/// The ID number of the applicant of case `n`: born on one of 10,000 days from 1950, one of
/// a thousand that day.
fn document(n: usize) -> String {
    let born = chrono::NaiveDate::from_ymd_opt(1950, 1, 1).unwrap_or_default()
        + chrono::Days::new((n / 1000 % 10_000) as u64);
    let first17 = format!("430903{}{:03}", born.format("%Y%m%d"), n % 1000);
    tongban_kernel::IdCardNumber::complete(&first17)
        .map(|d| d.as_str().to_owned())
        .unwrap_or_default()
}

fn percent(text: &str) -> String {
    text.bytes().map(|b| format!("%{b:02X}")).collect()
}

/// Writes `ITEMS` item versions and `count` cases (every tenth accepted one with a 容缺 material
/// owed). A case's item is `n % 50`; its status and its applicant's surname are drawn apart
/// from it (hashes of `n`), so that every county and department has cases of every status
/// and surname.
pub(super) async fn seed(
    pool: &sqlx::PgPool,
    identities: &tongban_acceptance::case::applicant::Identities,
    departments: &[uuid::Uuid],
    count: usize,
) -> anyhow::Result<()> {
    let counties: Vec<&str> = COUNTIES.to_vec();
    sqlx::query(
        "insert into item_versions (implementation_code, version, item_id, name, region_code,
             department_credit_code, kind, promised_value, promised_unit, visits_required,
             tongban_scope, covered_regions, materials, steps, results, reach, published_at,
             department_id)
         select lpad(i::text, 31, '0'), 1, gen_random_uuid(), '压测事项' || i, $2[1 + i % 10],
             'bench', 'promised', 5, 'working_days', 0, 'county', '{}', '[]', '[]', '[]', '[]',
             now(), $1[1 + i]
         from generate_series(0, $3 - 1) as i",
    )
    .bind(departments)
    .bind(&counties)
    .bind(ITEMS as i32)
    .execute(pool)
    .await?;
    // Applicants' documents indexed under the service's key, as intake does.
    let indexes: Vec<Vec<u8>> = (0..count).map(|n| identities.index(&document(n))).collect();
    let masked: Vec<String> = (0..count)
        .map(|n| {
            let d = document(n);
            format!("{}********{}", &d[..6], &d[14..])
        })
        .collect();
    // Most long delivered; the rest spread over the hall's lists and the back office.
    sqlx::query(
        "insert into cases (id, number, implementation_code, item_version, receiving_region,
             handling_region, channel, applicant_kind, applicant_name, applicant_document,
             applicant_document_index, status, submissions, submitted_at, created_at,
             concluded_at, delivered_at, due_date, department_id)
         select gen_random_uuid(), lpad(n::text, 43, '0'), lpad((n % 50)::text, 31, '0'), 1,
             $1[1 + (n % 50) % 10], $1[1 + (n % 50) % 10], 'online', 'citizen',
             (array['张','王','李','赵','陈','刘','杨','黄'])[1 + abs(hashint8(n)) % 8] || '某' || (n % 1000),
             $2[n + 1], $3[n + 1], s.status, case when n % 97 = 0 then 2 else 1 end,
             now() - (n % 180) * interval '1 day', now() - (n % 180) * interval '1 day',
             case when s.status in ('concluded', 'delivered') then now() - (n % 90) * interval '1 day' end,
             case when s.status = 'delivered' then now() - (n % 80) * interval '1 day' end,
             current_date + (n % 20)::int, $5[1 + n % 50]
         from generate_series(0, $4 - 1) as n,
              lateral (select abs(hashint8(n + 7777777)) % 100 as h) d,
              lateral (select case
                  when d.h < 70 then 'delivered' when d.h < 75 then 'submitted'
                  when d.h < 78 then 'needs_correction' when d.h < 88 then 'accepted'
                  when d.h < 93 then 'concluded' when d.h < 94 then 'returned'
                  when d.h < 97 then 'refused' else 'withdrawn' end as status) s",
    )
    .bind(&counties)
    .bind(&masked)
    .bind(&indexes)
    .bind(count as i64)
    .bind(departments)
    .execute(pool)
    .await?;
    sqlx::query(
        "insert into deferred_materials (case_id, material_code, deadline, commitment)
         select id, 'M1', current_date + (abs(hashtext(id::text)) % 10) - 3, '承诺'
         from cases where status = 'accepted' and abs(hashtext(id::text)) % 10 = 0",
    )
    .execute(pool)
    .await?;
    // As the sweep and autovacuum leave tables written long ago: the inbox's counts folded,
    // statistics and the visibility map.
    tongban_acceptance::case::hall::fold_tallies(pool).await?;
    sqlx::query("vacuum analyze inbox_tallies")
        .execute(pool)
        .await?;
    sqlx::query("vacuum analyze cases").execute(pool).await?;
    sqlx::query("vacuum analyze deferred_materials")
        .execute(pool)
        .await?;
    Ok(())
}

/// The report as a table for a terminal.
pub fn table(report: &HallReport) -> String {
    format!(
        "the hall's lists and search through the gateway, {} CPUs, concurrency {}, {} cases\n{:<28} {:>9} {:>12} {:>9} {:>9}\n{}{}{}{}{}{}",
        report.cpus,
        report.concurrency,
        report.cases,
        "",
        "requests",
        "requests/s",
        "p50 ms",
        "p99 ms",
        super::row_wide("inbox counts", &report.inbox_counts),
        super::row_wide("awaiting review", &report.awaiting_review),
        super::row_wide("search by ID number", &report.search_document),
        super::row_wide("search by name", &report.search_name),
        super::row_wide("search status, a month", &report.search_status_month),
        super::row_wide("department's approver", &report.search_department),
    )
}
