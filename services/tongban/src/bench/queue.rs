//! `tongban bench hall-queue`: the windows' "call next" (叫号) with a busy hall's queue — 200
//! windows in ten groups pressing it at once, over 10,000 waiting tickets (some due by
//! appointment, some in the green channel) — and how soon the display board shows a call.
//!
//! The waiting tickets are written straight into the hall's schema (taking 10,000 through the
//! kiosk would measure the kiosk); everything measured goes through the gateway as a window
//! clerk with a real token. In each round every window calls at once (each call timed), then
//! sends its person on (marked absent, not timed). The board is watched the whole time on its
//! live feed (server-sent events, through the gateway as a screen reads it): for the first
//! window's call of each round, the time from the press to the board showing that number.
//!
//! A burst of every window at once measures what the machine drains, not what one call costs:
//! the last of 200 simultaneous presses waits for the 199 before it. So a second phase paces
//! the same windows: presses spread evenly at a fixed rate (100 a second by default, each
//! window pressing every two seconds — a real hall's 200 windows call a few a second), each
//! window calling, then marking absent before its next turn. A paced call is timed from the
//! moment it was due, so a window running late counts its lateness too.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use http_body_util::{BodyExt, Full};
use serde::Serialize;
use serde_json::{Value, json};

use super::approval::staff;
use super::{HttpClient, Measured, identity_admin, send, summarise};
use crate::Platform;

/// 赫山区, whose centre the benchmark sets up.
const COUNTY: &str = "430903000000";

