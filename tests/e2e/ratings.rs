//! Ratings (好差评) end to end: a concluded case rated 非常不满意 is remediated by the approver
//! who decided it, after a call-back, before its deadline; a window visit's bad rating appealed
//! and judged invalid; a public comment's remediation overdue and escalated (test clock); the
//! satisfaction statistics; and who may rate what.

use std::time::Duration;

use serde_json::{Value, json};

use crate::harness::{BrokerStorage, TestPlatform, eventually};
use crate::items::{HESHAN, post, put_as, status_and_body};
use tongban_acceptance::config::AcceptanceSettings;

/// A case of `applicant` taken in by `clerk` and approved by `approver`: its id.
pub(crate) async fn concluded_case(
    test: &TestPlatform,
    code: &str,
    applicant: &str,
    clerk: &str,
    approver: &str,
) -> String {
    let (id, materials) = crate::cases::submitted_case(test, applicant, code).await;
    crate::cases::accepted_deferring(test, clerk, &id, &materials).await;
    let step = |action: &str| format!("/api/approval/v1/work-items/{id}/steps/2/{action}");
    eventually(
        "the work item to be claimable",
        Duration::from_secs(30),
        || async { (post(test, approver, &step("claim"), json!({})).await.0 == 200).then_some(()) },
    )
    .await;
    let (status, decided) = post(
        test,
        approver,
        &step("decide"),
        json!({ "decision": "approve", "opinion": "准予登记" }),
    )
    .await;
    assert_eq!(status, 200, "{decided}");
    eventually(
        "acceptance to learn the conclusion",
        Duration::from_secs(30),
        || async {
            let case = test
                .get_json_as(applicant, &format!("/api/acceptance/v1/cases/{id}"))
                .await;
            (case["status"] == "concluded").then_some(())
        },
    )
    .await;
    id
}

async fn outbox_count(test: &TestPlatform, ce_type: &str) -> i64 {
    test.scalar(&format!(
        "select count(*) from acceptance.outbox where ce_type = 'cn.tongban.acceptance.{ce_type}.v1'"
    ))
    .await
}

async fn act(test: &TestPlatform, token: &str, remediation: &str, body: Value) -> (u16, Value) {
    post(
        test,
        token,
        &format!("/api/acceptance/v1/remediations/{remediation}/actions"),
        body,
    )
    .await
}

