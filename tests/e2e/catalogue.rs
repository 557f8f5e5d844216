//! The catalogue's reference data: the administrative division tree.

use serde_json::{Value, json};

use crate::harness::{BrokerStorage, TestPlatform};
use tongban_catalogue::config::CatalogueSettings;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_division_tree_is_loaded_on_first_start_and_can_be_walked() {
    let test = TestPlatform::start_with(BrokerStorage::Memory, |s| {
        s.section_mut::<CatalogueSettings>()
            .unwrap()
            .import_regions_on_start = true
    })
    .await;

    // Loaded: 44,699 distinct divisions (see regions.rs for the four listed twice).
    assert_eq!(
        test.scalar("select count(*) from catalogue.regions").await,
        44_699
    );

    // A county, by its six-digit GB/T 2260 code too.
    let nanxian = test
        .get_json(&test.url("/api/catalogue/v1/regions/430921"))
        .await
        .unwrap();
    assert_eq!(nanxian["code"], "430921000000");
    assert_eq!(nanxian["name"], "南县");
    assert_eq!(nanxian["level"], "county");
    assert_eq!(nanxian["parent_code"], "430900000000");

    // Down: Yiyang's counties include 南县. Up: a town's lineage, province first.
    let children = test
        .get_json(&test.url("/api/catalogue/v1/regions/430900000000/children"))
        .await
        .unwrap();
    assert!(
        children
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["name"] == "南县")
    );
    let towns = test
        .get_json(&test.url("/api/catalogue/v1/regions/430921000000/children"))
        .await
        .unwrap();
    let town = towns[0]["code"].as_str().unwrap().to_owned();
    let lineage: Value = test
        .get_json(&test.url(&format!("/api/catalogue/v1/regions/{town}/ancestors")))
        .await
        .unwrap();
    let names: Vec<&str> = lineage
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].as_str().unwrap())
        .collect();
    assert_eq!(&names[..3], ["湖南省", "益阳市", "南县"]);
    assert_eq!(names.len(), 4);

    // By name, higher levels first.
    let found = test
        .get_json(&test.url("/api/catalogue/v1/regions?q=%E7%9B%8A%E9%98%B3"))
        .await
        .unwrap();
    assert_eq!(
        found[0]["code"], "430900000000",
        "益阳市 before anything inside it"
    );

    // Unknown and malformed codes.
    let unknown = test
        .http
        .get(test.url("/api/catalogue/v1/regions/990000000000"))
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status(), 404);
    let bad = test
        .http
        .get(test.url("/api/catalogue/v1/regions/43x"))
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 400);
    assert_eq!(bad.json::<Value>().await.unwrap()["field"], "code");
    let empty = test
        .http
        .get(test.url("/api/catalogue/v1/regions?q="))
        .send()
        .await
        .unwrap();
    assert_eq!(empty.status(), 400);

    // Loading again (the operator's import-regions) changes nothing.
    let pool = tongban_runtime::db::connect(&test.platform.settings.database, "catalogue")
        .await
        .unwrap();
    let mut levels = Vec::new();
    let total = tongban_catalogue::db::regions::import(&pool, |level, rows| {
        levels.push((level.to_owned(), rows))
    })
    .await
    .unwrap();
    pool.close().await;
    assert_eq!(total, 44_699);
    assert_eq!(levels.len(), 4, "progress is reported per level");
    assert_eq!(
        test.scalar("select count(*) from catalogue.regions").await,
        44_699
    );

    test.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn zhuji_is_walked_down_and_up_by_its_real_code() {
    let test = TestPlatform::start(BrokerStorage::Memory).await;

    let towns = test
        .get_json(&test.url("/api/catalogue/v1/regions/330681/children"))
        .await
        .unwrap();
    let towns = towns.as_array().unwrap();
    assert!(towns.len() > 20, "诸暨市 has its towns and streets");
    assert!(
        towns
            .iter()
            .all(|t| t["parent_code"] == "330681000000" && t["level"] == "town")
    );
    assert!(towns.iter().any(|t| t["name"] == "暨阳街道"));
    let up = test
        .get_json(&test.url("/api/catalogue/v1/regions/330681000000/ancestors"))
        .await
        .unwrap();
    let names: Vec<&str> = up
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["浙江省", "绍兴市", "诸暨市"]);

    test.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn due_dates_follow_the_national_calendar_and_a_centres_closures() {
    let test = TestPlatform::start(BrokerStorage::Memory).await;
    let admin = test.staff_token().await.to_owned();
    let t = &test;
    let due = |region: &'static str, query: &'static str| {
        let url = t.url(&format!(
            "/api/catalogue/v1/calendar/regions/{region}{query}"
        ));
        async move { t.get_json(&url).await.unwrap() }
    };

    // 10 working days after Monday 2026-09-28 skip National Day and count Saturday 10-10.
    let national_day = due("430903000000", "/due?from=2026-09-28&days=10").await;
    assert_eq!(
        national_day,
        json!({ "date": "2026-10-16", "provisional": false })
    );
    let paused = due(
        "430903000000",
        "/due?from=2026-09-28&days=10&pauses=2026-10-12..2026-10-14",
    )
    .await;
    assert_eq!(paused["date"], "2026-10-21");
    let counted = due(
        "430903000000",
        "/working-days?from=2026-09-28&to=2026-10-16",
    )
    .await;
    assert_eq!(counted["working_days"], 10);
    let next_year = due("430903000000", "/due?from=2026-12-28&days=10").await;
    assert_eq!(next_year["provisional"], true, "2027 is not published yet");

    // 赫山区's centre closes on 10-12: its due date moves, nobody else's does.
    let closed = test
        .http
        .put(test.url("/api/catalogue/v1/calendar/regions/430903000000/closures/2026-10-12"))
        .bearer_auth(&admin)
        .json(&json!({ "reason": "系统升级停止办公" }))
        .send()
        .await
        .unwrap();
    assert_eq!(closed.status(), 204);
    assert_eq!(
        due("430903000000", "/due?from=2026-09-28&days=10").await["date"],
        "2026-10-19"
    );
    assert_eq!(
        due("430900000000", "/due?from=2026-09-28&days=10").await["date"],
        "2026-10-16"
    );
    let year = due("430903000000", "?year=2026").await;
    assert!(
        year["days"]
            .as_array()
            .unwrap()
            .iter()
            .any(|d| d["kind"] == "closure")
    );

    // A new year arrives without a release, from a province-level admin only.
    let days_2027 = json!({ "source": "国务院办公厅通知", "days": [
        { "date": "2027-01-01", "kind": "holiday", "note": "元旦" },
        { "date": "2027-02-06", "kind": "workday", "note": "春节" }
    ]});
    let identity_admin = test.admin("calendar.admin", "430000000000").await;
    let (_, county_admin) = test
        .staff_with_role(
            &identity_admin,
            "heshan.catalogue",
            "catalogue_admin",
            "430903000000",
        )
        .await;
    let put = |token: String, body: Value| {
        let url = t.url("/api/catalogue/v1/calendar/national/2027");
        async move {
            t.http
                .put(url)
                .bearer_auth(token)
                .json(&body)
                .send()
                .await
                .unwrap()
        }
    };
    assert_eq!(put(county_admin, days_2027.clone()).await.status(), 403);
    let mut weekday_workday = days_2027.clone();
    weekday_workday["days"][1]["date"] = json!("2027-02-08");
    let refused = put(admin.clone(), weekday_workday).await;
    assert_eq!(refused.status(), 422);
    assert_eq!(
        refused.json::<Value>().await.unwrap()["field"],
        "days[1].kind"
    );
    assert_eq!(put(admin.clone(), days_2027).await.status(), 204);
    assert_eq!(
        due("430903000000", "/due?from=2026-12-28&days=10").await["provisional"],
        false
    );
    let unknown = test
        .http
        .get(test.url("/api/catalogue/v1/calendar/regions/990000000000/due?from=2026-09-28&days=1"))
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status(), 422);

    // Each change went out as CalendarChanged: the shipped years, the closure, 2027.
    assert_eq!(
        test.scalar("select count(*) from catalogue.outbox where ce_type = 'cn.tongban.catalogue.calendar_changed.v1'")
            .await,
        9
    );

    test.stop().await;
}