/// The shape of the hall measured.
#[derive(Debug, Clone, Copy)]
pub struct Shape {
    pub windows: usize,
    /// Window groups (at most 26: a group is a letter).
    pub groups: usize,
    pub waiting: usize,
    pub rounds: usize,
    /// Paced presses a second, over all windows.
    pub rate: u32,
    /// Paced presses in all.
    pub paced: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct QueueReport {
    pub cpus: usize,
    pub windows: usize,
    pub groups: usize,
    /// Tickets waiting when the first round started.
    pub waiting: i64,
    /// `POST /api/hall/v1/windows/{id}/call`, every window at once, round after round.
    pub call_next: Measured,
    /// The same call with the presses spread evenly at `paced_rate` a second.
    pub paced: Measured,
    pub paced_rate: u32,
    /// From a window's press to the board's feed showing the number called there.
    pub board: BoardDelay,
}

#[derive(Debug, Clone, Serialize)]
pub struct BoardDelay {
    pub samples: usize,
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
}

/// Runs the benchmark.
pub async fn hall_queue(
    settings: tongban_runtime::Settings,
    shape: Shape,
    progress: impl Fn(&str),
) -> anyhow::Result<QueueReport> {
    super::on_throwaway(settings, &progress, async |platform| {
        measure(platform, shape, &progress).await
    })
    .await
}

/// A request with a JSON body as `token`.
fn request(
    method: &str,
    url: &str,
    token: &str,
    body: &Value,
) -> anyhow::Result<http::Request<Full<Bytes>>> {
    Ok(http::Request::builder()
        .method(method)
        .uri(url)
        .header("content-type", "application/json")
        .header("authorization", format!("Bearer {token}"))
        .body(Full::new(Bytes::from(body.to_string())))?)
}

/// Sets the centre up: `groups` groups of `windows / groups` windows; the windows' ids by group.
async fn set_up(
    client: &HttpClient,
    gateway: &str,
    admin: &str,
    shape: Shape,
) -> anyhow::Result<Vec<(String, Vec<String>)>> {
    let centre = format!("{gateway}/api/hall/v1/centres/{COUNTY}");
    let form = json!({ "name": "压测大厅", "opens_at": "00:00", "closes_at": "23:59" });
    let (status, body) = send(client, request("PUT", &centre, admin, &form)?).await?;
    anyhow::ensure!(
        status == 200,
        "setting the centre up answered {status}: {body}"
    );
    let mut groups = Vec::new();
    for g in 0..shape.groups {
        let letter = char::from(b'A' + g as u8).to_string();
        let form = json!({ "letter": letter, "name": format!("压测窗口组{letter}"),
                           "slot_minutes": 30, "slot_capacity": 10 });
        let (status, group) = send(
            client,
            request("POST", &format!("{centre}/groups"), admin, &form)?,
        )
        .await?;
        anyhow::ensure!(
            status == 201,
            "adding group {letter} answered {status}: {group}"
        );
        let id = group["id"].as_str().unwrap_or_default().to_owned();
        let mut windows = Vec::new();
        for w in 0..shape.windows / shape.groups {
            let form = json!({ "name": format!("{letter}{}号窗口", w + 1), "group_id": id });
            let (status, window) = send(
                client,
                request("POST", &format!("{centre}/windows"), admin, &form)?,
            )
            .await?;
            anyhow::ensure!(status == 201, "adding a window answered {status}: {window}");
            windows.push(window["id"].as_str().unwrap_or_default().to_owned());
        }
        groups.push((id, windows));
    }
    Ok(groups)
}

/// Writes `count` waiting tickets spread over `groups`: every twentieth due by appointment,
/// every seventeenth in the green channel, arriving over the last hour.
async fn seed(platform: &Platform, groups: &[String], count: usize) -> anyhow::Result<i64> {
    let pool =
        tongban_runtime::db::connect(&platform.settings.database, tongban_hall::NAME).await?;
    let today = tongban_runtime::clock::local_date(platform.settings.clock.now());
    let ids: Vec<uuid::Uuid> = groups.iter().filter_map(|g| g.parse().ok()).collect();
    sqlx::query(
        "insert into tickets (id, region_code, group_id, day, number, due_at, priority, weight,
             status, arrived_at)
         select gen_random_uuid(), $1, ($2::uuid[])[1 + n % $5], $3,
             chr((65 + n % $5)::int) || lpad((n / $5)::text, 5, '0'),
             case when n % 20 = 0 then now() - interval '5 minutes' end,
             case when n % 17 = 0 then $7 else $8 end, case when n % 17 = 0 then 10 else 0 end,
             $6, now() - interval '1 hour' + n * interval '300 ms'
         from generate_series(0, $4 - 1) as n",
    )
    .bind(COUNTY)
    .bind(&ids)
    .bind(today)
    .bind(count as i64)
    .bind(groups.len() as i32)
    .bind(tongban_hall::queue::state::Status::Waiting)
    .bind(tongban_hall::queue::order::Priority::Elderly)
    .bind(tongban_hall::queue::order::Priority::None)
    .execute(&pool)
    .await?;
    sqlx::query("vacuum analyze tickets").execute(&pool).await?;
    let waiting: i64 = sqlx::query_scalar("select count(*) from tickets where waiting")
        .fetch_one(&pool)
        .await?;
    pool.close().await;
    Ok(waiting)
}

/// When the board first showed each number at `window` (read from its live feed).
type Seen = Arc<Mutex<HashMap<String, Instant>>>;

/// Reads the board's feed until the connection ends, noting when each number appears at
/// `window`.
async fn watch(client: HttpClient, url: String, window: String, seen: Seen) -> anyhow::Result<()> {
    let request = http::Request::get(url).body(Full::new(Bytes::new()))?;
    let response = client.request(request).await?;
    anyhow::ensure!(
        response.status() == 200,
        "the board's feed answered {}",
        response.status()
    );
    let mut body = response.into_body();
    let mut pending = String::new();
    while let Some(frame) = body.frame().await {
        let arrived = Instant::now();
        if let Ok(data) = frame?.into_data() {
            pending.push_str(&String::from_utf8_lossy(&data));
        }
        while let Some(end) = pending.find("\n\n") {
            let event: String = pending.drain(..end + 2).collect();
            let Some(data) = event.lines().find_map(|l| l.strip_prefix("data: ")) else {
                continue;
            };
            let board: Value = serde_json::from_str(data).unwrap_or(Value::Null);
            let number = board["windows"]
                .as_array()
                .into_iter()
                .flatten()
                .find(|w| w["window_id"] == window.as_str())
                .and_then(|w| w["number"].as_str());
            if let (Some(number), Ok(mut seen)) = (number, seen.lock()) {
                seen.entry(number.to_owned()).or_insert(arrived);
            }
        }
    }
    Ok(())
}

