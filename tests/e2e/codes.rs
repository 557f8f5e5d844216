//! One-time codes: identity has them texted through the notification service (phone
//! verification, sign-in by text), limited per number, kept off every event stream, and the
//! SMS channel keeps to its cap per second.

use std::time::Duration;

use serde_json::{Value, json};

use crate::events::read_events_until;
use crate::harness::{BrokerStorage, TestPlatform, eventually};
use crate::items::post;
use crate::notification::sms_gateway;
use tongban_notification::config::NotificationSettings;

type Texts = std::sync::Arc<std::sync::Mutex<Vec<Value>>>;

/// The six-digit code in the `n`-th text (waiting for it), and the text.
async fn code_in(texts: &Texts, n: usize) -> (String, Value) {
    let text = eventually(
        "the text with the code",
        Duration::from_secs(20),
        || async { texts.lock().unwrap().get(n).cloned() },
    )
    .await;
    let content = text["content"].as_str().unwrap();
    let code: String = content
        .split(|c: char| !c.is_ascii_digit())
        .find(|run| run.len() == 6)
        .unwrap_or_else(|| panic!("no code in {content}"))
        .to_owned();
    (code, text)
}

async fn sms_sign_in(test: &TestPlatform, phone: &str, code: &str) -> (u16, Value) {
    let response = test
        .http
        .post(test.url("/api/identity/v1/oauth/token"))
        .form(&[
            ("grant_type", "urn:tongban:params:oauth:grant-type:sms_code"),
            ("phone", phone),
            ("code", code),
        ])
        .send()
        .await
        .unwrap();
    crate::items::status_and_body(response).await
}

async fn ask_sign_in_code(test: &TestPlatform, phone: &str) -> reqwest::Response {
    test.http
        .post(test.url("/api/identity/v1/oauth/sms-codes"))
        .json(&json!({ "phone": phone }))
        .send()
        .await
        .unwrap()
}

