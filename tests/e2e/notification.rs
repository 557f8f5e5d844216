//! Notification end to end: the platform's events become in-app messages for the people they
//! concern — the applicant hears of the correction notice and the acceptance, the department's
//! approvers of the new case — rendered from versioned templates that refuse unknown
//! variables, once per event however often it arrives.

use std::time::Duration;

use serde_json::{Value, json};

use crate::harness::{BrokerStorage, TestPlatform, eventually};
use crate::items::{HESHAN, post, put_as, status_and_body};
use tongban_notification::config::NotificationSettings;

mod inbox;

/// `token`'s inbox once it holds a message of `template`.
pub(crate) async fn inbox_with(test: &TestPlatform, token: &str, template: &str) -> Value {
    eventually("the message to arrive", Duration::from_secs(30), || async {
        let inbox = test.get_json_as(token, "/api/notification/v1/inbox").await;
        inbox["messages"]
            .as_array()?
            .iter()
            .any(|m| m["template"] == template)
            .then_some(inbox)
    })
    .await
}

/// One call the partner's loopback server took.
#[derive(Debug, Clone)]
struct Call {
    path: &'static str,
    delivery: String,
    /// Whether the signature matched the subscription's secret and a fresh timestamp.
    signed: bool,
    body: Value,
}

/// A partner system on loopback: `/flaky` answers 503 three times, then 200; `/gone` answers
/// 410. Each call's signature is checked against the secret set for its path.
#[derive(Default)]
struct Partner {
    calls: std::sync::Mutex<Vec<Call>>,
    secrets: std::sync::Mutex<std::collections::HashMap<&'static str, String>>,
}

impl Partner {
    fn take(&self, path: &'static str, headers: &axum::http::HeaderMap, body: &str) -> usize {
        let header = |name: &str| {
            headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_owned()
        };
        let signature = header("x-tongban-signature");
        let timestamp: i64 = signature
            .strip_prefix("t=")
            .and_then(|s| s.split(',').next())
            .and_then(|t| t.parse().ok())
            .unwrap_or_default();
        let secret = self
            .secrets
            .lock()
            .unwrap()
            .get(path)
            .cloned()
            .unwrap_or_default();
        let signed = signature
            == tongban_notification::delivery::signature(&secret, timestamp, body)
            && (chrono::Utc::now().timestamp() - timestamp).abs() < 60;
        let mut calls = self.calls.lock().unwrap();
        calls.push(Call {
            path,
            delivery: header("x-tongban-delivery"),
            signed,
            body: serde_json::from_str(body).unwrap_or(Value::Null),
        });
        calls.iter().filter(|c| c.path == path).count()
    }

    fn calls(&self, path: &str) -> Vec<Call> {
        self.calls
            .lock()
            .unwrap()
            .iter()
            .filter(|c| c.path == path)
            .cloned()
            .collect()
    }
}

