//! An account's life-cycle, as an audit asks: a password an administrator set allows nothing
//! until its holder changes it; a change ends every other sign-in; an administrator disables
//! and enables accounts (never their own); and a disabled account or a revoked role is refused
//! by every service within a minute, not at the token's expiry.

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::harness::{BrokerStorage, TestPlatform, eventually, staff_password};

const HESHAN: &str = "430903000000";

/// One authenticated route of each service behind the gateway, and its method: before the
/// cut-off each answers the token (200 or 403), after it each refuses it (401).
const EVERY_SERVICE: [(&str, &str); 7] = [
    ("GET", "/api/identity/v1/accounts/me"),
    ("POST", "/api/catalogue/v1/departments"),
    ("GET", "/api/acceptance/v1/ratings"),
    (
        "GET",
        "/api/approval/v1/statistics?region_code=430903000000",
    ),
    ("GET", "/api/notification/v1/webhooks"),
    ("GET", "/api/crossregion/v1/transfers"),
    ("GET", "/api/insight/v1/feed"),
];

async fn statuses(test: &TestPlatform, token: &str) -> Vec<(&'static str, u16)> {
    let mut out = Vec::new();
    for (method, path) in EVERY_SERVICE {
        let request = match method {
            "POST" => test.http.post(test.url(path)).json(&json!({})),
            _ => test.http.get(test.url(path)),
        };
        let status = request
            .bearer_auth(token)
            .send()
            .await
            .unwrap()
            .status()
            .as_u16();
        out.push((path, status));
    }
    out
}

/// Waits until every service refuses `token`; how long that took.
async fn refused_everywhere(test: &TestPlatform, token: &str, what: &str) -> Duration {
    let started = Instant::now();
    eventually(what, Duration::from_secs(60), || async {
        statuses(test, token)
            .await
            .iter()
            .all(|(_, status)| *status == 401)
            .then_some(())
    })
    .await;
    started.elapsed()
}

