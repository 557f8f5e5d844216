//! The online hall (issue 27) through the gateway, on a phone in headless Chromium
//! (`tests/browser/portal.mjs`): a citizen finds 出生一件事 and reads the guides, searches by
//! words and region, turns the elders' mode on and off; a visitor looks a case up by its
//! number and query password; a window visit is rated from its QR page. Over plain HTTP: the
//! hall's answers carry its security headers and cookies, a form without its value changes
//! nothing, and a withdrawn address or an unknown item is a page that says so.

mod apply;
mod enterprise;
mod sms;

use reqwest::header::{CONTENT_SECURITY_POLICY, COOKIE, SET_COOKIE};
use serde_json::{Value, json};

use crate::cases::{accepted_deferring, citizen, item_in_force, submitted_case};
use crate::dashboard::browser_tools;
use crate::harness::{BrokerStorage, TestPlatform};
use crate::items::{HESHAN, post};

/// Runs `scenario` of `tests/browser/portal.mjs` against `test` with `args`; the report.
async fn in_the_browser(test: &TestPlatform, scenario: &str, args: &[(&str, &str)]) -> Value {
    crate::dashboard::scenario(test, ("portal.mjs", "portal"), scenario, args).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_online_hall_on_a_phone() {
    if !browser_tools() {
        return;
    }
    let test = TestPlatform::start(BrokerStorage::Memory).await;
    // A case to look up and a visit to rate, before the demo catalogue joins the item.
    let code = item_in_force(&test).await;
    let (_, applicant) = citizen(&test, 71).await;
    let (id, _) = submitted_case(&test, &applicant, &code).await;
    let (status, issued) = post(
        &test,
        &applicant,
        &format!("/api/acceptance/v1/cases/{id}/query-password"),
        json!({}),
    )
    .await;
    assert_eq!(status, 200, "{issued}");
    let admin = test.admin("portal.admin", "430000000000").await;
    let (_, clerk) = test
        .staff_with_role(&admin, "portal.clerk", "window_clerk", HESHAN)
        .await;
    let (status, visit) = post(
        &test,
        &clerk,
        "/api/acceptance/v1/visits",
        json!({ "case_id": id, "purpose": "pickup" }),
    )
    .await;
    assert_eq!(status, 201, "{visit}");
    tongban::demo::load(&test.platform.settings, |_| {})
        .await
        .unwrap();

    let report = in_the_browser(
        &test,
        "phone",
        &[
            ("event", "出生一件事"),
            ("words", "出生"),
            ("city", "益阳市"),
            ("county", "赫山区"),
        ],
    )
    .await;
    assert_eq!(report["ok"], true, "{report}");
    let report = in_the_browser(
        &test,
        "lookup",
        &[
            ("number", issued["number"].as_str().unwrap()),
            ("password", issued["query_password"].as_str().unwrap()),
            ("item", "个体工商户登记"),
        ],
    )
    .await;
    assert_eq!(report["ok"], true, "{report}");
    let report = in_the_browser(
        &test,
        "rate",
        &[("code", visit["rating_code"].as_str().unwrap())],
    )
    .await;
    assert_eq!(report["ok"], true, "{report}");

    // A citizen registers on the phone; a case of theirs is accepted at the window; they find
    // it in their applications with its countdown, and not another person's.
    let document = tongban_kernel::IdCardNumber::complete("43090319900101072").unwrap();
    let password = "Hall-visitor-2026";
    let report = in_the_browser(
        &test,
        "account",
        &[
            ("name", "王小明"),
            ("document", document.as_str()),
            ("phone", "13900139000"),
            ("password", password),
        ],
    )
    .await;
    assert_eq!(report["ok"], true, "{report}");
    let own = test.access_token(document.as_str(), password).await;
    let (own_case, materials) = submitted_case(&test, &own, &code).await;
    accepted_deferring(&test, &clerk, &own_case, &materials).await;
    let report = in_the_browser(
        &test,
        "mine",
        &[
            ("document", document.as_str()),
            ("password", password),
            ("item", "个体工商户登记"),
            ("other", &id),
        ],
    )
    .await;
    assert_eq!(report["ok"], true, "{report}");
    let ratings = test
        .get_json_as(
            test.staff_token().await,
            &format!("/api/acceptance/v1/ratings?region_code={HESHAN}"),
        )
        .await;
    assert!(
        ratings
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["level"] == "dissatisfied" && r["channel"] == "window"),
        "the visit's rating reached acceptance: {ratings}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_online_hall_answers_with_its_headers_and_refuses_forged_forms() {
    let test = TestPlatform::start(BrokerStorage::Memory).await;
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();

    // The front door is the hall: its policy, no caching, and a pre-session value for its
    // forms, kept from scripts and other sites.
    let front = http.get(test.url("/")).send().await.unwrap();
    assert_eq!(front.status(), 200);
    let policy = front.headers()[CONTENT_SECURITY_POLICY].to_str().unwrap();
    assert!(policy.starts_with("default-src 'self'"), "{policy}");
    assert!(policy.contains("frame-ancestors 'none'"), "{policy}");
    assert_eq!(front.headers()["cache-control"], "no-store");
    let pre = front.headers()[SET_COOKIE].to_str().unwrap().to_owned();
    for part in [
        "tongban_portal_pre=",
        "HttpOnly",
        "SameSite=Strict",
        "Path=/",
    ] {
        assert!(pre.contains(part), "{pre}");
    }
    let value = pre
        .split(';')
        .next()
        .and_then(|pair| pair.split_once('='))
        .map(|(_, v)| v.to_owned())
        .unwrap();
    let html = front.text().await.unwrap();
    assert!(html.contains("<html lang=\"zh-CN\""), "Chinese first");

    // A lookup posted from elsewhere (no value, or a wrong one) is refused; with the page's
    // value it is answered (here: no such case).
    let form = [
        ("number", "X".repeat(43)),
        ("password", "abcdef".to_owned()),
    ];
    let forged = http
        .post(test.url("/lookup"))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), 403);
    let wrong = http
        .post(test.url("/lookup"))
        .header(COOKIE, format!("tongban_portal_pre={value}"))
        .form(&[
            ("csrf", "not-it"),
            ("number", &form[0].1),
            ("password", "abcdef"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), 403);
    let asked = http
        .post(test.url("/lookup"))
        .header(COOKIE, format!("tongban_portal_pre={value}"))
        .form(&[
            ("csrf", value.as_str()),
            ("number", &form[0].1),
            ("password", "abcdef"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(asked.status(), 422);
    assert!(
        asked
            .text()
            .await
            .unwrap()
            .contains("办件编号或查询密码不正确")
    );

    // An unknown item and an unknown address are pages that say so; the API is not a page.
    let unknown = http
        .get(test.url("/items/11430903MB0001015R4204399999000"))
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status(), 404);
    assert!(unknown.text().await.unwrap().contains("没有找到"));
    assert_eq!(
        http.get(test.url("/no-such-page"))
            .send()
            .await
            .unwrap()
            .status(),
        404
    );
    assert_eq!(
        http.get(test.url("/api/acceptance/v1/cases/mine"))
            .send()
            .await
            .unwrap()
            .status(),
        401,
        "the API still needs a token"
    );

    // The language switch comes back to the page, and only to the hall's own pages.
    let english = http
        .get(test.url("/lang/en?back=%2Fsearch"))
        .send()
        .await
        .unwrap();
    assert_eq!(english.status(), 303);
    assert_eq!(english.headers()["location"], "/search");
    let elsewhere = http
        .get(test.url("/elders/on?back=https%3A%2F%2Fexample.org%2F"))
        .send()
        .await
        .unwrap();
    assert_eq!(elsewhere.headers()["location"], "/");
    let kept = elsewhere.headers()[SET_COOKIE].to_str().unwrap();
    assert!(kept.starts_with("tongban_elders=1;"), "{kept}");
    let page = http
        .get(test.url("/search"))
        .header(COOKIE, "tongban_elders=1; tongban_lang=en")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("<html lang=\"en\" class=\"elders\""),
        "{}",
        &page[..200.min(page.len())]
    );
}