async fn measure(
    platform: &Platform,
    shape: Shape,
    progress: &impl Fn(&str),
) -> anyhow::Result<QueueReport> {
    anyhow::ensure!(
        (1..=26).contains(&shape.groups) && shape.windows >= shape.groups,
        "1 to 26 groups, and at least a window per group"
    );
    anyhow::ensure!(shape.rate > 0, "a paced rate of at least one call a second");
    // Each group's windows take its tickets; a group short of tickets would answer 404.
    let calls = shape.windows * shape.rounds + shape.paced;
    anyhow::ensure!(
        shape.waiting >= calls + calls / 10,
        "{} waiting tickets are too few for {calls} calls (a tenth more, for the groups' shares)",
        shape.waiting
    );
    let client = super::client(&platform.settings.http, shape.windows + 4);
    super::wait_ready(&client, platform).await?;
    let gateway = platform.gateway_url().unwrap_or_default();
    progress("setting the hall up: its administrator, a window clerk, groups and windows");
    let admin = identity_admin(&platform.settings, &client, &gateway, "bench.queue.admin").await?;
    let hall_admin = staff(
        &client,
        &gateway,
        &admin,
        "bench.queue.hall",
        COUNTY,
        json!({ "role": "hall_admin", "region": COUNTY }),
    )
    .await?;
    let clerk = staff(
        &client,
        &gateway,
        &admin,
        "bench.queue.clerk",
        COUNTY,
        json!({ "role": "window_clerk", "region": COUNTY }),
    )
    .await?;
    let groups = set_up(&client, &gateway, &hall_admin, shape).await?;
    progress(&format!("writing {} waiting tickets", shape.waiting));
    let group_ids: Vec<String> = groups.iter().map(|(g, _)| g.clone()).collect();
    let waiting = seed(platform, &group_ids, shape.waiting).await?;
    let windows: Vec<String> = groups.into_iter().flat_map(|(_, w)| w).collect();

    let seen: Seen = Arc::default();
    let feed = format!("{gateway}/api/hall/v1/centres/{COUNTY}/board/events");
    let watcher = tokio::spawn(watch(
        client.clone(),
        feed,
        windows[0].clone(),
        seen.clone(),
    ));
    // The feed's first board, before the first press.
    tokio::time::sleep(Duration::from_millis(500)).await;

    let mut latencies = Vec::new();
    let mut delays = Vec::new();
    let started = Instant::now();
    for round in 0..shape.rounds {
        progress(&format!(
            "round {} of {}: {} windows call at once",
            round + 1,
            shape.rounds,
            windows.len()
        ));
        let calls = futures::future::join_all(windows.iter().map(|window| {
            let (client, gateway, clerk) = (&client, &gateway, &clerk);
            async move {
                let pressed = Instant::now();
                let ticket = call(client, gateway, clerk, window).await?;
                anyhow::Ok((pressed, pressed.elapsed(), ticket))
            }
        }))
        .await;
        let mut called = Vec::new();
        for answer in calls {
            let (pressed, took, ticket) = answer?;
            latencies.push(took);
            called.push((pressed, ticket));
        }
        // The first window's number on the board.
        let (pressed, first) = &called[0];
        let number = first["number"].as_str().unwrap_or_default().to_owned();
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            let shown = seen.lock().ok().and_then(|s| s.get(&number).copied());
            if let Some(shown) = shown {
                delays.push(shown.saturating_duration_since(*pressed));
                break;
            }
            anyhow::ensure!(Instant::now() < deadline, "the board never showed {number}");
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        let absent = futures::future::join_all(
            called
                .iter()
                .map(|(_, ticket)| send_on(&client, &gateway, &clerk, ticket)),
        )
        .await;
        for answer in absent {
            answer?;
        }
    }
    let elapsed = started.elapsed();
    progress(&format!(
        "{} calls paced at {} a second over the {} windows",
        shape.paced,
        shape.rate,
        windows.len()
    ));
    let paced = paced(&client, &gateway, &clerk, &windows, shape).await?;
    watcher.abort();
    let [p50, _, p99, max] =
        super::percentiles(delays.iter().map(|d| d.as_secs_f64() * 1e3).collect());
    Ok(QueueReport {
        cpus: std::thread::available_parallelism().map_or(1, |n| n.get()),
        windows: windows.len(),
        groups: shape.groups,
        waiting,
        call_next: summarise(latencies, elapsed),
        paced,
        paced_rate: shape.rate,
        board: BoardDelay {
            samples: delays.len(),
            p50_ms: p50,
            p99_ms: p99,
            max_ms: max,
        },
    })
}

