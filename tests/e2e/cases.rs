//! Acceptance end to end: an online application from draft to receipt — materials, the one-time
//! correction notice, 容缺 acceptance, refusal, idempotent creation, case numbers under
//! concurrency, lookup by number and password, and who may see and decide a case.

use std::time::Duration;

use serde_json::{Value, json};

use tongban_events::acceptance::v1::{CaseAccepted, CaseSubmitted};
use tongban_kernel::IdCardNumber;

use crate::events::{Received, read_events_until};
use crate::harness::{BrokerStorage, TestPlatform, eventually};
use crate::items::{HESHAN, basic_item, department, first_town, get, post, spec, status_and_body};
use tongban_acceptance::config::AcceptanceSettings;

mod bundle;
mod documents;
mod hall;
mod lookup;
mod mine;
mod online;
pub(crate) mod real_name;

pub(crate) const ANHUA: &str = "430923000000";

/// An item of 赫山区 in force (county-wide) with three materials (a required form, a required
/// ID card, a deferrable site certificate) that acceptance has learned of; returns its code.
pub(crate) async fn item_in_force(test: &TestPlatform) -> String {
    item_in_force_in(test, HESHAN, "赫山区市场监督管理局", 501, "county").await
}

/// The same item implemented by a new department `name` (credit code number `n`) of `region`,
/// with 通办 scope `scope`.
pub(crate) async fn item_in_force_in(
    test: &TestPlatform,
    region: &str,
    name: &str,
    n: u32,
    scope: &str,
) -> String {
    item_in_force_with(test, region, name, n, spec(5, scope)).await
}

/// 个体工商户登记 as `spec` describes it, implemented by a new department `name` (credit code
/// number `n`) of `region`, in force and known to acceptance; returns its code.
pub(crate) async fn item_in_force_with(
    test: &TestPlatform,
    region: &str,
    name: &str,
    n: u32,
    spec: Value,
) -> String {
    let admin = test.staff_token().await.to_owned();
    let created = test
        .post_as(
            &admin,
            "/api/catalogue/v1/basic-items",
            basic_item("014300001000", "个体工商户登记"),
        )
        .await;
    assert_eq!(created.status(), 201);
    let credit = department(test, region, name, n).await;
    let code = published_item(test, &credit, spec).await;
    test.eventually_counts(
        "acceptance to learn the item",
        "select count(*) from acceptance.offered_items",
        1,
    )
    .await;
    code
}

/// 个体工商户登记 (basic code 014300001000, which must exist) as `spec` describes it, implemented
/// by the department with `credit` code, drafted and put in force; returns its code.
pub(crate) async fn published_item(test: &TestPlatform, credit: &str, spec: Value) -> String {
    let admin = test.staff_token().await.to_owned();
    let row =
        json!({ "basic_code": "014300001000", "department_credit_code": credit, "spec": spec });
    let (status, item) =
        status_and_body(test.post_as(&admin, "/api/catalogue/v1/items", row).await).await;
    assert_eq!(status, 201, "{item}");
    let code = item["code"].as_str().unwrap().to_owned();
    let published = test
        .post_as(
            &admin,
            &format!("/api/catalogue/v1/items/{code}/publish"),
            json!({ "version": 1 }),
        )
        .await;
    assert_eq!(published.status(), 200);
    code
}

/// A registered, signed-in citizen: (account id, token).
pub(crate) async fn citizen(test: &TestPlatform, n: u32) -> (String, String) {
    let id = IdCardNumber::complete(&format!("43090319900101{n:03}"))
        .unwrap()
        .as_str()
        .to_owned();
    let registered = test
        .register_citizen(&id, "13800138000", "citizen-password")
        .await;
    assert_eq!(registered.status(), 201);
    let account: Value = registered.json().await.unwrap();
    (
        account["id"].as_str().unwrap().to_owned(),
        test.access_token(&id, "citizen-password").await,
    )
}

/// `token` provides a file of `content_type` (see [`crate::files::scan`]) for `material`.
pub(crate) async fn upload(
    test: &TestPlatform,
    token: &str,
    case: &str,
    material: &str,
    content_type: &str,
) -> (u16, Value) {
    let content = crate::files::scan(content_type);
    upload_bytes(test, token, case, material, content_type, content).await
}

/// `token` provides `content`, declared as `content_type`, for `material`.
pub(crate) async fn upload_bytes(
    test: &TestPlatform,
    token: &str,
    case: &str,
    material: &str,
    content_type: &str,
    content: Vec<u8>,
) -> (u16, Value) {
    let response = test
        .http
        .put(test.url(&format!(
            "/api/acceptance/v1/cases/{case}/materials/{material}?filename=scan.pdf"
        )))
        .bearer_auth(token)
        .header("content-type", content_type)
        .body(content)
        .send()
        .await
        .unwrap();
    status_and_body(response).await
}

/// The status the gateway answers to a PUT of `path` declaring a body of `length` bytes, sent
/// headers first on a connection of its own (the body never follows).
async fn oversized_upload(test: &TestPlatform, token: &str, path: &str, length: usize) -> u16 {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    let url = reqwest::Url::parse(&test.url(path)).unwrap();
    let host = format!("{}:{}", url.host_str().unwrap(), url.port().unwrap());
    let mut stream = tokio::net::TcpStream::connect(&host).await.unwrap();
    let head = format!(
        "PUT {} HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {token}\r\n\
         Content-Type: application/pdf\r\nContent-Length: {length}\r\n\r\n",
        url.path()
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    let mut answer = vec![0; 64];
    let read = tokio::time::timeout(std::time::Duration::from_secs(10), stream.read(&mut answer))
        .await
        .expect("an answer before the body")
        .unwrap();
    let line = String::from_utf8_lossy(&answer[..read]).into_owned();
    line.split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("{line}"))
}

