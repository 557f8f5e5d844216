//! `tongban bench`: measurements anyone can repeat on their own machine. Each starts the whole
//! platform in this process on a throwaway database, measures, prints a table, optionally writes
//! JSON, and drops the database.
//!
//! - `catalogue`: item lookup by implementation code and keyword search by region through the
//!   gateway, over the demo catalogue grown with synthetic departments and items.
//! - `intake` ([`intake`]): applicants submitting cases through the gateway (token verified,
//!   materials checked, case, history and outbox committed), next to `pgbench` running a
//!   comparable two-row insert transaction on the same database at the same concurrency.
//! - `events` ([`events`]): how long an event takes from acceptance's commit to each service
//!   that consumes it, at a steady, moderate load.
//! - `memory` ([`memory`]): the resident size of a `tongban up` process, idle and under load.
//! - `approval` ([`approval`]): the back office's queue listing with 100,000 open work items in
//!   the database.
//! - `hall` ([`hall`]): the hall's inbox and the staff search with 200,000 cases in the
//!   database.
//! - `handover` ([`handover`]): cross-region hand-over latency, from a window's acceptance of a
//!   case another region decides to the work item in that region's queue, under load.
//! - `notification` ([`notification`]): events in → messages stored per second, and how fast
//!   a backlog of queued messages drains.
//! - `portal` ([`portal`]): the online hall's search and guide pages with many visitors at
//!   once, over the catalogue `catalogue` measures, and what a page weighs.
//! - `hall-queue` ([`queue`]): the windows' "call next" with 200 windows pressing it at once
//!   over 10,000 waiting tickets, and how soon the display board shows a call.
//! - `auth`: what token verification costs at the gateway — the same public route
//!   (`GET /api/catalogue/v1/departments?limit=1`) with and without a bearer token, in
//!   alternating rounds so drift hits both alike.

pub mod approval;
mod catalogue;
pub mod console;
pub mod events;
pub mod hall;
pub mod handover;
pub mod intake;
pub mod memory;
pub mod notification;
pub mod portal;
pub mod queue;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::Context as _;
use axum::body::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use serde::Serialize;
use sqlx::{ConnectOptions, Connection};

use tongban_gateway::config::GatewaySettings;
use tongban_runtime::Settings;

use crate::{COMPONENTS, Platform};

type HttpClient = Client<HttpConnector, Full<Bytes>>;

/// A client for `concurrency` requests at a time to a platform served with `http`.
fn client(http: &tongban_runtime::config::HttpSettings, concurrency: usize) -> HttpClient {
    tongban_runtime::http::client_builder(http)
        .pool_max_idle_per_host(concurrency)
        .build_http()
}

/// How hard to push.
#[derive(Debug, Clone, Copy)]
pub struct Load {
    pub requests: usize,
    pub concurrency: usize,
    pub rounds: usize,
}

