//! The platform comes up whole, and the gateway serves every service's API, probes and docs.

use crate::harness::{BrokerStorage, TestPlatform, credit_code};

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn every_service_is_ready_and_documented_through_the_gateway() {
    // Arrange
    let test = TestPlatform::start(BrokerStorage::Memory).await;

    for service in tongban_runtime::config::SERVICES {
        // Act
        let ready = test
            .http
            .get(test.url(&format!("/api/{service}/readyz")))
            .send()
            .await
            .unwrap();
        let openapi = test
            .get_json(&test.url(&format!("/api/{service}/openapi.json")))
            .await
            .unwrap();

        // Assert
        assert_eq!(ready.status(), 200, "{service} ready");
        let body: serde_json::Value = ready.json().await.unwrap();
        let checks: Vec<&str> = body["checks"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["name"].as_str().unwrap())
            .collect();
        assert_eq!(
            checks,
            ["database", "broker", "shutdown"],
            "{service} checks its dependencies, and says when it is stopping"
        );
        assert_eq!(
            openapi["openapi"], "3.1.0",
            "{service} documents itself in OpenAPI 3.1"
        );
        assert!(
            openapi["paths"]["/readyz"].is_object(),
            "{service} documents its probes"
        );
        assert_eq!(
            openapi["components"]["securitySchemes"]["bearer"]["scheme"], "bearer",
            "{service} documents the bearer scheme its operations refer to"
        );
    }
    let catalogue = test
        .get_json(&test.url("/api/catalogue/openapi.json"))
        .await
        .unwrap();
    assert!(catalogue["paths"]["/v1/departments"]["post"].is_object());

    test.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_gateway_keeps_request_ids_and_answers_errors_in_json() {
    let test = TestPlatform::start(BrokerStorage::Memory).await;

    // A request id given by the caller comes back; one is made up when missing.
    let given = test
        .http
        .get(test.url("/api/catalogue/v1/departments"))
        .header("x-request-id", "req-e2e-1")
        .send()
        .await
        .unwrap();
    assert_eq!(given.status(), 200);
    assert_eq!(given.headers()["x-request-id"], "req-e2e-1");
    let made = test.http.get(test.url("/healthz")).send().await.unwrap();
    assert!(!made.headers()["x-request-id"].is_empty());

    // Without a token, a path that is not public is 401 whether or not it exists.
    let anonymous = test
        .http
        .get(test.url("/api/nowhere/v1/x"))
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), 401);

    // Unknown service, unknown route, bad input, oversized body: JSON bodies naming the problem.
    let unknown = test
        .http
        .get(test.url("/api/nowhere/v1/x"))
        .bearer_auth(test.staff_token().await)
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status(), 404);
    assert_eq!(
        unknown.json::<serde_json::Value>().await.unwrap()["code"],
        "not_found"
    );
    let no_route = test
        .http
        .get(test.url("/api/catalogue/v1/nothing"))
        .send()
        .await
        .unwrap();
    assert_eq!(no_route.status(), 404);
    assert_eq!(
        no_route.json::<serde_json::Value>().await.unwrap()["code"],
        "not_found"
    );

    let bad = test
        .register_department("43090", "益阳市民政局", &credit_code(1))
        .await;
    assert_eq!(bad.status(), 400);
    let body: serde_json::Value = bad.json().await.unwrap();
    assert_eq!(body["code"], "bad_request");
    assert_eq!(body["field"], "region_code");

    let mut wrong_check = credit_code(2);
    let last = wrong_check.pop().unwrap();
    wrong_check.push(if last == '0' { '1' } else { '0' });
    let bad = test
        .register_department("430900000000", "益阳市民政局", &wrong_check)
        .await;
    assert_eq!(bad.status(), 400);
    assert_eq!(
        bad.json::<serde_json::Value>().await.unwrap()["field"],
        "credit_code"
    );

    // A body over the limit is refused on its declared length, before it is read.
    let limit = test.platform.settings.http.body_limit_bytes;
    let token = test.staff_token().await.to_owned();
    let (status, body) = announce_body(
        &test.gateway,
        "/api/catalogue/v1/departments",
        &token,
        limit + 1,
    )
    .await;
    assert_eq!(status, 413);
    assert_eq!(body["code"], "payload_too_large");

    // Well-formed but not a known division: 422 naming the field.
    let unknown = test
        .register_department("430999000000", "不存在的县民政局", &credit_code(4))
        .await;
    assert_eq!(unknown.status(), 422);
    let body: serde_json::Value = unknown.json().await.unwrap();
    assert_eq!(body["code"], "unprocessable");
    assert_eq!(body["field"], "region_code");

    // A duplicate is a 409 that says what is taken.
    let first = test
        .register_department("430900000000", "益阳市民政局", &credit_code(3))
        .await;
    assert_eq!(first.status(), 201);
    let again = test
        .register_department("430921000000", "南县民政局", &credit_code(3))
        .await;
    assert_eq!(again.status(), 409);
    assert_eq!(
        again.json::<serde_json::Value>().await.unwrap()["code"],
        "duplicate_credit_code"
    );

    // Metrics count requests by route template, not raw path.
    // (on the service's own port: the public port serves none)
    let catalogue = test.platform.addresses["catalogue"];
    let metrics = test
        .http
        .get(format!("http://{catalogue}/metrics"))
        .send()
        .await
        .unwrap();
    let text = metrics.text().await.unwrap();
    assert!(text.contains("http_requests_total"), "{text}");
    assert!(text.contains("route=\"/v1/departments\""), "{text}");

    test.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn metrics_are_served_to_monitoring_and_never_on_the_public_port() {
    // A free port for the gateway's metrics.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let test = TestPlatform::start_with(BrokerStorage::Memory, |s| {
        s.section_mut::<tongban_gateway::config::GatewaySettings>()
            .unwrap()
            .metrics_port = port;
    })
    .await;
    let admin = test.admin("metrics.admin", "430000000000").await;

    // The public port: no metrics of the gateway's, none of a service's, token or not.
    let status = |response: reqwest::Response| response.status().as_u16();
    let public = test.http.get(test.url("/metrics")).send().await.unwrap();
    assert_eq!(status(public), 404);
    for service in tongban_runtime::config::SERVICES {
        for path in [
            format!("/api/{service}/metrics"),
            format!("/api/{service}/metrics/"),
        ] {
            assert_eq!(status(test.get_as(&admin, &path).await), 404, "{path}");
        }
    }
    let doc = test.get_json(&test.url("/openapi.json")).await.unwrap();
    assert!(
        doc["paths"]["/metrics"].is_null(),
        "not documented there either"
    );

    // Monitoring's port has them.
    let scraped = test
        .http
        .get(format!("http://127.0.0.1:{port}/metrics"))
        .send()
        .await
        .unwrap();
    assert_eq!(scraped.status(), 200);
    let text = scraped.text().await.unwrap();
    assert!(text.contains("http_requests_total"), "{text}");

    test.stop().await;
}

