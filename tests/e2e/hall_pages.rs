//! The hall's pages in headless Chromium (`tests/browser/hall.mjs`), with the platform's clock
//! moved between them: on Friday a citizen books Monday 09:00 from an item's guide on a phone;
//! on Monday at the kiosk a walk-in and then an elder take tickets and the citizen checks in
//! by the booking's QR code; the clerk at 1号窗口 calls the booking first (the board shows it
//! within a second), serves and finishes it for the citizen's case, and the window's rating
//! device rates the visit once; the elder is called before the walk-in who came earlier. On
//! Friday too, the clerk books for a caller in the console. A citizen whose third booking was
//! missed is told booking is suspended.

use std::time::Duration;

use chrono::NaiveTime;
use serde_json::{Value, json};

use tongban_hall::config::HallSettings;
use tongban_kernel::{Clock, IdCardNumber};

use crate::bookings::one_window_hall;
use crate::cases::{citizen, item_in_force, submitted_case};
use crate::dashboard::browser_tools;
use crate::hall::{HALL, day, id_number};
use crate::harness::{BrokerStorage, TestPlatform, credit_code, staff_password};
use crate::items::{HESHAN, post};

/// Runs `scenario` of `tests/browser/hall.mjs` with `args`; the report.
async fn in_the_browser(test: &TestPlatform, scenario: &str, args: &[(&str, &str)]) -> Value {
    crate::dashboard::scenario(test, ("hall.mjs", "hall"), scenario, args).await
}

fn other_item(n: u32) -> String {
    format!("{}400010100100{n}", credit_code(78))
}

fn card_of(n: u32) -> String {
    IdCardNumber::complete(&format!("43090319900101{n:03}"))
        .unwrap()
        .as_str()
        .to_owned()
}