/// `POST /visits` answers the visit with its rating code, and its OpenAPI document says so (a
/// request schema of the same name had taken the answer's place).
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_visits_answer_is_documented_with_its_rating_code() {
    let test = TestPlatform::start(BrokerStorage::Memory).await;
    let doc = test
        .http
        .get(test.url("/api/acceptance/openapi.json"))
        .send()
        .await
        .unwrap()
        .json::<Value>()
        .await
        .unwrap();
    let answer = &doc["paths"]["/v1/visits"]["post"]["responses"]["201"]["content"]["application/json"]
        ["schema"]["$ref"];
    let name = answer.as_str().unwrap().rsplit('/').next().unwrap();
    let schema = &doc["components"]["schemas"][name];
    assert!(
        schema["properties"]["rating_code"].is_object(),
        "{name}: {schema}"
    );
    let request = &doc["paths"]["/v1/cases/{id}/visits"]["post"]["requestBody"]["content"]["application/json"]
        ["schema"]["$ref"];
    assert_ne!(
        request, answer,
        "the case's visit request is a schema of its own"
    );
    test.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn bad_ratings_are_remediated_by_whoever_handled_them_and_counted() {
    let clock = tongban_runtime::Clock::adjustable();
    let moved = clock.clone();
    let test = TestPlatform::start_with(BrokerStorage::Memory, move |s| {
        s.clock = moved;
        s.section_mut::<AcceptanceSettings>()
            .unwrap()
            .overdue_sweep_secs = 1;
    })
    .await;
    // A Wednesday, so working days are plain to count.
    let start = chrono::NaiveDate::from_ymd_opt(2026, 12, 2).unwrap();
    assert!(clock.set_today(start));
    let code =
        crate::cases::item_in_force_in(&test, HESHAN, "赫山区市场监督管理局", 921, "county").await;
    let admin = test.admin("rating.admin", "430000000000").await;
    let (clerk_id, clerk) = test
        .staff_with_role(&admin, "rating.clerk", "window_clerk", HESHAN)
        .await;
    let (approver_id, approver) = test
        .staff_with_role(&admin, "rating.approver", "approver", HESHAN)
        .await;
    let (_, supervisor) = test
        .staff_with_role(&admin, "rating.supervisor", "supervisor", "430900000000")
        .await;
    let (_, applicant) = crate::cases::citizen(&test, 101).await;
    let (_, stranger) = crate::cases::citizen(&test, 102).await;
    let id = concluded_case(&test, &code, &applicant, &clerk, &approver).await;
    let rating = format!("/api/acceptance/v1/cases/{id}/rating");

    let bad = only_the_applicant_rates_own_concluded_cases(
        &test, &clerk, &rating, &stranger, &applicant, &code,
    )
    .await;
    let (remediation, path) = a_very_bad_rating_opens_a_remediation_for_the_approver(
        &test,
        &applicant,
        &rating,
        &bad,
        &approver_id,
        &approver,
        &id,
        &stranger,
        &clerk,
    )
    .await;
    only_the_assignee_fixes_it_after_calling_back(
        &test,
        &clerk,
        &remediation,
        &approver,
        &supervisor,
        &path,
        &applicant,
        &rating,
    )
    .await;
    a_window_visit_rating_is_appealed_and_found_invalid(
        &test,
        &admin,
        &clerk,
        &id,
        &clerk_id,
        &supervisor,
    )
    .await;
    a_late_remediation_is_escalated_once_and_extended_once(&test, &clerk, &supervisor, &clock)
        .await;
    the_rating_is_final_and_counted_by_hall_and_clerk(
        &test,
        &clock,
        &applicant,
        &rating,
        bad,
        &clerk,
        &supervisor,
        &approver_id,
    )
    .await;
    test.stop().await;
}

async fn only_the_applicant_rates_own_concluded_cases(
    test: &TestPlatform,
    clerk: &str,
    rating: &str,
    stranger: &str,
    applicant: &str,
    code: &str,
) -> Value {
    // Who may rate: the applicant, own concluded cases only.
    let bad = json!({ "level": "very_dissatisfied", "indicators": { "efficiency": 1, "attitude": 2 },
                      "comment": "办理期间多次催问无人答复" });
    assert_eq!(put_as(test, clerk, rating, bad.clone()).await.0, 403);
    assert_eq!(put_as(test, stranger, rating, bad.clone()).await.0, 404);
    let (open, _) = crate::cases::submitted_case(test, applicant, code).await;
    let (status, body) = put_as(
        test,
        applicant,
        &format!("/api/acceptance/v1/cases/{open}/rating"),
        bad.clone(),
    )
    .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (409, Some("not_concluded"))
    );
    let (status, body) = put_as(
        test,
        applicant,
        rating,
        json!({ "level": "very_dissatisfied" }),
    )
    .await;
    assert_eq!((status, body["field"].as_str()), (422, Some("comment")));
    bad
}

// A phase of a scenario takes the scenario's people and values one by one.
#[allow(clippy::too_many_arguments)]
async fn a_very_bad_rating_opens_a_remediation_for_the_approver(
    test: &TestPlatform,
    applicant: &str,
    rating: &str,
    bad: &Value,
    approver_id: &str,
    approver: &str,
    id: &str,
    stranger: &str,
    clerk: &str,
) -> (String, String) {
    let approver_id = approver_id.to_owned();
    // 非常不满意: a remediation for the approver who decided it, in the item's department.
    let (status, rated) = put_as(test, applicant, rating, bad.clone()).await;
    assert_eq!(status, 201, "{rated}");
    assert_eq!(rated["level_label"], "非常不满意");
    assert_eq!(rated["staff_id"], approver_id.as_str());
    let work = test
        .get_json_as(approver, &format!("/api/approval/v1/work-items/{id}"))
        .await;
    assert_eq!(rated["department_id"], work["department_id"]);
    let remediation = rated["remediation_id"].as_str().unwrap().to_owned();
    let path = format!("/api/acceptance/v1/remediations/{remediation}");
    let opened = test.get_json_as(approver, &path).await;
    assert_eq!(opened["state"], "pending");
    assert_eq!(opened["assignee_id"], approver_id.as_str());
    assert_eq!(opened["department_id"], work["department_id"]);
    assert_eq!(opened["callback_required"], true);
    assert_eq!(opened["due_date"], "2026-12-09", "five working days");
    assert_eq!(test.get_as(stranger, &path).await.status(), 404);
    // The approver hears of it.
    crate::notification::inbox_with(test, approver, "remediation_opened").await;
    // Staff neither change nor delete a rating; nobody deletes one.
    assert_eq!(
        put_as(test, approver, rating, json!({ "level": "satisfied" }))
            .await
            .0,
        403
    );
    for token in [clerk, applicant] {
        let deleted = test
            .http
            .delete(test.url(rating))
            .bearer_auth(token)
            .send()
            .await
            .unwrap();
        assert_eq!(deleted.status(), 405);
    }
    (remediation, path)
}

