//! Appointments (预约) through the gateway: slots from the centre's calendar, hours and
//! capacity; a hold that runs out; one booking per person, item and day; a full slot under
//! concurrent booking; cancelling until two hours before; the reminder the day before;
//! checking in by QR or card into a ticket called when due, before earlier walk-ins; no-shows
//! marked when the slot ends, the third suspending booking; finishing records the visit,
//! rated once.

use chrono::{Duration, NaiveTime};
use serde_json::{Value, json};

use tongban_hall::config::HallSettings;
use tongban_kernel::Clock;

use crate::hall::{HALL, act, call, day, id_number, take};
use crate::harness::{BrokerStorage, TestPlatform, credit_code};
use crate::items::{HESHAN, get, post, put_as, status_and_body};

/// Friday; bookings open from Monday the 7th to Friday the 11th (five working days).
const FRIDAY: &str = "2026-12-04";

fn item(n: u32) -> String {
    format!("{}400010100100{n}", credit_code(77))
}

fn at(date: &str, h: u32, m: u32) -> String {
    format!("{date}T{h:02}:{m:02}:00+08:00")
}

/// A hall with one window, and its clerk's token.
pub(crate) struct Hall {
    pub(crate) clerk: String,
    pub(crate) window: String,
}

/// 赫山区's hall, open 09:00–17:00, with group A (综合窗口) serving `items` in half-hour slots
/// of `capacity` places and one window, 1号窗口; set up by `{who}.admin`, worked by
/// `{who}.clerk`.
pub(crate) async fn one_window_hall(
    test: &TestPlatform,
    who: &str,
    items: &[String],
    capacity: u32,
) -> Hall {
    let admin = test.admin(&format!("{who}.identity"), "430000000000").await;
    let (_, hall_admin) = test
        .staff_with_role(&admin, &format!("{who}.admin"), "hall_admin", HESHAN)
        .await;
    let (_, clerk) = test
        .staff_with_role(&admin, &format!("{who}.clerk"), "window_clerk", HESHAN)
        .await;
    let centre = format!("{HALL}/centres/{HESHAN}");
    let (status, body) = put_as(
        test,
        &hall_admin,
        &centre,
        json!({ "name": "赫山区政务服务中心", "opens_at": "09:00", "closes_at": "17:00" }),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let (status, group) = post(
        test,
        &hall_admin,
        &format!("{centre}/groups"),
        json!({ "letter": "A", "name": "综合窗口", "slot_minutes": 30, "slot_capacity": capacity,
                "items": items }),
    )
    .await;
    assert_eq!(status, 201, "{group}");
    let (status, window) = post(
        test,
        &hall_admin,
        &format!("{centre}/windows"),
        json!({ "name": "1号窗口", "group_id": group["id"] }),
    )
    .await;
    assert_eq!(status, 201, "{window}");
    Hall {
        clerk,
        window: window["id"].as_str().unwrap().to_owned(),
    }
}

async fn book(test: &TestPlatform, token: &str, body: Value) -> (u16, Value) {
    post(
        test,
        token,
        &format!("{HALL}/centres/{HESHAN}/appointments"),
        body,
    )
    .await
}

fn booking(item_no: u32, starts_at: &str, card: &str) -> Value {
    json!({ "item_code": item(item_no), "starts_at": starts_at, "id_number": card })
}

async fn check_in(test: &TestPlatform, body: Value) -> (u16, Value) {
    let response = test
        .http
        .post(test.url(&format!("{HALL}/centres/{HESHAN}/check-in")))
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

/// How many events of `ce_type` the hall wrote about `key`.
async fn events(test: &TestPlatform, ce_type: &str, key: &str) -> i64 {
    sqlx::query_scalar("select count(*) from hall.outbox where ce_type = $1 and key = $2")
        .bind(format!("cn.tongban.hall.{ce_type}.v1"))
        .bind(key)
        .fetch_one(&test.db)
        .await
        .unwrap()
}

/// Waits (up to 10 s) for the sweep to bring appointment `id` to `status`.
async fn swept_to(test: &TestPlatform, id: &str, status: &str) {
    for _ in 0..100 {
        let now: Option<String> =
            sqlx::query_scalar("select status from hall.appointments where id = $1::uuid")
                .bind(id)
                .fetch_optional(&test.db)
                .await
                .unwrap();
        if now.as_deref() == Some(status) {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("appointment {id} did not become {status}");
}

async fn get_as(test: &TestPlatform, token: &str, path: &str) -> (u16, Value) {
    status_and_body(test.get_as(token, path).await).await
}

fn id(body: &Value) -> String {
    body["id"].as_str().unwrap().to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_citizen_books_checks_in_and_is_called_when_due_and_no_shows_suspend() {
    let clock = Clock::adjustable();
    let moved = clock.clone();
    let test = TestPlatform::start_with(BrokerStorage::Memory, move |s| {
        s.clock = moved;
        s.section_mut::<HallSettings>().unwrap().sweep_secs = 1;
    })
    .await;
    let ten = NaiveTime::from_hms_opt(10, 0, 0).unwrap();
    assert!(clock.set_local(day(FRIDAY), ten));
    let hall = one_window_hall(&test, "booking", &[item(1), item(2), item(3)], 6).await;
    let (_, citizen) = crate::cases::citizen(&test, 41).await;
    let card = id_number("1990-05-01", 41);

    // The slots: Monday to Friday next week, sixteen half-hours a day, six places each.
    let (status, slots) = get(
        &test,
        &format!("{HALL}/centres/{HESHAN}/slots?item_code={}", item(1)),
    )
    .await;
    assert_eq!(status, 200, "{slots}");
    let slots = slots["slots"].as_array().unwrap();
    assert_eq!(slots.len(), 5 * 16);
    assert_eq!(slots[0]["day"], "2026-12-07");
    assert_eq!(slots[79]["day"], "2026-12-11");
    assert_eq!(slots[0]["free"], 6);

    // Refusals, each naming what is wrong.
    for (starts_at, want) in [
        (at("2026-12-04", 15, 0), (422, "starts_at")), // today
        (at("2026-12-14", 9, 0), (422, "starts_at")),  // the sixth working day
        (at("2026-12-07", 9, 10), (422, "starts_at")), // not a slot's start
        (at("2026-12-07", 17, 0), (422, "starts_at")), // closing time
    ] {
        let (status, body) = book(&test, &citizen, booking(1, &starts_at, &card)).await;
        assert_eq!(
            (status, body["field"].as_str().unwrap_or_default()),
            want,
            "{starts_at}: {body}"
        );
    }
    let (status, body) = book(&test, &citizen, booking(1, &at("2026-12-12", 9, 0), &card)).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (409, Some("slot_closed")),
        "{body}"
    );
    let (status, body) = book(
        &test,
        &citizen,
        booking(1, &at("2026-12-07", 10, 0), "430903199005010411"),
    )
    .await;
    assert_eq!(
        (status, body["field"].as_str()),
        (422, Some("id_number")),
        "{body}"
    );

    // A hold while the form is filled in runs out after fifteen minutes; then the slot and
    // the day are free again.
    let mut held = booking(1, &at("2026-12-07", 10, 0), &card);
    held["hold"] = json!(true);
    let (status, hold) = book(&test, &citizen, held).await;
    assert_eq!(
        (status, hold["status"].as_str()),
        (201, Some("held")),
        "{hold}"
    );
    let (status, body) = book(&test, &citizen, booking(1, &at("2026-12-07", 14, 0), &card)).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (409, Some("already_booked")),
        "{body}"
    );
    clock.advance(Duration::minutes(16));
    let (status, body) = post(
        &test,
        &citizen,
        &format!("{HALL}/appointments/{}/confirm", id(&hold)),
        json!({}),
    )
    .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (409, Some("hold_expired")),
        "{body}"
    );
    let (status, monday) = book(&test, &citizen, booking(1, &at("2026-12-07", 10, 0), &card)).await;
    assert_eq!(
        (status, monday["status"].as_str()),
        (201, Some("booked")),
        "{monday}"
    );
    assert_eq!(events(&test, "appointment_booked", &id(&monday)).await, 1);
    swept_to(&test, &id(&hold), "expired").await;

    // Eight callers for the six places of Monday 09:00, booked by the clerk at once.
    let nine = at("2026-12-07", 9, 0);
    let answers = futures::future::join_all((0..8).map(|n| {
        let body = booking(1, &nine, &id_number("1980-01-01", 100 + n));
        let clerk = hall.clerk.clone();
        let test = &test;
        async move { book(test, &clerk, body).await }
    }))
    .await;
    let mut statuses: Vec<u16> = answers.iter().map(|(s, _)| *s).collect();
    statuses.sort_unstable();
    assert_eq!(
        statuses,
        [201, 201, 201, 201, 201, 201, 409, 409],
        "{answers:?}"
    );
    assert!(
        answers
            .iter()
            .filter(|(s, _)| *s == 409)
            .all(|(_, b)| b["code"] == "slot_full")
    );
    let phoned: Vec<&Value> = answers
        .iter()
        .filter(|(s, _)| *s == 201)
        .map(|(_, b)| b)
        .collect();
    // The card of the second booked (the first is cancelled below).
    let second_booked = answers
        .iter()
        .enumerate()
        .filter(|(_, (s, _))| *s == 201)
        .nth(1)
        .unwrap()
        .0;
    let phoned_card = id_number("1980-01-01", 100 + second_booked as u32);
    assert_eq!(phoned[0]["channel"], "window");
    // One cancelled frees its place.
    let (status, cancelled) = post(
        &test,
        &hall.clerk,
        &format!("{HALL}/appointments/{}/cancel", id(phoned[0])),
        json!({}),
    )
    .await;
    assert_eq!(
        (status, cancelled["status"].as_str()),
        (200, Some("cancelled")),
        "{cancelled}"
    );
    let (_, slots) = get(
        &test,
        &format!("{HALL}/centres/{HESHAN}/slots?item_code={}", item(1)),
    )
    .await;
    assert_eq!(slots["slots"][0]["free"], 1);
    // Another citizen sees none of it.
    let (_, other) = crate::cases::citizen(&test, 42).await;
    let (status, _) = get_as(
        &test,
        &other,
        &format!("{HALL}/appointments/{}", id(&monday)),
    )
    .await;
    assert_eq!(status, 404);
    let (status, mine) = get_as(&test, &citizen, &format!("{HALL}/appointments")).await;
    assert_eq!(
        (status, mine.as_array().map(Vec::len)),
        (200, Some(2)),
        "{mine}"
    );

    // The person books two more items for Monday 09:00 and comes for none of them.
    let absent_card = id_number("1985-02-02", 43);
    let mut missed = Vec::new();
    for n in 1..=3 {
        let (status, b) = book(
            &test,
            &other,
            booking(n, &at("2026-12-07", 9, 30), &absent_card),
        )
        .await;
        assert_eq!(status, 201, "{b}");
        missed.push(id(&b));
    }

    // Sunday 09:30: Monday's bookings of accounts are reminded, once.
    assert!(clock.set_local(
        day("2026-12-06"),
        NaiveTime::from_hms_opt(9, 30, 0).unwrap()
    ));
    for _ in 0..100 {
        if events(&test, "appointment_reminder_due", &id(&monday)).await == 1 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(
        events(&test, "appointment_reminder_due", &id(&monday)).await,
        1
    );
    assert_eq!(
        events(&test, "appointment_reminder_due", &id(phoned[1])).await,
        0,
        "no account to remind"
    );
    // Notification tells the account where and when, in its inbox.
    let inbox = crate::notification::inbox_with(&test, &citizen, "appointment_reminder").await;
    let reminder = inbox["messages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["template"] == "appointment_reminder")
        .unwrap();
    let text = reminder["body"].as_str().unwrap_or_default();
    assert!(
        text.contains("2026-12-07 10:00") && text.contains("赫山区政务服务中心"),
        "{reminder}"
    );

    // Monday 08:50: too late to cancel the 10:00 booking; two walk-ins arrive at 09:01.
    assert!(clock.set_local(
        day("2026-12-07"),
        NaiveTime::from_hms_opt(8, 50, 0).unwrap()
    ));
    let (status, body) = post(
        &test,
        &citizen,
        &format!("{HALL}/appointments/{}/cancel", id(&monday)),
        json!({}),
    )
    .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (409, Some("too_late_to_cancel")),
        "{body}"
    );
    assert!(clock.set_local(day("2026-12-07"), NaiveTime::from_hms_opt(9, 1, 0).unwrap()));
    let (_, walk_in) = take(&test, json!({ "item_code": item(1) })).await;
    let (_, walk_in_2) = take(&test, json!({ "item_code": item(1) })).await;
    // Checking in by the booking's QR code: a ticket due at 10:00.
    let (status, ticket) = check_in(&test, json!({ "appointment_id": id(&monday) })).await;
    assert_eq!(status, 201, "{ticket}");
    assert_eq!(ticket["number"], "A003");
    let (status, body) = check_in(&test, json!({ "appointment_id": id(&monday) })).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (409, Some("appointment_state")),
        "{body}"
    );
    // By card: a phoned booking of 09:00, due already, so called before everyone.
    let (status, by_card) = check_in(&test, json!({ "id_number": phoned_card })).await;
    assert_eq!(
        (status, by_card["number"].as_str()),
        (201, Some("A004")),
        "{by_card}"
    );

    // The booking due at 09:00 first; then walk-ins by arrival while 10:00 is not due; at
    // 10:00 the booking goes before the walk-in who arrived earlier.
    let (_, first) = call(&test, &hall.clerk, &hall.window, json!({})).await;
    assert_eq!(first["number"], "A004", "{first}");
    act(&test, &hall.clerk, first["id"].as_str().unwrap(), "absent").await;
    let (_, second) = call(&test, &hall.clerk, &hall.window, json!({})).await;
    assert_eq!(second["number"], walk_in["number"], "{second}");
    act(&test, &hall.clerk, second["id"].as_str().unwrap(), "absent").await;
    assert!(clock.set_local(day("2026-12-07"), ten));
    let (_, due) = call(&test, &hall.clerk, &hall.window, json!({})).await;
    assert_eq!(due["number"], "A003", "{due}");
    assert_eq!(due["appointment_id"], id(&monday).as_str());
    assert_eq!(walk_in_2["number"], "A002", "waits after the booking");

    // Served and finished: the visit is recorded in acceptance and rated once at the window.
    let due_id = due["id"].as_str().unwrap();
    assert_eq!(act(&test, &hall.clerk, due_id, "start").await.0, 200);
    let (status, done) = act(&test, &hall.clerk, due_id, "finish").await;
    assert_eq!(status, 200, "{done}");
    assert_eq!(done["visit_id"], due_id);
    let (status, to_rate) = get_as(
        &test,
        &hall.clerk,
        &format!("{HALL}/windows/{}/rating", hall.window),
    )
    .await;
    assert_eq!(
        (status, to_rate["number"].as_str()),
        (200, Some("A003")),
        "{to_rate}"
    );
    let code = to_rate["rating_code"].as_str().unwrap();
    let rate = |level: &'static str| {
        let url = test.url(&format!("/api/acceptance/v1/ratings/visits/{code}"));
        let http = test.http.clone();
        async move {
            http.post(url)
                .json(&json!({ "level": level }))
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }
    };
    assert_eq!(rate("very_satisfied").await, 201);
    assert_eq!(rate("satisfied").await, 409, "rated once");
    // Finishing again is refused and records nothing twice.
    assert_eq!(act(&test, &hall.clerk, due_id, "finish").await.0, 409);
    let visits: i64 =
        sqlx::query_scalar("select count(*) from acceptance.visits where id = $1::uuid")
            .bind(due_id)
            .fetch_one(&test.db)
            .await
            .unwrap();
    assert_eq!(visits, 1);

    // A ticket given up at the kiosk (no account: the slip's id) is never called.
    let (_, given_up) = take(&test, json!({ "item_code": item(1) })).await;
    let cancel = test.url(&format!("{HALL}/tickets/{}/cancel", id(&given_up)));
    let response = test.http.post(&cancel).send().await.unwrap();
    assert_eq!(response.status(), 200);
    let (status, body) = call(
        &test,
        &hall.clerk,
        &hall.window,
        json!({ "ticket_id": id(&given_up) }),
    )
    .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (409, Some("ticket_state")),
        "{body}"
    );
    let again = test.http.post(&cancel).send().await.unwrap();
    assert_eq!(again.status(), 409);
    let (_, shown) = get(&test, &format!("{HALL}/tickets/{}", id(&given_up))).await;
    assert_eq!(shown["status"], "cancelled");

    // 09:30's slot ended at 10:00 without a check-in: three no-shows, the third suspends.
    for m in &missed {
        swept_to(&test, m, "missed").await;
    }
    let suspended: i64 = sqlx::query_scalar(
        "select count(*) from hall.outbox where ce_type = 'cn.tongban.hall.booking_suspended.v1'
         and key = any($1::text[])",
    )
    .bind(&missed)
    .fetch_one(&test.db)
    .await
    .unwrap();
    assert_eq!(suspended, 1);
    crate::notification::inbox_with(&test, &other, "booking_suspended").await;
    let (status, body) = book(
        &test,
        &other,
        booking(1, &at("2026-12-09", 9, 0), &absent_card),
    )
    .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (409, Some("booking_suspended")),
        "{body}"
    );
    // Thirty days on, booking is open again.
    assert!(clock.set_local(day("2027-01-07"), ten));
    let (status, body) = book(
        &test,
        &other,
        booking(1, &at("2027-01-08", 9, 0), &absent_card),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    test.stop().await;
}
