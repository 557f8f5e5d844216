//! Starting, observing and tearing down a test platform.

use std::future::Future;
use std::time::{Duration, Instant};

use rdkafka::message::{Header, OwnedHeaders};
use sqlx::PgPool;
use sqlx::postgres::PgConnectOptions;
use std::str::FromStr;

use tongban::{COMPONENTS, Platform};
use tongban_kernel::CreditCode;
use tongban_runtime::{Settings, telemetry};

/// Where the embedded broker keeps its log.
pub enum BrokerStorage {
    /// Gone with the broker: fine where nothing restarts.
    Memory,
    /// An SQLite file in a temporary directory: survives a broker restart.
    Durable,
}

/// Tests with a durable broker run alone: its log lives in SQLite on disk, and with a heavy test
/// beside it on a two-core machine its fsyncs and group coordination slow to a crawl (their
/// waits then time out: a test of the machine, not of the platform). Every other test shares.
static TURNS: tokio::sync::RwLock<()> = tokio::sync::RwLock::const_new(());

enum Turn {
    Shared(#[allow(dead_code)] tokio::sync::RwLockReadGuard<'static, ()>),
    Alone(#[allow(dead_code)] tokio::sync::RwLockWriteGuard<'static, ()>),
}

pub struct TestPlatform {
    pub platform: Platform,
    pub http: reqwest::Client,
    pub gateway: String,
    /// The test's own database, without a search path: queries name schemas.
    pub db: PgPool,
    database: String,
    admin: PgConnectOptions,
    _broker_dir: Option<tempfile::TempDir>,
    /// A province-wide catalogue_admin and supervisor, made on first use.
    staff: tokio::sync::OnceCell<String>,
    /// Held until the test ends (see [`TURNS`]).
    _turn: Turn,
}

impl TestPlatform {
    pub async fn start(storage: BrokerStorage) -> Self {
        Self::start_with(storage, |_| {}).await
    }

    /// Starts with settings changed by `tweak` after the test defaults are applied.
    pub async fn start_with(storage: BrokerStorage, tweak: impl FnOnce(&mut Settings)) -> Self {
        let alone = matches!(storage, BrokerStorage::Durable);
        Self::start_in_turn(storage, alone, tweak).await
    }

    /// Like [`TestPlatform::start_with`] (memory broker), for a test that loads the machine
    /// for minutes: it runs alone, as a durable broker's test does (see [`TURNS`]).
    pub async fn start_alone(tweak: impl FnOnce(&mut Settings)) -> Self {
        Self::start_in_turn(BrokerStorage::Memory, true, tweak).await
    }

    async fn start_in_turn(
        storage: BrokerStorage,
        alone: bool,
        tweak: impl FnOnce(&mut Settings),
    ) -> Self {
        let turn = if alone {
            Turn::Alone(TURNS.write().await)
        } else {
            Turn::Shared(TURNS.read().await)
        };
        let mut settings = Settings::load(None).expect("default settings");
        settings.telemetry.log_filter =
            std::env::var("E2E_LOG").unwrap_or_else(|_| "warn".to_owned());
        telemetry::init(&settings.telemetry, "tongban-e2e").expect("telemetry");

        // A fresh database per test: `create_if_missing` makes it on first connect.
        let base = PgConnectOptions::from_str(settings.database_url()).expect("DATABASE_URL");
        let database = format!("tongban_e2e_{}", uuid::Uuid::now_v7().simple());
        let mut url = url::Url::parse(settings.database_url()).expect("DATABASE_URL");
        url.set_path(&database);
        settings.database.url = url.to_string().into();

        let broker_dir = match storage {
            BrokerStorage::Memory => {
                settings.broker.storage = "memory://tansu/".to_owned();
                None
            }
            BrokerStorage::Durable => {
                let dir = tempfile::tempdir().expect("tempdir");
                settings.broker.storage =
                    tongban_broker::sqlite_storage(&dir.path().join("broker.db"));
                Some(dir)
            }
        };
        settings.kafka.brokers = String::new();
        settings.broker.listen = "127.0.0.1:0".to_owned();
        // The database's secrets are sealed under a key of the test's own.
        settings.secrets.kek = tongban_vault::Vault::generate_kek().into();
        for port in settings.http.ports.values_mut() {
            *port = 0;
        }
        // A test should not wait for a lost notification longer than this.
        settings.outbox.poll_interval_ms = 200;
        // Tests drive hundreds of requests a second from one address and one subject.
        let gateway = settings
            .section_mut::<tongban_gateway::config::GatewaySettings>()
            .unwrap();
        gateway.rate_limit_ip_per_second = 100_000;
        gateway.rate_limit_ip_burst = 100_000;
        gateway.rate_limit_subject_per_second = 100_000;
        gateway.rate_limit_subject_burst = 100_000;
        gateway.registrations_per_hour_per_ip = 100_000;
        tweak(&mut settings);
        // The gateway closes a connection idle for its header timeout: let go of them sooner.
        let http = reqwest::Client::builder()
            .pool_idle_timeout(settings.http.client_idle_timeout())
            .build()
            .expect("HTTP client");

        let platform = Platform::start(settings, &COMPONENTS)
            .await
            .expect("platform starts");
        let gateway = platform.gateway_url().expect("gateway");
        let db = PgPool::connect_with(base.clone().database(&database))
            .await
            .expect("test db");
        let test = Self {
            platform,
            http,
            gateway,
            db,
            database,
            admin: base,
            _broker_dir: broker_dir,
            staff: tokio::sync::OnceCell::new(),
            _turn: turn,
        };
        test.wait_ready().await;
        test
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.gateway)
    }

    /// Waits until the gateway and every service report ready (on their own ports, so the
    /// polling does not spend the gateway's rate limits).
    pub async fn wait_ready(&self) {
        eventually(
            "the platform to be ready",
            Duration::from_secs(60),
            || async {
                for address in self.platform.addresses.values() {
                    let ready = self
                        .http
                        .get(format!("http://{address}/readyz"))
                        .send()
                        .await
                        .ok()?;
                    if !ready.status().is_success() {
                        return None;
                    }
                }
                Some(())
            },
        )
        .await;
    }

    /// A token of a province-wide catalogue_admin and supervisor, created through the API on
    /// first use (by an identity administrator made as `tongban admin create` would).
    pub async fn staff_token(&self) -> &str {
        self.staff
            .get_or_init(|| async {
                let admin = self.admin("e2e.admin", "430000000000").await;
                let id = self.create_staff(&admin, "e2e.staff", "430000000000").await;
                self.grant(&admin, &id, "supervisor", "430000000000").await;
                self.grant(&admin, &id, "catalogue_admin", "430000000000")
                    .await;
                self.access_token("e2e.staff", &staff_password("e2e.staff"))
                    .await
            })
            .await
    }

    /// Registers a department through the gateway, as the province-wide catalogue admin.
    pub async fn register_department(
        &self,
        region: &str,
        name: &str,
        credit_code: &str,
    ) -> reqwest::Response {
        let token = self.staff_token().await;
        self.http
            .post(self.url("/api/catalogue/v1/departments"))
            .bearer_auth(token)
            .json(&serde_json::json!({ "region_code": region, "name": name, "credit_code": credit_code }))
            .send()
            .await
            .expect("gateway answers")
    }

    /// GETs `url` and parses its JSON body; `None` when unreachable or not JSON.
    pub async fn get_json(&self, url: &str) -> Option<serde_json::Value> {
        self.http.get(url).send().await.ok()?.json().await.ok()
    }

    /// How many departments of `region` approval has learned of, asked through `gateway` by
    /// the province-wide supervisor.
    pub async fn departments_known_to_approval(&self, gateway: &str, region: &str) -> Option<i64> {
        let url = format!("{gateway}/api/approval/v1/directory/regions/{region}");
        let token = self.staff_token().await;
        let response = self.http.get(url).bearer_auth(token).send().await.ok()?;
        response.json::<serde_json::Value>().await.ok()?["departments"].as_i64()
    }

    /// Creates an identity administrator over `region` directly (as `tongban admin create`
    /// does) and returns an access token for it.
    pub async fn admin(&self, username: &str, region: &str) -> String {
        let pool = tongban_runtime::db::connect(&self.platform.settings.database, "identity")
            .await
            .expect("identity pool");
        tongban_identity::create_admin(
            &pool,
            username,
            username,
            region.parse().unwrap(),
            "admin-password-1",
        )
        .await
        .expect("admin created");
        pool.close().await;
        self.access_token(username, "admin-password-1").await
    }

    /// Creates staff member `username` in `region` as `admin` through the API and returns its
    /// account id. The administrator's password is temporary: the staff member signs in once
    /// and chooses [`staff_password`], as a new colleague does on the first day.
    pub async fn create_staff(&self, admin: &str, username: &str, region: &str) -> String {
        let temporary = format!("{username}-first-4f9c-kite");
        let created = self
            .post_as(
                admin,
                "/api/identity/v1/accounts/staff",
                serde_json::json!({
                    "username": username, "name": username, "region_code": region,
                    "password": temporary,
                }),
            )
            .await;
        assert_eq!(created.status(), 201, "{username} created");
        let id = created.json::<serde_json::Value>().await.unwrap()["id"]
            .as_str()
            .unwrap()
            .to_owned();
        self.choose_password(username, &temporary, &staff_password(username))
            .await;
        id
    }

    /// `username` signs in with `current` and changes it to `chosen`.
    pub async fn choose_password(&self, username: &str, current: &str, chosen: &str) {
        let token = self.access_token(username, current).await;
        let changed = self
            .http
            .put(self.url("/api/identity/v1/accounts/me/password"))
            .bearer_auth(&token)
            .json(&serde_json::json!({ "current_password": current, "new_password": chosen }))
            .send()
            .await
            .expect("gateway answers");
        assert_eq!(changed.status(), 204, "{username} chose a password");
    }

    /// Revokes role binding `binding` of account `id` as `admin`; the answer.
    pub async fn revoke(&self, admin: &str, id: &str, binding: &str) -> reqwest::Response {
        self.http
            .delete(self.url(&format!("/api/identity/v1/accounts/{id}/roles/{binding}")))
            .bearer_auth(admin)
            .send()
            .await
            .expect("gateway answers")
    }

    /// Grants `role` over `region` to account `id` as `admin`; returns the binding id.
    pub async fn grant(&self, admin: &str, id: &str, role: &str, region: &str) -> String {
        let granted = self
            .post_as(
                admin,
                &format!("/api/identity/v1/accounts/{id}/roles"),
                serde_json::json!({ "role": role, "region": region }),
            )
            .await;
        assert_eq!(granted.status(), 201, "{role} over {region} granted");
        granted.json::<serde_json::Value>().await.unwrap()["id"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    /// A staff member in `region` holding `role` there, signed in: (account id, access token).
    pub async fn staff_with_role(
        &self,
        admin: &str,
        username: &str,
        role: &str,
        region: &str,
    ) -> (String, String) {
        let id = self.create_staff(admin, username, region).await;
        self.grant(admin, &id, role, region).await;
        (
            id,
            self.access_token(username, &staff_password(username)).await,
        )
    }

    /// Grants account `id` (user `username`) `role` in `region`, restricted to `department`;
    /// their access token.
    pub async fn grant_in_department(
        &self,
        admin: &str,
        (id, username): (&str, &str),
        role: &str,
        region: &str,
        department: &str,
    ) -> String {
        let granted = self
            .post_as(
                admin,
                &format!("/api/identity/v1/accounts/{id}/roles"),
                serde_json::json!({ "role": role, "region": region, "department": department }),
            )
            .await;
        assert_eq!(granted.status(), 201);
        self.access_token(username, &staff_password(username)).await
    }

    /// A new staff member in `region` holding `role` there for `department` only, signed in:
    /// their access token.
    pub async fn staff_of_department(
        &self,
        admin: &str,
        username: &str,
        role: &str,
        region: &str,
        department: &str,
    ) -> String {
        let id = self.create_staff(admin, username, region).await;
        self.grant_in_department(admin, (&id, username), role, region, department)
            .await
    }

    /// A citizen registers with a resident ID card.
    pub async fn register_citizen(
        &self,
        id_number: &str,
        phone: &str,
        password: &str,
    ) -> reqwest::Response {
        self.http
            .post(self.url("/api/identity/v1/accounts/citizens"))
            .json(&serde_json::json!({
                "id_type": "resident_id_card", "id_number": id_number, "name": "李四",
                "phone": phone, "password": password,
            }))
            .send()
            .await
            .expect("gateway answers")
    }

    /// Presents a refresh token (the `refresh_token` grant).
    pub async fn refresh(&self, refresh_token: &str) -> reqwest::Response {
        self.http
            .post(self.url("/api/identity/v1/oauth/token"))
            .form(&[
                ("grant_type", "refresh_token"),
                ("refresh_token", refresh_token),
            ])
            .send()
            .await
            .expect("gateway answers")
    }

    /// Signs in with the password grant.
    pub async fn sign_in(&self, username: &str, password: &str) -> reqwest::Response {
        self.http
            .post(self.url("/api/identity/v1/oauth/token"))
            .form(&[
                ("grant_type", "password"),
                ("username", username),
                ("password", password),
            ])
            .send()
            .await
            .expect("gateway answers")
    }

    pub async fn access_token(&self, username: &str, password: &str) -> String {
        let response = self.sign_in(username, password).await;
        assert_eq!(response.status(), 200, "{username} signs in");
        let body: serde_json::Value = response.json().await.unwrap();
        body["access_token"].as_str().unwrap().to_owned()
    }

    /// Sends JSON with a bearer token.
    pub async fn post_as(
        &self,
        token: &str,
        path: &str,
        body: serde_json::Value,
    ) -> reqwest::Response {
        self.http
            .post(self.url(path))
            .bearer_auth(token)
            .json(&body)
            .send()
            .await
            .expect("gateway answers")
    }

    /// GETs `path` with a bearer token and parses the JSON body (expects a 200).
    pub async fn get_json_as(&self, token: &str, path: &str) -> serde_json::Value {
        let response = self.get_as(token, path).await;
        assert_eq!(response.status(), 200, "{path}");
        response.json().await.expect("JSON body")
    }

    pub async fn get_as(&self, token: &str, path: &str) -> reqwest::Response {
        self.http
            .get(self.url(path))
            .bearer_auth(token)
            .send()
            .await
            .expect("gateway answers")
    }

    /// Waits (up to 30 s) until `sql` counts `expected`: what a consumer projected, a sweep
    /// flagged. Panics naming `what` otherwise.
    pub async fn eventually_counts(&self, what: &str, sql: &str, expected: i64) {
        eventually(what, Duration::from_secs(30), || async {
            (self.scalar(sql).await == expected).then_some(())
        })
        .await;
    }

    pub async fn scalar(&self, sql: &str) -> i64 {
        sqlx::query_scalar::<_, i64>(sql)
            .fetch_one(&self.db)
            .await
            .expect(sql)
    }

    /// The one text value `sql` answers (an id as text, a name).
    pub async fn scalar_text(&self, sql: &str) -> String {
        sqlx::query_scalar::<_, String>(sql)
            .fetch_one(&self.db)
            .await
            .expect(sql)
    }

    /// Stops every component and starts them again on the same database and broker storage,
    /// as a redeployed process would (new ports; the same settings and clock).
    pub async fn restart(&mut self) {
        self.restart_with(|_| {}).await;
    }

    /// [`TestPlatform::restart`] with settings changed first (a new key-encryption key, say).
    pub async fn restart_with(&mut self, tweak: impl FnOnce(&mut Settings)) {
        self.platform.stop().await.expect("clean stop");
        let mut settings = (*self.platform.settings).clone();
        settings.kafka.brokers = String::new();
        tweak(&mut settings);
        self.platform = Platform::start(settings, &COMPONENTS)
            .await
            .expect("platform restarts");
        self.gateway = self.platform.gateway_url().expect("gateway");
        self.wait_ready().await;
    }

    /// Verifies every certificate the test issued with OpenSSL and gmssl ([`crate::gm`]), then
    /// stops the platform and drops the test's database.
    pub async fn stop(mut self) {
        crate::gm::every_certificate_verifies_independently(&self.db).await;
        self.platform.stop().await.expect("clean stop");
        self.db.close().await;
        if let Ok(mut admin) =
            sqlx::ConnectOptions::connect(&self.admin.clone().database("postgres")).await
        {
            let drop = format!("drop database if exists \"{}\" with (force)", self.database);
            let _ = sqlx::query(&drop).execute(&mut admin).await;
        }
    }
}

impl Drop for TestPlatform {
    /// A test that panics drops its platform unstopped; its Kafka clients close as the runtime
    /// goes down and librdkafka's close waits for a broker. Keep the broker up for them.
    fn drop(&mut self) {
        if let Some(broker) = self.platform.broker.take() {
            std::mem::forget(broker);
        }
    }
}

/// The claims of a token, decoded without verification (to look at what identity issued).
pub fn claims_of(token: &str) -> serde_json::Value {
    use base64::Engine;
    let payload = token.split('.').nth(1).expect("a JWT has a payload");
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .expect("base64url");
    serde_json::from_slice(&bytes).expect("JSON claims")
}

/// The password test staff members are created with.
pub fn staff_password(username: &str) -> String {
    format!("{username}-password")
}

/// A valid, distinct credit code for test number `n`.
pub fn credit_code(n: u32) -> String {
    CreditCode::complete(&format!("11430900MB{n:07}"))
        .expect("valid charset")
        .to_string()
}

/// Polls `probe` until it yields a value or `within` passes (then panics naming `what`).
pub async fn eventually<T, F, Fut>(what: &str, within: Duration, mut probe: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let started = Instant::now();
    loop {
        if let Some(value) = probe().await {
            return value;
        }
        assert!(
            started.elapsed() < within,
            "timed out after {within:?} waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// CloudEvents headers as catalogue's relay writes them, for an event `id` of `ce_type`.
pub fn ce_headers(ce_type: &str, id: uuid::Uuid) -> OwnedHeaders {
    let id = id.to_string();
    OwnedHeaders::new()
        .insert(Header {
            key: "ce_specversion",
            value: Some("1.0"),
        })
        .insert(Header {
            key: "ce_id",
            value: Some(&id),
        })
        .insert(Header {
            key: "ce_source",
            value: Some("/tongban/catalogue"),
        })
        .insert(Header {
            key: "ce_type",
            value: Some(ce_type),
        })
        .insert(Header {
            key: "ce_time",
            value: Some("2026-11-22T08:00:00Z"),
        })
}
