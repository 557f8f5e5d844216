//! The provincial statistics: a generated day of cases across three cities (window and online,
//! refused, withdrawn, corrected, accepted, concluded on time and late, delivered, visited,
//! rated, handed over between regions) counted by the insight service from the event streams
//! alone, checked against a direct count of the services' own tables at every level and by
//! every dimension; then thrown away and rebuilt from the topics with the same result.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use futures::StreamExt as _;
use serde_json::{Value, json};
use sqlx::Row as _;

use crate::harness::{TestPlatform, eventually};
use crate::items::{basic_item, department, first_town, post, spec, status_and_body};

/// The days the statistics are asked for: the day the cases are taken in (today in China,
/// and the next in case the run crosses midnight), and up to the day the late ones conclude.
struct Days {
    first: String,
    next: String,
    late: String,
}

impl Days {
    fn from_today() -> Self {
        let today = tongban_runtime::clock::local_date(chrono::Utc::now());
        Self {
            first: today.to_string(),
            next: (today + chrono::Days::new(1)).to_string(),
            late: (today + chrono::Days::new(LATE_BY_DAYS)).to_string(),
        }
    }

    /// The generated day, and the whole span.
    fn periods(&self) -> [(&str, &str); 2] {
        [(&self.first, &self.next), (&self.first, &self.late)]
    }
}

/// Late cases conclude this many days after they were accepted: past their five working days.
const LATE_BY_DAYS: u64 = 14;

/// Three cities, two counties each: (county, city, name).
const COUNTIES: [(&str, &str, &str); 6] = [
    ("430102000000", "430100000000", "芙蓉区"),
    ("430121000000", "430100000000", "长沙县"),
    ("430202000000", "430200000000", "荷塘区"),
    ("430211000000", "430200000000", "天元区"),
    ("430903000000", "430900000000", "赫山区"),
    ("430921000000", "430900000000", "南县"),
];

/// Cross-region cases: 长沙县's item taken in at 赫山区's window (异地代收代办).
const CROSS_RECEIVING: usize = 4;
const CROSS_HANDLING: usize = 1;

/// One county's hall: its item, department, town, clerk and approver.
struct Hall {
    county: &'static str,
    code: String,
    department_id: String,
    town: String,
    clerk: String,
    approver: String,
}

/// Everything the generator needs.
pub(crate) struct World {
    halls: Vec<Hall>,
    /// 长沙县's item that 赫山区 may collect cases for.
    cross_code: String,
    citizens: Vec<String>,
    pub(crate) province: String,
}

/// 个体工商户登记 for the statistics: one optional material (nothing to upload), promised in
/// five working days, county-wide.
fn item_spec(scope: &str) -> Value {
    let mut spec = spec(5, scope);
    spec["materials"] = json!([
        { "name": "经营场所使用证明", "kind": "other", "source": "applicant", "necessity": "optional", "copies": 1 }
    ]);
    spec
}

async fn item(test: &TestPlatform, region: &str, name: &str, n: u32, scope: &str) -> String {
    let credit = department(test, region, name, n).await;
    crate::cases::published_item(test, &credit, item_spec(scope)).await
}

pub(crate) async fn world(test: &TestPlatform) -> World {
    let province = test.staff_token().await.to_owned();
    let created = test
        .post_as(
            &province,
            "/api/catalogue/v1/basic-items",
            basic_item("014300001000", "个体工商户登记"),
        )
        .await;
    assert_eq!(created.status(), 201);
    let admin = test.admin("insight.admin", "430000000000").await;
    let mut halls = Vec::new();
    for (n, (county, _, name)) in COUNTIES.iter().enumerate() {
        let code = item(
            test,
            county,
            &format!("{name}市场监督管理局"),
            900 + n as u32,
            "county",
        )
        .await;
        let (_, clerk) = test
            .staff_with_role(&admin, &format!("clerk.{n}"), "window_clerk", county)
            .await;
        let (_, approver) = test
            .staff_with_role(&admin, &format!("approver.{n}"), "approver", county)
            .await;
        halls.push(Hall {
            county,
            code,
            department_id: String::new(),
            town: first_town(test, county).await,
            clerk,
            approver,
        });
    }
    let cross_code = item(
        test,
        COUNTIES[CROSS_HANDLING].0,
        "长沙县行政审批服务局",
        910,
        "none",
    )
    .await;
    let departments: BTreeMap<String, String> = sqlx::query(
        "select i.code, d.id::text from catalogue.items i join catalogue.departments d on d.id = i.department_id",
    )
    .fetch_all(&test.db)
    .await
    .unwrap()
    .into_iter()
    .map(|r| (r.get(0), r.get(1)))
    .collect();
    for hall in &mut halls {
        hall.department_id = departments[&hall.code].clone();
    }
    test.eventually_counts(
        "acceptance, approval and crossregion to learn the items",
        "select (select count(*) from acceptance.offered_items)
              + (select count(*) from approval.item_versions)
              + (select count(*) from crossregion.items where department_id is not null)",
        21,
    )
    .await;
    let (status, agreement) = post(
        test,
        &province,
        "/api/crossregion/v1/agreements",
        json!({ "title": "个体工商户登记省内通办", "mode": "collect_elsewhere", "items": [cross_code],
                "collecting_regions": [COUNTIES[CROSS_RECEIVING].0],
                "effective_from": Days::from_today().first }),
    )
    .await;
    assert_eq!(status, 201, "{agreement}");
    test.eventually_counts(
        "acceptance to learn the agreement",
        "select count(*) from acceptance.agreements",
        1,
    )
    .await;
    let mut citizens = Vec::new();
    for n in 0..5 {
        citizens.push(crate::cases::citizen(test, 300 + n).await.1);
    }
    World {
        halls,
        cross_code,
        citizens,
        province,
    }
}

