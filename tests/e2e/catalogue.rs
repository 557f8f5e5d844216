//! The catalogue's reference data: the administrative division tree.

use serde_json::Value;

use crate::harness::{BrokerStorage, TestPlatform};

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_division_tree_is_loaded_on_first_start_and_can_be_walked() {
    let test = TestPlatform::start_with(BrokerStorage::Memory, |s| {
        s.catalogue.import_regions_on_start = true
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
