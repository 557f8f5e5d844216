//! The halls' statistics (大厅) in the insight service, counted from the hall's own events
//! through the gateway: a hall administrator sets up 赫山区's centre (group A with two windows,
//! group B with one); on Friday a clerk books five of Monday's slots for callers (one is
//! cancelled, one person books three and comes to none: the third no-show suspends them);
//! on Monday walk-ins and the booking checked in are called, served, marked absent, transferred
//! and cancelled at known minutes. The insight endpoint counts them by centre, window group,
//! window and day, with the wait, walk and service times and the bookings' rates; a supervisor
//! of another county is refused 赫山区; a rebuild from the topics gives the same answers; and
//! the dashboard's 大厅 tab shows the centres' and the windows' tables in headless Chromium,
//! found by their captions, with axe finding nothing (the screenshot is kept under
//! `target/test-output/dashboard-halls.png`). A second test publishes one ticket's and one
//! booking's events out of their order, one of them twice, straight to the topic.

use std::path::Path;
use std::time::Duration;

use chrono::NaiveTime;
use serde_json::{Value, json};

use tongban_hall::config::HallSettings;
use tongban_kernel::Clock;

use crate::dashboard::{CHROMIUM, browser_run, browser_tools};
use crate::hall::{HALL, act, call, day, id_number, take};
use crate::harness::{BrokerStorage, TestPlatform, credit_code, eventually, staff_password};
use crate::items::{HESHAN, post, put_as, status_and_body};

/// Bookings are made on Friday for Monday (a working day).
const FRIDAY: &str = "2026-12-04";
const MONDAY: &str = "2026-12-07";
const STATISTICS: &str = "/api/insight/v1/statistics/halls";
/// 益阳市, above 赫山区; and 资阳区, a county beside it.
const YIYANG: &str = "430900000000";
const ZIYANG: &str = "430902000000";
/// Minutes in milliseconds.
const MIN: i64 = 60_000;

fn item(n: u32) -> String {
    format!("{}400010100100{n}", credit_code(78))
}

struct Hall {
    clerk: String,
    a: String,
    b: String,
    /// 1号窗口 and 2号窗口 serve group A, 3号窗口 group B.
    w1: String,
    w2: String,
    w3: String,
}

/// Moves the platform's clock to `hh:mm` China time on `date`.
fn at(clock: &Clock, date: &str, hh: u32, mm: u32) {
    assert!(clock.set_local(day(date), NaiveTime::from_hms_opt(hh, mm, 0).unwrap()));
}

fn id(body: &Value) -> String {
    body["id"].as_str().unwrap().to_owned()
}

async fn set_up(test: &TestPlatform) -> Hall {
    let admin = test.admin("halls.identity", "430000000000").await;
    let (_, hall_admin) = test
        .staff_with_role(&admin, "halls.admin", "hall_admin", HESHAN)
        .await;
    let (_, clerk) = test
        .staff_with_role(&admin, "halls.clerk", "window_clerk", HESHAN)
        .await;
    let centre = format!("{HALL}/centres/{HESHAN}");
    let form = json!({ "name": "赫山区政务服务中心", "opens_at": "09:00", "closes_at": "17:00" });
    let (status, body) = put_as(test, &hall_admin, &centre, form).await;
    assert_eq!(status, 200, "{body}");
    let mut groups = Vec::new();
    for (letter, name, items) in [
        ("A", "综合窗口", json!([item(1), item(2), item(3)])),
        ("B", "不动产", json!([])),
    ] {
        let group = json!({ "letter": letter, "name": name, "slot_minutes": 30,
                            "slot_capacity": 6, "items": items });
        let (status, body) = post(test, &hall_admin, &format!("{centre}/groups"), group).await;
        assert_eq!(status, 201, "{body}");
        groups.push(id(&body));
    }
    let mut windows = Vec::new();
    for (name, group) in [
        ("1号窗口", &groups[0]),
        ("2号窗口", &groups[0]),
        ("3号窗口", &groups[1]),
    ] {
        let window = json!({ "name": name, "group_id": group });
        let (status, body) = post(test, &hall_admin, &format!("{centre}/windows"), window).await;
        assert_eq!(status, 201, "{body}");
        windows.push(id(&body));
    }
    Hall {
        clerk,
        a: groups[0].clone(),
        b: groups[1].clone(),
        w1: windows[0].clone(),
        w2: windows[1].clone(),
        w3: windows[2].clone(),
    }
}