/// What happens to case `i` (deterministic: the same `i` always takes the same path).
#[derive(Debug, Clone, Copy)]
struct Plan {
    hall: usize,
    online: bool,
    at_town: bool,
    /// 0-99: where the case ends (see [`generate`]).
    fate: usize,
}

fn plan(i: usize) -> Plan {
    let mix = i.wrapping_mul(2_654_435_761) >> 7;
    Plan {
        hall: i % COUNTIES.len(),
        online: mix % 10 < 3,
        at_town: mix.is_multiple_of(7),
        fate: (mix / 10) % 100,
    }
}

/// A case taken in and submitted: (id, material codes).
async fn submitted(test: &TestPlatform, world: &World, i: usize, plan: Plan) -> (String, String) {
    let hall = &world.halls[plan.hall];
    let (token, draft) = if plan.online {
        let citizen = &world.citizens[i % world.citizens.len()];
        let (status, draft) = post(
            test,
            citizen,
            "/api/acceptance/v1/cases",
            json!({ "implementation_code": hall.code }),
        )
        .await;
        assert_eq!(status, 201, "{draft}");
        (citizen, draft)
    } else {
        let id_card =
            tongban_kernel::IdCardNumber::complete(&format!("43090319800101{:03}", i % 997))
                .unwrap();
        let receiving = if plan.at_town {
            &hall.town
        } else {
            hall.county
        };
        let (status, draft) = post(
            test,
            &hall.clerk,
            "/api/acceptance/v1/cases/intake",
            json!({ "implementation_code": hall.code, "receiving_region": receiving,
                    "applicant": { "kind": "citizen", "name": "王五", "id_type": "resident_id_card",
                                   "document_number": id_card.as_str() } }),
        )
        .await;
        assert_eq!(status, 201, "{draft}");
        (&hall.clerk, draft)
    };
    let id = draft["id"].as_str().unwrap().to_owned();
    let material = draft["materials"][0]["material_code"]
        .as_str()
        .unwrap()
        .to_owned();
    let (status, body) = post(
        test,
        token,
        &format!("/api/acceptance/v1/cases/{id}/submit"),
        json!({}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    (id, material)
}

fn case_path(id: &str, action: &str) -> String {
    format!("/api/acceptance/v1/cases/{id}/{action}")
}

async fn ok(test: &TestPlatform, token: &str, path: &str, body: Value) -> Value {
    let (status, answer) = post(test, token, path, body).await;
    assert!((200..300).contains(&status), "{path}: {status} {answer}");
    answer
}

/// The first phase of case `i`: taken in, submitted, and refused, withdrawn, sent back for
/// correction, or accepted (with a visit to the hall now and then). Returns the accepted
/// case's id.
pub(crate) async fn first_phase(test: &TestPlatform, world: &World, i: usize) -> Option<String> {
    let plan = plan(i);
    let hall = &world.halls[plan.hall];
    let (id, material) = submitted(test, world, i, plan).await;
    match plan.fate {
        0..=2 => None,
        3..=4 => {
            ok(
                test,
                &hall.clerk,
                &case_path(&id, "refuse"),
                json!({ "reason": "不属于本部门职权范围" }),
            )
            .await;
            None
        }
        5 if plan.online => {
            let citizen = &world.citizens[i % world.citizens.len()];
            ok(
                test,
                citizen,
                &case_path(&id, "withdraw"),
                json!({ "reason": "不再需要" }),
            )
            .await;
            None
        }
        6..=7 => {
            let items = json!({ "items": [{ "material_code": material, "reason": "证明未盖章" }] });
            ok(test, &hall.clerk, &case_path(&id, "correction"), items).await;
            None
        }
        5..=99 => {
            ok(test, &hall.clerk, &case_path(&id, "accept"), json!({})).await;
            if !plan.online && plan.fate.is_multiple_of(3) {
                ok(
                    test,
                    &hall.clerk,
                    &case_path(&id, "visits"),
                    json!({ "purpose": "supply" }),
                )
                .await;
            }
            Some(id)
        }
        _ => unreachable!(),
    }
}

/// Whether case `i`, accepted, is concluded on the day (true), late (false), or not at all.
fn conclusion(fate: usize) -> Option<bool> {
    match fate {
        0..=37 => None,
        38..=79 => Some(true),
        _ => Some(false),
    }
}

/// The back office decides accepted case `i`; the window delivers most results, and the
/// applicant or the window's device rates some.
async fn conclude(test: &TestPlatform, world: &World, i: usize, id: &str) {
    let plan = plan(i);
    let hall = &world.halls[plan.hall];
    let step = |action: &str| format!("/api/approval/v1/work-items/{id}/steps/2/{action}");
    ok(test, &hall.approver, &step("claim"), json!({})).await;
    let decision = if plan.fate % 10 == 9 {
        json!({ "decision": "refuse", "opinion": "不符合登记条件", "reason": "经营场所不符合要求" })
    } else {
        json!({ "decision": "approve", "opinion": "准予登记" })
    };
    ok(test, &hall.approver, &step("decide"), decision).await;
}

/// After the conclusion reached acceptance: delivery, visits and ratings.
async fn deliver(test: &TestPlatform, world: &World, i: usize, id: &str) {
    let plan = plan(i);
    let hall = &world.halls[plan.hall];
    if !(50..=95).contains(&plan.fate) {
        return;
    }
    let method = if plan.online { "electronic" } else { "pickup" };
    ok(
        test,
        &hall.clerk,
        &case_path(id, "deliver"),
        json!({ "method": method }),
    )
    .await;
    let level = [
        "very_dissatisfied",
        "dissatisfied",
        "basically_satisfied",
        "satisfied",
        "very_satisfied",
    ][(i / 7) % 5];
    let rating = json!({ "level": level, "comment": "办理过程的评价" });
    if plan.online && plan.fate.is_multiple_of(2) {
        let citizen = &world.citizens[i % world.citizens.len()];
        let (status, body) = crate::items::put_as(
            test,
            citizen,
            &format!("/api/acceptance/v1/cases/{id}/rating"),
            rating,
        )
        .await;
        assert!((200..300).contains(&status), "{body}");
    } else if !plan.online && plan.fate.is_multiple_of(5) {
        let visit = ok(
            test,
            &hall.clerk,
            "/api/acceptance/v1/visits",
            json!({ "case_id": id, "purpose": "pickup" }),
        )
        .await;
        let device = format!(
            "/api/acceptance/v1/ratings/visits/{}",
            visit["rating_code"].as_str().unwrap()
        );
        let (status, body) = status_and_body(
            test.http
                .post(test.url(&device))
                .json(&rating)
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(status, 201, "{body}");
    }
}

/// A cross-region case: 赫山区's window takes 长沙县's item in and accepts it; 长沙县 accepts
/// most transfers, rejects some, leaves the rest waiting.
async fn cross_region(test: &TestPlatform, world: &World, i: usize) -> Option<String> {
    let receiving = &world.halls[CROSS_RECEIVING];
    let id_card =
        tongban_kernel::IdCardNumber::complete(&format!("43090319850505{:03}", i % 997)).unwrap();
    let draft = ok(
        test,
        &receiving.clerk,
        "/api/acceptance/v1/cases/intake",
        json!({ "implementation_code": world.cross_code, "receiving_region": receiving.county,
                "applicant": { "kind": "citizen", "name": "赵六", "id_type": "resident_id_card",
                               "document_number": id_card.as_str() } }),
    )
    .await;
    assert_eq!(draft["mode"], "collect_elsewhere", "{draft}");
    let id = draft["id"].as_str().unwrap().to_owned();
    ok(test, &receiving.clerk, &case_path(&id, "submit"), json!({})).await;
    ok(test, &receiving.clerk, &case_path(&id, "accept"), json!({})).await;
    Some(id)
}

async fn hand_over(test: &TestPlatform, world: &World, i: usize, id: &str) {
    if i % 6 == 5 {
        return;
    }
    let handling = &world.halls[CROSS_HANDLING];
    let transfer = eventually("the transfer", Duration::from_secs(60), || async {
        let found = test
            .get_json_as(
                &handling.approver,
                &format!("/api/crossregion/v1/transfers?case_id={id}"),
            )
            .await;
        found[0]["id"].as_str().map(str::to_owned)
    })
    .await;
    let path = |action: &str| format!("/api/crossregion/v1/transfers/{transfer}/{action}");
    if i % 6 == 4 {
        ok(
            test,
            &handling.approver,
            &path("reject"),
            json!({ "kind": "materials_defective", "reason": "营业执照复印件不清晰" }),
        )
        .await;
    } else {
        ok(test, &handling.approver, &path("accept"), json!({})).await;
    }
}

/// Runs `work` for each of `items` with `concurrency` at once, printing progress.
async fn each<T, F, Fut>(what: &str, items: Vec<T>, concurrency: usize, work: F) -> Vec<Fut::Output>
where
    F: Fn(T) -> Fut,
    Fut: std::future::Future,
{
    let total = items.len();
    let done = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    futures::stream::iter(items)
        .map(|item| {
            let done = done.clone();
            let future = work(item);
            async move {
                let out = future.await;
                let n = done.fetch_add(1, Ordering::Relaxed) + 1;
                if n.is_multiple_of(1000) || n == total {
                    eprintln!("{what}: {n}/{total} in {:.0?}", started.elapsed());
                }
                out
            }
        })
        .buffer_unordered(concurrency)
        .collect()
        .await
}

/// Waits until `sql` counts `expected`: the services' consumers work off a backlog of
/// thousands of events here, so longer than the harness's usual wait.
async fn settled(test: &TestPlatform, what: &str, sql: &str, expected: i64) {
    eventually(what, Duration::from_secs(300), || async {
        (test.scalar(sql).await == expected).then_some(())
    })
    .await;
}

/// Cases in the generated day (`TONGBAN_INSIGHT_CASES` overrides, for a quicker local run).
fn cases() -> usize {
    std::env::var("TONGBAN_INSIGHT_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10_000)
}

const CONCURRENCY: usize = 24;

/// Generates the day: every case's first phase today, the on-time conclusions the same day, the
/// late ones [`LATE_BY_DAYS`] later (approval's timers have flagged the open ones overdue by
/// then). Returns how many cases were generated.
async fn generate(test: &TestPlatform, clock: &tongban_runtime::Clock, world: &World) -> usize {
    let total = cases();
    let cross = total * 3 / 100;
    let regular = total - cross;
    let accepted: Vec<(usize, String)> = each(
        "taken in",
        (0..regular).collect(),
        CONCURRENCY,
        |i| async move { first_phase(test, world, i).await.map(|id| (i, id)) },
    )
    .await
    .into_iter()
    .flatten()
    .collect();
    let crossed: Vec<(usize, String)> = each(
        "taken in elsewhere",
        (0..cross).collect(),
        CONCURRENCY,
        |i| async move { cross_region(test, world, i).await.map(|id| (i, id)) },
    )
    .await
    .into_iter()
    .flatten()
    .collect();
    settled(
        test,
        "approval to open every accepted case's work item",
        "select count(*) from approval.work_items",
        (accepted.len() + crossed.len()) as i64,
    )
    .await;
    each("handed over", crossed, CONCURRENCY, |(i, id)| async move {
        hand_over(test, world, i, &id).await
    })
    .await;

    let on_time: Vec<_> = accepted
        .iter()
        .filter(|(i, _)| conclusion(plan(*i).fate) == Some(true))
        .cloned()
        .collect();
    let late: Vec<_> = accepted
        .iter()
        .filter(|(i, _)| conclusion(plan(*i).fate) == Some(false))
        .cloned()
        .collect();
    each(
        "concluded on time",
        on_time.clone(),
        CONCURRENCY,
        |(i, id)| async move { conclude(test, world, i, &id).await },
    )
    .await;
    assert!(clock.advance(chrono::Duration::days(LATE_BY_DAYS as i64)));
    settled(
        test,
        "approval's timers to flag every open case overdue",
        "select count(*) from approval.work_items
         where state = 'in_progress' and escalated_at is null and transfer_round = 0",
        0,
    )
    .await;
    each(
        "concluded late",
        late.clone(),
        CONCURRENCY,
        |(i, id)| async move { conclude(test, world, i, &id).await },
    )
    .await;
    let concluded = (on_time.len() + late.len()) as i64;
    settled(
        test,
        "acceptance to learn every conclusion",
        "select count(*) from acceptance.cases where status = 'concluded'",
        concluded,
    )
    .await;
    let mut all = on_time;
    all.extend(late);
    each(
        "delivered and rated",
        all,
        CONCURRENCY,
        |(i, id)| async move { deliver(test, world, i, &id).await },
    )
    .await;
    total
}

/// What the services' own tables say for one question, in the insight API's shape.
async fn direct(
    test: &TestPlatform,
    prefix: &str,
    by: &str,
    from: &str,
    to: &str,
) -> BTreeMap<String, Value> {
    let digits = match prefix.len() {
        2 => 4,
        4 => 6,
        6 => 9,
        _ => 12,
    };
    let key = |region: &str, item: &str, department: &str, channel: &str, status: &str| -> String {
        match by {
            "region" => format!("rpad(left({region}, {digits}), 12, '0')"),
            "item" => item.to_owned(),
            "department" => format!("{department}::text"),
            "channel" => channel.to_owned(),
            _ => status.to_owned(),
        }
    };
    let mut rows: BTreeMap<String, Value> = BTreeMap::new();
    let mut add = |key: String, field: &str, value: Value| {
        let row = rows.entry(key).or_insert_with(|| json!({}));
        row[field] = value;
    };
    let period = format!("between '{from}' and '{to}'");
    // Acceptance: cases by status, applications, visits, cross-region cases, accepted.
    let sql = format!(
        "select {k} as key, c.status, c.kind, c.mode, count(*)::int8 as n, sum(c.visits)::int8 as visits,
                count(*) filter (where c.status in ('accepted', 'concluded', 'delivered', 'returned')
                    and (c.decided_at at time zone 'Asia/Shanghai')::date {period})::int8 as accepted
         from acceptance.cases c left join catalogue.items i on i.code = c.implementation_code
         where c.status <> 'draft' and (c.submitted_at at time zone 'Asia/Shanghai')::date {period}
           and starts_with(c.handling_region, '{prefix}')
         group by 1, 2, 3, 4",
        k = key("c.handling_region", "c.implementation_code", "i.department_id", "c.channel", "c.status"),
    );
    let mut totals: BTreeMap<String, BTreeMap<&str, i64>> = BTreeMap::new();
    let mut statuses: BTreeMap<String, BTreeMap<String, i64>> = BTreeMap::new();
    for row in sqlx::query(&sql).fetch_all(&test.db).await.unwrap() {
        let key: String = row
            .get::<Option<String>, _>("key")
            .unwrap_or_else(|| "unknown".into());
        let status: String = row.get("status");
        let kind: String = row.get("kind");
        let mode: String = row.get("mode");
        let n: i64 = row.get("n");
        let t = totals.entry(key.clone()).or_default();
        if kind != "bundle" {
            *t.entry("cases").or_default() += n;
            *statuses
                .entry(key.clone())
                .or_default()
                .entry(status)
                .or_default() += n;
            *t.entry("accepted").or_default() += row.get::<i64, _>("accepted");
            if ["collect_elsewhere", "joint"].contains(&mode.as_str()) {
                *t.entry("cross_region").or_default() += n;
            }
        }
        if kind != "part" {
            *t.entry("applications").or_default() += n;
            *t.entry("visits").or_default() += row.get::<i64, _>("visits");
        }
    }
    for (key, counts) in totals {
        for (field, n) in counts {
            add(key.clone(), field, json!(n));
        }
    }
    for (key, counts) in statuses {
        add(key, "statuses", json!(counts));
    }
    // Approval: conclusions with their time limit and working days; open cases flagged red.
    let sql = format!(
        "select {k} as key,
                count(*) filter (where w.concluded_on {period})::int8 as concluded,
                count(*) filter (where w.concluded_on {period} and w.on_time)::int8 as on_time,
                (avg(w.working_days_used) filter (where w.concluded_on {period}))::float8 as avg,
                percentile_disc(0.9) within group (order by w.working_days_used)
                    filter (where w.concluded_on {period}) as p90,
                count(*) filter (where w.escalated_at is not null and w.concluded_at is null
                    and w.state in ('in_progress', 'paused'))::int8 as open_overdue
         from approval.work_items w
         join acceptance.cases c on c.id = w.case_id
         where starts_with(w.handling_region, '{prefix}')
           and (w.concluded_on {period} or (w.escalated_at is not null and w.concluded_at is null
                and w.state in ('in_progress', 'paused')))
         group by 1",
        k = key(
            "w.handling_region",
            "w.implementation_code",
            "w.department_id",
            "c.channel",
            "c.status"
        ),
    );
    for row in sqlx::query(&sql).fetch_all(&test.db).await.unwrap() {
        let key: String = row
            .get::<Option<String>, _>("key")
            .unwrap_or_else(|| "unknown".into());
        for field in ["concluded", "on_time", "open_overdue"] {
            add(key.clone(), field, json!(row.get::<i64, _>(field)));
        }
        add(
            key.clone(),
            "avg_working_days",
            json!(row.get::<Option<f64>, _>("avg")),
        );
        add(
            key.clone(),
            "p90_working_days",
            json!(row.get::<Option<i32>, _>("p90")),
        );
    }
    // Acceptance's ratings (none by status).
    if by != "status" {
        let sql =
            format!(
            "select {k} as key, level::int4 as level, count(*)::int8 as n from acceptance.ratings r
             where (rated_at at time zone 'Asia/Shanghai')::date {period}
               and starts_with(r.region_code, '{prefix}')
             group by 1, 2",
            k = key("r.region_code", "r.implementation_code", "r.department_id", "r.channel", "''"),
        );
        let mut levels: BTreeMap<String, [i64; 5]> = BTreeMap::new();
        for row in sqlx::query(&sql).fetch_all(&test.db).await.unwrap() {
            let key: String = row
                .get::<Option<String>, _>("key")
                .unwrap_or_else(|| "unknown".into());
            let level: i32 = row.get("level");
            levels.entry(key).or_default()[level as usize - 1] += row.get::<i64, _>("n");
        }
        for (key, levels) in levels {
            add(key, "ratings", json!(levels));
        }
    }
    rows
}

/// The insight rows reduced to what [`direct`] counts.
fn counted(answer: &Value) -> BTreeMap<String, Value> {
    let mut rows = BTreeMap::new();
    for row in answer["rows"].as_array().unwrap() {
        let mut kept = json!({});
        for field in [
            "cases",
            "applications",
            "accepted",
            "concluded",
            "on_time",
            "open_overdue",
            "visits",
            "cross_region",
        ] {
            if row[field].as_i64() != Some(0) {
                kept[field] = row[field].clone();
            }
        }
        let statuses: BTreeMap<String, i64> = row["statuses"]
            .as_object()
            .unwrap()
            .iter()
            .filter(|(_, n)| n.as_i64() != Some(0))
            .map(|(s, n)| (s.clone(), n.as_i64().unwrap()))
            .collect();
        if !statuses.is_empty() {
            kept["statuses"] = json!(statuses);
        }
        if row["concluded"].as_i64() != Some(0) {
            kept["avg_working_days"] = row["avg_working_days"].clone();
            kept["p90_working_days"] = row["p90_working_days"].clone();
        }
        if row["ratings"]["total"].as_i64() != Some(0) {
            kept["ratings"] = row["ratings"]["levels"].clone();
        }
        rows.insert(row["key"].as_str().unwrap().to_owned(), kept);
    }
    rows
}

/// The direct count with zeros left out and averages rounded as JSON compares them.
fn expected(mut rows: BTreeMap<String, Value>) -> BTreeMap<String, Value> {
    for row in rows.values_mut() {
        let object = row.as_object_mut().unwrap();
        object.retain(|field, v| field.ends_with("working_days") || v.as_i64() != Some(0));
        if object.get("concluded").is_none() {
            object.remove("avg_working_days");
            object.remove("p90_working_days");
        }
    }
    rows.retain(|_, row| !row.as_object().unwrap().is_empty());
    rows
}

fn same(insight: &BTreeMap<String, Value>, direct: &BTreeMap<String, Value>) -> bool {
    if insight.keys().ne(direct.keys()) {
        return false;
    }
    insight.iter().all(|(key, a)| {
        let b = &direct[key];
        let (a, b) = (a.as_object().unwrap(), b.as_object().unwrap());
        a.keys().eq(b.keys())
            && a.iter()
                .all(|(field, x)| match (x.as_f64(), b[field].as_f64()) {
                    (Some(x), Some(y)) if field == "avg_working_days" => (x - y).abs() < 1e-9,
                    _ => *x == b[field],
                })
    })
}

/// The questions checked: the province by every dimension, each city and county by region,
/// and a city by receiving region.
fn questions() -> Vec<(String, &'static str)> {
    let mut questions: Vec<(String, &'static str)> =
        ["region", "item", "department", "channel", "status"]
            .into_iter()
            .map(|by| ("430000000000".to_owned(), by))
            .collect();
    for city in ["430100000000", "430200000000", "430900000000"] {
        questions.push((city.to_owned(), "region"));
    }
    for (county, _, _) in COUNTIES {
        questions.push((county.to_owned(), "region"));
    }
    questions
}

async fn statistics(
    test: &TestPlatform,
    token: &str,
    region: &str,
    by: &str,
    from: &str,
    to: &str,
) -> Value {
    test.get_json_as(
        token,
        &format!("/api/insight/v1/statistics?region={region}&by={by}&from={from}&to={to}"),
    )
    .await
}

/// Every answer of [`questions`] over the day and over the whole span, and the cross-region
/// pairs: what a rebuild must reproduce exactly.
async fn answers(test: &TestPlatform, token: &str, days: &Days) -> Vec<Value> {
    let mut all = Vec::new();
    for (from, to) in days.periods() {
        for (region, by) in questions() {
            let mut answer = statistics(test, token, &region, by, from, to).await;
            answer.as_object_mut().unwrap().remove("as_of");
            all.push(answer);
        }
        all.push(
            test.get_json_as(
                token,
                &format!("/api/insight/v1/statistics/cross-region?region=430000000000&from={from}&to={to}"),
            )
            .await,
        );
    }
    all
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_day_of_cases_across_three_cities_is_counted_from_the_events_and_rebuilt_exactly() {
    let clock = tongban_runtime::Clock::adjustable();
    let days = Days::from_today();
    let test = TestPlatform::start_alone(|settings| {
        settings.clock = clock.clone();
        settings
            .section_mut::<tongban_approval::config::ApprovalSettings>()
            .unwrap()
            .timer_sweep_secs = 1;
        // The generation takes minutes; tokens outlive it.
        settings
            .section_mut::<tongban_identity::config::IdentitySettings>()
            .unwrap()
            .access_token_ttl_secs = 3600;
    })
    .await;
    let world = world(&test).await;
    let started = Instant::now();
    let total = generate(&test, &clock, &world).await;
    eprintln!("generated {total} cases in {:.0?}", started.elapsed());

    let province =
        every_question_matches_the_services_own_tables(&test, &world, &days, total).await;
    hand_overs_by_pair_match_crossregions_transfers(&test, &province, &days).await;
    a_city_supervisor_sees_the_city_and_below(&test, &days, &province, &world).await;
    thrown_away_and_rebuilt_the_answers_are_the_same(&test, &province, &days, total).await;
    test.stop().await;
}

async fn every_question_matches_the_services_own_tables(
    test: &TestPlatform,
    world: &World,
    days: &Days,
    total: usize,
) -> String {
    // Every question, over the day and over the whole span, matches the services' own tables
    // once the events are in.
    let province = world.province.clone();
    let waited = Instant::now();
    for (from, to) in days.periods() {
        for (region, by) in questions() {
            let code: tongban_kernel::RegionCode = region.parse().unwrap();
            let prefix = code.prefix().to_owned();
            eventually(
                &format!("insight's {region} by {by} ({from}..{to}) to match the direct count"),
                Duration::from_secs(300),
                || async {
                    let want = expected(direct(test, &prefix, by, from, to).await);
                    let answer = statistics(test, &province, &region, by, from, to).await;
                    let got = counted(&answer);
                    if same(&got, &want) {
                        Some(())
                    } else {
                        if waited.elapsed() > Duration::from_secs(240) {
                            eprintln!("{region} by {by}: insight {got:?}\ndirect {want:?}");
                        }
                        None
                    }
                },
            )
            .await;
        }
    }
    eprintln!(
        "insight caught up {:.0?} after the last request",
        waited.elapsed()
    );

    // The totals add up, and the day holds every case generated.
    let day_answer = statistics(
        test,
        &province,
        "430000000000",
        "region",
        &days.first,
        &days.next,
    )
    .await;
    assert_eq!(day_answer["total"]["cases"].as_i64(), Some(total as i64));
    assert_eq!(
        day_answer["rows"].as_array().unwrap().len(),
        3,
        "three cities"
    );
    let sum: i64 = day_answer["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["cases"].as_i64().unwrap())
        .sum();
    assert_eq!(sum, total as i64);
    province
}

async fn hand_overs_by_pair_match_crossregions_transfers(
    test: &TestPlatform,
    province: &str,
    days: &Days,
) {
    // Cross-region hand-overs by pair match crossregion's own transfers.
    let pairs = test
        .get_json_as(
            province,
            &format!(
                "/api/insight/v1/statistics/cross-region?region=430000000000&from={}&to={}",
                days.first, days.late
            ),
        )
        .await;
    let row: (i64, i64, i64, Option<f64>) = sqlx::query_as(
        "select count(*), count(*) filter (where responded_at is not null and rejection_kind is null),
                count(*) filter (where rejection_kind is not null),
                (avg(extract(epoch from responded_at - sent_at) / 3600.0))::float8
         from crossregion.transfers",
    )
    .fetch_one(&test.db)
    .await
    .unwrap();
    assert_eq!(pairs["rows"].as_array().unwrap().len(), 1, "{pairs}");
    let pair = &pairs["rows"][0];
    assert_eq!(
        (pair["receiving"].as_str(), pair["handling"].as_str()),
        (Some("430900000000"), Some("430100000000"))
    );
    assert_eq!(
        (
            pair["transfers"].as_i64(),
            pair["accepted"].as_i64(),
            pair["rejected"].as_i64()
        ),
        (Some(row.0), Some(row.1), Some(row.2))
    );
    assert!((pair["avg_handover_hours"].as_f64().unwrap() - row.3.unwrap()).abs() < 1e-6);
}

async fn a_city_supervisor_sees_the_city_and_below(
    test: &TestPlatform,
    days: &Days,
    province: &str,
    world: &World,
) {
    // A city supervisor sees the city and below, not the province or another city.
    let admin = test.admin("insight.scope", "430000000000").await;
    let (_, city) = test
        .staff_with_role(&admin, "changsha.watch", "supervisor", "430100000000")
        .await;
    let own = statistics(
        test,
        &city,
        "430100000000",
        "region",
        &days.first,
        &days.next,
    )
    .await;
    assert_eq!(
        own,
        statistics(
            test,
            province,
            "430100000000",
            "region",
            &days.first,
            &days.next
        )
        .await
    );
    for region in ["430000000000", "430900000000"] {
        let refused = test
            .get_as(
                &city,
                &format!("/api/insight/v1/statistics?region={region}"),
            )
            .await;
        assert_eq!(refused.status(), 403, "{region}");
    }
    let clerk = &world.halls[0].clerk;
    assert_eq!(
        test.get_as(clerk, "/api/insight/v1/statistics")
            .await
            .status(),
        403,
        "a window clerk is no supervisor"
    );
    for bad in [
        "by=town",
        "basis=elsewhere",
        "from=2026-13-01",
        "from=2026-12-02&to=2026-12-01",
        "from=2025-01-01&to=2026-12-01",
    ] {
        let (status, body) = status_and_body(
            test.get_as(province, &format!("/api/insight/v1/statistics?{bad}"))
                .await,
        )
        .await;
        assert_eq!(status, 400, "{bad}: {body}");
        assert!(body["field"].is_string(), "{bad}: {body}");
    }
}

async fn thrown_away_and_rebuilt_the_answers_are_the_same(
    test: &TestPlatform,
    province: &str,
    days: &Days,
    total: usize,
) {
    // Thrown away and rebuilt from the topics: the same answers exactly.
    let before = answers(test, province, days).await;
    let settings = test.platform.settings.clone();
    let feed = tongban::ops::rebuild_insight(&settings).await.unwrap();
    assert_eq!(feed.generation, 2);
    let emptied = statistics(
        test,
        province,
        "430000000000",
        "region",
        &days.first,
        &days.next,
    )
    .await;
    assert!(
        emptied["total"]["cases"].as_i64().unwrap() < total as i64,
        "{emptied}"
    );
    let target = tongban::ops::insight_position(&settings, &feed)
        .await
        .unwrap()
        .retained;
    let rebuilt = Instant::now();
    eventually(
        "the rebuild to read every topic",
        Duration::from_secs(300),
        || async {
            let position = tongban::ops::insight_position(&settings, &feed)
                .await
                .unwrap();
            (position.done >= target).then_some(())
        },
    )
    .await;
    eprintln!("rebuilt from {target} events in {:.1?}", rebuilt.elapsed());
    assert_eq!(answers(test, province, days).await, before);
    let feed = test.get_json_as(province, "/api/insight/v1/feed").await;
    assert_eq!(feed["generation"], 2, "{feed}");
}
