//! Where webhooks may point: an administrator's URL never reaches the platform's own network,
//! in any spelling, neither when it is registered nor when it is called; a redirect is not
//! followed; only the networks the operator allows are reached besides the public internet.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use axum::http::{HeaderMap, StatusCode, header};
use serde_json::{Value, json};

use crate::harness::{BrokerStorage, TestPlatform, eventually};
use crate::items::{HESHAN, post};
use tongban_notification::config::NotificationSettings;

const HOOKS: &str = "/api/notification/v1/webhooks";
const ACCEPTED: &str = "cn.tongban.acceptance.case_accepted.v1";

/// A listener on `ip` counting its calls: `/moved` answers 302 to `/landed`, anything else 200.
async fn listener(ip: &str) -> (String, Arc<AtomicUsize>) {
    let calls = Arc::new(AtomicUsize::new(0));
    let listener = tokio::net::TcpListener::bind(format!("{ip}:0"))
        .await
        .unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let (counted, landed) = (calls.clone(), format!("{base}/landed"));
    let app = axum::Router::new().fallback(move |uri: axum::http::Uri| {
        let (counted, landed) = (counted.clone(), landed.clone());
        async move {
            counted.fetch_add(1, Ordering::SeqCst);
            let mut headers = HeaderMap::new();
            if uri.path() == "/moved" {
                headers.insert(header::LOCATION, landed.parse().unwrap());
                (StatusCode::FOUND, headers)
            } else {
                (StatusCode::OK, headers)
            }
        }
    });
    tokio::spawn(async move { axum::serve(listener, app).await });
    (base, calls)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn webhooks_never_reach_inward_and_follow_no_redirect() {
    // The operator allows one host on loopback (a partner on a private network): 127.0.0.1.
    let test = TestPlatform::start_with(BrokerStorage::Memory, |s| {
        let sending = s.section_mut::<NotificationSettings>().unwrap();
        sending.sender_poll_ms = 50;
        sending.outbound_allow = vec!["127.0.0.1".into()];
    })
    .await;
    let admin = test.admin("outbound.admin", "430000000000").await;
    let (allowed, allowed_calls) = listener("127.0.0.1").await;
    // Another loopback address: inward, and not allowed.
    let (inward, inward_calls) = listener("127.0.0.2").await;
    let inward_port = inward.rsplit(':').next().unwrap().to_owned();

    // Inward in every spelling: refused at registration, 422 naming `url`.
    for url in [
        inward.clone(),
        format!("http://2130706434:{inward_port}/"), // 127.0.0.2 as one decimal number
        format!("http://0x7f000002:{inward_port}/"),
        format!("http://[::ffff:127.0.0.2]:{inward_port}/"),
        format!("http://partner.example.cn@127.0.0.2:{inward_port}/"),
        format!("http://user:secret@{}/", &allowed["http://".len()..]),
        "http://169.254.169.254/latest/meta-data/".to_owned(),
        "http://100.100.100.200/latest/meta-data/".to_owned(),
        "http://10.0.0.1/".to_owned(),
        "http://[fd00:ec2::254]/".to_owned(),
    ] {
        let (status, answer) = post(
            &test,
            &admin,
            HOOKS,
            json!({ "name": "探测", "url": url, "event_types": [ACCEPTED] }),
        )
        .await;
        assert_eq!(
            (status, answer["field"].as_str()),
            (422, Some("url")),
            "{url}: {answer}"
        );
    }
    // A name that does not resolve yet is accepted (and checked again at every call).
    let (status, answer) = post(
        &test,
        &admin,
        HOOKS,
        json!({ "name": "未上线的伙伴", "url": "https://partner.invalid/hook", "event_types": [ACCEPTED] }),
    )
    .await;
    assert_eq!(status, 201, "{answer}");

    // The allowed partner, one of its URLs redirecting; and a subscription made before the
    // rule (written straight into the table) pointing inward.
    let moved = subscribe(&test, &admin, &format!("{allowed}/moved")).await;
    let direct = subscribe(&test, &admin, &format!("{allowed}/hook")).await;
    let old = uuid::Uuid::now_v7();
    let sealed = test.platform.settings.secrets.vault().unwrap().seal(
        &tongban_notification::db::webhooks::SEALED.context(&old.to_string()),
        b"secret",
    );
    let before_the_rule: String = sqlx::query_scalar(
        "insert into notification.webhooks (id, name, url, sealed_secret, event_types, enabled)
         values ($1, '旧订阅', $2, $3, $4, true) returning id::text",
    )
    .bind(old)
    .bind(format!("{inward}/old"))
    .bind(sealed)
    .bind(vec![ACCEPTED])
    .fetch_one(&test.db)
    .await
    .unwrap();

    // A case is accepted: each subscription gets its message.
    let code =
        crate::cases::item_in_force_in(&test, HESHAN, "赫山区市场监督管理局", 903, "county").await;
    let (_, clerk) = test
        .staff_with_role(&admin, "outbound.clerk", "window_clerk", HESHAN)
        .await;
    let (_, applicant) = crate::cases::citizen(&test, 93).await;
    let (id, materials) = crate::cases::submitted_case(&test, &applicant, &code).await;
    crate::cases::accepted_deferring(&test, &clerk, &id, &materials).await;

    let delivered = settled(&test, &admin, &direct, "delivered").await;
    assert_eq!(delivered["attempts"], 1);
    let redirected = settled(&test, &admin, &moved, "failed_permanent").await;
    let why = redirected["last_error"].as_str().unwrap();
    assert!(
        why.contains("302") && why.contains("redirects are not followed"),
        "{why}"
    );
    let old = settled(&test, &admin, &before_the_rule, "failed_permanent").await;
    let why = old["last_error"].as_str().unwrap();
    assert!(
        why.starts_with("not sent:") && why.contains("127.0.0.2"),
        "{why}"
    );
    tokio::time::sleep(Duration::from_millis(300)).await;
    // The allowed partner took the direct call and the redirecting one, never the landing.
    assert_eq!(allowed_calls.load(Ordering::SeqCst), 2);
    assert_eq!(
        inward_calls.load(Ordering::SeqCst),
        0,
        "nothing reached inward"
    );

    test.stop().await;
}

async fn subscribe(test: &TestPlatform, admin: &str, url: &str) -> String {
    let (status, made) = post(
        test,
        admin,
        HOOKS,
        json!({ "name": "政务数据共享", "url": url, "event_types": [ACCEPTED] }),
    )
    .await;
    assert_eq!(status, 201, "{url}: {made}");
    made["id"].as_str().unwrap().to_owned()
}

/// The subscription's latest delivery once it has `status`.
async fn settled(test: &TestPlatform, admin: &str, subscription: &str, status: &str) -> Value {
    let path = format!("{HOOKS}/{subscription}/deliveries");
    eventually(status, Duration::from_secs(30), || async {
        let got = test.get_json_as(admin, &path).await;
        (got[0]["status"] == status).then(|| got[0].clone())
    })
    .await
}
