//! The hall (取号、叫号) through the gateway: a hall administrator sets up 赫山区's centre,
//! people take tickets at the kiosk without an account, windows call them in the order
//! queue::order states (the database's choice checked against the pure rule), never two
//! windows the same ticket, and a restart loses no ticket and no place.

use std::collections::BTreeSet;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde_json::{Value, json};
use uuid::Uuid;

use tongban_hall::queue::order::{self, Waiting};
use tongban_kernel::{Clock, IdCardNumber};

use crate::harness::{BrokerStorage, TestPlatform};
use crate::items::{HESHAN, get, post, put_as};

pub(crate) const HALL: &str = "/api/hall/v1";
/// A Monday, a working day.
const MONDAY: &str = "2026-12-07";

struct Hall {
    clerk: String,
    /// Group A (综合窗口) and B (不动产).
    a: String,
    b: String,
    /// Windows of group A, then the one of group B.
    windows_a: Vec<String>,
    window_b: String,
}

pub(crate) fn day(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

/// An identity card number of someone born on `birth` (a 赫山区 number).
pub(crate) fn id_number(birth: &str, n: u32) -> String {
    let digits = birth.replace('-', "");
    IdCardNumber::complete(&format!("430903{digits}{n:03}"))
        .unwrap()
        .as_str()
        .to_owned()
}

pub(crate) async fn take(test: &TestPlatform, body: Value) -> (u16, Value) {
    let response = test
        .http
        .post(test.url(&format!("{HALL}/centres/{HESHAN}/tickets")))
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

async fn set_up(test: &TestPlatform) -> Hall {
    let admin = test.admin("hall.identity", "430000000000").await;
    let (_, hall_admin) = test
        .staff_with_role(&admin, "hall.admin", "hall_admin", HESHAN)
        .await;
    let (_, clerk) = test
        .staff_with_role(&admin, "hall.clerk", "window_clerk", HESHAN)
        .await;
    let centre = format!("{HALL}/centres/{HESHAN}");
    let form = json!({ "name": "赫山区政务服务中心", "opens_at": "09:00", "closes_at": "17:00" });
    // A clerk does not set a hall up; hours that end before they start are refused.
    assert_eq!(put_as(test, &clerk, &centre, form.clone()).await.0, 403);
    let (status, body) = put_as(
        test,
        &hall_admin,
        &centre,
        json!({ "name": "赫山区政务服务中心", "opens_at": "17:00", "closes_at": "09:00" }),
    )
    .await;
    assert_eq!((status, body["field"].as_str()), (422, Some("closes_at")));
    let (status, body) = put_as(
        test,
        &hall_admin,
        &centre,
        json!({ "name": "赫山区政务服务中心", "opens_at": "09:00", "closes_at": "17:00",
                "rules": { "hold_minutes": 0 } }),
    )
    .await;
    assert_eq!(
        (status, body["field"].as_str()),
        (422, Some("rules.hold_minutes"))
    );
    let (status, centre_body) = put_as(test, &hall_admin, &centre, form).await;
    assert_eq!(status, 200, "{centre_body}");
    // Every rule left out has the real halls' default.
    assert_eq!(centre_body["rules"]["book_ahead_days"], 5);
    assert_eq!(centre_body["rules"]["no_show_limit"], 3);

    let group = |letter: &str, name: &str| json!({ "letter": letter, "name": name, "slot_minutes": 30, "slot_capacity": 6 });
    let groups = format!("{centre}/groups");
    let (status, body) = post(test, &hall_admin, &groups, group("a", "综合窗口")).await;
    assert_eq!((status, body["field"].as_str()), (422, Some("letter")));
    let (status, a) = post(test, &hall_admin, &groups, group("A", "综合窗口")).await;
    assert_eq!(status, 201, "{a}");
    let (status, _) = post(test, &hall_admin, &groups, group("A", "公安")).await;
    assert_eq!(status, 409, "a letter is one group's");
    let (_, b) = post(test, &hall_admin, &groups, group("B", "不动产")).await;
    let (a, b) = (
        a["id"].as_str().unwrap().to_owned(),
        b["id"].as_str().unwrap().to_owned(),
    );
    let windows = format!("{centre}/windows");
    let mut windows_a = Vec::new();
    for n in 1..=8 {
        let (status, window) = post(
            test,
            &hall_admin,
            &windows,
            json!({ "name": format!("{n}号窗口"), "group_id": a }),
        )
        .await;
        assert_eq!(status, 201, "{window}");
        windows_a.push(window["id"].as_str().unwrap().to_owned());
    }
    let (_, window_b) = post(
        test,
        &hall_admin,
        &windows,
        json!({ "name": "9号窗口", "group_id": b }),
    )
    .await;
    let (status, _) = post(
        test,
        &hall_admin,
        &windows,
        json!({ "name": "9号窗口", "group_id": a }),
    )
    .await;
    assert_eq!(status, 409, "a window's name is one window's");
    let (status, read) = get(test, &centre).await;
    assert_eq!(status, 200, "the set-up is public");
    assert_eq!(read["windows"].as_array().unwrap().len(), 9);
    // A closed window calls nobody; a window that is not there is not found.
    let (status, closed) = post(
        test,
        &hall_admin,
        &windows,
        json!({ "name": "10号窗口", "group_id": a, "active": false }),
    )
    .await;
    assert_eq!(status, 201, "{closed}");
    let (status, body) = call(test, &clerk, closed["id"].as_str().unwrap(), json!({})).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (409, Some("window_closed")),
        "{body}"
    );
    let (status, _) = call(test, &clerk, &uuid::Uuid::nil().to_string(), json!({})).await;
    assert_eq!(status, 404);
    Hall {
        clerk,
        a,
        b,
        windows_a,
        window_b: window_b["id"].as_str().unwrap().to_owned(),
    }
}

pub(crate) async fn call(
    test: &TestPlatform,
    clerk: &str,
    window: &str,
    body: Value,
) -> (u16, Value) {
    post(test, clerk, &format!("{HALL}/windows/{window}/call"), body).await
}

pub(crate) async fn act(
    test: &TestPlatform,
    clerk: &str,
    ticket: &str,
    action: &str,
) -> (u16, Value) {
    post(
        test,
        clerk,
        &format!("{HALL}/tickets/{ticket}/{action}"),
        json!({}),
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_hall_is_set_up_and_its_windows_call_tickets_in_order_never_two_the_same() {
    let clock = Clock::adjustable();
    let moved = clock.clone();
    let mut test = TestPlatform::start_with(BrokerStorage::Memory, move |s| s.clock = moved).await;
    assert!(clock.set_today(day("2026-12-05")));
    let hall = set_up(&test).await;
    // A Saturday: the hall is closed.
    let (status, body) = take(&test, json!({ "group_id": hall.a })).await;
    assert_eq!(status, 409, "{body}");
    assert!(
        body["message"].as_str().unwrap().contains("09:00–17:00"),
        "{body}"
    );
    assert!(clock.set_today(day(MONDAY)));

    walk_ins_are_called_by_arrival_and_an_elder_goes_first(&test, &hall, &clock).await;
    let called = windows_calling_at_once_never_get_the_same_ticket(&test, &hall).await;
    a_ticket_is_called_once_and_moves_between_groups(&test, &hall, &called).await;

    the_board_shows_a_call_within_a_second(&test, &hall).await;

    // A restart loses no ticket and no place: what waited still waits, in the same order.
    let before: Vec<String> = waiting_numbers(&test, &hall.a).await;
    assert!(!before.is_empty());
    test.restart().await;
    let (status, next) = call(&test, &hall.clerk, &hall.windows_a[0], json!({})).await;
    assert_eq!(status, 200, "{next}");
    assert_eq!(next["number"], before[0].as_str());
    test.stop().await;
}

async fn walk_ins_are_called_by_arrival_and_an_elder_goes_first(
    test: &TestPlatform,
    hall: &Hall,
    clock: &Clock,
) {
    let (status, first) = take(test, json!({ "group_id": hall.a })).await;
    assert_eq!(status, 201, "{first}");
    assert_eq!(first["number"], "A001");
    assert_eq!(first["ahead"], 0);
    clock.advance(chrono::Duration::seconds(30));
    let (_, second) = take(test, json!({ "group_id": hall.a })).await;
    assert_eq!(
        (second["number"].as_str(), second["ahead"].as_i64()),
        (Some("A002"), Some(1))
    );
    // The green channel: a disability is marked by a clerk only; age comes from the card.
    let (status, _) = take(test, json!({ "group_id": hall.a, "priority": "disabled" })).await;
    assert_eq!(status, 403);
    let (status, body) = take(
        test,
        json!({ "group_id": hall.a, "id_number": "43090319500101001" }),
    )
    .await;
    assert_eq!((status, body["field"].as_str()), (422, Some("id_number")));
    clock.advance(chrono::Duration::seconds(30));
    let (status, elder) = take(
        test,
        json!({ "group_id": hall.a, "id_number": id_number("1950-03-01", 1) }),
    )
    .await;
    assert_eq!(status, 201, "{elder}");
    assert_eq!(
        (elder["priority"].as_str(), elder["ahead"].as_i64()),
        (Some("elderly"), Some(0))
    );
    let (_, young) = take(
        test,
        json!({ "group_id": hall.a, "id_number": id_number("1990-03-01", 2) }),
    )
    .await;
    assert_eq!(young["priority"], "none");
    // The elder, though third to arrive, is called first; then by arrival.
    let (status, called) = call(test, &hall.clerk, &hall.windows_a[0], json!({})).await;
    assert_eq!(status, 200, "{called}");
    assert_eq!(called["number"], elder["number"]);
    // The window holds its ticket until it is served or marked absent.
    let (status, body) = call(test, &hall.clerk, &hall.windows_a[0], json!({})).await;
    assert_eq!(status, 409, "{body}");
    assert!(body["message"].as_str().unwrap().contains("A003"), "{body}");
    let id = called["id"].as_str().unwrap();
    assert_eq!(
        act(test, &hall.clerk, id, "finish").await.0,
        409,
        "not started"
    );
    assert_eq!(act(test, &hall.clerk, id, "recall").await.1["calls"], 2);
    assert_eq!(
        act(test, &hall.clerk, id, "start").await.1["status"],
        "serving"
    );
    let (status, done) = act(test, &hall.clerk, id, "finish").await;
    assert_eq!((status, done["status"].as_str()), (200, Some("done")));
    let (_, next) = call(test, &hall.clerk, &hall.windows_a[0], json!({})).await;
    assert_eq!(next["number"], first["number"]);
    let (_, absent) = act(test, &hall.clerk, next["id"].as_str().unwrap(), "absent").await;
    assert_eq!(absent["status"], "no_show");
    // A clerk of another county works no window here.
    let admin = test.admin("hall.identity2", "430000000000").await;
    let (_, stranger) = test
        .staff_with_role(&admin, "hall.stranger", "window_clerk", "430902000000")
        .await;
    let (status, _) = call(test, &stranger, &hall.windows_a[1], json!({})).await;
    assert_eq!(status, 403);
}

/// Eight windows call at once, round after round, over 40 walk-ins: every call gets its own
/// ticket, and the first eight called are the first eight in order.
async fn windows_calling_at_once_never_get_the_same_ticket(
    test: &TestPlatform,
    hall: &Hall,
) -> Vec<Value> {
    let before = waiting_numbers(test, &hall.a).await;
    for _ in 0..40 {
        assert_eq!(take(test, json!({ "group_id": hall.a })).await.0, 201);
    }
    let expected = waiting_numbers(test, &hall.a).await;
    assert_eq!(expected.len(), before.len() + 40);
    let mut called = Vec::new();
    for round in 0..3 {
        let answers = futures::future::join_all(
            hall.windows_a
                .iter()
                .map(|w| call(test, &hall.clerk, w, json!({}))),
        )
        .await;
        for (status, ticket) in &answers {
            assert_eq!(*status, 200, "round {round}: {ticket}");
        }
        let numbers: BTreeSet<&str> = answers
            .iter()
            .map(|(_, t)| t["number"].as_str().unwrap())
            .collect();
        let want: BTreeSet<&str> = expected[round * 8..round * 8 + 8]
            .iter()
            .map(String::as_str)
            .collect();
        assert_eq!(
            numbers, want,
            "round {round}: the next eight, each to one window"
        );
        // Each window sends its person on (marked absent), ready for the next round.
        for (_, ticket) in &answers {
            let (status, _) =
                act(test, &hall.clerk, ticket["id"].as_str().unwrap(), "absent").await;
            assert_eq!(status, 200);
        }
        called.extend(answers.into_iter().map(|(_, t)| t));
    }
    called
}

async fn a_ticket_is_called_once_and_moves_between_groups(
    test: &TestPlatform,
    hall: &Hall,
    called: &[Value],
) {
    // A ticket already called (and let go) is not called again, by number or otherwise.
    let gone = called[0]["id"].as_str().unwrap();
    let (status, body) = call(
        test,
        &hall.clerk,
        &hall.windows_a[0],
        json!({ "ticket_id": gone }),
    )
    .await;
    assert_eq!(status, 409, "{body}");
    // Two windows calling the same waiting ticket at once: one gets it, the other is told.
    let (_, wanted) = take(test, json!({ "group_id": hall.a })).await;
    let wanted = wanted["id"].as_str().unwrap();
    let (one, two) = tokio::join!(
        call(
            test,
            &hall.clerk,
            &hall.windows_a[1],
            json!({ "ticket_id": wanted })
        ),
        call(
            test,
            &hall.clerk,
            &hall.windows_a[2],
            json!({ "ticket_id": wanted })
        ),
    );
    let mut statuses = [one.0, two.0];
    statuses.sort_unstable();
    assert_eq!(statuses, [200, 409], "{one:?} {two:?}");
    let (holder, holder_name) = if one.0 == 200 {
        (&hall.windows_a[1], "2号窗口")
    } else {
        (&hall.windows_a[2], "3号窗口")
    };
    // Sent on to 不动产: it keeps its number, and group B's window calls it.
    let (status, moved) = post(
        test,
        &hall.clerk,
        &format!("{HALL}/tickets/{wanted}/transfer"),
        json!({ "group_id": hall.b }),
    )
    .await;
    assert_eq!(
        (status, moved["status"].as_str()),
        (200, Some("waiting")),
        "{moved}"
    );
    let (status, at_b) = call(test, &hall.clerk, &hall.window_b, json!({})).await;
    assert_eq!(status, 200, "{at_b}");
    assert_eq!(at_b["id"], wanted);
    assert!(at_b["number"].as_str().unwrap().starts_with('A'));
    // A double press at one window gives it one ticket; the second press is told what it
    // holds.
    let (one, two) = tokio::join!(
        call(test, &hall.clerk, &hall.windows_a[3], json!({})),
        call(test, &hall.clerk, &hall.windows_a[3], json!({})),
    );
    let mut statuses = [one.0, two.0];
    statuses.sort_unstable();
    assert_eq!(statuses, [200, 409], "{one:?} {two:?}");
    // The window it left is free again; the board shows who is where, and who waits.
    let (status, _) = call(test, &hall.clerk, holder, json!({})).await;
    assert_eq!(status, 200);
    let (status, board) = get(test, &format!("{HALL}/centres/{HESHAN}/board")).await;
    assert_eq!(status, 200, "{board}");
    let nine = board["windows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|w| w["name"] == "9号窗口")
        .unwrap();
    assert_eq!(nine["number"], at_b["number"]);
    // The latest call first: the window that let its ticket go to 不动产 called the next.
    assert_eq!(board["recent"][0]["window"], holder_name, "{board}");
    let waiting_a = board["waiting"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["letter"] == "A")
        .unwrap()["waiting"]
        .as_i64()
        .unwrap();
    assert_eq!(
        waiting_a as usize,
        waiting_numbers(test, &hall.a).await.len()
    );
}

/// The numbers of group `group`'s waiting tickets, in the order the pure rule calls them
/// (read from the database, ordered in Rust).
async fn waiting_numbers(test: &TestPlatform, group: &str) -> Vec<String> {
    type Row = (Uuid, String, Option<DateTime<Utc>>, i32, DateTime<Utc>);
    let rows: Vec<Row> = sqlx::query_as(
        "select id, number, due_at, weight, arrived_at from hall.tickets
         where group_id = $1 and waiting",
    )
    .bind(Uuid::parse_str(group).unwrap())
    .fetch_all(&test.db)
    .await
    .unwrap();
    let now = test.platform.settings.clock.now();
    let mut queue: Vec<(Waiting, String)> = rows
        .into_iter()
        .map(|(id, number, due_at, weight, arrived_at)| {
            (
                Waiting {
                    id,
                    due_at,
                    weight,
                    arrived_at,
                },
                number,
            )
        })
        .collect();
    queue.sort_by(|(a, _), (b, _)| a.cmp_at(b, now));
    queue.into_iter().map(|(_, n)| n).collect()
}

/// The database's "call next" against the pure rule, over a queue of every kind of ticket:
/// due and not-yet-due appointments, the three weights, arrivals in any order.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_database_calls_in_the_order_the_rule_states() {
    let clock = Clock::adjustable();
    let moved = clock.clone();
    let test = TestPlatform::start_with(BrokerStorage::Memory, move |s| s.clock = moved).await;
    assert!(clock.set_today(day(MONDAY)));
    let hall = set_up(&test).await;
    let now = clock.now();
    let group = Uuid::parse_str(&hall.b).unwrap();
    let mut queue = Vec::new();
    // A fixed pseudo-random spread (a linear congruential walk).
    let mut seed: u64 = 20261207;
    let mut draw = |n: u64| {
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (seed >> 33) % n
    };
    for i in 0..60 {
        let arrived_at = now - Duration::minutes(draw(120) as i64);
        let due_at = match draw(4) {
            0 => Some(now - Duration::minutes(draw(60) as i64)),
            1 => Some(now + Duration::minutes(1 + draw(60) as i64)),
            _ => None,
        };
        let weight = [0, 0, 10, 20][draw(4) as usize];
        let id = Uuid::now_v7();
        sqlx::query(
            "insert into hall.tickets (id, region_code, group_id, day, number, due_at, priority,
                 weight, status, arrived_at)
             values ($1, $2, $3, $4, $5, $6, 'none', $7, 'waiting', $8)",
        )
        .bind(id)
        .bind(HESHAN)
        .bind(group)
        .bind(day(MONDAY))
        .bind(format!("B{:03}", 100 + i))
        .bind(due_at)
        .bind(weight)
        .bind(arrived_at)
        .execute(&test.db)
        .await
        .unwrap();
        queue.push(Waiting {
            id,
            due_at,
            weight,
            arrived_at,
        });
    }
    // Called one after another, with the clock still: each call is the rule's next.
    for turn in 0..queue.len() {
        let want = order::next(&queue, now).unwrap().id;
        let (status, called) = call(&test, &hall.clerk, &hall.window_b, json!({})).await;
        assert_eq!(status, 200, "{called}");
        assert_eq!(called["id"], want.to_string(), "turn {turn}");
        queue.retain(|w| w.id != want);
        act(&test, &hall.clerk, &want.to_string(), "absent").await;
    }
    let (status, _) = call(&test, &hall.clerk, &hall.window_b, json!({})).await;
    assert_eq!(status, 404, "nobody is left waiting");
    test.stop().await;
}

/// The board's live feed: the whole board at once, then a call on it within a second.
async fn the_board_shows_a_call_within_a_second(test: &TestPlatform, hall: &Hall) {
    let response = test
        .http
        .get(test.url(&format!("{HALL}/centres/{HESHAN}/board/events")))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.headers()["content-type"].to_str().unwrap(),
        "text/event-stream"
    );
    let mut feed = Feed {
        response,
        pending: String::new(),
    };
    let first = feed.next_board().await;
    assert!(
        first["windows"].as_array().is_some_and(|w| !w.is_empty()),
        "{first}"
    );
    let window = &hall.windows_a[4];
    // Whatever the window holds is sent on first.
    let held = test
        .get_as(&hall.clerk, &format!("{HALL}/windows/{window}/ticket"))
        .await;
    if held.status() == 200 {
        let held: Value = held.json().await.unwrap();
        act(test, &hall.clerk, held["id"].as_str().unwrap(), "absent").await;
    }
    let (_, ticket) = take(test, json!({ "group_id": hall.a })).await;
    let pressed = std::time::Instant::now();
    let (status, called) = call(
        test,
        &hall.clerk,
        window,
        json!({ "ticket_id": ticket["id"] }),
    )
    .await;
    assert_eq!(status, 200, "{called}");
    loop {
        let board = feed.next_board().await;
        let shown = board["windows"]
            .as_array()
            .unwrap()
            .iter()
            .any(|w| w["window_id"] == window.as_str() && w["number"] == called["number"]);
        if shown {
            break;
        }
    }
    let took = pressed.elapsed();
    assert!(
        took < std::time::Duration::from_secs(1),
        "the call showed after {took:?}"
    );
}

/// The board's server-sent events, read as they come.
struct Feed {
    response: reqwest::Response,
    /// What arrived of the next event.
    pending: String,
}

impl Feed {
    /// The next board the feed sends (keep-alive comments skipped).
    async fn next_board(&mut self) -> Value {
        loop {
            // An event ends with an empty line.
            while let Some(end) = self.pending.find("\n\n") {
                let event: String = self.pending.drain(..end + 2).collect();
                if let Some(data) = event.lines().find_map(|l| l.strip_prefix("data: ")) {
                    return serde_json::from_str(data).unwrap();
                }
            }
            let chunk =
                tokio::time::timeout(std::time::Duration::from_secs(5), self.response.chunk())
                    .await
                    .expect("a board within 5 s")
                    .unwrap()
                    .expect("the feed stays open");
            self.pending.push_str(std::str::from_utf8(&chunk).unwrap());
        }
    }
}