/// One variant's numbers, over all its rounds.
#[derive(Debug, Clone, Serialize)]
pub struct Measured {
    pub requests: usize,
    pub requests_per_second: f64,
    pub p50_ms: f64,
    pub p95_ms: f64,
    pub p99_ms: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct AuthReport {
    pub cpus: usize,
    pub concurrency: usize,
    pub route: &'static str,
    pub without_token: Measured,
    pub with_token: Measured,
    /// How much lower the throughput is with verification, in percent.
    pub overhead_percent: f64,
    /// One full verification: signature, issuer, audience, lifetime.
    pub verify_full_micros: f64,
    /// One verification of a token the verifier has already verified (what the gateway pays
    /// for every request after a client's first).
    pub verify_remembered_micros: f64,
}

const ROUTE: &str = "/api/catalogue/v1/departments?limit=1";

/// Points `settings` at a new database, the embedded broker, ephemeral ports and rate limits
/// nobody reaches; returns the database's name (for [`drop_database`]).
fn throwaway(settings: &mut Settings) -> anyhow::Result<String> {
    let database = format!("tongban_bench_{}", uuid::Uuid::now_v7().simple());
    let mut url = url::Url::parse(settings.database_url())?;
    url.set_path(&database);
    settings.database.url = url.to_string().into();
    settings.kafka.brokers = String::new();
    settings.broker.listen = "127.0.0.1:0".to_owned();
    settings.broker.storage = "memory://tansu/".to_owned();
    // The throwaway database's secrets need no key beyond the run.
    settings.secrets.kek = tongban_vault::Vault::generate_kek().into();
    for port in settings.http.ports.values_mut() {
        *port = 0;
    }
    let gateway = settings.section_mut::<GatewaySettings>()?;
    gateway.rate_limit_ip_per_second = u32::MAX / 2;
    gateway.rate_limit_ip_burst = u32::MAX / 2;
    gateway.rate_limit_subject_per_second = u32::MAX / 2;
    gateway.rate_limit_subject_burst = u32::MAX / 2;
    gateway.registrations_per_hour_per_ip = u32::MAX / 2;

    Ok(database)
}

/// Starts every component on a throwaway database ([`throwaway`]), runs `measure` against the
/// platform, then stops it and drops the database, whatever `measure` answered.
async fn on_throwaway<T>(
    mut settings: Settings,
    progress: &impl Fn(&str),
    measure: impl AsyncFnOnce(&Platform) -> anyhow::Result<T>,
) -> anyhow::Result<T> {
    let database = throwaway(&mut settings)?;
    progress("starting the platform on a throwaway database");
    let mut platform = Platform::start(settings, &COMPONENTS).await?;
    let result = measure(&platform).await;
    platform.stop().await?;
    drop_database(&platform.settings, &database).await;
    result
}

#[derive(Debug, Clone, Serialize)]
pub struct CatalogueReport {
    pub cpus: usize,
    pub concurrency: usize,
    /// Implementation items in force during the run.
    pub items: i64,
    /// `GET /api/catalogue/v1/items/{code}`, codes in turn.
    pub lookup_by_code: Measured,
    /// `GET /api/catalogue/v1/items?q=…&region_code=…`, keywords and counties in turn.
    pub keyword_search: Measured,
}

/// Keywords people type (营业执照, 出生, 食品 ...), URL-encoded when used.
const KEYWORDS: [&str; 8] = [
    "营业执照",
    "出生",
    "食品经营",
    "登记",
    "社会保障卡",
    "不动产",
    "结婚",
    "医保",
];
/// The demo's counties and cities, where the searches are made.
const SEARCH_REGIONS: [&str; 5] = [
    "430903000000",
    "430923000000",
    "430121000000",
    "430900000000",
    "430100000000",
];

/// Runs the catalogue benchmark: the demo data set plus `extra_departments` synthetic town
/// departments implementing every demo basic item.
pub async fn catalogue(
    settings: Settings,
    load: Load,
    extra_departments: usize,
    progress: impl Fn(&str),
) -> anyhow::Result<CatalogueReport> {
    on_throwaway(settings, &progress, async |platform| {
        measure_catalogue(platform, load, extra_departments, &progress).await
    })
    .await
}

async fn measure_catalogue(
    platform: &Platform,
    load: Load,
    extra_departments: usize,
    progress: &impl Fn(&str),
) -> anyhow::Result<CatalogueReport> {
    let client = client(&platform.settings.http, load.concurrency);
    wait_ready(&client, platform).await?;
    let gateway = platform.gateway_url().context("no gateway")?;
    let (items, codes) =
        catalogue::grown(platform, &SEARCH_REGIONS[..3], extra_departments, progress).await?;

    let lookups: Vec<String> = codes
        .iter()
        .map(|code| format!("{gateway}/api/catalogue/v1/items/{code}"))
        .collect();
    let searches: Vec<String> = KEYWORDS
        .iter()
        .flat_map(|keyword| {
            let q: String = url::form_urlencoded::byte_serialize(keyword.as_bytes()).collect();
            let gateway = gateway.clone();
            SEARCH_REGIONS.iter().map(move |region| {
                format!("{gateway}/api/catalogue/v1/items?q={q}&region_code={region}")
            })
        })
        .collect();
    let [lookup_by_code, keyword_search] =
        gets_in_rounds(&client, [&lookups, &searches], load, progress).await?;
    Ok(CatalogueReport {
        cpus: std::thread::available_parallelism().map_or(1, |n| n.get()),
        concurrency: load.concurrency,
        items,
        lookup_by_code,
        keyword_search,
    })
}

/// The catalogue report as a table for a terminal.
pub fn catalogue_table(report: &CatalogueReport) -> String {
    format!(
        "catalogue through the gateway, {} CPUs, concurrency {}, {} items in force\n{:<16} {:>9} {:>12} {:>9} {:>9}\n{}{}",
        report.cpus,
        report.concurrency,
        report.items,
        "",
        "requests",
        "requests/s",
        "p50 ms",
        "p99 ms",
        row("lookup by code", &report.lookup_by_code),
        row("keyword search", &report.keyword_search),
    )
}

/// One kind's numbers as a table row: requests, requests/s, p50 and p99.
fn row(name: &str, m: &Measured) -> String {
    format!(
        "{name:<16} {:>9} {:>12.0} {:>9.2} {:>9.2}\n",
        m.requests, m.requests_per_second, m.p50_ms, m.p99_ms
    )
}

fn row_wide(name: &str, m: &Measured) -> String {
    format!(
        "{name:<28} {:>9} {:>12.0} {:>9.2} {:>9.2}\n",
        m.requests, m.requests_per_second, m.p50_ms, m.p99_ms
    )
}

/// Runs the gateway verification benchmark.
pub async fn auth(
    settings: Settings,
    load: Load,
    progress: impl Fn(&str),
) -> anyhow::Result<AuthReport> {
    on_throwaway(settings, &progress, async |platform| {
        measure(platform, load, &progress).await
    })
    .await
}

async fn measure(
    platform: &Platform,
    load: Load,
    progress: &impl Fn(&str),
) -> anyhow::Result<AuthReport> {
    let client = client(&platform.settings.http, load.concurrency);
    wait_ready(&client, platform).await?;
    let gateway = platform.gateway_url().context("no gateway")?;

    progress("signing in a staff member");
    let token = identity_admin(&platform.settings, &client, &gateway, "bench.admin").await?;

    let url = [format!("{gateway}{ROUTE}")];
    progress("warming up");
    run(
        &client,
        &http::Method::GET,
        &url,
        &Bytes::new(),
        None,
        load.concurrency * 50,
        load.concurrency,
    )
    .await?;
    run(
        &client,
        &http::Method::GET,
        &url,
        &Bytes::new(),
        Some(&token),
        load.concurrency * 50,
        load.concurrency,
    )
    .await?;

    let mut without = Vec::new();
    let mut with = Vec::new();
    let (mut time_without, mut time_with) = (Duration::ZERO, Duration::ZERO);
    for round in 1..=load.rounds {
        progress(&format!(
            "round {round} of {}: {} requests each way",
            load.rounds, load.requests
        ));
        let (elapsed, latencies) = run(
            &client,
            &http::Method::GET,
            &url,
            &Bytes::new(),
            None,
            load.requests,
            load.concurrency,
        )
        .await?;
        time_without += elapsed;
        without.extend(latencies);
        let (elapsed, latencies) = run(
            &client,
            &http::Method::GET,
            &url,
            &Bytes::new(),
            Some(&token),
            load.requests,
            load.concurrency,
        )
        .await?;
        time_with += elapsed;
        with.extend(latencies);
    }
    let without_token = summarise(without, time_without);
    let with_token = summarise(with, time_with);
    let overhead_percent =
        (1.0 - with_token.requests_per_second / without_token.requests_per_second) * 100.0;
    let (verify_full_micros, verify_remembered_micros) = verify_cost(platform, &token).await?;
    Ok(AuthReport {
        cpus: std::thread::available_parallelism().map_or(1, |n| n.get()),
        concurrency: load.concurrency,
        route: ROUTE,
        without_token,
        with_token,
        overhead_percent,
        verify_full_micros,
        verify_remembered_micros,
    })
}

/// The cost of one verification in full (signature included) and of a remembered token, with
/// identity's keys fetched as the gateway fetches them.
async fn verify_cost(platform: &Platform, token: &str) -> anyhow::Result<(f64, f64)> {
    use tongban_auth::KeySource as _;
    let identity = &platform.settings.tokens;
    let source = tongban_auth::HttpJwks::new(
        platform.settings.jwks_url(),
        tongban_runtime::http::client(&platform.settings.http),
    );
    let keys =
        tongban_auth::jwt::KeySet::from(&source.fetch().await.map_err(|e| anyhow::anyhow!(e))?);
    let rounds = 2_000;
    let now = tongban_kernel::Clock::system().now().timestamp();
    let started = Instant::now();
    for _ in 0..rounds {
        tongban_auth::jwt::verify(token, &keys, &identity.issuer, &identity.audience, now)?;
    }
    let full = started.elapsed().as_secs_f64() * 1e6 / f64::from(rounds);

    let verifier = tongban_auth::Verifier::new(
        identity.issuer.clone(),
        identity.audience.clone(),
        Arc::new(source),
    );
    verifier.verify(token).await?;
    let started = Instant::now();
    for _ in 0..rounds {
        verifier.verify(token).await?;
    }
    let remembered = started.elapsed().as_secs_f64() * 1e6 / f64::from(rounds);
    Ok((full, remembered))
}

/// An access token from the password grant.
async fn sign_in(
    client: &HttpClient,
    gateway: &str,
    username: &str,
    password: &str,
) -> anyhow::Result<String> {
    let form = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("grant_type", "password")
        .append_pair("username", username)
        .append_pair("password", password)
        .finish();
    let request = http::Request::post(format!("{gateway}/api/identity/v1/oauth/token"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(Full::new(Bytes::from(form)))?;
    let (status, body) = send(client, request).await?;
    anyhow::ensure!(
        status == 200,
        "signing in {username} answered {status}: {body}"
    );
    Ok(body["access_token"]
        .as_str()
        .context("no access token")?
        .to_owned())
}

/// A new staff member's first sign-in: the password an administrator set is temporary, so
/// they choose their own (`{temporary}-own`) and sign in with it; its access token.
pub(crate) async fn first_sign_in(
    client: &HttpClient,
    gateway: &str,
    username: &str,
    temporary: &str,
) -> anyhow::Result<String> {
    let token = sign_in(client, gateway, username, temporary).await?;
    let chosen = format!("{temporary}-own");
    let change = serde_json::json!({ "current_password": temporary, "new_password": chosen });
    let request = http::Request::put(format!("{gateway}/api/identity/v1/accounts/me/password"))
        .header("content-type", "application/json")
        .header("authorization", format!("Bearer {token}"))
        .body(Full::new(Bytes::from(change.to_string())))?;
    let (status, body) = send(client, request).await?;
    anyhow::ensure!(
        status == http::StatusCode::NO_CONTENT,
        "{username} changing the first password answered {status}: {body}"
    );
    sign_in(client, gateway, username, &chosen).await
}

/// Sends one request and reads its JSON answer (null when there is none).
async fn send(
    client: &HttpClient,
    request: http::Request<Full<Bytes>>,
) -> anyhow::Result<(http::StatusCode, serde_json::Value)> {
    let response = client.request(request).await?;
    let status = response.status();
    let body = response.into_body().collect().await?.to_bytes();
    Ok((
        status,
        serde_json::from_slice(&body).unwrap_or(serde_json::Value::Null),
    ))
}

/// Sends `requests` requests (with `body` as JSON when it is not empty) to `urls` (in turn) from `concurrency` workers; returns the wall time and each
/// request's latency. Any answer but 200 is an error: a benchmark of failures means nothing.
async fn run(
    client: &HttpClient,
    method: &http::Method,
    urls: &[String],
    body: &Bytes,
    token: Option<&str>,
    requests: usize,
    concurrency: usize,
) -> anyhow::Result<(Duration, Vec<Duration>)> {
    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let workers = (0..concurrency).map(|_| {
        let next = next.clone();
        async move {
            let mut latencies = Vec::with_capacity(requests / concurrency + 1);
            loop {
                let n = next.fetch_add(1, Ordering::Relaxed);
                if n >= requests {
                    break;
                }
                let url = &urls[n % urls.len()];
                let mut request = http::Request::builder().method(method.clone()).uri(url);
                if !body.is_empty() {
                    request = request.header("content-type", "application/json");
                }
                if let Some(token) = token {
                    request = request.header("authorization", format!("Bearer {token}"));
                }
                let sent = Instant::now();
                let response = client
                    .request(request.body(Full::new(body.clone()))?)
                    .await?;
                let status = response.status();
                response.into_body().collect().await?;
                anyhow::ensure!(status == 200, "{url} answered {status}");
                latencies.push(sent.elapsed());
            }
            anyhow::Ok(latencies)
        }
    });
    let mut all = Vec::with_capacity(requests);
    for latencies in futures::future::join_all(workers).await {
        all.extend(latencies?);
    }
    Ok((started.elapsed(), all))
}

/// GETs each set of `urls` (a kind of request) `load.concurrency` at a time: a warm-up of 20
/// requests per client, then `load.rounds` rounds of `load.requests` of each kind in turn, so
/// drift over the run hits every kind alike. Any answer but 200 is an error. Each kind's
/// numbers, in the order of `kinds`.
async fn gets_in_rounds<const N: usize>(
    client: &HttpClient,
    kinds: [&[String]; N],
    load: Load,
    progress: &impl Fn(&str),
) -> anyhow::Result<[Measured; N]> {
    let get = http::Method::GET;
    progress("warming up");
    for urls in kinds {
        let warm = load.concurrency * 20;
        run(
            client,
            &get,
            urls,
            &Bytes::new(),
            None,
            warm,
            load.concurrency,
        )
        .await?;
    }
    let mut latencies: [Vec<Duration>; N] = std::array::from_fn(|_| Vec::new());
    let mut times = [Duration::ZERO; N];
    for round in 1..=load.rounds {
        progress(&format!(
            "round {round} of {}: {} requests of each kind, {} at once",
            load.rounds, load.requests, load.concurrency
        ));
        for (k, urls) in kinds.iter().enumerate() {
            let (elapsed, took) = run(
                client,
                &get,
                urls,
                &Bytes::new(),
                None,
                load.requests,
                load.concurrency,
            )
            .await?;
            times[k] += elapsed;
            latencies[k].extend(took);
        }
    }
    let mut measured = latencies.into_iter().zip(times);
    Ok(std::array::from_fn(|_| {
        let (took, elapsed) = measured.next().unwrap_or_default();
        summarise(took, elapsed)
    }))
}

/// Sends a POST with `body` to each of `urls` in turn, `rate` per second whatever the answers
/// take (as a hall's windows do); any answer but 200 is an error. Returns the requests'
/// numbers, their rate over the wall time.
async fn paced(
    client: &HttpClient,
    urls: &[String],
    body: &Bytes,
    token: &str,
    rate: f64,
) -> anyhow::Result<Measured> {
    anyhow::ensure!(rate > 0.0, "the rate must be positive");
    let started = Instant::now();
    let mut requests = tokio::task::JoinSet::new();
    for (n, url) in urls.iter().enumerate() {
        tokio::time::sleep_until((started + Duration::from_secs_f64(n as f64 / rate)).into()).await;
        let request = http::Request::post(url)
            .header("content-type", "application/json")
            .header("authorization", format!("Bearer {token}"))
            .body(Full::new(body.clone()))?;
        let client = client.clone();
        requests.spawn(async move {
            let sent = Instant::now();
            let (status, body) = send(&client, request).await?;
            anyhow::ensure!(status == 200, "a request answered {status}: {body}");
            anyhow::Ok(sent.elapsed())
        });
    }
    let latencies = requests
        .join_all()
        .await
        .into_iter()
        .collect::<anyhow::Result<Vec<_>>>()?;
    Ok(summarise(latencies, started.elapsed()))
}

/// The 50th, 95th and 99th percentiles and the maximum of `values` (sorted here), 0 if none.
fn percentiles(mut values: Vec<f64>) -> [f64; 4] {
    values.sort_unstable_by(f64::total_cmp);
    let at = |q: f64| {
        let index = ((values.len() as f64 * q).ceil() as usize).saturating_sub(1);
        values.get(index).copied().unwrap_or(0.0)
    };
    [
        at(0.50),
        at(0.95),
        at(0.99),
        values.last().copied().unwrap_or(0.0),
    ]
}

fn summarise(latencies: Vec<Duration>, elapsed: Duration) -> Measured {
    let requests = latencies.len();
    let [p50_ms, p95_ms, p99_ms, _] =
        percentiles(latencies.iter().map(|d| d.as_secs_f64() * 1e3).collect());
    Measured {
        requests,
        requests_per_second: requests as f64 / elapsed.as_secs_f64(),
        p50_ms,
        p95_ms,
        p99_ms,
    }
}

/// Waits, a minute at most, until every component of `platform` answers `/readyz` with 200.
async fn wait_ready(client: &HttpClient, platform: &Platform) -> anyhow::Result<()> {
    let deadline = Instant::now() + Duration::from_secs(60);
    for address in platform.addresses.values() {
        ready_by(client, &format!("http://{address}"), deadline).await?;
    }
    Ok(())
}

/// Waits until `base`'s `/readyz` answers 200; an error once `deadline` has passed.
async fn ready_by(client: &HttpClient, base: &str, deadline: Instant) -> anyhow::Result<()> {
    loop {
        let request = http::Request::get(format!("{base}/readyz")).body(Full::new(Bytes::new()))?;
        if client
            .request(request)
            .await
            .is_ok_and(|r| r.status() == 200)
        {
            return Ok(());
        }
        anyhow::ensure!(Instant::now() < deadline, "{base} did not become ready");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn drop_database(settings: &Settings, name: &str) {
    let Ok(options) = settings
        .database_url()
        .parse::<sqlx::postgres::PgConnectOptions>()
    else {
        return;
    };
    if let Ok(mut admin) = options.database("postgres").connect().await {
        let _ = sqlx::query(&format!("drop database if exists \"{name}\" with (force)"))
            .execute(&mut admin)
            .await;
        let _ = admin.close().await;
    }
}

/// The report as a table for a terminal.
pub fn table(report: &AuthReport) -> String {
    format!(
        "gateway token verification, {} CPUs, concurrency {}, GET {}\n{:<16} {:>9} {:>12} {:>9} {:>9}\n{}{}overhead: {:.1}% of throughput; one verification: {:.1} µs in full, {:.2} µs remembered\n",
        report.cpus,
        report.concurrency,
        report.route,
        "",
        "requests",
        "requests/s",
        "p50 ms",
        "p99 ms",
        row("without token", &report.without_token),
        row("with token", &report.with_token),
        report.overhead_percent,
        report.verify_full_micros,
        report.verify_remembered_micros,
    )
}

/// An identity administrator over the province, created as `tongban admin create` does, signed
/// in; returns its token.
async fn identity_admin(
    settings: &Settings,
    client: &HttpClient,
    gateway: &str,
    username: &str,
) -> anyhow::Result<String> {
    let pool = tongban_runtime::db::connect(&settings.database, tongban_identity::NAME).await?;
    let password = tongban_identity::password::new_secret();
    tongban_identity::create_admin(&pool, username, "bench", "430000000000".parse()?, &password)
        .await
        .context("creating the benchmark's administrator")?;
    pool.close().await;
    sign_in(client, gateway, username, &password).await
}

/// A window clerk of 赫山区, made through the API by an identity administrator created as
/// `tongban admin create` does; returns the clerk's token.
async fn window_clerk(
    settings: &Settings,
    client: &HttpClient,
    gateway: &str,
) -> anyhow::Result<String> {
    let admin = identity_admin(settings, client, gateway, "bench.intake.admin").await?;
    let post = |path: &str, body: serde_json::Value| {
        http::Request::post(format!("{gateway}{path}"))
            .header("content-type", "application/json")
            .header("authorization", format!("Bearer {admin}"))
            .body(Full::new(Bytes::from(body.to_string())))
    };
    let staff = serde_json::json!({
        "username": "bench.clerk", "name": "压测窗口", "region_code": "430903000000",
        "password": "bench-clerk-password",
    });
    let (status, body) = send(client, post("/api/identity/v1/accounts/staff", staff)?).await?;
    anyhow::ensure!(
        status == 201,
        "creating the clerk answered {status}: {body}"
    );
    let id = body["id"].as_str().context("no account id")?;
    let role = serde_json::json!({ "role": "window_clerk", "region": "430903000000" });
    let (status, body) = send(
        client,
        post(&format!("/api/identity/v1/accounts/{id}/roles"), role)?,
    )
    .await?;
    anyhow::ensure!(
        status == 201,
        "granting window_clerk answered {status}: {body}"
    );
    first_sign_in(client, gateway, "bench.clerk", "bench-clerk-password").await
}

/// An item's materials (`[{code, necessity, …}]`) split into the required and the deferrable.
fn split_materials(materials: &serde_json::Value) -> (Vec<String>, Vec<String>) {
    let with = |necessity: &str| -> Vec<String> {
        materials
            .as_array()
            .into_iter()
            .flatten()
            .filter(|m| m["necessity"] == necessity)
            .filter_map(|m| m["code"].as_str().map(str::to_owned))
            .collect()
    };
    (with("required"), with("deferrable"))
}