fn of_type(event: &Received, name: &str) -> bool {
    event.header("ce_type") == Some(format!("cn.tongban.acceptance.{name}.v1"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn fifty_concurrent_submissions_get_fifty_distinct_numbers_and_refusal_needs_a_reason() {
    let test = TestPlatform::start(BrokerStorage::Memory).await;
    let code = item_in_force(&test).await;
    let (_, applicant) = citizen(&test, 2).await;

    let mut ids = Vec::new();
    for _ in 0..50 {
        ids.push(draft_with_materials(&test, &applicant, &code).await.0);
    }
    let submissions =
        futures::future::join_all(ids.iter().map(|id| submit(&test, &applicant, id))).await;
    let mut numbers: Vec<String> = submissions
        .iter()
        .map(|(status, body)| {
            assert_eq!(*status, 200, "{body}");
            body["case"]["number"].as_str().unwrap().to_owned()
        })
        .collect();
    numbers.sort();
    numbers.dedup();
    assert_eq!(numbers.len(), 50, "every number distinct");
    assert!(
        numbers
            .iter()
            .all(|n| n.len() == 43 && n.starts_with(&code))
    );
    // Nothing failed, so nothing is skipped: each day's serials run from 1 without a gap.
    let mut days = std::collections::BTreeMap::<&str, Vec<u16>>::new();
    for number in &numbers {
        days.entry(&number[31..39])
            .or_default()
            .push(serial(number));
    }
    for (day, serials) in days {
        assert_eq!(
            serials,
            (1..=serials.len() as u16).collect::<Vec<_>>(),
            "{day}"
        );
    }

    // Refusal: a written reason is required.
    let identity_admin = test.admin("refuse.admin", "430000000000").await;
    let (_, clerk) = test
        .staff_with_role(&identity_admin, "heshan.refuser", "window_clerk", HESHAN)
        .await;
    let (status, body) = post(
        &test,
        &clerk,
        &format!("/api/acceptance/v1/cases/{}/refuse", ids[0]),
        json!({ "reason": " " }),
    )
    .await;
    assert_eq!((status, body["field"].as_str()), (400, Some("reason")));
    let (status, refused) = post(
        &test,
        &clerk,
        &format!("/api/acceptance/v1/cases/{}/refuse", ids[0]),
        json!({ "reason": "不属于本部门职权范围" }),
    )
    .await;
    assert_eq!((status, refused["status"].as_str()), (200, Some("refused")));
    assert_eq!(refused["refusal_reason"], "不属于本部门职权范围");
    let (status, _) = post(
        &test,
        &applicant,
        &format!("/api/acceptance/v1/cases/{}/submit", ids[0]),
        json!({}),
    )
    .await;
    assert_eq!(status, 409, "a refused case is closed");

    test.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_clerk_takes_a_case_in_for_an_applicant_where_the_items_scope_reaches() {
    let test = TestPlatform::start(BrokerStorage::Memory).await;
    let code = item_in_force(&test).await; // county-wide (县域通办) in 赫山区
    let identity_admin = test.admin("intake.admin", "430000000000").await;
    let (clerk_id, clerk) = test
        .staff_with_role(&identity_admin, "heshan.intake", "window_clerk", HESHAN)
        .await;
    let (_, anhua) = test
        .staff_with_role(&identity_admin, "anhua.intake", "window_clerk", ANHUA)
        .await;
    let (_, province) = test
        .staff_with_role(
            &identity_admin,
            "hunan.intake",
            "window_clerk",
            "430000000000",
        )
        .await;
    let town = first_town(&test, HESHAN).await;
    let id_card = IdCardNumber::complete("43090319850505123")
        .unwrap()
        .as_str()
        .to_owned();

    let case = a_town_centre_takes_the_county_wide_item_in(
        &test, &code, &id_card, &clerk, &town, &clerk_id,
    )
    .await;
    not_where_the_scope_does_not_reach_nor_with_bad_input(
        &test, &code, &id_card, &anhua, &clerk, &province, &town,
    )
    .await;
    the_clerk_accepts_and_the_applicant_follows_the_receipt(&test, &case, &clerk, &anhua).await;
    test.stop().await;
}

async fn a_town_centre_takes_the_county_wide_item_in(
    test: &TestPlatform,
    code: &str,
    id_card: &str,
    clerk: &str,
    town: &str,
    clerk_id: &str,
) -> Value {
    let town = town.to_owned();
    let clerk_id = clerk_id.to_owned();
    let intake = |region: &str| {
        json!({
            "implementation_code": code, "receiving_region": region,
            "applicant": { "kind": "citizen", "name": "王五", "id_type": "resident_id_card", "document_number": id_card },
        })
    };
    // At a town service centre of 赫山区: the county-wide item is taken in there.
    let (status, case) = post(
        test,
        clerk,
        "/api/acceptance/v1/cases/intake",
        intake(&town),
    )
    .await;
    assert_eq!(status, 201, "{case}");
    assert_eq!(
        (case["channel"].as_str(), case["entered_by"].as_str()),
        (Some("window"), Some(clerk_id.as_str()))
    );
    assert_eq!(
        (
            case["receiving_region"].as_str(),
            case["handling_region"].as_str()
        ),
        (Some(town.as_str()), Some(HESHAN))
    );
    assert_eq!(
        case["applicant_document"],
        format!("{}********{}", &id_card[..6], &id_card[14..])
    );
    assert!(
        case["applicant_id"].is_null(),
        "a window applicant need not have an account"
    );
    case
}

async fn not_where_the_scope_does_not_reach_nor_with_bad_input(
    test: &TestPlatform,
    code: &str,
    id_card: &str,
    anhua: &str,
    clerk: &str,
    province: &str,
    town: &str,
) {
    let intake = |region: &str| {
        json!({
            "implementation_code": code, "receiving_region": region,
            "applicant": { "kind": "citizen", "name": "王五", "id_type": "resident_id_card", "document_number": id_card },
        })
    };
    // Not in another county (the scope does not reach), not outside the clerk's own scope, not
    // in a region that does not exist, not with a malformed document.
    let (status, body) = post(
        test,
        anhua,
        "/api/acceptance/v1/cases/intake",
        intake(ANHUA),
    )
    .await;
    assert_eq!(
        (status, body["field"].as_str()),
        (422, Some("receiving_region")),
        "{body}"
    );
    let (status, body) = post(
        test,
        clerk,
        "/api/acceptance/v1/cases/intake",
        intake(ANHUA),
    )
    .await;
    assert_eq!(status, 403);
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("taking cases in at a window"),
        "in a clerk's words, not an internal power's name: {body}"
    );
    // A hall that does not exist is the input's fault, whoever asks.
    for token in [province, clerk] {
        let unknown = intake("430999000000");
        let (status, body) = post(test, token, "/api/acceptance/v1/cases/intake", unknown).await;
        assert_eq!(
            (status, body["field"].as_str()),
            (422, Some("receiving_region")),
            "{body}"
        );
    }
    let mut bad = intake(town);
    bad["applicant"]["document_number"] = json!("430903198505051230");
    let (status, body) = post(test, clerk, "/api/acceptance/v1/cases/intake", bad).await;
    assert_eq!(
        (status, body["field"].as_str()),
        (400, Some("applicant.document_number")),
        "{body}"
    );
}

async fn the_clerk_accepts_and_the_applicant_follows_the_receipt(
    test: &TestPlatform,
    case: &Value,
    clerk: &str,
    anhua: &str,
) {
    // The clerk provides the materials, submits and accepts; the applicant follows the case with
    // the number and password on the receipt.
    let id = case["id"].as_str().unwrap().to_owned();
    let materials: Vec<String> = case["materials"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["material_code"].as_str().unwrap().to_owned())
        .collect();
    for material in &materials {
        assert_eq!(upload(test, clerk, &id, material, "image/png").await.0, 204);
    }
    let (status, submitted) = submit(test, clerk, &id).await;
    assert_eq!(status, 200, "{submitted}");
    let (status, accepted) = post(
        test,
        clerk,
        &format!("/api/acceptance/v1/cases/{id}/accept"),
        json!({}),
    )
    .await;
    assert_eq!(
        (status, accepted["status"].as_str()),
        (200, Some("accepted")),
        "{accepted}"
    );
    let receipt = test
        .get_json_as(clerk, &format!("/api/acceptance/v1/cases/{id}/receipt"))
        .await;
    // The clerk prints the receipt with a query password issued for it (the submission's stops
    // working).
    let (status, issued) = post(
        test,
        clerk,
        &format!("/api/acceptance/v1/cases/{id}/query-password"),
        json!({}),
    )
    .await;
    assert_eq!(status, 200, "{issued}");
    assert_eq!(issued["number"], receipt["number"]);
    let lookup = json!({ "number": receipt["number"], "password": issued["query_password"] });
    let (status, progress) = status_and_body(
        test.http
            .post(test.url("/api/acceptance/v1/cases/lookup"))
            .json(&lookup)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(
        (status, progress["status"].as_str()),
        (200, Some("accepted"))
    );
    // The clerk of the other county does not see it.
    assert_eq!(
        test.get_as(anhua, &format!("/api/acceptance/v1/cases/{id}"))
            .await
            .status(),
        404
    );
}

/// `clerk` accepts the submitted case `id`, its deferrable material (the third of `materials`)
/// as 容缺 within three working days; returns the accepted case.
pub(crate) async fn accepted_deferring(
    test: &TestPlatform,
    clerk: &str,
    id: &str,
    materials: &[String],
) -> Value {
    let (status, accepted) = post(
        test,
        clerk,
        &format!("/api/acceptance/v1/cases/{id}/accept"),
        json!({ "commitment": "本人承诺按期补齐",
                "deferred": [{ "material_code": materials[2], "within_working_days": 3 }] }),
    )
    .await;
    assert_eq!(status, 200, "{accepted}");
    accepted
}

/// A case of `applicant` submitted with the two required materials: (id, material codes).
pub(crate) async fn submitted_case(
    test: &TestPlatform,
    applicant: &str,
    code: &str,
) -> (String, Vec<String>) {
    let (id, materials) = draft_with_materials(test, applicant, code).await;
    let (status, _) = submit(test, applicant, &id).await;
    assert_eq!(status, 200);
    (id, materials)
}

/// Submits the case `id` as `token`: the status and the answer.
async fn submit(test: &TestPlatform, token: &str, id: &str) -> (u16, Value) {
    post(
        test,
        token,
        &format!("/api/acceptance/v1/cases/{id}/submit"),
        json!({}),
    )
    .await
}

/// The daily serial at the end of a case number.
fn serial(number: &str) -> u16 {
    number[39..].parse().unwrap()
}

/// A draft of `applicant` with the two required materials provided: (id, material codes).
async fn draft_with_materials(
    test: &TestPlatform,
    applicant: &str,
    code: &str,
) -> (String, Vec<String>) {
    let (status, draft) = post(
        test,
        applicant,
        "/api/acceptance/v1/cases",
        json!({ "implementation_code": code }),
    )
    .await;
    assert_eq!(status, 201);
    let id = draft["id"].as_str().unwrap().to_owned();
    let materials: Vec<String> = draft["materials"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["material_code"].as_str().unwrap().to_owned())
        .collect();
    for material in &materials[..2] {
        assert_eq!(
            upload(test, applicant, &id, material, "application/pdf")
                .await
                .0,
            204
        );
    }
    (id, materials)
}

/// A number is taken, outside the submitting transaction, once the submission's checks have
/// passed: a submission its checks refuse takes none; one that fails after taking it leaves a
/// gap; a number is never handed out twice, and the unique index catches a counter that was
/// set back.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_case_number_is_taken_after_the_checks_and_never_handed_out_twice() {
    let test = TestPlatform::start(BrokerStorage::Memory).await;
    let code = item_in_force(&test).await;
    let (_, applicant) = citizen(&test, 3).await;
    let number_of = |answer: &Value| answer["case"]["number"].as_str().unwrap().to_owned();

    let (status, refused) = submit_with_form_only(&test, &applicant, &code).await;
    assert_eq!(status, 422, "{refused}");
    let (first, _) = draft_with_materials(&test, &applicant, &code).await;
    let (status, answer) = submit(&test, &applicant, &first).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(
        serial(&number_of(&answer)),
        1,
        "the refused submission took no number"
    );
    // The answer is read inside the submitting transaction: the same as the case read after.
    let case = test
        .get_json_as(&applicant, &format!("/api/acceptance/v1/cases/{first}"))
        .await;
    assert_eq!(answer["case"], case);

    // The case's update fails after its number was taken (a fault injected with a trigger).
    let (failing, _) = draft_with_materials(&test, &applicant, &code).await;
    sqlx::raw_sql(&format!(
        "create function acceptance.injected_failure() returns trigger language plpgsql
             as $$ begin raise exception 'injected failure'; end $$;
         create trigger injected_failure before update on acceptance.cases for each row
             when (new.id = '{failing}' and new.status = 'submitted')
             execute function acceptance.injected_failure();"
    ))
    .execute(&test.db)
    .await
    .unwrap();
    let (status, answer) = submit(&test, &applicant, &failing).await;
    assert!(status >= 500, "{status} {answer}");
    let case = test
        .get_json_as(&applicant, &format!("/api/acceptance/v1/cases/{failing}"))
        .await;
    assert_eq!(case["status"], "draft");
    assert!(case["number"].is_null(), "{case}");
    sqlx::raw_sql(
        "drop trigger injected_failure on acceptance.cases;
         drop function acceptance.injected_failure();",
    )
    .execute(&test.db)
    .await
    .unwrap();

    let (status, answer) = submit(&test, &applicant, &failing).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(
        serial(&number_of(&answer)),
        3,
        "the failed attempt's number is not reused"
    );

    // A counter set back (say, restored from an older backup than the cases) cannot hand out a
    // number a case holds: the submission is refused and the case stays a draft.
    sqlx::query("update acceptance.case_number_sequences set last = 0")
        .execute(&test.db)
        .await
        .unwrap();
    let (third, _) = draft_with_materials(&test, &applicant, &code).await;
    let (status, answer) = submit(&test, &applicant, &third).await;
    assert_eq!(
        (status, answer["code"].as_str()),
        (409, Some("number_taken")),
        "{answer}"
    );
    let case = test
        .get_json_as(&applicant, &format!("/api/acceptance/v1/cases/{third}"))
        .await;
    assert_eq!(case["status"], "draft");

    let numbers: Vec<String> = sqlx::query_scalar(
        "select number from acceptance.cases where number is not null order by number",
    )
    .fetch_all(&test.db)
    .await
    .unwrap();
    assert_eq!(
        numbers.iter().map(|n| serial(n)).collect::<Vec<_>>(),
        [1, 3],
        "{numbers:?}"
    );

    test.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn deferred_materials_are_supplied_or_flagged_overdue_and_withdrawal_ends_a_case() {
    let test = TestPlatform::start_with(BrokerStorage::Memory, |s| {
        s.section_mut::<AcceptanceSettings>()
            .unwrap()
            .overdue_sweep_secs = 1
    })
    .await;
    let code = item_in_force(&test).await;
    let (_, applicant) = citizen(&test, 3).await;
    let identity_admin = test.admin("deferral.admin", "430000000000").await;
    let (_, clerk) = test
        .staff_with_role(&identity_admin, "heshan.deferral", "window_clerk", HESHAN)
        .await;
    let (_, supervisor) = test
        .staff_with_role(
            &identity_admin,
            "yiyang.supervisor",
            "supervisor",
            "430900000000",
        )
        .await;
    let mut cases = Vec::new();
    for _ in 0..2 {
        let (id, materials) = submitted_case(&test, &applicant, &code).await;
        let deferral = json!({ "commitment": "本人承诺按期补齐", "deferred": [{ "material_code": materials[2], "within_working_days": 3 }] });
        let (status, _) = post(
            &test,
            &clerk,
            &format!("/api/acceptance/v1/cases/{id}/accept"),
            deferral,
        )
        .await;
        assert_eq!(status, 200);
        cases.push((id, materials));
    }
    let (supplied, materials) = &cases[0];
    let (forgotten, _) = &cases[1];
    // The hall's 容缺 counts follow each material: owed, supplied, past its deadline.
    let owed = |counts: Value| {
        (
            counts["deferred_owed"].clone(),
            counts["deferred_overdue"].clone(),
        )
    };
    let counts = hall::kept_counts(&test, &clerk, HESHAN).await;
    assert_eq!(owed(counts), (json!(2), json!(0)));

    a_deferred_material_supplied_after_acceptance_is_recorded_once(
        &test, &applicant, supplied, materials,
    )
    .await;
    let counts = hall::kept_counts(&test, &clerk, HESHAN).await;
    assert_eq!(owed(counts), (json!(1), json!(0)));
    a_missed_deferral_is_flagged_and_reported(
        &test,
        forgotten,
        &supervisor,
        &applicant,
        &identity_admin,
    )
    .await;
    let counts = hall::kept_counts(&test, &clerk, HESHAN).await;
    assert_eq!(owed(counts), (json!(1), json!(1)));
    a_visit_is_counted_and_withdrawal_ends_a_case(&test, &clerk, supplied, &applicant, &code).await;
    the_deferrals_are_events(&test).await;
    test.stop().await;
}

async fn a_deferred_material_supplied_after_acceptance_is_recorded_once(
    test: &TestPlatform,
    applicant: &str,
    supplied: &str,
    materials: &[String],
) {
    // Supplied after acceptance: recorded, and only once.
    assert_eq!(
        upload(test, applicant, supplied, &materials[2], "application/pdf")
            .await
            .0,
        204
    );
    let case = test
        .get_json_as(applicant, &format!("/api/acceptance/v1/cases/{supplied}"))
        .await;
    assert!(case["materials"][2]["supplied_at"].is_string(), "{case}");
    let (status, body) = upload(test, applicant, supplied, &materials[0], "application/pdf").await;
    assert_eq!(
        (status, body["code"].as_str()),
        (409, Some("illegal_transition")),
        "nothing else changes after acceptance"
    );
}

async fn a_missed_deferral_is_flagged_and_reported(
    test: &TestPlatform,
    forgotten: &str,
    supervisor: &str,
    applicant: &str,
    identity_admin: &str,
) {
    let forgotten = &forgotten.to_owned();
    // The other passes its deadline: the sweep flags it and the supervisor's report lists it.
    sqlx::query("update acceptance.deferred_materials set deadline = date '2026-01-05' where case_id = $1::uuid")
        .bind(forgotten)
        .execute(&test.db)
        .await
        .unwrap();
    let report = eventually(
        "the sweep to flag the overdue material",
        std::time::Duration::from_secs(30),
        || async {
            let report = test
                .get_json_as(
                    supervisor,
                    "/api/acceptance/v1/cases/overdue-materials?region_code=430900000000",
                )
                .await;
            (report.as_array().unwrap().len() == 1).then_some(report)
        },
    )
    .await;
    assert_eq!(report[0]["case_id"], forgotten.as_str());
    let case = test
        .get_json_as(applicant, &format!("/api/acceptance/v1/cases/{forgotten}"))
        .await;
    assert_eq!(case["materials"][2]["overdue"], true);
    let (_, outsider) = test
        .staff_with_role(
            identity_admin,
            "changsha.supervisor",
            "supervisor",
            "430100000000",
        )
        .await;
    let elsewhere = test
        .get_json_as(
            &outsider,
            "/api/acceptance/v1/cases/overdue-materials?region_code=430100000000",
        )
        .await;
    assert!(elsewhere.as_array().unwrap().is_empty());
    assert_eq!(
        test.get_as(
            &outsider,
            "/api/acceptance/v1/cases/overdue-materials?region_code=430900000000"
        )
        .await
        .status(),
        403
    );
}

async fn a_visit_is_counted_and_withdrawal_ends_a_case(
    test: &TestPlatform,
    clerk: &str,
    supplied: &str,
    applicant: &str,
    code: &str,
) {
    // A visit is counted; an online case started at none.
    let (status, visited) = post(
        test,
        clerk,
        &format!("/api/acceptance/v1/cases/{supplied}/visits"),
        json!({ "purpose": "supply" }),
    )
    .await;
    assert_eq!((status, visited["visits"].as_i64()), (200, Some(1)));

    // Withdrawal before a decision ends the case; after it nothing is decided.
    let (pending, _) = submitted_case(test, applicant, code).await;
    let (status, withdrawn) = post(
        test,
        applicant,
        &format!("/api/acceptance/v1/cases/{pending}/withdraw"),
        json!({ "reason": "不再需要" }),
    )
    .await;
    assert_eq!(
        (status, withdrawn["status"].as_str()),
        (200, Some("withdrawn"))
    );
    let (status, _) = post(
        test,
        clerk,
        &format!("/api/acceptance/v1/cases/{pending}/accept"),
        json!({}),
    )
    .await;
    assert_eq!(status, 409);
    // Accepted is not decided: the applicant may still withdraw it (issue 25).
    let (status, withdrawn) = post(
        test,
        applicant,
        &format!("/api/acceptance/v1/cases/{supplied}/withdraw"),
        json!({}),
    )
    .await;
    assert_eq!(
        (status, withdrawn["status"].as_str()),
        (200, Some("withdrawn")),
        "{withdrawn}"
    );
}

async fn the_deferrals_are_events(test: &TestPlatform) {
    let brokers = test.platform.broker.as_ref().unwrap().address();
    let events = read_events_until(&brokers, tongban_events::topics::ACCEPTANCE, |got| {
        [
            "deferred_material_supplied",
            "deferred_material_overdue",
            "visit_recorded",
            "case_withdrawn",
        ]
        .iter()
        .all(|name| got.iter().any(|e| of_type(e, name)))
    })
    .await;
    assert!(events.iter().any(|e| of_type(e, "case_withdrawn")));
}

/// Opens a draft of `code` for `token`, provides only its first material (the form) and submits:
/// the submission's status and body.
async fn submit_with_form_only(test: &TestPlatform, token: &str, code: &str) -> (u16, Value) {
    let (status, draft) = post(
        test,
        token,
        "/api/acceptance/v1/cases",
        json!({ "implementation_code": code }),
    )
    .await;
    assert_eq!(status, 201, "{draft}");
    let id = draft["id"].as_str().unwrap();
    let form = draft["materials"][0]["material_code"].as_str().unwrap();
    assert_eq!(
        upload(test, token, id, form, "application/pdf").await.0,
        204
    );
    submit(test, token, id).await
}

/// `account` holds a valid e-certificate of `certificate_type`, as acceptance learns it from
/// the certificates' events (a national one, such as an ID card, arrives the same way).
pub(crate) async fn holds_certificate(test: &TestPlatform, account: &str, certificate_type: &str) {
    use tongban_events::approval::v1::CertificateIssued;
    let certificate = uuid::Uuid::now_v7().to_string();
    let issued = CertificateIssued {
        certificate_id: certificate.clone(),
        certificate_type: certificate_type.into(),
        holder_account_id: account.into(),
        holder_document_masked: "430903********1234".into(),
        issuer_credit_code: crate::harness::credit_code(901),
        case_number: String::new(),
        valid_from: "2020-01-01".into(),
        valid_until: String::new(),
        issued_at: None,
        identifier: String::new(),
    };
    publish_as_approval(test, &certificate, &issued).await;
    test.eventually_counts(
        "acceptance to learn the certificate",
        &format!(
            "select count(*) from acceptance.certificates where holder_account_id = '{account}'"
        ),
        1,
    )
    .await;
}

/// Publishes `event` on approval's topic as approval would (CloudEvents headers, protobuf).
async fn publish_as_approval<E: tongban_events::Event>(test: &TestPlatform, key: &str, event: &E) {
    use rdkafka::producer::{FutureProducer, FutureRecord};
    let brokers = test.platform.broker.as_ref().unwrap().address();
    let producer: FutureProducer = rdkafka::ClientConfig::new()
        .set("bootstrap.servers", &brokers)
        .create()
        .unwrap();
    let attributes = tongban_bus::envelope::Attributes {
        id: uuid::Uuid::now_v7(),
        source: "/tongban/approval".into(),
        ce_type: E::TYPE.into(),
        time: chrono::Utc::now(),
        subject: None,
        regions: vec![HESHAN.into()],
        trace: Vec::new(),
    };
    let payload = prost::Message::encode_to_vec(event);
    producer
        .send(
            FutureRecord::to(tongban_events::topics::APPROVAL)
                .key(key)
                .payload(&payload)
                .headers(attributes.to_headers()),
            std::time::Duration::from_secs(10),
        )
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_government_issued_material_comes_from_the_applicants_e_certificate() {
    use tongban_events::approval::v1::{CertificateIssued, CertificateRevoked};
    let test = TestPlatform::start(BrokerStorage::Memory).await;
    let code = item_in_force(&test).await; // material 2: 居民身份证, issued by government
    let (account, applicant) = citizen(&test, 4).await;
    let certificate = uuid::Uuid::now_v7().to_string();
    let issued = CertificateIssued {
        certificate_id: certificate.clone(),
        certificate_type: "居民身份证".into(),
        holder_account_id: account.clone(),
        holder_document_masked: "430903********1234".into(),
        issuer_credit_code: crate::harness::credit_code(900),
        case_number: String::new(),
        valid_from: "2020-01-01".into(),
        valid_until: String::new(),
        issued_at: None,
        identifier: String::new(),
    };
    publish_as_approval(&test, &certificate, &issued).await;
    test.eventually_counts(
        "acceptance to learn the certificate",
        "select count(*) from acceptance.certificates",
        1,
    )
    .await;

    // Only the form is uploaded: the ID card comes from the store (一证通办).
    let (status, submitted) = submit_with_form_only(&test, &applicant, &code).await;
    assert_eq!(status, 200, "{submitted}");
    assert_eq!(
        submitted["case"]["materials"][1]["certificate_id"],
        certificate.as_str()
    );

    // Someone else's certificate does not count, and a revoked one no longer does.
    let (_, other) = citizen(&test, 5).await;
    let (status, body) = submit_with_form_only(&test, &other, &code).await;
    assert_eq!((status, body["field"].as_str()), (422, Some("materials")));
    publish_as_approval(
        &test,
        &certificate,
        &CertificateRevoked {
            certificate_id: certificate.clone(),
            reason: "注销".into(),
            revoked_at: None,
        },
    )
    .await;
    test.eventually_counts(
        "acceptance to learn the revocation",
        "select count(*) from acceptance.certificates where revoked_at is not null",
        1,
    )
    .await;
    let (status, _) = submit_with_form_only(&test, &applicant, &code).await;
    assert_eq!(status, 422, "the revoked certificate stands in for nothing");

    test.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_intake_benchmark_submits_and_accepts_every_case_and_compares_with_pgbench() {
    let settings = tongban_runtime::Settings::load(None).unwrap();

    let report = tongban::bench::intake::intake(settings, 20, 4, 1, |_| {})
        .await
        .unwrap();

    assert_eq!(
        report.submissions.requests, 20,
        "every draft submitted, each answered 200"
    );
    assert_eq!(
        report.acceptances.requests, 20,
        "every case accepted, each answered 200"
    );
    assert!(report.submissions.requests_per_second > 0.0);
    if let Some(tps) = report.pgbench_tps {
        assert!(tps > 0.0);
        assert!(report.ratio.is_some());
    }
    assert!(tongban::bench::intake::table(&report).contains("cases/s"));
}

/// 开办餐饮店一件事 in force in 赫山区 (known to acceptance): two items of two departments,
/// promising 5 and 3 working days; returns the bundle id and the items' codes.
pub(crate) async fn bundle_in_force(test: &TestPlatform) -> (String, Vec<String>) {
    let admin = test.staff_token().await.to_owned();
    // Two items of two departments of 赫山区 (promising 5 and 3 working days) in one bundle.
    let mut codes = Vec::new();
    let mut credits = Vec::new();
    for (n, (basic, name, promised)) in [
        ("014300001000", "个体工商户登记", 5),
        ("014300003000", "食品经营许可", 3),
    ]
    .into_iter()
    .enumerate()
    {
        assert_eq!(
            test.post_as(
                &admin,
                "/api/catalogue/v1/basic-items",
                basic_item(basic, name)
            )
            .await
            .status(),
            201
        );
        let credit = department(test, HESHAN, &format!("赫山区部门{n}"), 601 + n as u32).await;
        let row = json!({ "basic_code": basic, "department_credit_code": credit, "spec": spec(promised, "county") });
        let (_, item) =
            status_and_body(test.post_as(&admin, "/api/catalogue/v1/items", row).await).await;
        let code = item["code"].as_str().unwrap().to_owned();
        let published = test
            .post_as(
                &admin,
                &format!("/api/catalogue/v1/items/{code}/publish"),
                json!({ "version": 1 }),
            )
            .await;
        assert_eq!(published.status(), 200);
        codes.push(code);
        credits.push(credit);
    }
    let bundle = json!({ "region_code": HESHAN, "spec": {
        "name": "开办餐饮店一件事", "description": "营业执照与食品经营许可一次办",
        "lead_department_credit_code": credits[0], "items": codes,
    }});
    let (_, draft) = status_and_body(
        test.post_as(&admin, "/api/catalogue/v1/bundles", bundle)
            .await,
    )
    .await;
    let bundle_id = draft["id"].as_str().unwrap().to_owned();
    let published = test
        .post_as(
            &admin,
            &format!("/api/catalogue/v1/bundles/{bundle_id}/publish"),
            json!({ "version": 1 }),
        )
        .await;
    assert_eq!(published.status(), 200);
    test.eventually_counts(
        "acceptance to learn the bundle",
        "select count(*) from acceptance.offered_bundles",
        1,
    )
    .await;

    (bundle_id, codes)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_concluded_case_is_delivered_once_by_post_with_its_tracking_number() {
    use tongban_events::approval::v1::{CaseConcluded, IssuedResult};
    let test = TestPlatform::start(BrokerStorage::Memory).await;
    let code = item_in_force(&test).await;
    let (_, applicant) = citizen(&test, 7).await;
    let identity_admin = test.admin("delivery.admin", "430000000000").await;
    let (_, clerk) = test
        .staff_with_role(&identity_admin, "heshan.delivery", "window_clerk", HESHAN)
        .await;
    let (id, materials) = submitted_case(&test, &applicant, &code).await;
    let deferral = json!({ "commitment": "本人承诺按期补齐", "deferred": [{ "material_code": materials[2], "within_working_days": 3 }] });
    let (_, accepted) = post(
        &test,
        &clerk,
        &format!("/api/acceptance/v1/cases/{id}/accept"),
        deferral,
    )
    .await;
    let number = accepted["number"].as_str().unwrap().to_owned();
    let post_it =
        json!({ "method": "post", "carrier": "中国邮政EMS", "tracking_number": "1180123456789" });
    let (status, body) = post(
        &test,
        &clerk,
        &format!("/api/acceptance/v1/cases/{id}/deliver"),
        post_it.clone(),
    )
    .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (409, Some("illegal_transition")),
        "nothing to deliver yet"
    );

    // Approval concludes the case (as it will publish it).
    let concluded = CaseConcluded {
        case_id: id.clone(),
        case_number: number.clone(),
        decision: "approved".into(),
        reason: String::new(),
        results: vec![IssuedResult {
            name: "营业执照".into(),
            certificate_id: String::new(),
        }],
        decided_by: uuid::Uuid::now_v7().to_string(),
        concluded_at: None,
        ..Default::default()
    };
    publish_as_approval(&test, &id, &concluded).await;
    let case = eventually(
        "acceptance to learn the conclusion",
        std::time::Duration::from_secs(30),
        || async {
            let case = test
                .get_json_as(&applicant, &format!("/api/acceptance/v1/cases/{id}"))
                .await;
            (case["status"] == "concluded").then_some(case)
        },
    )
    .await;
    assert_eq!(
        (
            case["conclusion"].as_str(),
            case["results"][0]["name"].as_str()
        ),
        (Some("approved"), Some("营业执照"))
    );

    // Posted: the tracking number is required, and it goes out once.
    let (status, body) = post(
        &test,
        &clerk,
        &format!("/api/acceptance/v1/cases/{id}/deliver"),
        json!({ "method": "post", "carrier": "EMS" }),
    )
    .await;
    assert_eq!(
        (status, body["field"].as_str()),
        (400, Some("tracking_number"))
    );
    let (status, delivered) = post(
        &test,
        &clerk,
        &format!("/api/acceptance/v1/cases/{id}/deliver"),
        post_it.clone(),
    )
    .await;
    assert_eq!(
        (status, delivered["status"].as_str()),
        (200, Some("delivered")),
        "{delivered}"
    );
    assert_eq!(delivered["delivery"]["tracking_number"], "1180123456789");
    assert_eq!(delivered["visits"], 0, "nobody had to come: 一次都不跑");
    let (status, _) = post(
        &test,
        &clerk,
        &format!("/api/acceptance/v1/cases/{id}/deliver"),
        post_it,
    )
    .await;
    assert_eq!(status, 409);
    assert_eq!(
        test.get_as(
            &applicant,
            &format!("/api/acceptance/v1/cases/{id}/receipt")
        )
        .await
        .status(),
        200
    );

    let brokers = test.platform.broker.as_ref().unwrap().address();
    let events = read_events_until(&brokers, tongban_events::topics::ACCEPTANCE, |got| {
        got.iter().any(|e| of_type(e, "case_delivered"))
    })
    .await;
    let delivered: tongban_events::acceptance::v1::CaseDelivered = events
        .iter()
        .find(|e| of_type(e, "case_delivered"))
        .map(|e| prost::Message::decode(e.payload.as_slice()).unwrap())
        .unwrap();
    assert_eq!(
        (
            delivered.method.as_str(),
            delivered.tracking_number.as_str()
        ),
        ("post", "1180123456789")
    );

    test.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_case_is_pinned_to_the_version_in_force_when_first_submitted() {
    let test = TestPlatform::start(BrokerStorage::Memory).await;
    let code = item_in_force(&test).await;
    let admin = test.staff_token().await.to_owned();
    let (_, applicant) = citizen(&test, 8).await;
    let (_, stale) = post(
        &test,
        &applicant,
        "/api/acceptance/v1/cases",
        json!({ "implementation_code": code }),
    )
    .await;
    let (_, orphan) = post(
        &test,
        &applicant,
        "/api/acceptance/v1/cases",
        json!({ "implementation_code": code }),
    )
    .await;
    assert_eq!(stale["item_version"], 1);

    // Version 2 comes into force while the drafts wait (its materials keep their numbers).
    let mut v2 = get(&test, &format!("/api/catalogue/v1/items/{code}"))
        .await
        .1["spec"]
        .clone();
    v2["promised_time_limit"]["value"] = json!(4);
    let draft = test
        .http
        .put(test.url(&format!("/api/catalogue/v1/items/{code}/draft")))
        .bearer_auth(&admin)
        .json(&v2)
        .send()
        .await
        .unwrap();
    assert_eq!(draft.status(), 200);
    let published = test
        .post_as(
            &admin,
            &format!("/api/catalogue/v1/items/{code}/publish"),
            json!({ "version": 2 }),
        )
        .await;
    assert_eq!(published.status(), 200);
    test.eventually_counts(
        "acceptance to learn version 2",
        "select version::bigint from acceptance.offered_items",
        2,
    )
    .await;

    // The first submission pins the version in force.
    let id = stale["id"].as_str().unwrap();
    for material in stale["materials"].as_array().unwrap().iter().take(2) {
        let material = material["material_code"].as_str().unwrap();
        assert_eq!(
            upload(&test, &applicant, id, material, "application/pdf")
                .await
                .0,
            204
        );
    }
    let (status, submitted) = submit(&test, &applicant, id).await;
    assert_eq!(
        (status, submitted["case"]["item_version"].as_i64()),
        (200, Some(2)),
        "{submitted}"
    );

    // An item withdrawn meanwhile cannot be submitted.
    let withdrawn = test
        .post_as(
            &admin,
            &format!("/api/catalogue/v1/items/{code}/withdraw"),
            json!({ "reason": "职能调整" }),
        )
        .await;
    assert_eq!(withdrawn.status(), 200);
    test.eventually_counts(
        "acceptance to learn the withdrawal",
        "select count(*) from acceptance.offered_items",
        0,
    )
    .await;
    let id = orphan["id"].as_str().unwrap();
    let (status, body) = submit(&test, &applicant, id).await;
    assert_eq!(
        (status, body["field"].as_str()),
        (422, Some("implementation_code")),
        "{body}"
    );

    test.stop().await;
}