fn platform_texting(
    endpoint: String,
    clock: tongban_runtime::Clock,
) -> impl FnOnce(&mut tongban_runtime::Settings) {
    move |s| {
        s.clock = clock;
        s.section_mut::<NotificationSettings>()
            .unwrap()
            .sender_poll_ms = 50;
        s.section_mut::<NotificationSettings>()
            .unwrap()
            .sms_endpoint = endpoint;
        s.section_mut::<NotificationSettings>().unwrap().sms_api_key =
            "gateway-key".to_owned().into();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_citizen_proves_a_number_and_signs_in_with_a_texted_code() {
    let (endpoint, texts) = sms_gateway(0).await;
    let clock = tongban_runtime::Clock::adjustable();
    let test = TestPlatform::start_with(
        BrokerStorage::Memory,
        platform_texting(endpoint, clock.clone()),
    )
    .await;
    let (id, citizen) = crate::cases::citizen(&test, 71).await;
    let contact = test
        .get_json_as(&citizen, "/api/identity/v1/accounts/me/contact")
        .await;
    assert_eq!(contact["phone"], "13800138000");
    assert_eq!(contact["phone_verified"], false);

    nobody_but_identity_has_codes_texted(&test, &id, &citizen).await;
    let (code, wrong, challenges, verify) =
        a_texted_code_proves_the_number(&test, &citizen, &texts).await;
    the_code_is_not_kept_and_signs_the_citizen_in_once(&test, &code, &clock, &texts, wrong, &id)
        .await;
    the_number_changes_hands_and_a_code_expires(
        &test, challenges, &texts, verify, &citizen, &clock,
    )
    .await;
    no_code_travels_on_any_stream(&test, &texts).await;
    test.stop().await;
}

async fn nobody_but_identity_has_codes_texted(test: &TestPlatform, id: &str, citizen: &str) {
    // Nobody but identity has codes texted.
    let admin = test.admin("codes.admin", "430000000000").await;
    let (status, service) = post(
        test,
        &admin,
        "/api/identity/v1/accounts/services",
        json!({ "client_id": "partner-system", "name": "合作系统", "region_code": "430000000000" }),
    )
    .await;
    assert_eq!(status, 201, "{service}");
    let partner = test
        .http
        .post(test.url("/api/identity/v1/oauth/token"))
        .basic_auth("partner-system", service["client_secret"].as_str())
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap();
    let partner: Value = partner.json().await.unwrap();
    let forged = json!({
        "id": uuid::Uuid::now_v7(), "account_id": id, "phone": "13800138000",
        "purpose": "login", "code": "123456",
        "expires_at": chrono::Utc::now() + chrono::Duration::minutes(5),
    });
    for token in [citizen, &admin, partner["access_token"].as_str().unwrap()] {
        let (status, _) = post(test, token, "/api/notification/v1/codes", forged.clone()).await;
        assert_eq!(status, 403);
    }

    // A sign-in code for a number nobody proved: the same answer, and nothing is sent.
    let unknown = ask_sign_in_code(test, "13800138000").await;
    assert_eq!(unknown.status(), 202);
    let unknown: Value = unknown.json().await.unwrap();
    assert_eq!(unknown, json!({ "expires_in": 300, "resend_in": 60 }));
    let bad = ask_sign_in_code(test, "12345").await;
    assert_eq!(bad.status(), 400);
}

async fn a_texted_code_proves_the_number(
    test: &TestPlatform,
    citizen: &str,
    texts: &Texts,
) -> (String, &'static str, &'static str, &'static str) {
    // Proving the number: one text, at once, to it, with the code.
    let challenges = "/api/identity/v1/accounts/me/phone/challenges";
    let (status, challenge) = post(test, citizen, challenges, json!({})).await;
    assert_eq!(status, 202, "{challenge}");
    assert_eq!(challenge["phone"], "138****8000");
    let (code, text) = code_in(texts, 0).await;
    assert_eq!(text["to"], "13800138000");
    let content = text["content"].as_str().unwrap();
    assert!(
        content.starts_with("【通办】验证码：您正在验证手机号"),
        "{content}"
    );
    assert!(content.contains("5分钟内有效"), "{content}");

    // Another at once is refused, saying when; so is a number that is not one.
    let again = test.post_as(citizen, challenges, json!({})).await;
    assert_eq!(again.status(), 429);
    let wait: u64 = again.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((55..=60).contains(&wait), "Retry-After {wait}");
    let again: Value = again.json().await.unwrap();
    assert_eq!(again["field"], "phone");
    let (status, _) = post(test, citizen, challenges, json!({ "phone": "12345" })).await;
    assert_eq!(status, 400);

    // A wrong code says how many tries are left; the right one proves the number.
    let verify = "/api/identity/v1/accounts/me/phone/verify";
    let challenge_id = challenge["challenge_id"].clone();
    let wrong = if code == "000000" { "111111" } else { "000000" };
    let (status, body) = post(
        test,
        citizen,
        verify,
        json!({ "challenge_id": challenge_id, "code": wrong }),
    )
    .await;
    assert_eq!((status, body["field"].as_str()), (422, Some("code")));
    assert!(
        body["message"].as_str().unwrap().contains("4 tries left"),
        "{body}"
    );
    let (status, proved) = post(
        test,
        citizen,
        verify,
        json!({ "challenge_id": challenge_id, "code": code }),
    )
    .await;
    assert_eq!(status, 200, "{proved}");
    assert_eq!(proved["phone_verified"], true);
    let (status, body) = post(
        test,
        citizen,
        verify,
        json!({ "challenge_id": challenge_id, "code": code }),
    )
    .await;
    assert_eq!(
        (status, body["field"].as_str()),
        (422, Some("challenge_id")),
        "used once"
    );
    (code, wrong, challenges, verify)
}

async fn the_code_is_not_kept_and_signs_the_citizen_in_once(
    test: &TestPlatform,
    code: &str,
    clock: &tongban_runtime::Clock,
    texts: &Texts,
    wrong: &'static str,
    id: &str,
) {
    let id = id.to_owned();
    // The stored text no longer holds the code; the message went urgent, sent.
    let (body, urgent) = eventually(
        "the text recorded as sent",
        Duration::from_secs(20),
        || async {
            sqlx::query_as::<_, (String, bool)>(
                "select body, urgent from notification.messages
             where template = 'phone_verification_code' and status = 'sent'",
            )
            .fetch_optional(&test.db)
            .await
            .unwrap()
        },
    )
    .await;
    assert!(!body.contains(code) && body.contains("******"), "{body}");
    assert!(urgent);

    // Signing in by text: the code goes to the proved number; a wrong code fails, the right
    // one signs the citizen in, once.
    // (The request for it before it was proved counts: the limits hold for every number.)
    assert_eq!(ask_sign_in_code(test, "13800138000").await.status(), 429);
    clock.advance(chrono::Duration::seconds(61));
    assert_eq!(ask_sign_in_code(test, "138 0013 8000").await.status(), 202);
    let (login_code, text) = code_in(texts, 1).await;
    assert!(
        text["content"]
            .as_str()
            .unwrap()
            .starts_with("【通办】登录验证码"),
        "{text}"
    );
    let (status, body) = sms_sign_in(test, "13800138000", wrong).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_grant"))
    );
    let (status, tokens) = sms_sign_in(test, "13800138000", &login_code).await;
    assert_eq!(status, 200, "{tokens}");
    let me = test
        .get_json_as(
            tokens["access_token"].as_str().unwrap(),
            "/api/identity/v1/accounts/me",
        )
        .await;
    assert_eq!(me["id"], id.as_str());
    assert!(tokens["refresh_token"].is_string());
    let (status, _) = sms_sign_in(test, "13800138000", &login_code).await;
    assert_eq!(status, 400, "a code signs in once");
}

async fn the_number_changes_hands_and_a_code_expires(
    test: &TestPlatform,
    challenges: &'static str,
    texts: &Texts,
    verify: &'static str,
    citizen: &str,
    clock: &tongban_runtime::Clock,
) {
    // The number changes hands: another citizen proves it (a minute later) and takes it over.
    let (_, other) = crate::cases::citizen(test, 72).await;
    let (status, challenge) = post(test, &other, challenges, json!({})).await;
    assert_eq!(status, 202, "{challenge}");
    let (code, _) = code_in(texts, 2).await;
    let (status, _) = post(
        test,
        &other,
        verify,
        json!({ "challenge_id": challenge["challenge_id"], "code": code }),
    )
    .await;
    assert_eq!(status, 200);
    let contact = test
        .get_json_as(citizen, "/api/identity/v1/accounts/me/contact")
        .await;
    assert_eq!(contact["phone_verified"], false);
    // Changing one's number unproves it.
    let (status, changed) = crate::items::put_as(
        test,
        &other,
        "/api/identity/v1/accounts/me/contact",
        json!({ "phone": "13900139000" }),
    )
    .await;
    assert_eq!((status, &changed["phone_verified"]), (200, &json!(false)));

    // A code is good for five minutes.
    clock.advance(chrono::Duration::seconds(61));
    let (status, challenge) = post(test, &other, challenges, json!({})).await;
    assert_eq!(status, 202, "{challenge}");
    let (code, text) = code_in(texts, 3).await;
    assert_eq!(text["to"], "13900139000");
    clock.advance(chrono::Duration::minutes(6));
    let (status, body) = post(
        test,
        &other,
        verify,
        json!({ "challenge_id": challenge["challenge_id"], "code": code }),
    )
    .await;
    assert_eq!(
        (status, body["field"].as_str()),
        (422, Some("challenge_id"))
    );
}

async fn no_code_travels_on_any_stream(test: &TestPlatform, texts: &Texts) {
    // The province measures the texts' reach, but no code travels on any stream.
    let brokers = test.platform.broker.as_ref().unwrap().address();
    let sent = read_events_until(&brokers, tongban_events::topics::NOTIFICATION, |got| {
        got.iter()
            .filter(|r| {
                r.header("ce_type").as_deref() == Some("cn.tongban.notification.message_sent.v1")
                    && String::from_utf8_lossy(&r.payload).contains("one_time_code")
            })
            .count()
            >= 4
    })
    .await;
    let codes: Vec<String> = texts
        .lock()
        .unwrap()
        .iter()
        .map(|t| {
            let content = t["content"].as_str().unwrap();
            content
                .split(|c: char| !c.is_ascii_digit())
                .find(|run| run.len() == 6)
                .unwrap()
                .to_owned()
        })
        .collect();
    assert_eq!(codes.len(), 4);
    let identity = read_events_until(&brokers, tongban_events::topics::IDENTITY, |_| false).await;
    for event in sent.iter().chain(&identity) {
        let payload = String::from_utf8_lossy(&event.payload);
        for code in &codes {
            assert!(
                !payload.contains(code.as_str()),
                "a code on a stream: {payload}"
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_code_is_never_sent_late_and_texts_keep_to_the_channels_cap() {
    // The gateway fails the first text; its retry waits a minute.
    let (endpoint, texts) = sms_gateway(1).await;
    let clock = tongban_runtime::Clock::adjustable();
    let texting = platform_texting(endpoint, clock.clone());
    let test = TestPlatform::start_with(BrokerStorage::Memory, move |s| {
        texting(s);
        s.section_mut::<NotificationSettings>()
            .unwrap()
            .retry_base_ms = 60_000;
        s.section_mut::<NotificationSettings>()
            .unwrap()
            .sms_per_second = 2;
    })
    .await;
    let challenges = "/api/identity/v1/accounts/me/phone/challenges";

    // A code the gateway did not take before it expired is given up, not sent late, and its
    // stored text loses the code.
    let (_, late) = crate::cases::citizen(&test, 79).await;
    let (status, _) = post(&test, &late, challenges, json!({})).await;
    assert_eq!(status, 202);
    let (code, _) = code_in(&texts, 0).await;
    eventually("the failed attempt", Duration::from_secs(20), || async {
        let status: String =
            sqlx::query_scalar("select status from notification.messages where channel = 'sms'")
                .fetch_one(&test.db)
                .await
                .unwrap();
        (status == "failed_temporary").then_some(())
    })
    .await;
    clock.advance(chrono::Duration::minutes(10));
    let (body, error) = eventually("the code given up", Duration::from_secs(20), || async {
        sqlx::query_as::<_, (String, String)>(
            "select body, last_error from notification.messages
             where channel = 'sms' and status = 'failed_permanent'",
        )
        .fetch_optional(&test.db)
        .await
        .unwrap()
    })
    .await;
    assert!(error.contains("expired"), "{error}");
    assert!(!body.contains(&code), "{body}");
    assert_eq!(texts.lock().unwrap().len(), 1, "never sent late");

    // Six codes asked at once go out two at once, then one every half second.
    let mut citizens = Vec::new();
    for n in 0..6 {
        citizens.push(crate::cases::citizen(&test, 80 + n).await.1);
    }
    for (n, citizen) in citizens.iter().enumerate() {
        let (status, body) = post(
            &test,
            citizen,
            challenges,
            json!({ "phone": format!("1390000000{n}") }),
        )
        .await;
        assert_eq!(status, 202, "{body}");
    }
    code_in(&texts, 6).await;
    let received: Vec<i64> = texts.lock().unwrap()[1..]
        .iter()
        .map(|t| t["received_ms"].as_i64().unwrap())
        .collect();
    let span = received.iter().max().unwrap() - received.iter().min().unwrap();
    assert!(span >= 1_800, "six texts at 2/s took only {span} ms");
    let deferred = test
        .scalar("select count(*) from notification.messages where last_error like '%cap%'")
        .await;
    assert_eq!(deferred, 0, "short waits are waited, not deferred");

    test.stop().await;
}