/// Sends only the head of a POST announcing `length` body bytes (as a client waiting for
/// `100 Continue` would) and returns the status and JSON body of the answer.
async fn announce_body(
    gateway: &str,
    path: &str,
    token: &str,
    length: usize,
) -> (u16, serde_json::Value) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let address = gateway.trim_start_matches("http://");
    let mut stream = tokio::net::TcpStream::connect(address).await.unwrap();
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: {address}\r\nAuthorization: Bearer {token}\r\nContent-Type: application/json\r\nContent-Length: {length}\r\nConnection: close\r\n\r\n"
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).await.unwrap();
    let answer = String::from_utf8_lossy(&answer);
    let status = answer[9..12].parse().unwrap();
    let body = answer.split("\r\n\r\n").nth(1).unwrap_or_default();
    (status, serde_json::from_str(body).unwrap_or_default())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn components_run_apart_as_pods_would_and_replicas_share_one_relay() {
    // Arrange: platform A runs everything; process B runs only a gateway and a second
    // catalogue replica, configured the way a pod is: brokers and upstreams from settings.
    let test = TestPlatform::start(BrokerStorage::Memory).await;
    let mut settings = (*test.platform.settings).clone();
    assert!(
        !settings.embedded_broker(),
        "B uses A's broker as an external Kafka"
    );
    settings.http.ports.insert("gateway".to_owned(), 0);
    settings.http.ports.insert("catalogue".to_owned(), 0);
    let mut pod = tongban::Platform::start(settings, &["gateway", "catalogue"])
        .await
        .unwrap();
    assert!(pod.broker.is_none());
    let gateway = pod.gateway_url().unwrap();
    crate::harness::eventually(
        "pod B to be ready",
        std::time::Duration::from_secs(60),
        || async {
            let ready = test
                .http
                .get(format!("{gateway}/readyz"))
                .send()
                .await
                .ok()?;
            ready.status().is_success().then_some(())
        },
    )
    .await;

    // Act: register through B; B's catalogue replica commits the event to the shared outbox.
    let token = test.staff_token().await.to_owned();
    let response = test
        .http
        .post(format!("{gateway}/api/catalogue/v1/departments"))
        .bearer_auth(&token)
        .json(&serde_json::json!({
            "region_code": "430981000000",
            "name": "沅江市民政局",
            "credit_code": credit_code(42),
        }))
        .send()
        .await
        .unwrap();

    // Assert: one relay publishes it (A's, the leader), A's approval applies it once.
    assert_eq!(response.status(), 201);
    crate::harness::eventually(
        "approval in A to apply it",
        std::time::Duration::from_secs(30),
        || async {
            let known = test
                .departments_known_to_approval(&gateway, "430981000000")
                .await;
            (known == Some(1)).then_some(())
        },
    )
    .await;
    assert_eq!(
        test.scalar(
            "select count(*) from approval.inbox where consumer = 'tongban.approval.department-directory'"
        )
        .await,
        1
    );

    pod.stop().await.unwrap();
    test.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn demo_data_loads_through_the_domain_and_twice_changes_nothing() {
    let test = TestPlatform::start(BrokerStorage::Memory).await;

    let first = tongban::demo::load(&test.platform.settings, |_| {})
        .await
        .unwrap();
    let again = tongban::demo::load(&test.platform.settings, |_| {})
        .await
        .unwrap();

    assert_eq!(first.existing, 0);
    assert!(first.created > 0);
    assert_eq!(
        again,
        tongban::demo::Loaded {
            created: 0,
            existing: first.created
        }
    );
    let listed = test
        .get_json(&test.url("/api/catalogue/v1/departments?region_code=430900000000"))
        .await
        .unwrap();
    assert!(
        listed
            .as_array()
            .unwrap()
            .iter()
            .any(|d| d["name"] == "益阳市行政审批服务局")
    );
    // 赫山区's hall, set up once: its groups serve the county's items, its windows call.
    assert!(
        tongban::demo::load_hall(&test.platform.settings)
            .await
            .unwrap()
    );
    assert!(
        !tongban::demo::load_hall(&test.platform.settings)
            .await
            .unwrap()
    );
    let hall = test
        .get_json(&test.url("/api/hall/v1/centres/430903000000"))
        .await
        .unwrap();
    let county_items = test
        .scalar("select count(*) from catalogue.items where region_code = '430903000000'")
        .await;
    assert_eq!(
        hall["groups"][0]["items"].as_array().unwrap().len() as i64,
        county_items
    );
    assert!(
        !hall["groups"][1]["items"].as_array().unwrap().is_empty(),
        "{hall}"
    );
    assert_eq!(hall["windows"].as_array().unwrap().len(), 4);
    // A province, two cities, three counties: 20 items and two bundles in force, findable.
    assert_eq!(
        test.scalar("select count(*) from catalogue.items where status = 'published'")
            .await,
        20
    );
    assert_eq!(
        test.scalar("select count(*) from catalogue.bundles where status = 'published'")
            .await,
        2
    );
    let births = test
        .get_json(
            &test.url("/api/catalogue/v1/items?q=%E5%87%BA%E7%94%9F&region_code=430903000000"),
        )
        .await
        .unwrap();
    assert!(
        births.as_array().unwrap().len() >= 2,
        "出生 in 赫山区: {births}"
    );
    let bundles = test
        .get_json(&test.url("/api/catalogue/v1/bundles?region_code=430903000000"))
        .await
        .unwrap();
    assert!(
        bundles
            .as_array()
            .unwrap()
            .iter()
            .any(|b| b["spec"]["name"] == "出生一件事")
    );

    // Acceptance learned the items, bundles and calendar from the catalogue's events.
    crate::harness::eventually(
        "acceptance to project the demo catalogue",
        std::time::Duration::from_secs(30),
        || async {
            let items = test
                .scalar("select count(*) from acceptance.offered_items")
                .await;
            let bundles = test
                .scalar("select count(*) from acceptance.offered_bundles")
                .await;
            let years = test
                .scalar("select count(*) from acceptance.calendar_years where region_code = ''")
                .await;
            (items == 20 && bundles == 2 && years == 7).then_some(())
        },
    )
    .await;

    // The demo departments reached approval as events, like any other.
    let demo = tongban::demo::data().unwrap();
    let yiyang = demo
        .departments
        .iter()
        .filter(|d| d.region_code.as_str() == "430900000000")
        .count() as i64;
    crate::harness::eventually(
        "approval to learn them",
        std::time::Duration::from_secs(30),
        || async {
            let known = test
                .departments_known_to_approval(&test.gateway, "430900000000")
                .await;
            (known == Some(yiyang)).then_some(())
        },
    )
    .await;

    test.stop().await;
}