// A phase of a scenario takes the scenario's people and values one by one.
#[allow(clippy::too_many_arguments)]
async fn only_the_assignee_fixes_it_after_calling_back(
    test: &TestPlatform,
    clerk: &str,
    remediation: &str,
    approver: &str,
    supervisor: &str,
    path: &str,
    applicant: &str,
    rating: &str,
) {
    // Only the assignee acts; a real-name rating is called back before it is fixed.
    let (status, _) = act(test, clerk, remediation, json!({ "action": "start" })).await;
    assert_eq!(status, 403);
    let fix = json!({ "action": "fix", "note": "已向申请人致歉并明确专人跟进" });
    let (status, body) = act(test, approver, remediation, fix.clone()).await;
    assert_eq!((status, body["field"].as_str()), (422, Some("action")));
    let (status, called) = act(
        test,
        approver,
        remediation,
        json!({ "action": "callback", "reached": true, "note": "电话回访，申请人认可处理" }),
    )
    .await;
    assert_eq!(
        (status, called["state"].as_str()),
        (200, Some("in_progress"))
    );
    let (status, fixed) = act(test, approver, remediation, fix).await;
    assert_eq!(
        (status, fixed["state"].as_str()),
        (200, Some("fixed")),
        "{fixed}"
    );
    let (status, _) = act(test, approver, remediation, json!({ "action": "start" })).await;
    assert_eq!(status, 409);
    let history = test
        .get_json_as(supervisor, &format!("{path}/history"))
        .await;
    let actions: Vec<&str> = history
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["opened", "called_back", "fixed"]);

    // The applicant changes the rating within the day, not after.
    let (status, changed) = put_as(
        test,
        applicant,
        rating,
        json!({ "level": "satisfied", "comment": "整改及时" }),
    )
    .await;
    assert_eq!((status, changed["revision"].as_i64()), (200, Some(2)));
    assert_eq!(test.get_json_as(approver, path).await["state"], "fixed");
}