fn tokens(body: &Value) -> (String, String) {
    (
        body["access_token"].as_str().unwrap().to_owned(),
        body["refresh_token"].as_str().unwrap().to_owned(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_temporary_password_allows_nothing_until_changed_and_a_change_ends_the_other_sign_ins() {
    let test = TestPlatform::start(BrokerStorage::Memory).await;
    let admin = test.admin("life.admin", "430000000000").await;
    let created = test
        .post_as(
            &admin,
            "/api/identity/v1/accounts/staff",
            json!({ "username": "life.clerk", "name": "新同事", "region_code": HESHAN,
                    "password": "issued-by-the-admin-7q" }),
        )
        .await;
    assert_eq!(created.status(), 201);
    let id = created.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    test.grant(&admin, &id, "window_clerk", HESHAN).await;

    // Two sign-ins with the administrator's password: the office PC and the phone.
    let platform = &test;
    let sign_in = |password: &'static str| async move {
        let response = platform.sign_in("life.clerk", password).await;
        assert_eq!(response.status(), 200);
        tokens(&response.json::<Value>().await.unwrap())
    };
    let (office, office_refresh) = sign_in("issued-by-the-admin-7q").await;
    let (phone, phone_refresh) = sign_in("issued-by-the-admin-7q").await;

    // Only the own account and the password change are open to them.
    assert_eq!(
        test.get_as(&office, "/api/identity/v1/accounts/me")
            .await
            .status(),
        200
    );
    for path in [
        format!("/api/identity/v1/accounts/{id}"),
        "/api/acceptance/v1/ratings".to_owned(),
        "/api/crossregion/v1/transfers".to_owned(),
    ] {
        let response = test.get_as(&office, &path).await;
        assert_eq!(response.status(), 403, "{path}");
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["code"], "password_change_required", "{path}: {body}");
    }

    // The change: the current password proves it is them; a common password is refused.
    let change = |token: String, current: &'static str, new: &'static str| async move {
        let response = platform
            .http
            .put(platform.url("/api/identity/v1/accounts/me/password"))
            .bearer_auth(token)
            .json(&json!({ "current_password": current, "new_password": new }))
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        (
            status,
            response.json::<Value>().await.unwrap_or(Value::Null),
        )
    };
    let (status, body) = change(office.clone(), "not-the-password", "mine-own-lantern-42").await;
    assert_eq!(
        (status, body["field"].as_str()),
        (422, Some("current_password")),
        "{body}"
    );
    for weak in ["password", "P@ssw0rd", "life.clerk1"] {
        let (status, body) = change(office.clone(), "issued-by-the-admin-7q", weak).await;
        assert_eq!(
            (status, body["field"].as_str()),
            (400, Some("new_password")),
            "{weak}: {body}"
        );
    }
    let (status, _) = change(
        office.clone(),
        "issued-by-the-admin-7q",
        "mine-own-lantern-42",
    )
    .await;
    assert_eq!(status, 204);

    // This sign-in goes on (refreshed, the restriction is gone); the phone's is ended.
    let refreshed = test.refresh(&office_refresh).await;
    assert_eq!(refreshed.status(), 200);
    let (office, _) = tokens(&refreshed.json::<Value>().await.unwrap());
    assert_eq!(
        test.get_as(&office, &format!("/api/identity/v1/accounts/{id}"))
            .await
            .status(),
        200
    );
    assert_eq!(test.refresh(&phone_refresh).await.status(), 400);
    let took = refused_everywhere(&test, &phone, "the phone's token to be refused").await;
    assert!(took < Duration::from_secs(60), "{took:?}");
    assert_eq!(
        statuses(&test, &office)
            .await
            .iter()
            .filter(|(_, s)| *s == 401)
            .count(),
        0,
        "the sign-in that changed it is kept"
    );
    assert_eq!(
        test.sign_in("life.clerk", "issued-by-the-admin-7q")
            .await
            .status(),
        400
    );
    assert_eq!(
        test.sign_in("life.clerk", "mine-own-lantern-42")
            .await
            .status(),
        200
    );

    // An administrator's reset is temporary again, and never of their own password.
    let reset = |token: String, account: String| async move {
        platform
            .http
            .put(platform.url(&format!("/api/identity/v1/accounts/{account}/password")))
            .bearer_auth(token)
            .json(&json!({ "password": "reset-by-the-admin-8w" }))
            .send()
            .await
            .unwrap()
    };
    let me = test
        .get_json_as(&admin, "/api/identity/v1/accounts/me")
        .await;
    let own = reset(admin.clone(), me["id"].as_str().unwrap().to_owned()).await;
    assert_eq!(own.status(), 403);
    assert_eq!(reset(admin.clone(), id.clone()).await.status(), 204);
    let (after_reset, _) = sign_in("reset-by-the-admin-8w").await;
    let response = test
        .get_as(&after_reset, &format!("/api/identity/v1/accounts/{id}"))
        .await;
    assert_eq!(response.status(), 403);
    test.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_disabled_account_and_a_revoked_role_are_refused_by_every_service_within_a_minute() {
    let test = TestPlatform::start(BrokerStorage::Memory).await;
    let admin = test.admin("gone.admin", "430000000000").await;
    let (clerk_id, clerk) = test
        .staff_with_role(&admin, "gone.clerk", "window_clerk", HESHAN)
        .await;
    let (supervisor_id, supervisor) = test
        .staff_with_role(&admin, "gone.supervisor", "supervisor", HESHAN)
        .await;
    for token in [&clerk, &supervisor] {
        assert!(
            statuses(&test, token).await.iter().all(|(_, s)| *s != 401),
            "{:?}",
            statuses(&test, token).await
        );
    }

    // Disabled: never one's own account; the holder's token is refused everywhere, no sign-in.
    let me = test
        .get_json_as(&admin, "/api/identity/v1/accounts/me")
        .await;
    let own = test
        .post_as(
            &admin,
            &format!(
                "/api/identity/v1/accounts/{}/disable",
                me["id"].as_str().unwrap()
            ),
            json!({}),
        )
        .await;
    assert_eq!(own.status(), 403);
    let disable = format!("/api/identity/v1/accounts/{clerk_id}/disable");
    assert_eq!(
        test.post_as(&admin, &disable, json!({})).await.status(),
        204
    );
    assert_eq!(
        test.post_as(&admin, &disable, json!({})).await.status(),
        409
    );
    let took = refused_everywhere(&test, &clerk, "the disabled clerk's token to be refused").await;
    assert!(took < Duration::from_secs(60), "{took:?}");
    assert_eq!(
        test.sign_in("gone.clerk", &staff_password("gone.clerk"))
            .await
            .status(),
        400
    );
    let enable = format!("/api/identity/v1/accounts/{clerk_id}/enable");
    assert_eq!(test.post_as(&admin, &enable, json!({})).await.status(), 204);
    assert_eq!(
        test.sign_in("gone.clerk", &staff_password("gone.clerk"))
            .await
            .status(),
        200
    );

    // The supervisor role revoked: the token that carried it is refused everywhere; signed in
    // again, the supervisor holds no role.
    let bindings = test
        .get_json_as(
            &admin,
            &format!("/api/identity/v1/accounts/{supervisor_id}/roles"),
        )
        .await;
    let binding = bindings[0]["id"].as_str().unwrap();
    let revoked = test.revoke(&admin, &supervisor_id, binding).await;
    assert_eq!(revoked.status(), 204);
    let took = refused_everywhere(&test, &supervisor, "the revoked supervisor's token").await;
    assert!(took < Duration::from_secs(60), "{took:?}");
    let again = test
        .access_token("gone.supervisor", &staff_password("gone.supervisor"))
        .await;
    assert_eq!(
        crate::harness::claims_of(&again)["roles"],
        json!([]),
        "no role any more"
    );
    test.stop().await;
}