/// The clerk books item `n` at `hh:mm` on Monday for the holder of `card`.
async fn book(test: &TestPlatform, hall: &Hall, n: u32, hh: u32, mm: u32, card: &str) -> String {
    let body = json!({ "item_code": item(n), "starts_at": format!("{MONDAY}T{hh:02}:{mm:02}:00+08:00"),
                       "id_number": card });
    let path = format!("{HALL}/centres/{HESHAN}/appointments");
    let (status, booked) = post(test, &hall.clerk, &path, body).await;
    assert_eq!(status, 201, "{booked}");
    id(&booked)
}

/// Friday: five of Monday's slots booked, one cancelled; returns the one to check in.
async fn friday(test: &TestPlatform, hall: &Hall, clock: &Clock) -> String {
    at(clock, FRIDAY, 10, 0);
    let comes = book(test, hall, 1, 10, 0, &id_number("1990-05-01", 51)).await;
    let cancelled = book(test, hall, 1, 9, 0, &id_number("1980-01-01", 52)).await;
    let path = format!("{HALL}/appointments/{cancelled}/cancel");
    let (status, body) = post(test, &hall.clerk, &path, json!({})).await;
    assert_eq!(status, 200, "{body}");
    // One person books three items for 09:30 and comes to none of them.
    let absent = id_number("1985-02-02", 53);
    for n in 1..=3 {
        book(test, hall, n, 9, 30, &absent).await;
    }
    comes
}

async fn ok(answer: (u16, Value), what: &str) -> Value {
    let (status, body) = answer;
    assert!((200..300).contains(&status), "{what}: {status} {body}");
    body
}

/// Monday: six tickets at known minutes (T5 from the booking checked in).
async fn monday(test: &TestPlatform, hall: &Hall, clock: &Clock, booking: &str) {
    let c = &hall.clerk;
    let mut tickets = Vec::new();
    for (minute, group) in [
        (1, &hall.a),
        (2, &hall.a),
        (3, &hall.a),
        (4, &hall.b),
        (5, &hall.b),
    ] {
        at(clock, MONDAY, 9, minute);
        tickets.push(id(&ok(
            take(test, json!({ "group_id": group })).await,
            "take",
        )
        .await));
    }
    let [t1, t2, t3, t4, t6] = &tickets[..] else {
        unreachable!()
    };
    let by_id = |ticket: &str| json!({ "ticket_id": ticket });
    // T1: waits 5 minutes, walks 1, is served 10.
    at(clock, MONDAY, 9, 6);
    ok(call(test, c, &hall.w1, by_id(t1)).await, "call T1").await;
    at(clock, MONDAY, 9, 7);
    ok(act(test, c, t1, "start").await, "start T1").await;
    // T4: called at group B's window after 5 minutes, sent on to group A.
    at(clock, MONDAY, 9, 9);
    ok(call(test, c, &hall.w3, by_id(t4)).await, "call T4").await;
    at(clock, MONDAY, 9, 10);
    let transfer = format!("{HALL}/tickets/{t4}/transfer");
    ok(
        post(test, c, &transfer, json!({ "group_id": hall.a })).await,
        "transfer T4",
    )
    .await;
    // T3 gives up; T6 waits 8 minutes and never comes.
    at(clock, MONDAY, 9, 11);
    ok(act(test, c, t3, "cancel").await, "cancel T3").await;
    at(clock, MONDAY, 9, 13);
    ok(call(test, c, &hall.w3, by_id(t6)).await, "call T6").await;
    at(clock, MONDAY, 9, 15);
    ok(act(test, c, t6, "absent").await, "T6 absent").await;
    // T2 waits 15 minutes, is called again, and never comes.
    at(clock, MONDAY, 9, 17);
    ok(act(test, c, t1, "finish").await, "finish T1").await;
    ok(call(test, c, &hall.w1, by_id(t2)).await, "call T2").await;
    at(clock, MONDAY, 9, 19);
    ok(act(test, c, t2, "recall").await, "recall T2").await;
    at(clock, MONDAY, 9, 21);
    ok(act(test, c, t2, "absent").await, "T2 absent").await;
    // T4 is called again in group A (its wait stays the first call's), and served 10 minutes.
    at(clock, MONDAY, 9, 22);
    ok(call(test, c, &hall.w2, by_id(t4)).await, "call T4 again").await;
    at(clock, MONDAY, 9, 23);
    ok(act(test, c, t4, "start").await, "start T4").await;
    at(clock, MONDAY, 9, 33);
    ok(act(test, c, t4, "finish").await, "finish T4").await;
    // T5: the booking checked in at 09:40, called at its slot (20 minutes), served 20.
    at(clock, MONDAY, 9, 40);
    let check_in = test
        .http
        .post(test.url(&format!("{HALL}/centres/{HESHAN}/check-in")))
        .json(&json!({ "appointment_id": booking }))
        .send()
        .await
        .unwrap();
    let t5 = id(&ok(status_and_body(check_in).await, "check in").await);
    at(clock, MONDAY, 10, 0);
    ok(call(test, c, &hall.w1, by_id(&t5)).await, "call T5").await;
    at(clock, MONDAY, 10, 1);
    ok(act(test, c, &t5, "start").await, "start T5").await;
    at(clock, MONDAY, 10, 21);
    ok(act(test, c, &t5, "finish").await, "finish T5").await;
}

