//! Real-name levels (实名等级) end to end: an item states the level its applicants need; an
//! online applicant below it is refused until the national identity check (a loopback server
//! here, reached by the platform's real HTTP adapter) raises their account to level 2; a window
//! clerk raises a walk-in case to level 3 by recording the original ID check; an item that
//! states nothing takes level 1.

use std::sync::{Arc, Mutex};

use axum::http::{HeaderMap, StatusCode};
use tongban_identity::config::IdentitySettings;

use super::*;
use crate::harness::claims_of;

/// The credential the national check wants (a secret in a real deployment).
pub(crate) const CREDENTIAL: &str = "national-check-test-credential";

/// The national identity record, played by a loopback HTTP server that knows one person. It
/// answers as the real one is documented to (docs/api.md, "Real-name verification").
pub(crate) struct NationalRecord {
    pub(crate) url: String,
    /// Every request body it was sent, in order.
    pub(crate) asked: Arc<Mutex<Vec<Value>>>,
    pub(crate) server: tokio::task::JoinHandle<()>,
}

pub(crate) async fn national_record(name: &'static str, id_number: String) -> NationalRecord {
    let asked = Arc::new(Mutex::new(Vec::new()));
    let log = asked.clone();
    let answer = move |headers: HeaderMap, axum::Json(body): axum::Json<Value>| {
        let log = log.clone();
        let id_number = id_number.clone();
        async move {
            let bearer = format!("Bearer {CREDENTIAL}");
            if headers.get("authorization").and_then(|v| v.to_str().ok()) != Some(&bearer) {
                return (StatusCode::UNAUTHORIZED, axum::Json(json!({})));
            }
            log.lock().unwrap().push(body.clone());
            let result = match (body["id_number"].as_str(), body["name"].as_str()) {
                (Some(n), Some(given)) if n == id_number && given == name => "match",
                (Some(n), _) if n == id_number => "mismatch",
                _ => "not_found",
            };
            (StatusCode::OK, axum::Json(json!({ "result": result })))
        }
    };
    let app = axum::Router::new().route("/v1/identity-checks", axum::routing::post(answer));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!(
        "http://{}/v1/identity-checks",
        listener.local_addr().unwrap()
    );
    let server = tokio::spawn(async move {
        axum::serve(listener, app).await.unwrap();
    });
    NationalRecord { url, asked, server }
}

/// 个体工商户登记 of 赫山区 (county-wide) stating real-name level 2, in force and known to
/// acceptance; returns its code.
async fn level_two_item(test: &TestPlatform) -> String {
    let mut stated = spec(5, "county");
    stated["real_name_level"] = json!(2);
    item_in_force_with(test, HESHAN, "赫山区市场监督管理局", 501, stated).await
}

