//! Approval end to end (后台分类审批): an accepted case opens a work item in its department's
//! queue, goes through its steps by different staff, is decided, and a sealed e-certificate
//! comes out that anyone can verify; the time-limit clock pauses, moves and is extended; the
//! timers warn and escalate once each, across a restart.

use std::time::Duration;

use serde_json::{Value, json};

use tongban_events::approval::v1::{CaseConcluded, CertificateIssued, WorkItemOpened};
use tongban_runtime::Clock;

use crate::events::{Received, read_events_until};
use crate::harness::{BrokerStorage, TestPlatform, eventually};
use crate::items::{HESHAN, post, spec, status_and_body};
use tongban_approval::config::ApprovalSettings;

const ANHUA: &str = "430923000000";

mod audit;
mod certificate;
mod duties;
mod face;
mod holder;
mod national;
mod withdrawal;

/// An item of 赫山区 in force whose process is 受理 (window) → 承办 → 审核 → 批准, promised in
/// `promised` working days, issuing a 营业执照 e-certificate; known to acceptance and approval.
async fn three_step_item(test: &TestPlatform, promised: u32) -> String {
    three_step_item_in(
        test,
        (HESHAN, "赫山区市场监督管理局", 601),
        promised,
        "county",
    )
    .await
}

/// Like [`three_step_item`], of `department` (its region, name and number) and 通办 `scope`.
pub(crate) async fn three_step_item_in(
    test: &TestPlatform,
    (region, department, n): (&str, &str, u32),
    promised: u32,
    scope: &str,
) -> String {
    let mut spec = spec(promised, scope);
    spec["legal_time_limit"] = json!({ "value": 20, "unit": "working_days" });
    spec["steps"] = json!([
        { "name": "受理", "role": "window_clerk", "time_limit": { "value": 1, "unit": "working_days" } },
        { "name": "承办", "role": "approver", "time_limit": { "value": 3, "unit": "working_days" } },
        { "name": "审核", "role": "approver", "time_limit": { "value": 3, "unit": "working_days" } },
        { "name": "批准", "role": "approver", "time_limit": { "value": 2, "unit": "working_days" } }
    ]);
    let code = crate::cases::item_in_force_with(test, region, department, n, spec).await;
    test.eventually_counts(
        "approval to learn the item",
        "select count(*) from approval.item_versions",
        1,
    )
    .await;
    code
}

/// The entries of `history` taken under a separation-of-duties exception: (action, the rule
/// set aside, the exception's id).
pub(crate) fn duty_marks(history: &Value) -> Vec<(String, String, String)> {
    history
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| {
            let mark = &e["detail"]["duty_exception"];
            Some((
                e["action"].as_str()?.to_owned(),
                mark["rule"].as_str()?.to_owned(),
                mark["exception_id"].as_str()?.to_owned(),
            ))
        })
        .collect()
}

/// Submits a case of `code` for `applicant` (its form and ID card; the deferrable material
/// deferred) and has `clerk` accept it; returns (case id, the acceptance answer).
pub(crate) async fn accepted_case(
    test: &TestPlatform,
    applicant: &str,
    clerk: &str,
    code: &str,
) -> (String, Value) {
    let (status, draft) = post(
        test,
        applicant,
        "/api/acceptance/v1/cases",
        json!({ "implementation_code": code }),
    )
    .await;
    assert_eq!(status, 201, "{draft}");
    let id = draft["id"].as_str().unwrap().to_owned();
    let materials: Vec<String> = draft["materials"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["material_code"].as_str().unwrap().to_owned())
        .collect();
    for material in &materials[..2] {
        let uploaded = test
            .http
            .put(test.url(&format!(
                "/api/acceptance/v1/cases/{id}/materials/{material}?filename=scan.pdf"
            )))
            .bearer_auth(applicant)
            .header("content-type", "application/pdf")
            .body(crate::files::scan("application/pdf"))
            .send()
            .await
            .unwrap();
        assert_eq!(uploaded.status(), 204);
    }
    let (status, _) = post(
        test,
        applicant,
        &format!("/api/acceptance/v1/cases/{id}/submit"),
        json!({}),
    )
    .await;
    assert_eq!(status, 200);
    let deferral = json!({ "commitment": "本人承诺按期补齐",
        "deferred": [{ "material_code": materials[2], "within_working_days": 3 }] });
    let (status, accepted) = post(
        test,
        clerk,
        &format!("/api/acceptance/v1/cases/{id}/accept"),
        deferral,
    )
    .await;
    assert_eq!(status, 200, "{accepted}");
    (id, accepted)
}