/// The statistics `query` asks for, as `token` sees them.
async fn statistics(test: &TestPlatform, token: &str, query: &str) -> (u16, Value) {
    status_and_body(test.get_as(token, &format!("{STATISTICS}?{query}")).await).await
}

/// A time in ms, within three seconds of `minutes` (the clock runs on between two steps).
fn near(value: &Value, minutes: i64, what: &str) {
    let ms = value.as_f64().unwrap_or_else(|| panic!("{what}: {value}"));
    assert!(
        (ms - (minutes * MIN) as f64).abs() < 3000.0,
        "{what}: {ms} ms, expected about {minutes} min"
    );
}

/// `part`'s count, average and p90 (in minutes).
fn times(tickets: &Value, part: &str, count: i64, avg: f64, p90: i64) {
    assert_eq!(tickets[part]["count"], count, "{part}: {tickets}");
    let avg_ms = tickets[part]["avg_ms"].as_f64().unwrap();
    assert!(
        (avg_ms - avg * MIN as f64).abs() < 3000.0,
        "{part} average {avg_ms} ms, expected about {avg} min"
    );
    near(&tickets[part]["p90_ms"], p90, &format!("{part} p90"));
}

/// issued, called, served, absent, cancelled, transferred.
fn counts(tickets: &Value) -> [i64; 6] {
    [
        "issued",
        "called",
        "served",
        "absent",
        "cancelled",
        "transferred",
    ]
    .map(|k| tickets[k].as_i64().unwrap_or(-1))
}