async fn a_window_visit_rating_is_appealed_and_found_invalid(
    test: &TestPlatform,
    admin: &str,
    clerk: &str,
    id: &str,
    clerk_id: &str,
    supervisor: &str,
) {
    let clerk_id = clerk_id.to_owned();
    // A window visit rated 不满意 at the device (no account); the clerk appeals, a supervisor
    // finds the rating invalid (无效差评).
    let (status, visit) = post(
        test,
        clerk,
        "/api/acceptance/v1/visits",
        json!({ "case_id": id, "purpose": "pickup" }),
    )
    .await;
    assert_eq!(status, 201, "{visit}");
    let device = format!(
        "/api/acceptance/v1/ratings/visits/{}",
        visit["rating_code"].as_str().unwrap()
    );
    let at_window = json!({ "level": "dissatisfied", "comment": "窗口人员态度生硬" });
    assert_eq!(post(test, clerk, &device, at_window.clone()).await.0, 403);
    let (status, by_device) = status_and_body(
        test.http
            .post(test.url(&device))
            .json(&at_window)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 201, "{by_device}");
    assert_eq!(
        (
            by_device["anonymous"].as_bool(),
            by_device["staff_id"].as_str()
        ),
        (Some(true), Some(clerk_id.as_str()))
    );
    let (status, body) = status_and_body(
        test.http
            .post(test.url(&device))
            .json(&at_window)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (409, Some("already_rated"))
    );
    let appealed = by_device["remediation_id"].as_str().unwrap().to_owned();
    let (status, under) = act(
        test,
        clerk,
        &appealed,
        json!({ "action": "request_review", "kind": "invalid", "note": "监控录像显示全程文明服务" }),
    )
    .await;
    assert_eq!(
        (status, under["state"].as_str()),
        (200, Some("under_review"))
    );
    let review = format!("/api/acceptance/v1/remediations/{appealed}/review");
    let verdict = json!({ "uphold": true, "note": "经核查录像，评价与事实不符" });
    assert_eq!(post(test, clerk, &review, verdict.clone()).await.0, 403);
    // Separation of duties: made a supervisor too, the clerk still neither judges nor extends
    // the remediation assigned to them.
    test.grant(admin, &clerk_id, "supervisor", HESHAN).await;
    let clerk_supervising = test
        .access_token(
            "rating.clerk",
            &crate::harness::staff_password("rating.clerk"),
        )
        .await;
    let (status, body) = post(test, &clerk_supervising, &review, verdict.clone()).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (403, Some("own_remediation")),
        "{body}"
    );
    let extend = format!("/api/acceptance/v1/remediations/{appealed}/extension");
    let (status, body) = post(
        test,
        &clerk_supervising,
        &extend,
        json!({ "working_days": 3, "reason": "给自己延期" }),
    )
    .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (403, Some("own_remediation")),
        "{body}"
    );
    // Unless the hall has a province's exception (one officer): then the extension goes
    // through, marked in the remediation's history and counted for the city's supervisor.
    let exception = the_hall_under_an_exception(test, admin).await;
    let (status, extended) = post(
        test,
        &clerk_supervising,
        &extend,
        json!({ "working_days": 3, "reason": "本中心仅一人" }),
    )
    .await;
    assert_eq!(status, 200, "{extended}");
    let history = test
        .get_json_as(
            supervisor,
            &format!("/api/acceptance/v1/remediations/{appealed}/history"),
        )
        .await;
    let marked = crate::approval::duty_marks(&history);
    let rule = marked.iter().map(|(a, r, _)| (a.as_str(), r.as_str()));
    assert_eq!(
        rule.collect::<Vec<_>>(),
        [("extended", "own_remediation")],
        "{history}"
    );
    let uses = test
        .get_json_as(supervisor, "/api/acceptance/v1/duty-exceptions/uses")
        .await;
    assert_eq!(
        (
            uses["total"].as_i64(),
            uses["recent"][0]["subject_id"].as_str()
        ),
        (Some(1), Some(appealed.as_str())),
        "{uses}"
    );
    let revoked = post(
        test,
        admin,
        &format!("/api/identity/v1/duty-exceptions/{exception}/revoke"),
        json!({ "reason": "已增配工作人员" }),
    )
    .await;
    assert_eq!(revoked.0, 200, "{}", revoked.1);
    let (status, judged) = post(test, supervisor, &review, verdict).await;
    assert_eq!(
        (status, judged["state"].as_str()),
        (200, Some("invalid")),
        "{judged}"
    );
}

/// The province allows 赫山区's hall a separation-of-duties exception; its id once acceptance
/// knows it.
async fn the_hall_under_an_exception(test: &TestPlatform, admin: &str) -> String {
    let (status, granted) = post(
        test,
        admin,
        "/api/identity/v1/duty-exceptions",
        json!({ "region_code": HESHAN, "reason": "赫山区便民服务中心仅一名工作人员" }),
    )
    .await;
    assert_eq!(status, 201, "{granted}");
    test.eventually_counts(
        "acceptance to learn the exception",
        "select count(*) from acceptance.duty_exceptions where revoked_at is null",
        1,
    )
    .await;
    granted["id"].as_str().unwrap().to_owned()
}

