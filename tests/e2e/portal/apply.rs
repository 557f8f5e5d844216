//! Applying online on a phone (issue 27): a citizen applies for 出生一件事 from its guide,
//! uploads photos taken with the phone (an ID card held as an e-certificate stands in for its
//! material), gets the receipt; answers the window's correction notice from the inbox; is
//! accepted and follows the countdown; receives the result with its e-certificate once every
//! department decided its part, and rates the case, seeing what became of the bad rating.

use std::time::Duration;

use serde_json::{Value, json};

use tongban_identity::config::IdentitySettings;

use super::in_the_browser;
use crate::cases::real_name::{CREDENTIAL, national_record};
use crate::dashboard::browser_tools;
use crate::harness::{TestPlatform, eventually, staff_password};
use crate::items::{HESHAN, post};

/// The citizen of this test: their name as on their ID card, and their password.
const NAME: &str = "李四";
const PASSWORD: &str = "Apply-online-2026";

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_citizen_applies_for_a_life_event_on_a_phone_and_follows_it_to_the_result() {
    if !browser_tools() {
        return;
    }
    let document = tongban_kernel::IdCardNumber::complete("43090319880808123")
        .unwrap()
        .as_str()
        .to_owned();
    // 出生医学证明签发 needs basic real-name: the national identity record (a loopback server
    // here, reached by identity's real adapter) knows the citizen.
    let record = national_record(NAME, document.clone()).await;
    let url = record.url.clone();
    let test = TestPlatform::start_with(crate::harness::BrokerStorage::Memory, |settings| {
        let identity = settings.section_mut::<IdentitySettings>().unwrap();
        identity.real_name_check_url = url;
        identity.real_name_check_credential = CREDENTIAL.into();
    })
    .await;
    tongban::demo::load(&test.platform.settings, |_| {})
        .await
        .unwrap();
    test.eventually_counts(
        "acceptance to learn the demo's life events",
        "select count(*) from acceptance.offered_bundles",
        2,
    )
    .await;
    let registered = test
        .register_citizen(&document, "13700137000", PASSWORD)
        .await;
    assert_eq!(registered.status(), 201);
    let account: Value = registered.json().await.unwrap();
    let account = account["id"].as_str().unwrap().to_owned();
    // The national e-licence store has the parent's ID card (一证通办): published as the
    // platform's certificates arrive.
    crate::cases::holds_certificate(&test, &account, "居民身份证").await;
    let admin = test.admin("apply.admin", "430000000000").await;
    let (_, clerk) = test
        .staff_with_role(&admin, "apply.clerk", "window_clerk", HESHAN)
        .await;

    let applied = in_the_browser(
        &test,
        "apply",
        &[
            ("document", &document),
            ("password", PASSWORD),
            ("event", "出生一件事"),
            ("certificate", "居民身份证"),
            ("name", NAME),
        ],
    )
    .await;
    assert_eq!(applied["ok"], true, "{applied}");
    let id = applied["case"].as_str().unwrap().to_owned();
    let own = test.access_token(&document, PASSWORD).await;
    let case = test
        .get_json_as(&own, &format!("/api/acceptance/v1/cases/{id}"))
        .await;
    assert_eq!(case["status"], "submitted", "{case}");
    assert_eq!(case["number"], applied["number"], "the receipt's number");
    assert_eq!(case["channel"], "online");
    let opened = test
        .scalar(&format!(
            "select count(*) from acceptance.cases where applicant_id = '{account}' and parent_id is null"
        ))
        .await;
    assert_eq!(opened, 1, "the form sent twice opened one case");

    // The window asks, once, for a better scan of the first material the citizen uploaded.
    let fix = case["materials"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["attachment"].is_object())
        .unwrap()["material_code"]
        .as_str()
        .unwrap()
        .to_owned();
    let (status, body) = post(
        &test,
        &clerk,
        &format!("/api/acceptance/v1/cases/{id}/correction"),
        json!({ "items": [{ "material_code": fix, "reason": "照片模糊，请重新拍摄清晰的原件" }] }),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let corrected = in_the_browser(
        &test,
        "correct",
        &[
            ("document", &document),
            ("password", PASSWORD),
            ("reason", "照片模糊"),
        ],
    )
    .await;
    assert_eq!(corrected["ok"], true, "{corrected}");
    // The camera's photo, far over the limit, was made smaller on the phone and taken.
    let case = test
        .get_json_as(&own, &format!("/api/acceptance/v1/cases/{id}"))
        .await;
    let again = case["materials"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["material_code"] == fix.as_str())
        .unwrap()["attachment"]
        .clone();
    assert_eq!(again["content_type"], "image/jpeg", "{again}");
    assert_eq!(again["filename"], "IMG_0001.jpg", "{again}");
    assert!(
        again["size"].as_i64().unwrap() <= 2 * 1024 * 1024,
        "{again}"
    );

    // Accepted: the citizen follows the countdown, as on any case.
    let (status, body) = post(
        &test,
        &clerk,
        &format!("/api/acceptance/v1/cases/{id}/accept"),
        json!({}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let followed = in_the_browser(
        &test,
        "mine",
        &[
            ("document", &document),
            ("password", PASSWORD),
            ("item", "出生一件事"),
            ("other", "0193a4f2-0000-7000-8000-000000000001"),
        ],
    )
    .await;
    assert_eq!(followed["ok"], true, "{followed}");

    // Every department decides its part; the application concludes with the last.
    decide_every_part(&test, &admin, &own, &id).await;
    eventually(
        "the application to conclude",
        Duration::from_secs(60),
        || async {
            let view = test
                .get_json_as(&own, &format!("/api/acceptance/v1/cases/{id}"))
                .await;
            (view["status"] == "concluded").then_some(())
        },
    )
    .await;
    let rated = in_the_browser(
        &test,
        "result",
        &[
            ("document", &document),
            ("password", PASSWORD),
            ("event", "出生一件事"),
            ("result", "出生医学证明"),
        ],
    )
    .await;
    assert_eq!(rated["ok"], true, "{rated}");
    let rating = test
        .get_json_as(&own, &format!("/api/acceptance/v1/cases/{id}/rating"))
        .await;
    assert_eq!(rating["level"], "dissatisfied", "{rating}");
    assert_eq!(rating["remediation"]["state"], "pending", "{rating}");
    assert_eq!(record.asked.lock().unwrap().len(), 1, "one national check");
    // The certificate's face is its holder's: another citizen is told it does not exist.
    let certificate = test
        .scalar_text(&format!(
            "select c.id::text from approval.certificates c
             where c.holder_account_id = '{account}' and c.certificate_type = '出生医学证明'"
        ))
        .await;
    let face = format!("/api/approval/v1/certificates/{certificate}/face");
    assert_eq!(test.get_as(&own, &face).await.status(), 200, "{face}");
    let (_, stranger) = crate::cases::citizen(&test, 977).await;
    assert_eq!(test.get_as(&stranger, &face).await.status(), 404);

    // Whoever the bad rating is assigned to calls the citizen back and remedies it; the case
    // page tells the citizen what was done.
    let assignee = test
        .scalar_text(
            "select coalesce(a.login, '') from acceptance.remediations r
             left join identity.accounts a on a.id = r.assignee_id",
        )
        .await;
    let fixer = if assignee.is_empty() {
        clerk.clone()
    } else {
        test.access_token(&assignee, &staff_password(&assignee))
            .await
    };
    let remediation = rating["remediation_id"].as_str().unwrap();
    let note = "已优化补正通知流程，当天告知申请人";
    for body in [
        json!({ "action": "callback", "reached": true, "note": "电话回访，申请人认可" }),
        json!({ "action": "fix", "note": note }),
    ] {
        let (status, answer) = post(
            &test,
            &fixer,
            &format!("/api/acceptance/v1/remediations/{remediation}/actions"),
            body,
        )
        .await;
        assert_eq!(status, 200, "{answer}");
    }
    let remedied = in_the_browser(
        &test,
        "outcome",
        &[
            ("document", &document),
            ("password", PASSWORD),
            ("event", "出生一件事"),
            ("note", note),
        ],
    )
    .await;
    assert_eq!(remedied["ok"], true, "{remedied}");

    // Another application, opened from an item's guide, is withdrawn before it is sent.
    let withdrawn = in_the_browser(
        &test,
        "withdraw",
        &[
            ("document", &document),
            ("password", PASSWORD),
            ("item", "11430903MB0001016W4074300102000"),
        ],
    )
    .await;
    assert_eq!(withdrawn["ok"], true, "{withdrawn}");
    let case = test
        .get_json_as(
            &own,
            &format!(
                "/api/acceptance/v1/cases/{}",
                withdrawn["case"].as_str().unwrap()
            ),
        )
        .await;
    assert_eq!(
        (case["status"].as_str(), case["withdrawal_reason"].as_str()),
        (Some("withdrawn"), Some("材料还没有准备好"))
    );
    record.server.abort();
}

/// Staff of each part's department decide it: one approver per step (separation of duties),
/// each step completed and the last decided, approving.
async fn decide_every_part(test: &TestPlatform, admin: &str, applicant: &str, id: &str) {
    let (_, supervisor) = test
        .staff_with_role(admin, "apply.supervisor", "supervisor", HESHAN)
        .await;
    let parts: Vec<String> = test
        .get_json_as(applicant, &format!("/api/acceptance/v1/cases/{id}"))
        .await["parts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(parts.len(), 4, "出生一件事 joins four items");
    for (n, part) in parts.iter().enumerate() {
        let item = eventually(
            "approval to open the part",
            Duration::from_secs(30),
            || async {
                let response = test
                    .get_as(&supervisor, &format!("/api/approval/v1/work-items/{part}"))
                    .await;
                let item: Value = response.json().await.ok()?;
                (item["state"] == "in_progress").then_some(item)
            },
        )
        .await;
        let department = item["department_id"].as_str().unwrap();
        let steps = item["steps"].as_array().unwrap().clone();
        let last = steps.last().unwrap()["position"].as_i64().unwrap();
        for step in steps.iter().filter(|s| s["state"] != "done") {
            let position = step["position"].as_i64().unwrap();
            let username = format!("apply.part{n}.step{position}");
            let staff = test.create_staff(admin, &username, HESHAN).await;
            let token = test
                .grant_in_department(admin, (&staff, &username), "approver", HESHAN, department)
                .await;
            let path = |action: &str| {
                format!("/api/approval/v1/work-items/{part}/steps/{position}/{action}")
            };
            let (status, body) = post(test, &token, &path("claim"), json!({})).await;
            assert_eq!(status, 200, "claim {position} of {part}: {body}");
            let (action, body) = if position == last {
                (
                    "decide",
                    json!({ "decision": "approve", "opinion": "同意" }),
                )
            } else {
                ("complete", json!({ "opinion": "材料齐全，符合条件" }))
            };
            let (status, answer) = post(test, &token, &path(action), body).await;
            assert_eq!(status, 200, "{action} {position} of {part}: {answer}");
        }
    }
}