/// Waits until approval has opened the work item of `case` and returns it as `token` sees it.
async fn opened(test: &TestPlatform, token: &str, case: &str) -> Value {
    eventually(
        "approval to open the work item",
        Duration::from_secs(30),
        || async {
            let response = test
                .get_as(token, &format!("/api/approval/v1/work-items/{case}"))
                .await;
            if response.status() != 200 {
                return None;
            }
            let item: Value = response.json().await.ok()?;
            (item["state"] == "in_progress").then_some(item)
        },
    )
    .await
}

/// The applicant's case once acceptance has learned approval's conclusion.
async fn concluded(test: &TestPlatform, applicant: &str, case: &str) -> Value {
    eventually(
        "acceptance to learn the conclusion",
        Duration::from_secs(30),
        || async {
            let view = test
                .get_json_as(applicant, &format!("/api/acceptance/v1/cases/{case}"))
                .await;
            (view["status"] == "concluded").then_some(view)
        },
    )
    .await
}

/// `token` claims step `n` of `case` and completes it with `opinion`.
async fn handle_step(test: &TestPlatform, token: &str, case: &str, n: u32, opinion: &str) {
    let path = |action: &str| format!("/api/approval/v1/work-items/{case}/steps/{n}/{action}");
    assert_eq!(
        post(test, token, &path("claim"), json!({})).await.0,
        200,
        "claim {n}"
    );
    let (status, body) = post(
        test,
        token,
        &path("complete"),
        json!({ "opinion": opinion }),
    )
    .await;
    assert_eq!(status, 200, "complete {n}: {body}");
}

fn of_type(event: &Received, name: &str) -> bool {
    event.header("ce_type") == Some(format!("cn.tongban.approval.{name}.v1"))
}

fn decode<M: prost::Message + Default>(event: &Received) -> M {
    M::decode(event.payload.as_slice()).unwrap()
}

/// Staff of the test: the window clerk, three approvers of the item's department, a
/// supervisor, an approver of another department of the county and one of a sibling county.
struct Staff {
    clerk: String,
    approvers: [(String, String); 3],
    supervisor: String,
    other_department: String,
    sibling: String,
}

async fn staff(test: &TestPlatform, department_id: &str) -> Staff {
    let admin = test.admin("approval.admin", "430000000000").await;
    let (_, clerk) = test
        .staff_with_role(&admin, "heshan.clerk", "window_clerk", HESHAN)
        .await;
    let mut approvers = Vec::new();
    for name in ["chengban", "shenhe", "pizhun"] {
        let username = format!("heshan.{name}");
        let id = test.create_staff(&admin, &username, HESHAN).await;
        approvers.push((
            id.clone(),
            approver_of(test, &admin, &id, &username, department_id).await,
        ));
    }
    let (_, supervisor) = test
        .staff_with_role(&admin, "heshan.supervisor", "supervisor", HESHAN)
        .await;
    let other = uuid::Uuid::now_v7().to_string();
    let other_department = test
        .staff_of_department(&admin, "heshan.other", "approver", HESHAN, &other)
        .await;
    let (_, sibling) = test
        .staff_with_role(&admin, "anhua.approver", "approver", ANHUA)
        .await;
    Staff {
        clerk,
        approvers: approvers.try_into().unwrap(),
        supervisor,
        other_department,
        sibling,
    }
}

/// Grants account `id` (user `username`) the approver role of the department in 赫山区;
/// its token.
async fn approver_of(
    test: &TestPlatform,
    admin: &str,
    id: &str,
    username: &str,
    department_id: &str,
) -> String {
    test.grant_in_department(admin, (id, username), "approver", HESHAN, department_id)
        .await
}