/// Window `window`'s "call next"; the ticket called (any answer but 200 is an error).
async fn call(
    client: &HttpClient,
    gateway: &str,
    clerk: &str,
    window: &str,
) -> anyhow::Result<Value> {
    let url = format!("{gateway}/api/hall/v1/windows/{window}/call");
    let (status, ticket) = send(client, request("POST", &url, clerk, &json!({}))?).await?;
    anyhow::ensure!(status == 200, "a call answered {status}: {ticket}");
    Ok(ticket)
}

/// The person of `ticket` sent on (marked absent), freeing its window.
async fn send_on(
    client: &HttpClient,
    gateway: &str,
    clerk: &str,
    ticket: &Value,
) -> anyhow::Result<()> {
    let url = format!(
        "{gateway}/api/hall/v1/tickets/{}/absent",
        ticket["id"].as_str().unwrap_or_default()
    );
    let (status, body) = send(client, request("POST", &url, clerk, &json!({}))?).await?;
    anyhow::ensure!(status == 200, "marking absent answered {status}: {body}");
    Ok(())
}

/// `shape.paced` calls at `shape.rate` a second: press `i` is due at `i / rate` seconds,
/// at window `i mod windows`; each window presses its turns in order, each timed from when
/// it was due. Not the benches' shared `super::paced`, which sends independent requests: a
/// window must send its person on before its next call, with the ticket the call answered.
async fn paced(
    client: &HttpClient,
    gateway: &str,
    clerk: &str,
    windows: &[String],
    shape: Shape,
) -> anyhow::Result<Measured> {
    let interval = Duration::from_secs(1) / shape.rate;
    let started = Instant::now() + Duration::from_millis(100);
    let turns =
        futures::future::join_all(windows.iter().enumerate().map(|(w, window)| async move {
            let mut took = Vec::new();
            for press in (w..shape.paced).step_by(windows.len()) {
                let due = started + interval * press as u32;
                tokio::time::sleep_until(due.into()).await;
                let ticket = call(client, gateway, clerk, window).await?;
                took.push(due.elapsed());
                send_on(client, gateway, clerk, &ticket).await?;
            }
            anyhow::Ok(took)
        }))
        .await;
    let elapsed = started.elapsed();
    let mut latencies = Vec::new();
    for took in turns {
        latencies.extend(took?);
    }
    Ok(summarise(latencies, elapsed))
}

/// The report as a table for a terminal.
pub fn table(report: &QueueReport) -> String {
    format!(
        "the hall's queue through the gateway, {} CPUs: {} windows in {} groups over {} waiting tickets\n{:<28} {:>9} {:>12} {:>9} {:>9}\n{}{:<28} {:>9} {:>12} {:>9.2} {:>9.2}   (max {:.2} ms)\n",
        report.cpus,
        report.windows,
        report.groups,
        report.waiting,
        "",
        "requests",
        "requests/s",
        "p50 ms",
        "p99 ms",
        super::row_wide("call next, all at once", &report.call_next)
            + super::row_wide(
                &format!("call next, {} a second", report.paced_rate),
                &report.paced
            )
            .as_str(),
        "board shows the call",
        report.board.samples,
        "",
        report.board.p50_ms,
        report.board.p99_ms,
        report.board.max_ms,
    )
}