fn bookings(appointments: &Value) -> [i64; 5] {
    ["booked", "checked_in", "cancelled", "missed", "suspensions"]
        .map(|k| appointments[k].as_i64().unwrap_or(-1))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_halls_queues_and_bookings_are_counted_by_centre_group_window_and_day() {
    let clock = Clock::adjustable();
    let moved = clock.clone();
    let test = TestPlatform::start_with(BrokerStorage::Memory, move |s| {
        s.clock = moved;
        s.section_mut::<HallSettings>().unwrap().sweep_secs = 1;
    })
    .await;
    at(&clock, FRIDAY, 10, 0);
    let hall = set_up(&test).await;
    let booking = friday(&test, &hall, &clock).await;
    monday(&test, &hall, &clock, &booking).await;
    let admin = test.admin("halls.supervisors", "430000000000").await;
    let city = "yiyang.supervisor";
    let (_, supervisor) = test
        .staff_with_role(&admin, city, "supervisor", YIYANG)
        .await;
    let monday = format!("from={MONDAY}&to={MONDAY}");

    // The sweep marks the three 09:30 bookings missed once their slot ends; insight catches up.
    let total = eventually(
        "insight to count the hall's day",
        Duration::from_secs(60),
        || async {
            let (status, body) =
                statistics(&test, &supervisor, &format!("region={HESHAN}&{monday}")).await;
            assert_eq!(status, 200, "{body}");
            let done = counts(&body["total"]["tickets"]) == [6, 5, 3, 2, 1, 1]
                && bookings(&body["total"]["appointments"]) == [5, 1, 1, 3, 1];
            done.then_some(body)
        },
    )
    .await;
    the_totals_and_rates_are_the_days(&total);
    by_centre_group_window_and_day(&test, &supervisor, &hall, &monday).await;
    another_county_is_refused_and_bad_parameters_are_named(&test, &admin, &supervisor, &monday)
        .await;
    thrown_away_and_rebuilt_the_answers_are_the_same(&test, &supervisor).await;
    the_dashboard_shows_the_halls_tab(&test, city).await;
    test.stop().await;
}

/// Every dimension's answer for Friday to Monday, without the freshness mark.
async fn answers(test: &TestPlatform, supervisor: &str) -> Vec<Value> {
    let mut all = Vec::new();
    for by in ["centre", "group", "window", "day"] {
        let query = format!("region={HESHAN}&from={FRIDAY}&to={MONDAY}&by={by}");
        let (status, mut body) = statistics(test, supervisor, &query).await;
        assert_eq!(status, 200, "{body}");
        body["as_of"] = Value::Null;
        all.push(body);
    }
    all
}

/// `tongban insight rebuild`: the tables emptied, the hall's topic read again from the start,
/// and the same answers by every dimension.
async fn thrown_away_and_rebuilt_the_answers_are_the_same(test: &TestPlatform, supervisor: &str) {
    let before = answers(test, supervisor).await;
    let settings = test.platform.settings.clone();
    let feed = tongban::ops::rebuild_insight(&settings).await.unwrap();
    let emptied = answers(test, supervisor).await;
    assert_eq!(
        emptied[0]["total"]["tickets"]["issued"], 0,
        "{}",
        emptied[0]
    );
    let target = tongban::ops::insight_position(&settings, &feed)
        .await
        .unwrap()
        .retained;
    eventually(
        "the rebuild to read every topic",
        Duration::from_secs(120),
        || async {
            let position = tongban::ops::insight_position(&settings, &feed)
                .await
                .unwrap();
            (position.done >= target).then_some(())
        },
    )
    .await;
    assert_eq!(answers(test, supervisor).await, before);
}

fn the_totals_and_rates_are_the_days(total: &Value) {
    assert_eq!(total["by"], "centre");
    assert_eq!(total["level"], "county");
    let tickets = &total["total"]["tickets"];
    // Waits 5, 15, 5 (T4's first call, not its second), 20 and 8 minutes.
    times(tickets, "wait", 5, 53.0 / 5.0, 20);
    times(tickets, "walk", 3, 1.0, 1);
    times(tickets, "service", 3, 40.0 / 3.0, 20);
    let appointments = &total["total"]["appointments"];
    assert_eq!(appointments["no_show_rate"], 0.75, "3 missed of 1 + 3 due");
    assert_eq!(appointments["cancellation_rate"], 0.2, "1 cancelled of 5");
    let rows = total["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 1, "{total}");
    assert_eq!(rows[0]["key"], HESHAN);
    assert_eq!(rows[0]["tickets"], total["total"]["tickets"]);
    assert_eq!(rows[0]["appointments"], total["total"]["appointments"]);
}

async fn by_centre_group_window_and_day(
    test: &TestPlatform,
    supervisor: &str,
    hall: &Hall,
    monday: &str,
) {
    // The city: its one centre with activity.
    let (status, city) = statistics(test, supervisor, monday).await;
    assert_eq!(
        (status, city["region"].as_str()),
        (200, Some(YIYANG)),
        "{city}"
    );
    let keys: Vec<&str> = city["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["key"].as_str().unwrap())
        .collect();
    assert_eq!(keys, [HESHAN]);

    let (_, groups) = statistics(test, supervisor, &format!("{monday}&by=group")).await;
    let rows = groups["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 2, "{groups}");
    let (a, b) = (&rows[0], &rows[1]);
    assert_eq!(
        (a["key"].as_str(), a["letter"].as_str()),
        (Some(hall.a.as_str()), Some("A")),
        "{a}"
    );
    assert_eq!(a["centre"], HESHAN);
    // T4 counts in group A, where it was sent and served.
    assert_eq!(counts(&a["tickets"]), [5, 4, 3, 1, 1, 1]);
    assert_eq!(bookings(&a["appointments"]), [5, 1, 1, 3, 1]);
    assert_eq!(
        (b["key"].as_str(), b["letter"].as_str()),
        (Some(hall.b.as_str()), Some("B")),
        "{b}"
    );
    assert_eq!(counts(&b["tickets"]), [1, 1, 0, 1, 0, 0]);
    assert_eq!(bookings(&b["appointments"]), [0, 0, 0, 0, 0]);

    let (_, windows) = statistics(test, supervisor, &format!("{monday}&by=window")).await;
    let row = |key: &str| {
        windows["rows"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["key"] == key)
            .unwrap_or_else(|| panic!("no row {key}: {windows}"))
            .clone()
    };
    let w1 = row(&hall.w1);
    assert_eq!(
        (w1["name"].as_str(), w1["letter"].as_str()),
        (Some("1号窗口"), Some("A"))
    );
    assert_eq!(w1["group_id"], hall.a.as_str());
    assert_eq!(counts(&w1["tickets"]), [3, 3, 2, 1, 0, 0]);
    times(&w1["tickets"], "wait", 3, 40.0 / 3.0, 20);
    times(&w1["tickets"], "service", 2, 15.0, 20);
    assert!(
        w1["appointments"].is_null(),
        "a booking has no window: {w1}"
    );
    let w2 = row(&hall.w2);
    assert_eq!(counts(&w2["tickets"]), [1, 1, 1, 0, 0, 1]);
    times(&w2["tickets"], "wait", 1, 5.0, 5);
    let w3 = row(&hall.w3);
    assert_eq!(
        (w3["name"].as_str(), w3["letter"].as_str()),
        (Some("3号窗口"), Some("B"))
    );
    assert_eq!(counts(&w3["tickets"]), [1, 1, 0, 1, 0, 0]);
    assert_eq!(
        counts(&row("none")["tickets"]),
        [1, 0, 0, 0, 1, 0],
        "T3 never reached a window"
    );
    assert_eq!(windows["rows"].as_array().unwrap().len(), 4, "{windows}");

    // By day, Friday to Monday: only Monday had tickets and slots.
    let (_, days) = statistics(
        test,
        supervisor,
        &format!("from={FRIDAY}&to={MONDAY}&by=day"),
    )
    .await;
    let days = days["rows"].as_array().unwrap();
    assert_eq!(days.len(), 1, "{days:?}");
    assert_eq!(days[0]["key"], MONDAY);
    assert_eq!(counts(&days[0]["tickets"]), [6, 5, 3, 2, 1, 1]);
}

async fn another_county_is_refused_and_bad_parameters_are_named(
    test: &TestPlatform,
    admin: &str,
    supervisor: &str,
    monday: &str,
) {
    let (_, ziyang) = test
        .staff_with_role(admin, "ziyang.supervisor", "supervisor", ZIYANG)
        .await;
    let (status, body) = statistics(test, &ziyang, &format!("region={HESHAN}&{monday}")).await;
    assert_eq!(status, 403, "{body}");
    let (status, body) = statistics(test, &ziyang, &format!("region={YIYANG}&{monday}")).await;
    assert_eq!(status, 403, "the city above is not theirs either: {body}");
    // Their own county: nothing of 赫山区's.
    let (status, own) = statistics(test, &ziyang, monday).await;
    assert_eq!(
        (status, own["region"].as_str()),
        (200, Some(ZIYANG)),
        "{own}"
    );
    assert_eq!(own["total"]["tickets"]["issued"], 0);
    assert_eq!(own["rows"], json!([]));
    // An identity administrator supervises nothing.
    let identity_admin = test.admin("halls.other", "430000000000").await;
    let (status, _) = statistics(test, &identity_admin, monday).await;
    assert_eq!(status, 403);
    for (query, field) in [
        (format!("{monday}&by=clerk"), "by"),
        (format!("from={MONDAY}&to={FRIDAY}"), "to"),
        ("region=4309".to_owned(), "region"),
        ("from=07.12.2026".to_owned(), "from"),
    ] {
        let (status, body) = statistics(test, supervisor, &query).await;
        assert_eq!(
            (status, body["field"].as_str()),
            (400, Some(field)),
            "{query}: {body}"
        );
    }
}

/// The city supervisor opens the dashboard on Monday, then its 大厅 tab.
async fn the_dashboard_shows_the_halls_tab(test: &TestPlatform, username: &str) {
    if !browser_tools() {
        eprintln!("skipped the browser: node, {CHROMIUM} or tests/browser/node_modules is missing");
        return;
    }
    let output = Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/test-output");
    std::fs::create_dir_all(&output).unwrap();
    let screenshot = output.join("dashboard-halls.png");
    let url = test.url(&format!(
        "/api/insight/dashboard/?refresh=2#from={MONDAY}&to={MONDAY}"
    ));
    let report = browser_run(
        "dashboard.mjs",
        &[
            "--url".into(),
            url.into(),
            "--username".into(),
            username.into(),
            "--password".into(),
            staff_password(username).into(),
            "--expect-region".into(),
            YIYANG.into(),
            "--halls".into(),
            HESHAN.into(),
            "--screenshot".into(),
            screenshot.clone().into(),
            "--chromium".into(),
            CHROMIUM.into(),
        ],
        Duration::from_secs(240),
    )
    .await;
    let halls = &report["halls"];
    assert_eq!(
        halls["centre"]
            .as_str()
            .map(|n| n.contains("赫山区政务服务中心")),
        Some(true),
        "{report}"
    );
    let texts = |key: &str| -> Vec<String> {
        let list = halls[key].as_array().unwrap_or_else(|| panic!("{report}"));
        list.iter()
            .map(|c| c.as_str().unwrap().to_owned())
            .collect()
    };
    // Tickets 6, served 3, absent 2, cancelled 1, then the times (the average wait 10分36秒,
    // give or take the moments the clock ran on between steps).
    let cells = texts("cells");
    assert_eq!(cells[..4], ["6", "3", "2", "1"], "{report}");
    assert!(cells[4].starts_with("10分3"), "{report}");
    // Booked 5, checked in 1, cancelled 1, missed 3, the two rates, one suspension.
    let booked = texts("booking_cells");
    assert_eq!(
        booked,
        ["5", "1", "1", "3", "75.0%", "20.0%", "1"],
        "{report}"
    );
    let windows = texts("windows");
    assert!(windows.iter().any(|w| w.starts_with("1号窗口")), "{report}");
    let png = std::fs::read(&screenshot).unwrap();
    assert!(
        png.starts_with(b"\x89PNG") && png.len() > 10_000,
        "a real screenshot"
    );
    eprintln!("dashboard screenshot (halls): {}", screenshot.display());
}

/// 南县: a centre no other step of these tests touches.
const NANXIAN: &str = "430921000000";

/// Monday `hh:mm:ss` in China.
fn monday_at_china(hh: u32, mm: u32, ss: u32) -> chrono::DateTime<chrono::Utc> {
    let local = day(MONDAY).and_hms_opt(hh, mm, ss).unwrap();
    let china = chrono::FixedOffset::east_opt(8 * 3600).unwrap();
    local.and_local_timezone(china).unwrap().to_utc()
}

/// One ticket's events published in the reverse of their order (a recall before the first
/// call), its finish published twice under two ids (a copy the inbox cannot tell apart), and a
/// booking's events reversed too: the statistics come out as if each came once, in order.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn events_out_of_order_and_twice_are_counted_once_and_alike() {
    use prost::Message as _;
    use rdkafka::ClientConfig;
    use rdkafka::producer::{FutureProducer, FutureRecord};
    use tongban_events::Event;
    use tongban_events::hall::v1 as hall;

    // As an event's timestamp (a closure: the tests do not name prost's types).
    let monday_at = |hh, mm, ss| Some(tongban_events::timestamp(monday_at_china(hh, mm, ss)));
    let test = TestPlatform::start(BrokerStorage::Memory).await;
    let producer: FutureProducer = ClientConfig::new()
        .set("bootstrap.servers", &test.platform.settings.kafka.brokers)
        .create()
        .unwrap();
    let [ticket, group, window, booking] = [(); 4].map(|()| uuid::Uuid::now_v7().to_string());
    let reference = Some(hall::TicketRef {
        ticket_id: ticket.clone(),
        region_code: NANXIAN.to_owned(),
        group_id: group.clone(),
        number: "C001".to_owned(),
        day: MONDAY.to_owned(),
        appointment_id: String::new(),
        priority: "none".to_owned(),
    });
    let call = |calls: i32, at, wait_ms: i64| hall::TicketCalled {
        ticket: reference.clone(),
        window_id: window.clone(),
        window_name: "5号窗口".to_owned(),
        clerk_id: String::new(),
        calls,
        called_at: at,
        wait_ms,
    };
    let finished = hall::TicketFinished {
        ticket: reference.clone(),
        window_id: window.clone(),
        finished_at: monday_at(9, 17, 0),
        service_ms: 10 * MIN,
        ..Default::default()
    };
    let started = hall::TicketServingStarted {
        ticket: reference.clone(),
        window_id: window.clone(),
        started_at: monday_at(9, 7, 0),
        walk_ms: MIN,
        ..Default::default()
    };
    let issued = hall::TicketIssued {
        ticket: reference.clone(),
        item_code: String::new(),
        arrived_at: monday_at(9, 1, 0),
    };
    let ticket_events: Vec<(&str, Vec<u8>)> = vec![
        (hall::TicketFinished::TYPE, finished.encode_to_vec()),
        (hall::TicketServingStarted::TYPE, started.encode_to_vec()),
        (
            hall::TicketCalled::TYPE,
            call(2, monday_at(9, 6, 30), 0).encode_to_vec(),
        ),
        (
            hall::TicketCalled::TYPE,
            call(1, monday_at(9, 6, 0), 5 * MIN).encode_to_vec(),
        ),
        (hall::TicketIssued::TYPE, issued.encode_to_vec()),
        (hall::TicketFinished::TYPE, finished.encode_to_vec()),
    ];
    let appointment = Some(hall::AppointmentRef {
        appointment_id: booking.clone(),
        region_code: NANXIAN.to_owned(),
        group_id: group.clone(),
        item_code: item(1),
        day: MONDAY.to_owned(),
        starts_at: monday_at(9, 30, 0),
        ends_at: monday_at(10, 0, 0),
        channel: "window".to_owned(),
        account_id: String::new(),
    });
    let booking_events: Vec<(&str, Vec<u8>)> = vec![
        (
            hall::BookingSuspended::TYPE,
            hall::BookingSuspended {
                appointment: appointment.clone(),
                no_shows: 3,
                until: monday_at(23, 0, 0),
            }
            .encode_to_vec(),
        ),
        (
            hall::AppointmentMissed::TYPE,
            hall::AppointmentMissed {
                appointment: appointment.clone(),
                at: monday_at(10, 0, 1),
                no_shows: 3,
            }
            .encode_to_vec(),
        ),
        (
            hall::AppointmentBooked::TYPE,
            hall::AppointmentBooked {
                appointment,
                booked_by: String::new(),
                booked_at: monday_at(8, 0, 0),
            }
            .encode_to_vec(),
        ),
    ];
    for (key, events) in [(&ticket, ticket_events), (&booking, booking_events)] {
        for (ce_type, payload) in events {
            let headers = crate::harness::ce_headers(ce_type, uuid::Uuid::now_v7());
            let record = FutureRecord::to(tongban_events::topics::HALL)
                .key(key.as_str())
                .payload(&payload)
                .headers(headers);
            producer
                .send(record, Duration::from_secs(10))
                .await
                .unwrap();
        }
    }
    drop(producer);

    test.eventually_counts(
        "insight to apply the nine events",
        "select count(*) from insight.inbox where consumer = 'tongban.insight.halls'",
        9,
    )
    .await;
    let province = test.staff_token().await.to_owned();
    let query = format!("region={NANXIAN}&from={MONDAY}&to={MONDAY}&by=window");
    let (status, body) = statistics(&test, &province, &query).await;
    assert_eq!(status, 200, "{body}");
    let tickets = &body["total"]["tickets"];
    assert_eq!(counts(tickets), [1, 1, 1, 0, 0, 0], "{body}");
    // The first call's wait, not the recall's nothing; each time once.
    for (part, ms) in [("wait", 5 * MIN), ("walk", MIN), ("service", 10 * MIN)] {
        assert_eq!(
            tickets[part],
            json!({ "count": 1, "avg_ms": ms as f64, "p90_ms": ms }),
            "{part}: {body}"
        );
    }
    let appointments = &body["total"]["appointments"];
    assert_eq!(bookings(appointments), [1, 0, 0, 1, 1], "{body}");
    assert_eq!(appointments["no_show_rate"], 1.0);
    let row = &body["rows"][0];
    assert_eq!(
        (row["key"].as_str(), row["name"].as_str()),
        (Some(window.as_str()), Some("5号窗口")),
        "{body}"
    );
    assert_eq!(
        (row["letter"].as_str(), row["centre"].as_str()),
        (Some("C"), Some(NANXIAN))
    );
    test.stop().await;
}