fn at(date: &str, h: u32, m: u32) -> (chrono::NaiveDate, NaiveTime) {
    (day(date), NaiveTime::from_hms_opt(h, m, 0).unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_booking_is_made_checked_in_called_served_and_rated_in_the_browser() {
    if !browser_tools() {
        return;
    }
    let clock = Clock::adjustable();
    let moved = clock.clone();
    let test = TestPlatform::start_with(BrokerStorage::Memory, move |s| {
        s.clock = moved;
        s.section_mut::<HallSettings>().unwrap().sweep_secs = 1;
    })
    .await;
    let set = |(d, t): (chrono::NaiveDate, NaiveTime)| assert!(clock.set_local(d, t));
    set(at("2026-12-04", 10, 0));
    let code = item_in_force(&test).await;
    one_window_hall(
        &test,
        "pages.hall",
        &[code.clone(), other_item(1), other_item(2)],
        4,
    )
    .await;
    let centre = format!("{HALL}/centres/{HESHAN}");

    // Friday: the citizen books Monday 09:00 on their phone.
    let (_, applicant) = citizen(&test, 51).await;
    let document = card_of(51);
    let report = in_the_browser(
        &test,
        "book",
        &[
            ("document", &document),
            ("password", "citizen-password"),
            ("item", &code),
            ("region", HESHAN),
            ("day", "2026-12-07"),
            ("slot", "09:00–09:30"),
            ("card", &document),
        ],
    )
    .await;
    let booking = report["booking"].as_str().unwrap().to_owned();
    let status: String =
        sqlx::query_scalar("select status from hall.appointments where id = $1::uuid")
            .bind(&booking)
            .fetch_one(&test.db)
            .await
            .unwrap();
    assert_eq!(status, "booked");

    // Friday still: a caller phones the hall, and the clerk books them Monday 10:00.
    let clerk = ("pages.hall.clerk", staff_password("pages.hall.clerk"));
    let caller = card_of(53);
    let report = in_the_browser(
        &test,
        "phone",
        &[
            ("username", clerk.0),
            ("password", &clerk.1),
            ("words", "个体工商户"),
            ("item-name", "个体工商户登记"),
            ("day", "2026-12-07"),
            ("slot", "10:00–10:30"),
            ("card", &caller),
        ],
    )
    .await;
    let (channel, account, held): (String, Option<uuid::Uuid>, bool) = sqlx::query_as(
        "select channel, account_id, held from hall.appointments where id = $1::uuid
             and status = 'booked' and starts_at = '2026-12-07T10:00:00+08:00'",
    )
    .bind(report["booking"].as_str().unwrap())
    .fetch_one(&test.db)
    .await
    .unwrap();
    assert_eq!((channel.as_str(), account, held), ("window", None, false));
    let by_phone: i64 =
        sqlx::query_scalar("select count(*) from hall.appointments where channel = 'window'")
            .fetch_one(&test.db)
            .await
            .unwrap();
    assert_eq!(by_phone, 1, "the second booking of the day was refused");

    // The citizen's case, which they will bring on Monday.
    let (case, _) = submitted_case(&test, &applicant, &code).await;
    let number: String =
        sqlx::query_scalar("select number from acceptance.cases where id = $1::uuid")
            .bind(&case)
            .fetch_one(&test.db)
            .await
            .unwrap();

    // Monday 09:05: the hall's morning.
    set(at("2026-12-07", 9, 5));
    let elder = id_number("1948-06-01", 7);
    let report = in_the_browser(
        &test,
        "serve",
        &[
            ("region", HESHAN),
            ("booking", &booking),
            ("elder", &elder),
            ("username", clerk.0),
            ("password", &clerk.1),
            ("window", "1号窗口"),
            ("case", &number),
        ],
    )
    .await;
    assert!(report["board_ms"].as_i64().unwrap() < 1000, "{report}");
    assert_eq!(report["numbers"], json!(["A001", "A002", "A003"]));
    // The visit was rated once, at the window.
    let rated: i64 = sqlx::query_scalar(
        "select count(*) from acceptance.ratings r join hall.tickets t on t.visit_id = r.visit_id
         where t.appointment_id = $1::uuid and r.channel = 'window'",
    )
    .bind(&booking)
    .fetch_one(&test.db)
    .await
    .unwrap();
    assert_eq!(rated, 1);
    // The visit was counted on the case the clerk gave.
    let counted: Option<uuid::Uuid> = sqlx::query_scalar(
        "select v.case_id from acceptance.visits v join hall.tickets t on t.visit_id = v.id
         where t.appointment_id = $1::uuid",
    )
    .bind(&booking)
    .fetch_one(&test.db)
    .await
    .unwrap();
    assert_eq!(counted.map(|c| c.to_string()), Some(case.clone()));

    // A citizen books three items for Tuesday 09:00 and comes for none: the sweep marks the
    // third missed and suspends booking; the booking page says so.
    let (_, absent) = citizen(&test, 52).await;
    let card = card_of(52);
    for item in [code.clone(), other_item(1), other_item(2)] {
        let (status, body) = post(
            &test,
            &absent,
            &format!("{centre}/appointments"),
            json!({ "item_code": item, "starts_at": "2026-12-08T09:00:00+08:00", "id_number": card }),
        )
        .await;
        assert_eq!(status, 201, "{body}");
    }
    set(at("2026-12-08", 9, 31));
    crate::harness::eventually("the suspension", Duration::from_secs(20), || async {
        let suspended: i64 = sqlx::query_scalar(
            "select count(*) from hall.outbox where ce_type = 'cn.tongban.hall.booking_suspended.v1'",
        )
        .fetch_one(&test.db)
        .await
        .unwrap();
        (suspended == 1).then_some(())
    })
    .await;
    in_the_browser(
        &test,
        "suspended",
        &[
            ("document", &card),
            ("password", "citizen-password"),
            ("item", &code),
            ("region", HESHAN),
            ("card", &card),
        ],
    )
    .await;
    test.stop().await;
}