async fn a_late_remediation_is_escalated_once_and_extended_once(
    test: &TestPlatform,
    clerk: &str,
    supervisor: &str,
    clock: &tongban_runtime::Clock,
) {
    // The county sets two working days; a bad public comment's remediation (for the hall's
    // clerks) runs past them and is escalated once; a supervisor extends it once.
    let (status, _) = put_as(
        test,
        clerk,
        &format!("/api/acceptance/v1/remediation-policies/{HESHAN}"),
        json!({ "working_days": 2 }),
    )
    .await;
    assert_eq!(status, 403);
    let (status, policy) = put_as(
        test,
        supervisor,
        &format!("/api/acceptance/v1/remediation-policies/{HESHAN}"),
        json!({ "working_days": 2 }),
    )
    .await;
    assert_eq!(status, 200, "{policy}");
    let (status, commented) = status_and_body(
        test.http
            .post(test.url("/api/acceptance/v1/ratings/comments"))
            .json(
                &json!({ "region_code": HESHAN, "level": "very_dissatisfied",
                           "comment": "大厅取号机经常故障" }),
            )
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 201, "{commented}");
    let late = commented["remediation_id"].as_str().unwrap().to_owned();
    let late_path = format!("/api/acceptance/v1/remediations/{late}");
    let pending = test.get_json_as(clerk, &late_path).await;
    assert_eq!(
        (pending["due_date"].as_str(), &pending["assignee_id"]),
        (Some("2026-12-04"), &Value::Null)
    );
    assert!(clock.set_today(chrono::NaiveDate::from_ymd_opt(2026, 12, 8).unwrap()));
    let overdue = format!("/api/acceptance/v1/remediations?region_code={HESHAN}&overdue=true");
    let listed = eventually(
        "the remediation to be escalated",
        Duration::from_secs(30),
        || async {
            let listed = test.get_json_as(supervisor, &overdue).await;
            (listed.as_array()?.len() == 1).then_some(listed)
        },
    )
    .await;
    assert_eq!(listed[0]["id"], late.as_str());
    assert_eq!(outbox_count(test, "remediation_overdue").await, 1);
    // The region's supervisors hear of it (and the hall's clerks, whose it is).
    crate::notification::inbox_with(test, supervisor, "remediation_overdue").await;
    crate::notification::inbox_with(test, clerk, "remediation_overdue").await;
    let extension = format!("{late_path}/extension");
    let more = json!({ "working_days": 5, "reason": "需更换取号设备，待采购" });
    assert_eq!(post(test, clerk, &extension, more.clone()).await.0, 403);
    let (status, extended) = post(test, supervisor, &extension, more.clone()).await;
    assert_eq!(
        (status, extended["due_date"].as_str()),
        (200, Some("2026-12-11")),
        "{extended}"
    );
    let (status, body) = post(test, supervisor, &extension, more).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (409, Some("already_extended"))
    );
    tokio::time::sleep(Duration::from_millis(1_500)).await;
    assert_eq!(
        outbox_count(test, "remediation_overdue").await,
        1,
        "escalated once"
    );
}

// A phase of a scenario takes the scenario's people and values one by one.
#[allow(clippy::too_many_arguments)]
async fn the_rating_is_final_and_counted_by_hall_and_clerk(
    test: &TestPlatform,
    clock: &tongban_runtime::Clock,
    applicant: &str,
    rating: &str,
    bad: Value,
    clerk: &str,
    supervisor: &str,
    approver_id: &str,
) {
    let approver_id = approver_id.to_owned();
    // Past the change window the case's rating is final.
    clock.advance(chrono::Duration::hours(1));
    let (status, body) = put_as(test, applicant, rating, bad).await;
    assert_eq!((status, body["code"].as_str()), (409, Some("rating_final")));

    // Statistics for the city's supervisor: by hall, the county's ratings.
    let statistics = |by: &str| {
        format!(
            "/api/acceptance/v1/ratings/statistics?region_code=430900000000&by={by}&from=2026-12-01&to=2026-12-31"
        )
    };
    assert_eq!(test.get_as(clerk, &statistics("hall")).await.status(), 403);
    assert_eq!(
        test.get_as(supervisor, &statistics("week")).await.status(),
        400
    );
    let by_hall = test.get_json_as(supervisor, &statistics("hall")).await;
    let heshan = &by_hall["groups"][0];
    assert_eq!(heshan["key"], HESHAN);
    assert_eq!(
        heshan["levels"],
        json!({ "very_satisfied": 0, "satisfied": 1, "basically_satisfied": 0,
                "dissatisfied": 1, "very_dissatisfied": 1 })
    );
    assert_eq!(heshan["ratings"], 3);
    assert_eq!(
        (
            heshan["rated_cases"].as_i64(),
            heshan["concluded_cases"].as_i64()
        ),
        (Some(1), Some(1))
    );
    assert_eq!(heshan["rating_rate"], 1.0);
    assert_eq!(heshan["bad_rate"], 0.6667);
    assert_eq!(
        (
            heshan["remediations"].as_i64(),
            heshan["remediated_on_time"].as_i64(),
            heshan["remediated_late"].as_i64()
        ),
        (Some(3), Some(2), Some(0))
    );
    let by_clerk = test.get_json_as(supervisor, &statistics("clerk")).await;
    let approver_group = by_clerk["groups"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["key"] == approver_id.as_str())
        .unwrap();
    assert_eq!(approver_group["levels"]["satisfied"], 1);

    // Each step went upward.
    for (event, count) in [
        ("rated", 4),
        ("remediation_opened", 3),
        ("remediation_closed", 2),
    ] {
        assert_eq!(outbox_count(test, event).await, count, "{event}");
    }
}