async fn partner() -> (String, std::sync::Arc<Partner>) {
    use axum::http::{HeaderMap, StatusCode};
    let seen = std::sync::Arc::new(Partner::default());
    let (flaky, gone) = (seen.clone(), seen.clone());
    let app = axum::Router::new()
        .route(
            "/flaky",
            axum::routing::post(move |headers: HeaderMap, body: String| {
                let seen = flaky.clone();
                async move {
                    if seen.take("/flaky", &headers, &body) <= 3 {
                        StatusCode::SERVICE_UNAVAILABLE
                    } else {
                        StatusCode::OK
                    }
                }
            }),
        )
        .route(
            "/gone",
            axum::routing::post(move |headers: HeaderMap, body: String| {
                let seen = gone.clone();
                async move {
                    seen.take("/gone", &headers, &body);
                    StatusCode::GONE
                }
            }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    (format!("http://{address}"), seen)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_partner_webhook_is_signed_retried_with_back_off_and_delivered_once() {
    let test = TestPlatform::start_with(BrokerStorage::Memory, |s| {
        s.section_mut::<NotificationSettings>()
            .unwrap()
            .retry_base_ms = 100;
        s.section_mut::<NotificationSettings>()
            .unwrap()
            .sender_poll_ms = 50;
        // The partner listens on loopback: webhooks reach it only because it is allowed.
        s.section_mut::<NotificationSettings>()
            .unwrap()
            .outbound_allow = vec!["127.0.0.1".into()];
    })
    .await;
    let code =
        crate::cases::item_in_force_in(&test, HESHAN, "赫山区市场监督管理局", 902, "county").await;
    let admin = test.admin("webhook.admin", "430000000000").await;
    let (_, clerk) = test
        .staff_with_role(&admin, "webhook.clerk", "window_clerk", HESHAN)
        .await;
    let (base, partner) = partner().await;
    let accepted = "cn.tongban.acceptance.case_accepted.v1";

    // Connected by a province's identity administrator; bad input names its field.
    let hooks = "/api/notification/v1/webhooks";
    for (body, status, field) in [
        (
            json!({ "name": "x", "url": "ftp://partner", "event_types": [accepted] }),
            400,
            "url",
        ),
        (
            json!({ "name": "x", "url": base, "event_types": [] }),
            400,
            "event_types",
        ),
        (
            json!({ "name": "x", "url": base, "event_types": ["cn.tongban.identity.account_locked.v1"] }),
            422,
            "event_types[0]",
        ),
    ] {
        let (got, answer) = post(&test, &admin, hooks, body).await;
        assert_eq!(
            (got, answer["field"].as_str()),
            (status, Some(field)),
            "{answer}"
        );
    }
    assert_eq!(
        post(
            &test,
            &clerk,
            hooks,
            json!({ "name": "x", "url": base, "event_types": [accepted] })
        )
        .await
        .0,
        403
    );
    let mut subscriptions = Vec::new();
    for path in ["/flaky", "/gone"] {
        let (status, made) = post(
            &test,
            &admin,
            hooks,
            json!({ "name": format!("政务数据共享{path}"), "url": format!("{base}{path}"), "event_types": [accepted] }),
        )
        .await;
        assert_eq!(status, 201, "{made}");
        partner
            .secrets
            .lock()
            .unwrap()
            .insert(path, made["secret"].as_str().unwrap().to_owned());
        subscriptions.push(made["id"].as_str().unwrap().to_owned());
    }
    let listed = test.get_json_as(&admin, hooks).await;
    assert_eq!(listed.as_array().unwrap().len(), 2);
    assert!(listed[0].get("secret").is_none(), "shown once only");

    // A case is accepted: the flaky partner is called until it answers 200 (three 503s, then
    // delivered, each signed, all with the same delivery id); the gone one once, then never.
    let (_, applicant) = crate::cases::citizen(&test, 92).await;
    let (id, materials) = crate::cases::submitted_case(&test, &applicant, &code).await;
    crate::cases::accepted_deferring(&test, &clerk, &id, &materials).await;
    // A subscription's deliveries once its latest has `status`.
    let deliveries_when = |subscription: &str, status: &'static str| {
        let (test, admin, path) = (&test, &admin, format!("{hooks}/{subscription}/deliveries"));
        async move {
            eventually(status, Duration::from_secs(30), || async {
                let got = test.get_json_as(admin, &path).await;
                (got[0]["status"] == status).then_some(got)
            })
            .await
        }
    };
    let deliveries = deliveries_when(&subscriptions[0], "delivered").await;
    assert_eq!(deliveries.as_array().unwrap().len(), 1);
    assert_eq!(deliveries[0]["attempts"], 4);
    let calls = partner.calls("/flaky");
    assert_eq!(calls.len(), 4);
    assert!(calls.iter().all(|c| c.signed), "{calls:?}");
    assert!(calls.iter().all(|c| c.delivery == calls[0].delivery));
    assert_eq!(
        calls[0].delivery,
        deliveries[0]["message_id"].as_str().unwrap()
    );
    assert_eq!(calls[3].body["event_type"], accepted);
    assert_eq!(calls[3].body["case_id"], id.as_str());
    let gone = deliveries_when(&subscriptions[1], "failed_permanent").await;
    assert_eq!(gone[0]["attempts"], 1);
    assert!(gone[0]["last_error"].as_str().unwrap().contains("410"));
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(partner.calls("/gone").len(), 1);
    assert_eq!(
        test.scalar(
            "select count(*) from notification.delivery_attempts where outcome = 'failed_temporary'"
        )
        .await,
        3
    );

    // Each outcome is an event for the province: sent and delivered, and the failure (the
    // acceptance's text, with no SMS gateway here, fails too: only the webhooks' are read).
    use tongban_events::notification::v1::{MessageFailed, MessageSent};
    fn webhook<M: prost::Message + Default>(
        events: &[crate::events::Received],
        name: &str,
        channel: impl Fn(&M) -> String,
    ) -> Option<M> {
        events
            .iter()
            .filter(|e| e.header("ce_type") == Some(format!("cn.tongban.notification.{name}.v1")))
            .map(|e| M::decode(e.payload.as_slice()).unwrap())
            .find(|m| channel(m) == "webhook")
    }
    let failed_channel = |m: &MessageFailed| m.message.clone().unwrap_or_default().channel;
    let sent_channel = |m: &MessageSent| m.message.clone().unwrap_or_default().channel;
    let brokers = test.platform.broker.as_ref().unwrap().address();
    let events =
        crate::events::read_events_until(&brokers, tongban_events::topics::NOTIFICATION, |got| {
            webhook(got, "message_failed", failed_channel).is_some()
                && webhook(got, "message_sent", sent_channel).is_some()
        })
        .await;
    let failed = webhook(&events, "message_failed", failed_channel).unwrap();
    assert_eq!(failed.attempts, 1);
    let sent = webhook(&events, "message_sent", sent_channel).unwrap();
    assert_eq!(sent.attempt, 4);

    test.stop().await;
}

/// A loopback SMS gateway: answers 503 to the first `failing` texts, then takes them (200 with
/// its own id); returns its URL and the texts it was sent, each with the Unix milliseconds it
/// came in at as `received_ms`.
pub(crate) async fn sms_gateway(
    failing: usize,
) -> (String, std::sync::Arc<std::sync::Mutex<Vec<Value>>>) {
    use axum::http::{HeaderMap, StatusCode};
    let texts = std::sync::Arc::new(std::sync::Mutex::new(Vec::<Value>::new()));
    let seen = texts.clone();
    let app = axum::Router::new().route(
        "/sms",
        axum::routing::post(
            move |headers: HeaderMap, axum::Json(text): axum::Json<Value>| {
                let seen = seen.clone();
                async move {
                    let authorized = headers.get("authorization").and_then(|v| v.to_str().ok())
                        == Some("Bearer gateway-key");
                    let mut text = text;
                    text["received_ms"] = json!(chrono::Utc::now().timestamp_millis());
                    let mut texts = seen.lock().unwrap();
                    texts.push(text);
                    if !authorized {
                        (StatusCode::UNAUTHORIZED, axum::Json(json!({})))
                    } else if texts.len() <= failing {
                        (StatusCode::SERVICE_UNAVAILABLE, axum::Json(json!({})))
                    } else {
                        (StatusCode::OK, axum::Json(json!({ "id": "gw-1" })))
                    }
                }
            },
        ),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    (format!("http://{address}/sms"), texts)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_correction_notice_is_texted_once_after_the_gateway_failed_three_times() {
    let (endpoint, texts) = sms_gateway(3).await;
    let test = TestPlatform::start_with(BrokerStorage::Memory, move |s| {
        s.section_mut::<NotificationSettings>()
            .unwrap()
            .retry_base_ms = 100;
        s.section_mut::<NotificationSettings>()
            .unwrap()
            .sender_poll_ms = 50;
        s.section_mut::<NotificationSettings>()
            .unwrap()
            .sms_endpoint = endpoint;
        s.section_mut::<NotificationSettings>().unwrap().sms_api_key =
            "gateway-key".to_owned().into();
    })
    .await;
    let code =
        crate::cases::item_in_force_in(&test, HESHAN, "赫山区市场监督管理局", 903, "county").await;
    let admin = test.admin("sms.admin", "430000000000").await;
    let (_, clerk) = test
        .staff_with_role(&admin, "sms.clerk", "window_clerk", HESHAN)
        .await;
    let (applicant_id, applicant) = crate::cases::citizen(&test, 93).await;

    // Contact details are for the notification service's account only.
    let contact = format!("/api/identity/v1/accounts/{applicant_id}/contact");
    assert_eq!(test.get_as(&applicant, &contact).await.status(), 403);
    assert_eq!(test.get_as(&admin, &contact).await.status(), 403);

    let (id, materials) = crate::cases::submitted_case(&test, &applicant, &code).await;
    let (status, _) = post(
        &test,
        &clerk,
        &format!("/api/acceptance/v1/cases/{id}/correction"),
        json!({ "items": [{ "material_code": materials[0], "reason": "申请书缺少签名" }] }),
    )
    .await;
    assert_eq!(status, 200);

    // Three 503s, then the gateway takes it: one text, to the number the applicant registered,
    // signed 【通办】, with the message as its reference; sent, awaiting the receipt.
    eventually("the text to be taken", Duration::from_secs(30), || async {
        let status: Option<String> =
            sqlx::query_scalar("select status from notification.messages where channel = 'sms'")
                .fetch_optional(&test.db)
                .await
                .unwrap();
        (status.as_deref() == Some("sent")).then_some(())
    })
    .await;
    let texts = texts.lock().unwrap().clone();
    assert_eq!(texts.len(), 4);
    let text = &texts[3];
    assert_eq!(text["to"], "13800138000");
    let content = text["content"].as_str().unwrap();
    assert!(
        content.starts_with("【通办】请补正材料：您的办件"),
        "{content}"
    );
    assert!(content.contains("申请书缺少签名"), "{content}");
    assert!(texts.iter().all(|t| t["reference"] == text["reference"]));
    let reference = text["reference"].as_str().unwrap().to_owned();

    // The gateway's receipt: refused unsigned or wrongly signed, taken signed.
    let receipts = test.url("/api/notification/v1/receipts/sms");
    let body = json!({ "reference": reference, "status": "delivered" }).to_string();
    let send = |signature: String| {
        let (test, receipts, body) = (&test, receipts.clone(), body.clone());
        async move {
            test.http
                .post(receipts)
                .header("content-type", "application/json")
                .header("x-tongban-signature", signature)
                .body(body)
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }
    };
    let now = chrono::Utc::now().timestamp();
    assert_eq!(
        send(tongban_notification::delivery::signature(
            "wrong-key",
            now,
            &body
        ))
        .await,
        401
    );
    assert_eq!(
        send(tongban_notification::delivery::signature(
            "gateway-key",
            now - 3_600,
            &body
        ))
        .await,
        401,
        "a stale receipt"
    );
    assert_eq!(
        send(tongban_notification::delivery::signature(
            "gateway-key",
            now,
            &body
        ))
        .await,
        204
    );
    let (status, attempts): (String, i32) =
        sqlx::query_as("select status, attempts from notification.messages where channel = 'sms'")
            .fetch_one(&test.db)
            .await
            .unwrap();
    assert_eq!((status.as_str(), attempts), ("delivered", 4));
    assert_eq!(
        test.scalar("select count(*) from notification.messages where channel = 'sms'")
            .await,
        1,
        "one text"
    );

    test.stop().await;
}

/// The mails the test SMTP server received: recipients and data of each.
type Mailbox = std::sync::Arc<std::sync::Mutex<Vec<(Vec<String>, String)>>>;

/// A loopback SMTP server speaking just enough of RFC 5321 for a client to hand it mail; it
/// keeps each message's envelope recipients and data.
async fn smtp_server() -> (
    u16,
    std::sync::Arc<std::sync::Mutex<Vec<(Vec<String>, String)>>>,
) {
    use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
    let mail = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let kept = mail.clone();
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                return;
            };
            let kept = kept.clone();
            tokio::spawn(async move {
                let (read, mut write) = stream.into_split();
                let mut lines = BufReader::new(read).lines();
                let _ = write.write_all(b"220 tongban-test ESMTP\r\n").await;
                let mut recipients = Vec::new();
                while let Ok(Some(line)) = lines.next_line().await {
                    let upper = line.to_ascii_uppercase();
                    let answer: &[u8] = if upper.starts_with("EHLO") || upper.starts_with("HELO") {
                        b"250 tongban-test\r\n"
                    } else if upper.starts_with("RCPT TO:") {
                        recipients.push(line[8..].trim().trim_matches(['<', '>']).to_owned());
                        b"250 OK\r\n"
                    } else if upper.starts_with("DATA") {
                        let _ = write.write_all(b"354 go ahead\r\n").await;
                        let mut data = String::new();
                        while let Ok(Some(line)) = lines.next_line().await {
                            if line == "." {
                                break;
                            }
                            data.push_str(&line);
                            data.push('\n');
                        }
                        kept.lock()
                            .unwrap()
                            .push((std::mem::take(&mut recipients), data));
                        b"250 queued\r\n"
                    } else if upper.starts_with("QUIT") {
                        let _ = write.write_all(b"221 bye\r\n").await;
                        return;
                    } else {
                        b"250 OK\r\n"
                    };
                    if write.write_all(answer).await.is_err() {
                        return;
                    }
                }
            });
        }
    });
    (port, mail)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_correction_notice_is_mailed_to_an_applicant_who_gave_an_address_and_skipped_for_one_without()
 {
    let (port, mail) = smtp_server().await;
    let test = TestPlatform::start_with(BrokerStorage::Memory, move |s| {
        s.section_mut::<NotificationSettings>()
            .unwrap()
            .sender_poll_ms = 50;
        s.section_mut::<NotificationSettings>().unwrap().smtp_host = "127.0.0.1".into();
        s.section_mut::<NotificationSettings>().unwrap().smtp_port = port;
        s.section_mut::<NotificationSettings>().unwrap().smtp_tls = "none".into();
        s.section_mut::<NotificationSettings>().unwrap().mail_from =
            "通办 <noreply@tongban.test>".into();
    })
    .await;
    let code =
        crate::cases::item_in_force_in(&test, HESHAN, "赫山区市场监督管理局", 904, "county").await;
    let admin = test.admin("mail.admin", "430000000000").await;
    let (_, clerk) = test
        .staff_with_role(&admin, "mail.clerk", "window_clerk", HESHAN)
        .await;

    let unmailed = one_applicant_gives_an_address_the_other_does_not(&test, &code, &clerk).await;
    one_mail_goes_to_the_address_given(&test, &mail).await;
    the_other_gives_an_address_later_and_is_mailed_next(&test, &mail, &unmailed, &code, &clerk)
        .await;
    test.stop().await;
}

async fn one_applicant_gives_an_address_the_other_does_not(
    test: &TestPlatform,
    code: &str,
    clerk: &str,
) -> String {
    // One applicant gives an e-mail address when registering (a malformed one is refused);
    // the other does not.
    let id_number = tongban_kernel::IdCardNumber::complete("43090319900101941").unwrap();
    let register = |email: &str| {
        json!({ "id_type": "resident_id_card", "id_number": id_number.as_str(), "name": "周九",
                "phone": "13900139009", "email": email, "password": "citizen-password" })
    };
    let (status, body) = status_and_body(
        test.http
            .post(test.url("/api/identity/v1/accounts/citizens"))
            .json(&register("not-an-address"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!((status, body["field"].as_str()), (400, Some("email")));
    let (status, _) = status_and_body(
        test.http
            .post(test.url("/api/identity/v1/accounts/citizens"))
            .json(&register("Zhou.Jiu@Example.CN"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 201);
    let mailed = test
        .access_token(id_number.as_str(), "citizen-password")
        .await;
    let (_, unmailed) = crate::cases::citizen(test, 94).await;

    for applicant in [&mailed, &unmailed] {
        let (id, materials) = crate::cases::submitted_case(test, applicant, code).await;
        let (status, _) = post(
            test,
            clerk,
            &format!("/api/acceptance/v1/cases/{id}/correction"),
            json!({ "items": [{ "material_code": materials[0], "reason": "申请书缺少签名" }] }),
        )
        .await;
        assert_eq!(status, 200);
    }
    unmailed
}

async fn one_mail_goes_to_the_address_given(test: &TestPlatform, mail: &Mailbox) {
    // One e-mail, to the address given, from the platform, with the notice as text.
    test.eventually_counts(
        "both e-mails to be settled",
        "select count(*) from notification.messages
         where channel = 'email' and status in ('sent', 'skipped')",
        2,
    )
    .await;
    let sent = mail.lock().unwrap().clone();
    assert_eq!(sent.len(), 1);
    let (recipients, data) = &sent[0];
    assert_eq!(recipients, &["Zhou.Jiu@example.cn".to_owned()]);
    assert!(data.contains("noreply@tongban.test"), "{data}");
    assert!(data.contains("Content-Type: text/plain"), "{data}");
    let (status, reason): (String, Option<String>) = sqlx::query_as(
        "select status, last_error from notification.messages
         where channel = 'email' and status = 'skipped'",
    )
    .fetch_one(&test.db)
    .await
    .unwrap();
    assert_eq!(
        (status.as_str(), reason.as_deref()),
        ("skipped", Some("the recipient gave no e-mail address"))
    );
}

async fn the_other_gives_an_address_later_and_is_mailed_next(
    test: &TestPlatform,
    mail: &Mailbox,
    unmailed: &str,
    code: &str,
    clerk: &str,
) {
    // The other applicant gives an address later (a malformed one is refused); the next notice
    // reaches it.
    let contact = "/api/identity/v1/accounts/me/contact";
    let (status, body) = put_as(test, unmailed, contact, json!({ "email": "qian@" })).await;
    assert_eq!((status, body["field"].as_str()), (400, Some("email")));
    let (status, body) = put_as(test, unmailed, contact, json!({ "locale": "fr" })).await;
    assert_eq!((status, body["field"].as_str()), (400, Some("locale")));
    // ... and chooses English.
    let (status, body) = put_as(
        test,
        unmailed,
        contact,
        json!({ "email": "Qian@Example.COM", "locale": "en" }),
    )
    .await;
    assert_eq!(
        (
            status,
            body["email"].as_str(),
            body["phone"].as_str(),
            body["locale"].as_str()
        ),
        (
            200,
            Some("Qian@example.com"),
            Some("13800138000"),
            Some("en")
        ),
        "{body}"
    );
    test.eventually_counts(
        "notification to learn the language",
        "select count(*) from notification.preferences where locale = 'en'",
        1,
    )
    .await;
    let (id, materials) = crate::cases::submitted_case(test, unmailed, code).await;
    let (status, _) = post(
        test,
        clerk,
        &format!("/api/acceptance/v1/cases/{id}/correction"),
        json!({ "items": [{ "material_code": materials[0], "reason": "申请书缺少签名" }] }),
    )
    .await;
    assert_eq!(status, 200);
    let mail = mail.clone();
    eventually("the second e-mail", Duration::from_secs(30), || async {
        let mail = mail.lock().unwrap().clone();
        (mail.len() == 2).then_some(())
    })
    .await;
    assert_eq!(mail.lock().unwrap()[1].0, ["Qian@example.com".to_owned()]);
    let inbox = test
        .get_json_as(unmailed, "/api/notification/v1/inbox")
        .await;
    assert_eq!(
        inbox["messages"][0]["subject"], "Please correct your application",
        "the newest notice, in English"
    );
    assert_eq!(inbox["messages"][1]["subject"], "请补正材料");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_non_urgent_text_waits_out_the_night_and_the_hourly_limit() {
    let (endpoint, texts) = sms_gateway(0).await;
    let clock = tongban_runtime::Clock::adjustable();
    let moved = clock.clone();
    let test = TestPlatform::start_with(BrokerStorage::Memory, move |s| {
        s.clock = moved;
        s.section_mut::<NotificationSettings>()
            .unwrap()
            .sender_poll_ms = 50;
        s.section_mut::<NotificationSettings>()
            .unwrap()
            .sms_endpoint = endpoint;
        s.section_mut::<NotificationSettings>().unwrap().sms_api_key =
            "gateway-key".to_owned().into();
        s.section_mut::<NotificationSettings>()
            .unwrap()
            .hourly_limit = 1;
    })
    .await;
    let code =
        crate::cases::item_in_force_in(&test, HESHAN, "赫山区市场监督管理局", 905, "county").await;
    let admin = test.admin("quiet.admin", "430000000000").await;
    let (_, clerk) = test
        .staff_with_role(&admin, "quiet.clerk", "window_clerk", HESHAN)
        .await;
    let (_, applicant) = crate::cases::citizen(&test, 95).await;
    let first = crate::cases::submitted_case(&test, &applicant, &code).await;
    let second = crate::cases::submitted_case(&test, &applicant, &code).await;
    let accept = |(id, materials): (String, Vec<String>)| {
        let (test, clerk) = (&test, &clerk);
        async move {
            crate::cases::accepted_deferring(test, clerk, &id, &materials).await;
        }
    };
    let texted = |last_error: &'static str| {
        let test = &test;
        async move {
            eventually("the text to wait", Duration::from_secs(30), || async {
                let row: Option<(String, i32, Option<String>)> = sqlx::query_as(
                    "select status, attempts, last_error from notification.messages
                     where channel = 'sms' and status = 'queued' and last_error like $1",
                )
                .bind(format!("{last_error}%"))
                .fetch_optional(&test.db)
                .await
                .unwrap();
                row
            })
            .await
        }
    };
    // Tomorrow: the test's instants must lie ahead of the real time, since a queued text is due
    // from the database's now() (today at 23:00 is already past after 23:00 in China, and the
    // sender would find nothing due).
    let today = clock.today().succ_opt().unwrap();

    // 23:00: the acceptance's text is not urgent; it waits for the morning, no attempt counted.
    assert!(clock.set_local(today, chrono::NaiveTime::from_hms_opt(23, 0, 0).unwrap()));
    accept(first).await;
    let (_, attempts, _) = texted("quiet hours").await;
    assert_eq!(attempts, 0);
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(texts.lock().unwrap().is_empty());

    // 08:00 the next morning it goes.
    let morning = today.succ_opt().unwrap();
    assert!(clock.set_local(morning, chrono::NaiveTime::from_hms_opt(8, 0, 30).unwrap()));
    eventually("the morning text", Duration::from_secs(30), || async {
        (texts.lock().unwrap().len() == 1).then_some(())
    })
    .await;

    // A second acceptance within the hour: one text an hour for this applicant, so it waits.
    accept(second).await;
    texted("the hourly limit").await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(texts.lock().unwrap().len(), 1);
    assert!(clock.set_local(morning, chrono::NaiveTime::from_hms_opt(9, 1, 0).unwrap()));
    eventually("the second text", Duration::from_secs(30), || async {
        (texts.lock().unwrap().len() == 2).then_some(())
    })
    .await;
    // Waiting is not an attempt: two attempts, one per text (the second is recorded just after
    // the gateway has it).
    test.eventually_counts(
        "each text's one attempt recorded",
        "select count(*) from notification.delivery_attempts",
        2,
    )
    .await;

    test.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_notification_benchmark_stores_every_message_and_drains_the_backlog() {
    let settings = tongban_runtime::Settings::load(None).unwrap();

    let report = tongban::bench::notification::notification(settings, 100, 300, |_| {})
        .await
        .unwrap();

    // Every event made its two messages; every queued message was delivered by one call.
    assert_eq!((report.events, report.messages), (100, 200));
    assert_eq!((report.queued, report.partner_calls), (300, 300));
    assert!(report.messages_per_second > 0.0 && report.delivered_per_second > 0.0);
    assert!(tongban::bench::notification::table(&report).contains("backlog drain"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_correction_notice_reaches_inbox_mail_and_text_once_however_often_it_is_replayed() {
    let (port, mail) = smtp_server().await;
    let (endpoint, texts) = sms_gateway(3).await;
    let test = TestPlatform::start_with(BrokerStorage::Memory, move |s| {
        s.section_mut::<NotificationSettings>()
            .unwrap()
            .sender_poll_ms = 50;
        s.section_mut::<NotificationSettings>()
            .unwrap()
            .retry_base_ms = 100;
        s.section_mut::<NotificationSettings>().unwrap().smtp_host = "127.0.0.1".into();
        s.section_mut::<NotificationSettings>().unwrap().smtp_port = port;
        s.section_mut::<NotificationSettings>().unwrap().smtp_tls = "none".into();
        s.section_mut::<NotificationSettings>().unwrap().mail_from =
            "通办 <noreply@tongban.test>".into();
        s.section_mut::<NotificationSettings>()
            .unwrap()
            .sms_endpoint = endpoint;
        s.section_mut::<NotificationSettings>().unwrap().sms_api_key =
            "gateway-key".to_owned().into();
    })
    .await;
    let code =
        crate::cases::item_in_force_in(&test, HESHAN, "赫山区市场监督管理局", 906, "county").await;
    let admin = test.admin("once.admin", "430000000000").await;
    let (_, clerk) = test
        .staff_with_role(&admin, "once.clerk", "window_clerk", HESHAN)
        .await;
    let (_, applicant) = crate::cases::citizen(&test, 96).await;
    let (status, _) = put_as(
        &test,
        &applicant,
        "/api/identity/v1/accounts/me/contact",
        json!({ "email": "wu.liu@example.cn" }),
    )
    .await;
    assert_eq!(status, 200);
    let (id, materials) = crate::cases::submitted_case(&test, &applicant, &code).await;
    let (status, _) = post(
        &test,
        &clerk,
        &format!("/api/acceptance/v1/cases/{id}/correction"),
        json!({ "items": [{ "material_code": materials[0], "reason": "申请书缺少签名" }] }),
    )
    .await;
    assert_eq!(status, 200);

    // One inbox message, one e-mail, one text (taken on the gateway's fourth try).
    let settled = "select count(*) from notification.messages
                   where template = 'correction_requested' and status in ('delivered', 'sent')";
    test.eventually_counts("the notice on three channels", settled, 3)
        .await;
    let outcome = |test: &TestPlatform| {
        let (mail, texts) = (mail.clone(), texts.clone());
        let db = test.db.clone();
        async move {
            let channels: Vec<(String, i32)> = sqlx::query_as(
                "select channel, attempts from notification.messages
                 where template = 'correction_requested' order by channel",
            )
            .fetch_all(&db)
            .await
            .unwrap();
            let mails = mail.lock().unwrap().len();
            let texts = texts.lock().unwrap().len();
            (channels, mails, texts)
        }
    };
    let before = outcome(&test).await;
    assert_eq!(
        before,
        (
            vec![
                ("email".to_owned(), 1),
                ("inbox".to_owned(), 0),
                ("sms".to_owned(), 4)
            ],
            1,
            4
        )
    );
    let inbox = inbox_with(&test, &applicant, "correction_requested").await;
    assert_eq!(inbox["unread"], 1);

    // Replay: the consumer has forgotten what it applied (its inbox pruned) and the relay
    // publishes every acceptance event again. Notification applies them all again, and still
    // makes nothing new: one message per (event, recipient, channel).
    let applied = "select count(*) from notification.inbox where topic = 'tongban.acceptance.v1'";
    let consumed = test.scalar(applied).await;
    assert!(
        consumed >= 2,
        "the submission and the notice, at least: {consumed}"
    );
    sqlx::query("delete from notification.inbox where topic = 'tongban.acceptance.v1'")
        .execute(&test.db)
        .await
        .unwrap();
    sqlx::query("update acceptance.outbox set sent_at = null")
        .execute(&test.db)
        .await
        .unwrap();
    test.eventually_counts("every event applied again", applied, consumed)
        .await;
    // Give the senders time to send anything new, were there any.
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(outcome(&test).await, before);
    let inbox = test
        .get_json_as(&applicant, "/api/notification/v1/inbox")
        .await;
    assert_eq!(inbox["unread"], 1);

    test.stop().await;
}