/// The ID number `citizen(test, n)` registers with.
fn id_number(n: u32) -> String {
    IdCardNumber::complete(&format!("43090319900101{n:03}"))
        .unwrap()
        .as_str()
        .to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_online_applicant_below_the_items_level_is_refused_until_verified() {
    let record = national_record("李四", id_number(7)).await;
    let url = record.url.clone();
    let test = TestPlatform::start_with(BrokerStorage::Memory, |settings| {
        let identity = settings.section_mut::<IdentitySettings>().unwrap();
        identity.real_name_check_url = url;
        identity.real_name_check_credential = CREDENTIAL.into();
        identity.real_name_checks_per_day = 2;
    })
    .await;
    let code = level_two_item(&test).await;
    the_level_travels_from_the_catalogue_and_is_checked(&test).await;
    let (_, applicant) = citizen(&test, 7).await;
    assert_eq!(
        claims_of(&applicant)["rnl"],
        1,
        "a new account is unverified"
    );

    // Level 1 against an item that needs 2: refused, naming the level needed.
    let (id, materials) = draft_with_materials(&test, &applicant, &code).await;
    let (status, refused) = submit(&test, &applicant, &id).await;
    assert_eq!(status, 422, "{refused}");
    assert_eq!(refused["field"], "real_name_level");
    let message = refused["message"].as_str().unwrap();
    assert!(message.contains("needs real-name level 2"), "{message}");
    assert!(message.contains("accounts/me/real-name"), "{message}");

    // The national record does not know the name given; then it does.
    let verify = |name: &str| json!({ "name": name });
    let path = "/api/identity/v1/accounts/me/real-name";
    let (status, wrong) = post(&test, &applicant, path, verify("张三")).await;
    assert_eq!(
        (status, wrong["field"].as_str()),
        (422, Some("name")),
        "{wrong}"
    );
    let (status, verified) = post(&test, &applicant, path, verify(" 李四 ")).await;
    assert_eq!(status, 200, "{verified}");
    assert_eq!(verified["real_name_level"], 2);
    assert_eq!(verified["refresh_needed"], true);
    let asked = record.asked.lock().unwrap().clone();
    assert_eq!(asked.len(), 2, "one check per request, with the credential");
    assert_eq!(asked[1]["name"], "李四");
    assert_eq!(asked[1]["id_number"], id_number(7).as_str());
    test.eventually_counts(
        "RealNameVerified on the outbox",
        "select count(*) from identity.outbox where ce_type = 'cn.tongban.identity.real_name_verified.v1'",
        1,
    )
    .await;
    // Asking again changes nothing and asks the record nothing.
    let (status, again) = post(&test, &applicant, path, verify("李四")).await;
    assert_eq!(
        (status, again["refresh_needed"].as_bool()),
        (200, Some(false))
    );
    assert_eq!(record.asked.lock().unwrap().len(), 2);

    // The old token still says level 1; the next one says 2, and the submission goes through.
    assert_eq!(submit(&test, &applicant, &id).await.0, 422);
    let renewed = test.access_token(&id_number(7), "citizen-password").await;
    assert_eq!(claims_of(&renewed)["rnl"], 2);
    let (status, submitted) = submit(&test, &renewed, &id).await;
    assert_eq!(status, 200, "{submitted}");
    assert_eq!(
        (
            submitted["case"]["real_name_level"].as_u64(),
            submitted["case"]["real_name_level_needed"].as_u64()
        ),
        (Some(2), Some(2))
    );
    let identity_admin = test.admin("rn.admin", "430000000000").await;
    let (_, clerk) = test
        .staff_with_role(&identity_admin, "heshan.rn", "window_clerk", HESHAN)
        .await;
    let accepted = accepted_deferring(&test, &clerk, &id, &materials).await;
    assert_eq!(accepted["status"], "accepted");
    a_stolen_number_is_not_tried_against_name_after_name(&test, &record).await;
    record.server.abort();
    test.stop().await;
}

/// Two checks a day per account (as configured here): the third is a 429 with `Retry-After`,
/// and the national record is not asked.
async fn a_stolen_number_is_not_tried_against_name_after_name(
    test: &TestPlatform,
    record: &NationalRecord,
) {
    let (_, stranger) = citizen(test, 9).await;
    let path = "/api/identity/v1/accounts/me/real-name";
    for guess in ["张三", "王五"] {
        let (status, _) = post(test, &stranger, path, json!({ "name": guess })).await;
        assert_eq!(status, 422, "{guess}");
    }
    let asked = record.asked.lock().unwrap().len();
    let response = test
        .post_as(&stranger, path, json!({ "name": "赵六" }))
        .await;
    assert_eq!(response.status(), 429);
    assert!(response.headers().contains_key("retry-after"));
    assert_eq!(record.asked.lock().unwrap().len(), asked);
}

/// The catalogue keeps the stated level and tells acceptance; a level outside 1-3 is a 422
/// naming the field.
async fn the_level_travels_from_the_catalogue_and_is_checked(test: &TestPlatform) {
    assert_eq!(
        test.scalar("select max(real_name_level)::bigint from acceptance.item_versions")
            .await,
        2
    );
    let admin = test.staff_token().await.to_owned();
    let credit = department(test, HESHAN, "赫山区行政审批服务局", 509).await;
    let mut stated = spec(5, "county");
    stated["real_name_level"] = json!(4);
    let row =
        json!({ "basic_code": "014300001000", "department_credit_code": credit, "spec": stated });
    let (status, refused) =
        status_and_body(test.post_as(&admin, "/api/catalogue/v1/items", row).await).await;
    assert_eq!(
        (status, refused["field"].as_str()),
        (422, Some("spec.real_name_level")),
        "{refused}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_window_clerk_raises_a_walk_in_case_by_checking_the_original_id() {
    let test = TestPlatform::start(BrokerStorage::Memory).await;
    let code = level_two_item(&test).await;
    let identity_admin = test.admin("rn.window.admin", "430000000000").await;
    let (clerk_id, clerk) = test
        .staff_with_role(&identity_admin, "heshan.rn.window", "window_clerk", HESHAN)
        .await;
    let (_, anhua) = test
        .staff_with_role(&identity_admin, "anhua.rn.window", "window_clerk", ANHUA)
        .await;
    let walk_in = json!({
        "implementation_code": code, "receiving_region": HESHAN,
        "applicant": { "kind": "citizen", "name": "王五", "id_type": "resident_id_card",
                       "document_number": id_number(31) },
    });
    let (status, case) = post(&test, &clerk, "/api/acceptance/v1/cases/intake", walk_in).await;
    assert_eq!(status, 201, "{case}");
    assert_eq!(
        (
            case["real_name_level"].as_u64(),
            case["real_name_level_needed"].as_u64()
        ),
        (Some(1), Some(2))
    );
    let id = case["id"].as_str().unwrap().to_owned();
    for material in case["materials"].as_array().unwrap() {
        let material = material["material_code"].as_str().unwrap();
        assert_eq!(
            upload(&test, &clerk, &id, material, "image/png").await.0,
            204
        );
    }

    // Not submitted before the clerk has checked the original ID.
    let (status, refused) = submit(&test, &clerk, &id).await;
    assert_eq!(
        (status, refused["field"].as_str()),
        (422, Some("real_name_level")),
        "{refused}"
    );
    assert!(
        refused["message"]
            .as_str()
            .unwrap()
            .contains("identity-check")
    );
    let check = format!("/api/acceptance/v1/cases/{id}/identity-check");
    assert_eq!(
        post(&test, &anhua, &check, json!({})).await.0,
        404,
        "another county's clerk"
    );
    let (status, checked) = post(&test, &clerk, &check, json!({})).await;
    assert_eq!(status, 200, "{checked}");
    assert_eq!(checked["real_name_level"], 3);
    assert_eq!(checked["identity_check"]["checked_by"], clerk_id.as_str());
    assert!(checked["identity_check"]["checked_at"].is_string());
    let history = test
        .get_json_as(&clerk, &format!("/api/acceptance/v1/cases/{id}/history"))
        .await;
    let entry = history
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["action"] == "identity_checked")
        .expect("the check is in the case's history");
    assert_eq!(entry["actor"], clerk_id.as_str());
    assert_eq!(entry["detail"]["real_name_level"], 3);

    let (status, submitted) = submit(&test, &clerk, &id).await;
    assert_eq!(status, 200, "{submitted}");
    let (status, accepted) = post(
        &test,
        &clerk,
        &format!("/api/acceptance/v1/cases/{id}/accept"),
        json!({}),
    )
    .await;
    assert_eq!(
        (status, accepted["status"].as_str()),
        (200, Some("accepted")),
        "{accepted}"
    );
    assert_eq!(accepted["real_name_level"], 3);
    assert_eq!(
        post(&test, &clerk, &check, json!({})).await.0,
        409,
        "after the decision"
    );
    an_item_without_a_level_takes_level_one(&test).await;
    test.stop().await;
}

/// An item that states no level takes an unverified applicant; with no national check
/// configured, asking to be verified is a clear 503.
async fn an_item_without_a_level_takes_level_one(test: &TestPlatform) {
    let credit = department(test, HESHAN, "赫山区民政局", 502).await;
    let code = published_item(test, &credit, spec(5, "county")).await;
    test.eventually_counts(
        "acceptance to learn the second item",
        "select count(*) from acceptance.offered_items",
        2,
    )
    .await;
    let (_, applicant) = citizen(test, 8).await;
    let (id, _) = draft_with_materials(test, &applicant, &code).await;
    let (status, submitted) = submit(test, &applicant, &id).await;
    assert_eq!(status, 200, "{submitted}");
    assert_eq!(submitted["case"]["real_name_level"], 1);
    let (status, unconfigured) = post(
        test,
        &applicant,
        "/api/identity/v1/accounts/me/real-name",
        json!({ "name": "李四" }),
    )
    .await;
    assert_eq!(
        (status, unconfigured["code"].as_str()),
        (503, Some("not_configured")),
        "{unconfigured}"
    );
    assert!(
        unconfigured["message"]
            .as_str()
            .unwrap()
            .contains("real_name_check_url")
    );
}
