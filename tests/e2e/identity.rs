//! Identity through the gateway: registration, tokens, lockout, and administration in scope.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use serde_json::{Value, json};

use tongban_kernel::IdCardNumber;

use crate::harness::{BrokerStorage, TestPlatform, claims_of, staff_password};
use tongban_identity::config::IdentitySettings;

fn id_number(n: u32) -> String {
    IdCardNumber::complete(&format!("43092119900101{n:03}"))
        .unwrap()
        .as_str()
        .to_owned()
}

async fn register_citizen(test: &TestPlatform, id: &str, password: &str) -> reqwest::Response {
    test.register_citizen(id, "13800138000", password).await
}

async fn refresh(test: &TestPlatform, token: &str) -> reqwest::Response {
    test.refresh(token).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_citizen_registers_signs_in_refreshes_and_a_replayed_refresh_token_kills_the_family() {
    let test = TestPlatform::start(BrokerStorage::Memory).await;
    let id = id_number(1);

    // Register: the ID number is shown masked, the region comes from the card.
    let registered = register_citizen(&test, &id, "lisi-password").await;
    assert_eq!(registered.status(), 201);
    let account: Value = registered.json().await.unwrap();
    assert_eq!(
        account["login"],
        format!("{}********{}", &id[..6], &id[14..])
    );
    assert_eq!(account["region_code"], "430921000000");
    assert_eq!(
        register_citizen(&test, &id, "lisi-password").await.status(),
        409
    );
    let mut wrong_check = id.clone();
    let last = wrong_check.pop().unwrap();
    wrong_check.push(if last == '1' { '2' } else { '1' });
    let bad = register_citizen(&test, &wrong_check, "lisi-password").await;
    assert_eq!(bad.status(), 400);
    assert_eq!(bad.json::<Value>().await.unwrap()["field"], "id_number");

    // Sign in (lower-case x is the same card) and use the token.
    let signed_in: Value = test
        .sign_in(&id.to_lowercase(), "lisi-password")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(signed_in["token_type"], "Bearer");
    let access = signed_in["access_token"].as_str().unwrap();
    let me: Value = test
        .get_as(access, "/api/identity/v1/accounts/me")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(me["id"], account["id"]);
    assert_eq!(me["kind"], "citizen");

    // Rotate: the first refresh token works once and yields a second.
    let first = signed_in["refresh_token"].as_str().unwrap().to_owned();
    let rotated = refresh(&test, &first).await;
    assert_eq!(rotated.status(), 200);
    let second = rotated.json::<Value>().await.unwrap()["refresh_token"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_ne!(first, second);

    // Replaying the first (stolen) token fails and revokes the family: the second dies too.
    let replayed = refresh(&test, &first).await;
    assert_eq!(replayed.status(), 400);
    assert_eq!(
        replayed.json::<Value>().await.unwrap()["error"],
        "invalid_grant"
    );
    assert_eq!(refresh(&test, &second).await.status(), 400);

    // Logout revokes a fresh sign-in's family.
    let again: Value = test
        .sign_in(&id, "lisi-password")
        .await
        .json()
        .await
        .unwrap();
    let token = again["refresh_token"].as_str().unwrap();
    let revoked = test
        .http
        .post(test.url("/api/identity/v1/oauth/revoke"))
        .form(&[("token", token)])
        .send()
        .await
        .unwrap();
    assert_eq!(revoked.status(), 200);
    assert_eq!(refresh(&test, token).await.status(), 400);

    test.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn repeated_failures_lock_the_account_and_answers_never_reveal_whether_it_exists() {
    let test = TestPlatform::start(BrokerStorage::Memory).await;
    let id = id_number(2);
    assert_eq!(
        register_citizen(&test, &id, "right-password")
            .await
            .status(),
        201
    );

    // The holder is signed in on their phone.
    let holder: Value = test
        .sign_in(&id, "right-password")
        .await
        .json()
        .await
        .unwrap();
    let mut refresh_token = holder["refresh_token"].as_str().unwrap().to_owned();

    let unknown = test.sign_in(&id_number(3), "whatever-password").await;
    let unknown_status = unknown.status();
    let unknown_body: Value = unknown.json().await.unwrap();
    for _ in 0..5 {
        let wrong = test.sign_in(&id, "wrong-password").await;
        assert_eq!(wrong.status(), unknown_status);
        assert_eq!(
            wrong.json::<Value>().await.unwrap(),
            unknown_body,
            "wrong password looks like unknown user"
        );
    }
    // Locked: the right password is refused with the very same answer.
    let locked = test.sign_in(&id, "right-password").await;
    assert_eq!(locked.status(), 400);
    assert_eq!(locked.json::<Value>().await.unwrap(), unknown_body);
    assert_eq!(
        test.scalar("select count(*) from identity.outbox where ce_type = 'cn.tongban.identity.account_locked.v1'").await,
        1
    );
    // A stranger's guesses lock password sign-ins only: the holder's sign-in goes on (its
    // refresh token still works, twice) and is not ended.
    for _ in 0..2 {
        let refreshed = test.refresh(&refresh_token).await;
        assert_eq!(
            refreshed.status(),
            200,
            "the holder's sign-in survives the lock"
        );
        let next: Value = refreshed.json().await.unwrap();
        let token = next["access_token"].as_str().unwrap();
        assert_eq!(
            test.get_as(token, "/api/identity/v1/accounts/me")
                .await
                .status(),
            200
        );
        refresh_token = next["refresh_token"].as_str().unwrap().to_owned();
    }

    // When the lock expires the right password works again and the counters reset.
    sqlx::query(
        "update identity.accounts set locked_until = now() - interval '1 second' where login = $1",
    )
    .bind(&id)
    .execute(&test.db)
    .await
    .unwrap();
    assert_eq!(test.sign_in(&id, "right-password").await.status(), 200);

    test.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn tampered_and_algorithm_confused_tokens_are_refused() {
    let test = TestPlatform::start(BrokerStorage::Memory).await;
    let token = test.admin("scope.admin", "430921000000").await;
    let parts: Vec<&str> = token.split('.').collect();
    assert_eq!(
        test.get_as(&token, "/api/identity/v1/accounts/me")
            .await
            .status(),
        200
    );

    // The payload rewritten to a province-wide admin, the signature kept.
    let mut claims: Value = serde_json::from_slice(&B64.decode(parts[1]).unwrap()).unwrap();
    claims["roles"][0]["region"] = json!("430000000000");
    let forged = format!(
        "{}.{}.{}",
        parts[0],
        B64.encode(claims.to_string()),
        parts[2]
    );
    // The same claims under "alg": "none" with no signature, and under HS256.
    let none = format!(
        "{}.{}.",
        B64.encode(r#"{"alg":"none","typ":"JWT"}"#),
        parts[1]
    );
    let hs = format!(
        "{}.{}.{}",
        B64.encode(r#"{"alg":"HS256","typ":"JWT","kid":"x"}"#),
        parts[1],
        parts[2]
    );

    for bad in [forged.as_str(), none.as_str(), hs.as_str(), "not-a-token"] {
        let refused = test.get_as(bad, "/api/identity/v1/accounts/me").await;
        assert_eq!(refused.status(), 401, "{bad}");
        assert!(
            refused.headers()["www-authenticate"]
                .to_str()
                .unwrap()
                .starts_with("Bearer")
        );
        assert_eq!(
            refused.json::<Value>().await.unwrap()["code"],
            "unauthorized"
        );
    }
    let missing = test
        .http
        .get(test.url("/api/identity/v1/accounts/me"))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 401);

    test.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn administrators_act_only_within_their_scope() {
    let test = TestPlatform::start(BrokerStorage::Memory).await;
    let province = test.admin("hunan.admin", "430000000000").await;

    let (city, clerk_id, binding_id) =
        a_city_admin_makes_a_clerk_in_a_real_county(&test, &province).await;
    nothing_outside_the_city(&test, &city, &clerk_id, &province).await;
    the_directory_lists_the_citys_staff_only(&test, &city, &province).await;
    the_clerks_token_carries_the_binding_until_revoked(&test, &binding_id, &clerk_id, &city).await;
    a_service_account_signs_in_with_client_credentials(&test, &province).await;
    every_change_raised_its_event(&test).await;
    nobody_changes_roles_on_their_own_account(&test, &province).await;
    test.stop().await;
}

async fn a_city_admin_makes_a_clerk_in_a_real_county(
    test: &TestPlatform,
    province: &str,
) -> (String, String, String) {
    // The province admin makes a Yiyang city admin.
    let (_, city) = test
        .staff_with_role(province, "yiyang.admin", "identity_admin", "430900000000")
        .await;

    // Inside Yiyang: a clerk in 南县 is created and given window_clerk there.
    let clerk_id = test
        .create_staff(&city, "nanxian.clerk", "430921000000")
        .await;
    let binding_id = test
        .grant(&city, &clerk_id, "window_clerk", "430921000000")
        .await;

    // Regions must be real divisions of the catalogue's tree (430999: no such county).
    let nowhere = test
        .post_as(
            &city,
            "/api/identity/v1/accounts/staff",
            json!({
                "username": "ghost.clerk", "name": "无此县", "region_code": "430999000000",
                "password": "clerk-password",
            }),
        )
        .await;
    assert_eq!(nowhere.status(), 422);
    assert_eq!(
        nowhere.json::<serde_json::Value>().await.unwrap()["field"],
        "region_code"
    );
    let ghost_grant = test
        .post_as(
            &city,
            &format!("/api/identity/v1/accounts/{clerk_id}/roles"),
            json!({ "role": "window_clerk", "region": "430999000000" }),
        )
        .await;
    assert_eq!(ghost_grant.status(), 422);
    assert_eq!(
        ghost_grant.json::<serde_json::Value>().await.unwrap()["field"],
        "region"
    );
    (city, clerk_id, binding_id)
}

/// Separation of duties: an administrator grants and revokes no role on their own account
/// (403 `own_account`), even one well within their scope; another administrator may.
async fn nobody_changes_roles_on_their_own_account(test: &TestPlatform, province: &str) {
    let (city_id, city) = test
        .staff_with_role(province, "yueyang.admin", "identity_admin", "430600000000")
        .await;
    let own = format!("/api/identity/v1/accounts/{city_id}/roles");
    for role in ["window_clerk", "approver", "supervisor", "identity_admin"] {
        let response = test
            .post_as(
                &city,
                &own,
                json!({ "role": role, "region": "430600000000" }),
            )
            .await;
        assert_eq!(response.status(), 403, "{role}");
        let body: serde_json::Value = response.json().await.unwrap();
        assert_eq!(body["code"], "own_account", "{body}");
    }
    let bindings = test.get_json_as(&city, &own).await;
    let binding = bindings[0]["id"].as_str().unwrap();
    assert_eq!(test.revoke(&city, &city_id, binding).await.status(), 403);
    assert_eq!(
        test.grant(province, &city_id, "supervisor", "430600000000")
            .await
            .len(),
        36,
        "another administrator grants it"
    );
}

/// The staff directory (`GET /v1/accounts`): the city administrator pages through Yiyang's
/// staff with their roles, finds one by name, and sees no other city's; the province sees both.
async fn the_directory_lists_the_citys_staff_only(test: &TestPlatform, city: &str, province: &str) {
    let logins = |page: &Value| -> Vec<String> {
        page["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["login"].as_str().unwrap().to_owned())
            .collect()
    };
    let page = test.get_json_as(city, "/api/identity/v1/accounts").await;
    assert_eq!(logins(&page), ["nanxian.clerk", "yiyang.admin"], "{page}");
    let clerk = &page["items"][0];
    assert_eq!(
        (
            clerk["roles"][0]["role"].as_str(),
            clerk["roles"][0]["region"].as_str(),
            clerk["disabled"].as_bool(),
            clerk["password_temporary"].as_bool(),
        ),
        (
            Some("window_clerk"),
            Some("430921000000"),
            Some(false),
            Some(false)
        ),
        "{clerk}: the harness has each clerk choose their own password at once"
    );
    let first = test
        .get_json_as(city, "/api/identity/v1/accounts?limit=1")
        .await;
    let next = first["next"].as_str().unwrap();
    let second = test
        .get_json_as(
            city,
            &format!("/api/identity/v1/accounts?limit=1&after={next}"),
        )
        .await;
    assert_eq!(
        (logins(&first), logins(&second)),
        (
            vec!["nanxian.clerk".to_owned()],
            vec!["yiyang.admin".to_owned()]
        )
    );
    let found = test
        .get_json_as(city, "/api/identity/v1/accounts?q=NANXIAN")
        .await;
    assert_eq!(logins(&found), ["nanxian.clerk"]);
    let elsewhere = test
        .get_as(city, "/api/identity/v1/accounts?region_code=430100000000")
        .await;
    assert_eq!(elsewhere.status(), 403);
    let bad = test.get_as(city, "/api/identity/v1/accounts?limit=0").await;
    assert_eq!(bad.status(), 400);
    let everyone = test
        .get_json_as(province, "/api/identity/v1/accounts?limit=200")
        .await;
    let everyone = logins(&everyone);
    assert!(
        everyone.contains(&"changsha.clerk".to_owned())
            && everyone.contains(&"nanxian.clerk".to_owned()),
        "{everyone:?}"
    );
}

async fn nothing_outside_the_city(test: &TestPlatform, city: &str, clerk_id: &str, province: &str) {
    // Outside Yiyang: no staff in Changsha, no province-wide grant, no sight of Changsha staff.
    let outside = test
        .post_as(
            city,
            "/api/identity/v1/accounts/staff",
            json!({
                "username": "changsha.clerk", "name": "长沙窗口", "region_code": "430100000000",
                "password": "clerk-password",
            }),
        )
        .await;
    assert_eq!(outside.status(), 403);
    let wider = test
        .post_as(
            city,
            &format!("/api/identity/v1/accounts/{clerk_id}/roles"),
            json!({ "role": "window_clerk", "region": "430000000000" }),
        )
        .await;
    assert_eq!(wider.status(), 403);
    let changsha_id = test
        .create_staff(province, "changsha.clerk", "430100000000")
        .await;
    assert_eq!(
        test.get_as(city, &format!("/api/identity/v1/accounts/{changsha_id}"))
            .await
            .status(),
        404
    );
    assert_eq!(
        test.get_as(
            province,
            &format!("/api/identity/v1/accounts/{changsha_id}")
        )
        .await
        .status(),
        200
    );
}

async fn the_clerks_token_carries_the_binding_until_revoked(
    test: &TestPlatform,
    binding_id: &str,
    clerk_id: &str,
    city: &str,
) {
    // The clerk's token carries the binding; a clerk administers nothing.
    let clerk_login: Value = test
        .sign_in("nanxian.clerk", &staff_password("nanxian.clerk"))
        .await
        .json()
        .await
        .unwrap();
    let clerk_token = clerk_login["access_token"].as_str().unwrap();
    let claims: Value = claims_of(clerk_token);
    assert_eq!(
        claims["roles"],
        json!([{ "role": "window_clerk", "region": "430921000000" }])
    );
    assert_eq!(claims["kind"], "staff");
    let by_clerk = test
        .post_as(clerk_token, "/api/identity/v1/accounts/staff", json!({
            "username": "another.clerk", "name": "x", "region_code": "430921000000", "password": "clerk-password",
        }))
        .await;
    assert_eq!(by_clerk.status(), 403);

    // Revoked, the role is gone from the next token.
    let revoked = test.revoke(city, clerk_id, binding_id).await;
    assert_eq!(revoked.status(), 204);
    let refreshed: Value = refresh(test, clerk_login["refresh_token"].as_str().unwrap())
        .await
        .json()
        .await
        .unwrap();
    let claims: Value = claims_of(refreshed["access_token"].as_str().unwrap());
    assert_eq!(claims["roles"], json!([]));
}

async fn a_service_account_signs_in_with_client_credentials(test: &TestPlatform, province: &str) {
    // A service account (the provincial platform) signs in with client credentials.
    let service = test
        .post_as(
            province,
            "/api/identity/v1/accounts/services",
            json!({
                "client_id": "province-platform", "name": "省级平台", "region_code": "430000000000",
            }),
        )
        .await;
    assert_eq!(service.status(), 201);
    let service: Value = service.json().await.unwrap();
    let secret = service["client_secret"].as_str().unwrap();
    let service_id = service["account"]["id"].as_str().unwrap();
    let supervise = test
        .post_as(
            province,
            &format!("/api/identity/v1/accounts/{service_id}/roles"),
            json!({ "role": "supervisor", "region": "430000000000" }),
        )
        .await;
    assert_eq!(supervise.status(), 201);
    let issued: Value = test
        .http
        .post(test.url("/api/identity/v1/oauth/token"))
        .basic_auth("province-platform", Some(secret))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(
        issued["refresh_token"].is_null(),
        "client credentials get no refresh token"
    );
    let claims: Value = claims_of(issued["access_token"].as_str().unwrap());
    assert_eq!(claims["kind"], "service");
    assert_eq!(claims["client_id"], "province-platform");
    let wrong = test
        .http
        .post(test.url("/api/identity/v1/oauth/token"))
        .basic_auth("province-platform", Some("not-the-secret"))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), 401);
    assert_eq!(
        wrong.json::<Value>().await.unwrap()["error"],
        "invalid_client"
    );
}

async fn every_change_raised_its_event(test: &TestPlatform) {
    // Every change raised its event.
    for (ce_type, count) in [
        // hunan.admin, yiyang.admin, nanxian.clerk, changsha.clerk, province-platform, and the
        // notification service's and identity's own accounts (made on start)
        ("cn.tongban.identity.account_created.v1", 7),
        ("cn.tongban.identity.role_granted.v1", 4),
        ("cn.tongban.identity.role_revoked.v1", 1),
    ] {
        let sql = format!("select count(*) from identity.outbox where ce_type = '{ce_type}'");
        assert_eq!(test.scalar(&sql).await, count, "{ce_type}");
    }
}

fn kid(token: &str) -> String {
    let header: Value =
        serde_json::from_slice(&B64.decode(token.split('.').next().unwrap()).unwrap()).unwrap();
    header["kid"].as_str().unwrap().to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_rotated_key_signs_at_once_and_old_tokens_keep_working_everywhere() {
    let test = TestPlatform::start(BrokerStorage::Memory).await;
    let old = test.admin("rotation.admin", "430000000000").await;
    // The gateway and identity have verified (and cached) the old key.
    assert_eq!(
        test.get_as(&old, "/api/identity/v1/accounts/me")
            .await
            .status(),
        200
    );

    let rotated = test
        .post_as(&old, "/api/identity/v1/keys/rotate", json!({}))
        .await;
    assert_eq!(rotated.status(), 201);
    let new_kid = rotated.json::<Value>().await.unwrap()["kid"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_ne!(new_kid, kid(&old));

    // New tokens carry the new key and verify on the first try at the gateway and behind it;
    // the old token still verifies.
    let new = test
        .access_token("rotation.admin", "admin-password-1")
        .await;
    assert_eq!(kid(&new), new_kid);
    assert_eq!(
        test.get_as(&new, "/api/identity/v1/accounts/me")
            .await
            .status(),
        200
    );
    assert_eq!(
        test.get_as(&new, "/api/approval/v1/directory/regions/430000000000")
            .await
            .status(),
        403
    );
    assert_eq!(
        test.get_as(&old, "/api/identity/v1/accounts/me")
            .await
            .status(),
        200
    );
    let jwks: Value = test
        .get_json(&test.url("/api/identity/.well-known/jwks.json"))
        .await
        .unwrap();
    assert_eq!(
        jwks["keys"].as_array().unwrap().len(),
        2,
        "old and new are both published"
    );

    // Only a province-wide identity administrator may rotate.
    let (_, city) = test
        .staff_with_role(&new, "city.keys", "identity_admin", "430900000000")
        .await;
    assert_eq!(
        test.post_as(&city, "/api/identity/v1/keys/rotate", json!({}))
            .await
            .status(),
        403
    );

    test.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_first_administrator_can_come_from_configuration() {
    let test = TestPlatform::start_with(BrokerStorage::Memory, |s| {
        s.section_mut::<IdentitySettings>()
            .unwrap()
            .bootstrap_admin_username = "first.admin".to_owned();
        s.section_mut::<IdentitySettings>()
            .unwrap()
            .bootstrap_admin_password = "first-admin-password".to_owned().into();
        s.section_mut::<IdentitySettings>()
            .unwrap()
            .bootstrap_admin_region = "430000000000".to_owned();
    })
    .await;

    let token = test
        .access_token("first.admin", "first-admin-password")
        .await;

    let roles: Value = test
        .get_json_as(&token, "/api/identity/v1/accounts/me")
        .await;
    let id = roles["id"].as_str().unwrap().to_owned();
    let bindings: Value = test
        .get_json_as(&token, &format!("/api/identity/v1/accounts/{id}/roles"))
        .await;
    assert_eq!(bindings[0]["role"], "identity_admin");
    assert_eq!(bindings[0]["region"], "430000000000");
    assert_eq!(
        test.scalar("select count(*) from identity.accounts where kind <> 'service'")
            .await,
        1,
        "the configured administrator, besides the notification service's own account"
    );

    test.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_expired_token_signed_with_the_real_key_is_refused_everywhere() {
    let test = TestPlatform::start(BrokerStorage::Memory).await;
    let genuine = test.admin("expiry.admin", "430000000000").await;
    let mut claims: Value = claims_of(&genuine);

    // Re-sign the admin's own claims with the active key, but expired an hour ago. The key is
    // stored sealed: the test opens it with the platform's key-encryption key.
    let (kid, sealed): (String, Vec<u8>) = sqlx::query_as(
        "select kid, sealed_secret from identity.signing_keys where retired_at is null",
    )
    .fetch_one(&test.db)
    .await
    .unwrap();
    let vault = test.platform.settings.secrets.vault().unwrap();
    let secret = vault
        .open(&tongban_identity::keys::SEALED.context(&kid), &sealed)
        .unwrap();
    let key = tongban_auth::SigningKey::from_bytes(kid, &secret).unwrap();
    let now = chrono_now();
    claims["iat"] = json!(now - 7_200);
    claims["exp"] = json!(now - 3_600);
    let expired = key.sign(&serde_json::from_value(claims.clone()).unwrap());
    claims["exp"] = json!(now + 600);
    let fresh = key.sign(&serde_json::from_value(claims).unwrap());

    // The same claims and key verify when not expired: only the expiry differs.
    assert_eq!(
        test.get_as(&fresh, "/api/identity/v1/accounts/me")
            .await
            .status(),
        200
    );
    assert_eq!(
        test.get_as(&expired, "/api/identity/v1/accounts/me")
            .await
            .status(),
        401
    );
    let catalogue = format!(
        "http://{}/v1/departments",
        test.platform.addresses["catalogue"]
    );
    let direct = test
        .http
        .post(catalogue)
        .bearer_auth(&expired)
        .json(&json!({ "region_code": "430921000000", "name": "过期", "credit_code": crate::harness::credit_code(77) }))
        .send()
        .await
        .unwrap();
    assert_eq!(direct.status(), 401, "the service checks expiry too");

    test.stop().await;
}

fn chrono_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// A registration's 409 says a number has an account, so registrations are few per address;
/// and a number whose check character is right is still refused when nobody could hold it.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn registration_refuses_impossible_numbers_and_is_limited_per_address() {
    let test = TestPlatform::start_with(BrokerStorage::Memory, |s| {
        s.section_mut::<tongban_gateway::config::GatewaySettings>()
            .unwrap()
            .registrations_per_hour_per_ip = 4;
    })
    .await;
    for (first17, why) in [
        ("43092120300101123", "in the future"),
        ("99999919900101123", "no province"),
    ] {
        let number = IdCardNumber::complete(first17).unwrap();
        let response = register_citizen(&test, number.as_str(), "citizen-password").await;
        assert_eq!(response.status(), 422, "{why}");
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["field"], "id_number", "{body}");
        assert!(body["message"].as_str().unwrap().contains(why), "{body}");
    }
    assert_eq!(
        register_citizen(&test, &id_number(61), "citizen-password")
            .await
            .status(),
        201
    );
    // The same number again: 409 — and then the address has used its hour.
    assert_eq!(
        register_citizen(&test, &id_number(61), "citizen-password")
            .await
            .status(),
        409
    );
    let swept = register_citizen(&test, &id_number(62), "citizen-password").await;
    assert_eq!(swept.status(), 429);
    assert!(swept.headers().contains_key("retry-after"));
    test.stop().await;
}