/// The department id of the item's work, as a province-wide supervisor sees it.
async fn department_of(test: &TestPlatform, code: &str) -> String {
    department_in(test, HESHAN, code).await
}

/// The id of the department of `region` that implements the item `code` (its first 18
/// characters are the department's credit code).
pub(crate) async fn department_in(test: &TestPlatform, region: &str, code: &str) -> String {
    let admin = test.staff_token().await.to_owned();
    let departments = test
        .get_json_as(
            &admin,
            &format!("/api/catalogue/v1/departments?region_code={region}"),
        )
        .await;
    let credit = &code[..18];
    departments
        .as_array()
        .or_else(|| departments["items"].as_array())
        .unwrap()
        .iter()
        .find(|d| d["credit_code"] == credit)
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// The catalogue's own answer: `days` working days after `from` in 赫山区.
async fn catalogue_due(test: &TestPlatform, from: &str, days: u32) -> String {
    let answer = test
        .get_json(&test.url(&format!(
            "/api/catalogue/v1/calendar/regions/{HESHAN}/due?from={from}&days={days}"
        )))
        .await
        .unwrap();
    answer["date"].as_str().unwrap().to_owned()
}

fn day(s: &str) -> chrono::NaiveDate {
    s.parse().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_clock_skips_national_day_pauses_for_correction_and_extends_then_a_refusal_concludes() {
    let clock = Clock::adjustable();
    let moved = clock.clone();
    let test = TestPlatform::start_with(BrokerStorage::Memory, move |s| s.clock = moved).await;
    let code = three_step_item(&test, 10).await;
    let staff = staff(&test, &department_of(&test, &code).await).await;
    let (_, applicant) = crate::cases::citizen(&test, 22).await;

    let case = accepted_before_national_day(&test, &staff, &clock, &applicant, &code).await;
    let notice =
        a_correction_stops_the_clock_for_three_working_days(&test, &staff, &clock, &case).await;
    the_applicant_sees_the_notice_and_a_supervisor_extends(
        &test, &staff, &applicant, &case, notice,
    )
    .await;
    a_closure_of_the_centre_moves_the_due_date(&test, &staff, &case, &applicant).await;
    only_the_last_step_refuses_with_a_reason(&test, &staff, &case, &applicant).await;
    test.stop().await;
}

async fn accepted_before_national_day(
    test: &TestPlatform,
    staff: &Staff,
    clock: &Clock,
    applicant: &str,
    code: &str,
) -> String {
    let (_, a) = &staff.approvers[0];
    // Accepted on Monday 2026-09-28, before National Day: ten working days end on 10-16.
    assert!(clock.set_today(day("2026-09-28")));
    let (case, accepted) = accepted_case(test, applicant, &staff.clerk, code).await;
    assert_eq!(accepted["due_date"], "2026-10-16");
    let item = opened(test, a, &case).await;
    assert_eq!(item["due_date"], "2026-10-16");
    // The countdown staff see is in working days: National Day's seven days do not count, the
    // make-up Saturday 10-10 does.
    assert_eq!(item["working_days_left"], 10, "{item}");
    let queue = test
        .get_json_as(a, "/api/approval/v1/work-items?limit=200")
        .await;
    let line = queue["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["case_id"] == case.as_str())
        .expect("the case is in the approver's queue");
    assert_eq!(line["working_days_left"], 10, "{line}");
    // 承办 has three working days of its own: 09-29, 09-30 and, after the holiday, 10-08.
    assert_eq!(
        (
            item["steps"][1]["opened_on"].as_str(),
            item["steps"][1]["due_date"].as_str()
        ),
        (Some("2026-09-28"), Some("2026-10-08"))
    );
    case
}

async fn a_correction_stops_the_clock_for_three_working_days(
    test: &TestPlatform,
    staff: &Staff,
    clock: &Clock,
    case: &str,
) -> &'static str {
    let (_, a) = &staff.approvers[0];
    // Correction after acceptance: the applicant is told in writing; the clock stops on
    // Monday 10-12 and runs again on Thursday 10-15: three working days stood still.
    assert!(clock.set_today(day("2026-10-12")));
    let pause = format!("/api/approval/v1/work-items/{case}/pause");
    let (status, body) = post(
        test,
        a,
        &pause,
        json!({ "kind": "correction", "reason": "补正", "notice": " " }),
    )
    .await;
    assert_eq!((status, body["field"].as_str()), (400, Some("notice")));
    let (status, body) = post(
        test,
        a,
        &pause,
        json!({ "kind": "nap", "reason": "补正", "notice": "告知书" }),
    )
    .await;
    assert_eq!((status, body["field"].as_str()), (400, Some("kind")));
    let notice = "请于十日内补正经营场所使用证明原件，补正期间不计入审批时限。";
    let (status, paused) = post(
        test,
        a,
        &pause,
        json!({ "kind": "correction", "reason": "经营场所证明不清晰", "notice": notice }),
    )
    .await;
    assert_eq!(
        (status, paused["state"].as_str()),
        (200, Some("paused")),
        "{paused}"
    );
    assert!(
        paused["working_days_left"].is_null(),
        "the clock stands still"
    );
    assert_eq!(
        post(
            test,
            a,
            &format!("/api/approval/v1/work-items/{case}/steps/2/claim"),
            json!({})
        )
        .await
        .0,
        409,
        "paused"
    );
    assert!(clock.set_today(day("2026-10-15")));
    let (status, resumed) = post(
        test,
        a,
        &format!("/api/approval/v1/work-items/{case}/resume"),
        json!({}),
    )
    .await;
    assert_eq!(status, 200, "{resumed}");
    assert_eq!(resumed["pauses"][0]["paused_working_days"], 3);
    // Due 10-21 now: 10-16, 10-19, 10-20 and 10-21 are left.
    assert_eq!(resumed["working_days_left"], 4, "{resumed}");
    let moved_by_three = catalogue_due(test, "2026-10-16", 3).await;
    assert_eq!(
        resumed["due_date"],
        moved_by_three.as_str(),
        "moved by exactly the paused working days"
    );
    assert_eq!(moved_by_three, "2026-10-21");
    notice
}

async fn the_applicant_sees_the_notice_and_a_supervisor_extends(
    test: &TestPlatform,
    staff: &Staff,
    applicant: &str,
    case: &str,
    notice: &str,
) {
    let (_, a) = &staff.approvers[0];
    // The applicant's case is due then too, and its history has the written notice.
    eventually(
        "acceptance to learn the new due date",
        Duration::from_secs(30),
        || async {
            let view = test
                .get_json_as(applicant, &format!("/api/acceptance/v1/cases/{case}"))
                .await;
            (view["due_date"] == "2026-10-21").then_some(())
        },
    )
    .await;
    let history = test
        .get_json_as(
            applicant,
            &format!("/api/acceptance/v1/cases/{case}/history"),
        )
        .await;
    assert!(
        history.to_string().contains(notice),
        "the notice is in the applicant's history"
    );

    // An extension is a supervisor's, with a reason, within the statute's ten working days.
    let extend = format!("/api/approval/v1/work-items/{case}/extensions");
    assert_eq!(
        post(
            test,
            a,
            &extend,
            json!({ "working_days": 5, "reason": "需现场核查" })
        )
        .await
        .0,
        403
    );
    let (status, body) = post(
        test,
        &staff.supervisor,
        &extend,
        json!({ "working_days": 11, "reason": "需现场核查" }),
    )
    .await;
    assert_eq!(
        (status, body["field"].as_str()),
        (422, Some("working_days"))
    );
    let (status, extended) = post(
        test,
        &staff.supervisor,
        &extend,
        json!({ "working_days": 5, "reason": "需现场核查" }),
    )
    .await;
    assert_eq!(status, 200, "{extended}");
    assert_eq!(
        extended["due_date"],
        catalogue_due(test, "2026-10-21", 5).await.as_str()
    );
}

async fn a_closure_of_the_centre_moves_the_due_date(
    test: &TestPlatform,
    staff: &Staff,
    case: &str,
    applicant: &str,
) {
    let (_, a) = &staff.approvers[0];
    // 赫山区's centre closes on Friday 10-23 (a calendar change): the open case is due a working
    // day later, in approval and in the applicant's case.
    let admin = test.staff_token().await.to_owned();
    let closed = test
        .http
        .put(test.url(&format!(
            "/api/catalogue/v1/calendar/regions/{HESHAN}/closures/2026-10-23"
        )))
        .bearer_auth(&admin)
        .json(&json!({ "reason": "系统升级停止办公" }))
        .send()
        .await
        .unwrap();
    assert_eq!(closed.status(), 204);
    let later = catalogue_due(test, "2026-10-21", 5).await;
    assert_eq!(later, "2026-10-29");
    eventually(
        "approval to move the due date",
        Duration::from_secs(30),
        || async {
            let item = test
                .get_json_as(a, &format!("/api/approval/v1/work-items/{case}"))
                .await;
            (item["due_date"] == later.as_str()).then_some(())
        },
    )
    .await;
    eventually("acceptance to follow", Duration::from_secs(30), || async {
        let view = test
            .get_json_as(applicant, &format!("/api/acceptance/v1/cases/{case}"))
            .await;
        (view["due_date"] == later.as_str()).then_some(())
    })
    .await;
}

async fn only_the_last_step_refuses_with_a_reason(
    test: &TestPlatform,
    staff: &Staff,
    case: &str,
    applicant: &str,
) {
    let (_, a) = &staff.approvers[0];
    // Refused at 承办? Only the last step decides; at 批准, a refusal needs its reason.
    let path = |step: u32, action: &str| {
        format!("/api/approval/v1/work-items/{case}/steps/{step}/{action}")
    };
    let (_, b) = &staff.approvers[1];
    let (_, c) = &staff.approvers[2];
    assert_eq!(post(test, a, &path(2, "claim"), json!({})).await.0, 200);
    assert_eq!(
        post(
            test,
            a,
            &path(2, "decide"),
            json!({ "decision": "refuse", "reason": "不符合", "opinion": "不同意" })
        )
        .await
        .0,
        409
    );
    assert_eq!(
        post(
            test,
            a,
            &path(2, "complete"),
            json!({ "opinion": "经营场所不符合要求" })
        )
        .await
        .0,
        200
    );
    handle_step(test, b, case, 3, "同意承办意见").await;
    assert_eq!(post(test, c, &path(4, "claim"), json!({})).await.0, 200);
    let (status, body) = post(
        test,
        c,
        &path(4, "decide"),
        json!({ "decision": "refuse", "opinion": "不予登记" }),
    )
    .await;
    assert_eq!((status, body["field"].as_str()), (400, Some("reason")));
    let (status, refused) = post(test, c, &path(4, "decide"),
        json!({ "decision": "refuse", "reason": "经营场所属于禁止经营区域", "opinion": "不予登记" })).await;
    assert_eq!(
        (status, refused["state"].as_str()),
        (200, Some("refused")),
        "{refused}"
    );
    assert_eq!(
        refused["certificates"].as_array().unwrap().len(),
        0,
        "a refusal issues nothing"
    );

    let case_view = concluded(test, applicant, case).await;
    assert_eq!(case_view["conclusion"], "refused");
    let stats = test
        .get_json_as(
            &staff.supervisor,
            &format!("/api/approval/v1/statistics?region_code={HESHAN}"),
        )
        .await;
    assert_eq!(
        (
            stats["total"]["concluded"].as_i64(),
            stats["total"]["concluded_on_time"].as_i64(),
            stats["total"]["on_time_rate"].as_f64()
        ),
        (Some(1), Some(1), Some(1.0))
    );
    assert_eq!(stats["regions"][0]["handling_region"], HESHAN);
    assert_eq!(stats["regions"][0]["concluded"], 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn timers_warn_and_escalate_once_each_across_a_restart() {
    let clock = Clock::adjustable();
    let moved = clock.clone();
    let mut test = TestPlatform::start_with(BrokerStorage::Durable, move |s| {
        s.clock = moved;
        s.section_mut::<ApprovalSettings>()
            .unwrap()
            .timer_sweep_secs = 1;
    })
    .await;
    let code = three_step_item(&test, 10).await;
    let staff = staff(&test, &department_of(&test, &code).await).await;
    let (_, applicant) = crate::cases::citizen(&test, 23).await;

    // Accepted on Monday 11-02: due Monday 11-16; warned two working days ahead (Friday 11-13).
    assert!(clock.set_today(day("2026-11-02")));
    let (case, _) = accepted_case(&test, &applicant, &staff.clerk, &code).await;
    let item = opened(&test, &staff.supervisor, &case).await;
    assert_eq!(
        (item["due_date"].as_str(), item["light"].as_str()),
        (Some("2026-11-16"), Some("green"))
    );
    let count = |action: &'static str| {
        format!("select count(*) from approval.work_item_history where action = '{action}'")
    };

    // Thursday: nothing yet. Friday: yellow.
    assert!(clock.set_today(day("2026-11-12")));
    tokio::time::sleep(Duration::from_millis(2_500)).await;
    assert_eq!(test.scalar(&count("warned")).await, 0);
    assert!(clock.set_today(day("2026-11-13")));
    test.eventually_counts("the yellow warning", &count("warned"), 1)
        .await;
    let item = test
        .get_json_as(
            &staff.supervisor,
            &format!("/api/approval/v1/work-items/{case}"),
        )
        .await;
    assert_eq!(item["light"], "yellow");

    // The service restarts; the warning is not raised again.
    test.restart().await;
    tokio::time::sleep(Duration::from_millis(2_500)).await;
    assert_eq!(test.scalar(&count("warned")).await, 1);

    // Tuesday 11-17, past the due date: red, escalated to the supervisors, once.
    assert!(clock.set_today(day("2026-11-17")));
    test.eventually_counts("the escalation", &count("escalated"), 1)
        .await;
    test.restart().await;
    tokio::time::sleep(Duration::from_millis(2_500)).await;
    assert_eq!(test.scalar(&count("escalated")).await, 1);
    assert_eq!(test.scalar(&count("warned")).await, 1);
    let overdue = test
        .get_json_as(
            &staff.supervisor,
            &format!("/api/approval/v1/work-items?region_code={HESHAN}&overdue=true"),
        )
        .await;
    assert_eq!(overdue["items"][0]["case_id"], case.as_str());
    let due_soon = test
        .get_json_as(
            &staff.supervisor,
            &format!("/api/approval/v1/work-items?region_code={HESHAN}&due_before=2026-11-15"),
        )
        .await;
    assert_eq!(
        due_soon["items"].as_array().unwrap().len(),
        0,
        "due on 11-16"
    );
    let stats = test
        .get_json_as(
            &staff.supervisor,
            &format!("/api/approval/v1/statistics?region_code={HESHAN}"),
        )
        .await;
    assert_eq!(
        (
            stats["total"]["open"].as_i64(),
            stats["total"]["open_overdue"].as_i64()
        ),
        (Some(1), Some(1))
    );

    // Each was published once.
    let brokers = test.platform.broker.as_ref().unwrap().address();
    let events = read_events_until(&brokers, tongban_events::topics::APPROVAL, |got| {
        got.iter().any(|e| of_type(e, "case_overdue"))
    })
    .await;
    assert_eq!(
        events
            .iter()
            .filter(|e| of_type(e, "deadline_approaching"))
            .count(),
        1
    );
    assert_eq!(
        events.iter().filter(|e| of_type(e, "case_overdue")).count(),
        1
    );

    test.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_queue_benchmark_lists_every_kind_of_queue() {
    let settings = tongban_runtime::Settings::load(None).unwrap();
    let load = tongban::bench::Load {
        requests: 100,
        concurrency: 4,
        rounds: 1,
    };

    let report = tongban::bench::approval::approval(settings, load, 1_000, 50, |_| {})
        .await
        .unwrap();

    // Every listing answered 200 for each request, over the work items written; then every
    // decision answered 200 (each sealing a certificate).
    assert_eq!(report.open_work_items, 1_000);
    for measured in [
        &report.department_queue,
        &report.county_queue,
        &report.city_overdue_queue,
    ] {
        assert_eq!(measured.requests, 100);
    }
    assert_eq!(report.decisions.requests, 50);
    let table = tongban::bench::approval::table(&report);
    assert!(table.contains("county supervisor") && table.contains("decisions"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_bundles_parts_are_decided_in_parallel_and_the_application_concludes_with_the_last() {
    let test = TestPlatform::start(BrokerStorage::Memory).await;
    let (bundle_id, codes) = crate::cases::bundle_in_force(&test).await;
    let (_, applicant) = crate::cases::citizen(&test, 24).await;
    let admin = test.admin("joint.admin", "430000000000").await;
    let (_, clerk) = test
        .staff_with_role(&admin, "joint.clerk", "window_clerk", HESHAN)
        .await;
    let (_, approver) = test
        .staff_with_role(&admin, "joint.approver", "approver", HESHAN)
        .await;
    let (_, supervisor) = test
        .staff_with_role(&admin, "joint.supervisor", "supervisor", HESHAN)
        .await;

    let (parts, id) = one_application_is_accepted_once_with_a_part_per_department(
        &test, &applicant, &bundle_id, &codes, &clerk,
    )
    .await;
    let joint = each_part_is_in_its_departments_queue_a_page_at_a_time(
        &test,
        &parts,
        &approver,
        &supervisor,
        &id,
    )
    .await;
    the_application_is_due_when_its_latest_part_is(&test, &joint, &supervisor, &applicant, &id)
        .await;
    the_application_concludes_with_its_last_part(
        &test,
        &parts,
        &approver,
        &supervisor,
        &id,
        &applicant,
    )
    .await;
    nobody_outside_the_county_sees_it(&test, &admin, &id).await;
    test.stop().await;
}

pub(crate) async fn one_application_is_accepted_once_with_a_part_per_department(
    test: &TestPlatform,
    applicant: &str,
    bundle_id: &str,
    codes: &[String],
    clerk: &str,
) -> (Vec<String>, String) {
    // One application, accepted once: a part per department.
    let (status, case) = post(
        test,
        applicant,
        "/api/acceptance/v1/cases",
        json!({ "bundle_id": bundle_id }),
    )
    .await;
    assert_eq!(status, 201, "{case}");
    let id = case["id"].as_str().unwrap().to_owned();
    for material in [format!("{}002", codes[1]), format!("{}001", codes[0])] {
        assert_eq!(
            crate::cases::upload(test, applicant, &id, &material, "application/pdf")
                .await
                .0,
            204
        );
    }
    assert_eq!(
        post(
            test,
            applicant,
            &format!("/api/acceptance/v1/cases/{id}/submit"),
            json!({})
        )
        .await
        .0,
        200
    );
    let deferral = json!({ "commitment": "本人承诺按期补齐",
        "deferred": [{ "material_code": format!("{}003", codes[0]), "within_working_days": 5 }] });
    let (status, accepted) = post(
        test,
        clerk,
        &format!("/api/acceptance/v1/cases/{id}/accept"),
        deferral,
    )
    .await;
    assert_eq!(status, 200, "{accepted}");
    let parts: Vec<String> = accepted["parts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(parts.len(), 2);
    (parts, id)
}

async fn each_part_is_in_its_departments_queue_a_page_at_a_time(
    test: &TestPlatform,
    parts: &[String],
    approver: &str,
    supervisor: &str,
    id: &str,
) -> Value {
    // The back office sees the joint case and each part in its own department's queue.
    for part in parts {
        opened(test, approver, part).await;
    }
    let joint = eventually(
        "approval to record the joint case",
        Duration::from_secs(30),
        || async {
            let response = test
                .get_as(supervisor, &format!("/api/approval/v1/joint-cases/{id}"))
                .await;
            (response.status() == 200).then_some(())?;
            response.json::<Value>().await.ok()
        },
    )
    .await;
    let departments: std::collections::BTreeSet<&str> = joint["parts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["department_credit_code"].as_str().unwrap())
        .collect();
    assert_eq!(departments.len(), 2, "two departments in parallel: {joint}");
    assert!(joint["concluded_at"].is_null());
    // The queue pages by its cursor: one part per page, soonest due first.
    let queue = format!("/api/approval/v1/work-items?region_code={HESHAN}&limit=1");
    let first = test.get_json_as(supervisor, &queue).await;
    let next = first["next"].as_str().unwrap();
    let second = test
        .get_json_as(supervisor, &format!("{queue}&after={next}"))
        .await;
    let paged: std::collections::BTreeSet<&str> = [&first, &second]
        .iter()
        .map(|page| page["items"][0]["case_id"].as_str().unwrap())
        .collect();
    assert_eq!(paged, parts.iter().map(String::as_str).collect());
    assert!(first["items"][0]["due_date"].as_str() <= second["items"][0]["due_date"].as_str());
    let (status, body) = status_and_body(
        test.get_as(supervisor, &format!("{queue}&after=nonsense"))
            .await,
    )
    .await;
    assert_eq!((status, body["field"].as_str()), (400, Some("after")));
    joint
}

async fn the_application_is_due_when_its_latest_part_is(
    test: &TestPlatform,
    joint: &Value,
    supervisor: &str,
    applicant: &str,
    id: &str,
) {
    // A part's time limit extended past the other's: the application is due when it is.
    let short = joint["parts"]
        .as_array()
        .unwrap()
        .iter()
        .min_by_key(|p| p["due_date"].as_str().unwrap().to_owned())
        .unwrap()["case_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let (status, extended) = post(
        test,
        supervisor,
        &format!("/api/approval/v1/work-items/{short}/extensions"),
        json!({ "working_days": 5, "reason": "需联合现场核查" }),
    )
    .await;
    assert_eq!(status, 200, "{extended}");
    let later = extended["due_date"].as_str().unwrap().to_owned();
    eventually(
        "the application to be due with its later part",
        Duration::from_secs(30),
        || async {
            let view = test
                .get_json_as(applicant, &format!("/api/acceptance/v1/cases/{id}"))
                .await;
            (view["due_date"] == later.as_str()).then_some(())
        },
    )
    .await;
}

async fn the_application_concludes_with_its_last_part(
    test: &TestPlatform,
    parts: &[String],
    approver: &str,
    supervisor: &str,
    id: &str,
    applicant: &str,
) {
    // The parts are decided independently; the application concludes with the last.
    let decide = |part: &str| {
        let (test, approver, part) = (&test, &approver, part.to_owned());
        async move {
            assert_eq!(
                post(
                    test,
                    approver,
                    &format!("/api/approval/v1/work-items/{part}/steps/2/claim"),
                    json!({})
                )
                .await
                .0,
                200
            );
            let (status, decided) = post(
                test,
                approver,
                &format!("/api/approval/v1/work-items/{part}/steps/2/decide"),
                json!({ "decision": "approve", "opinion": "同意" }),
            )
            .await;
            assert_eq!(
                (status, decided["state"].as_str()),
                (200, Some("approved")),
                "{decided}"
            );
        }
    };
    decide(&parts[0]).await;
    let joint = test
        .get_json_as(supervisor, &format!("/api/approval/v1/joint-cases/{id}"))
        .await;
    assert!(joint["concluded_at"].is_null(), "one part is still open");
    decide(&parts[1]).await;
    let joint = test
        .get_json_as(supervisor, &format!("/api/approval/v1/joint-cases/{id}"))
        .await;
    assert!(joint["concluded_at"].is_string(), "{joint}");
    let bundle = concluded(test, applicant, id).await;
    assert_eq!(bundle["conclusion"], "approved");
}

async fn nobody_outside_the_county_sees_it(test: &TestPlatform, admin: &str, id: &str) {
    // Someone outside the county sees nothing of it.
    let (_, anhua) = test
        .staff_with_role(admin, "joint.anhua", "supervisor", ANHUA)
        .await;
    assert_eq!(
        test.get_as(&anhua, &format!("/api/approval/v1/joint-cases/{id}"))
            .await
            .status(),
        404
    );
}
