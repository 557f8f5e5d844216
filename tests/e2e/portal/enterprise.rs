//! An enterprise applies for 食品经营许可 on a desktop (issue 27): it registers with its unified
//! social credit code, finds the licence in 长沙县, applies with the licence to be posted, its
//! business licence taken from its e-certificate (一证通办), uploads PDF scans and submits.
//! Every page is checked with axe and photographed at 1366×768.

use serde_json::Value;

use super::in_the_browser;
use crate::dashboard::browser_tools;
use crate::harness::{BrokerStorage, TestPlatform};

const PASSWORD: &str = "Restaurant-licence-2026";

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_enterprise_applies_for_a_food_licence_on_a_desktop() {
    if !browser_tools() {
        return;
    }
    let test = TestPlatform::start(BrokerStorage::Memory).await;
    tongban::demo::load(&test.platform.settings, |_| {})
        .await
        .unwrap();
    let credit = tongban_kernel::CreditCode::complete("91430121MA4L00012")
        .unwrap()
        .to_string();
    let registered = in_the_browser(
        &test,
        "business",
        &[
            ("name", "长沙县湘味小厨餐饮店"),
            ("credit", &credit),
            ("phone", "13600136000"),
            ("password", PASSWORD),
        ],
    )
    .await;
    assert_eq!(registered["ok"], true, "{registered}");
    let account = test
        .scalar_text(&format!(
            "select id::text from identity.accounts where login = '{credit}'"
        ))
        .await;
    crate::cases::holds_certificate(&test, &account, "营业执照").await;

    let address = "湖南省长沙市长沙县星沙街道开元东路 100 号 湘味小厨 张经理 13600136000";
    let applied = in_the_browser(
        &test,
        "licence",
        &[
            ("credit", &credit),
            ("password", PASSWORD),
            ("words", "食品经营许可"),
            ("city", "长沙市"),
            ("county", "长沙县"),
            ("address", address),
            ("certificate", "营业执照"),
        ],
    )
    .await;
    assert_eq!(applied["ok"], true, "{applied}");
    let token = test.access_token(&credit, PASSWORD).await;
    let case: Value = test
        .get_json_as(
            &token,
            &format!(
                "/api/acceptance/v1/cases/{}",
                applied["case"].as_str().unwrap()
            ),
        )
        .await;
    assert_eq!(
        (case["status"].as_str(), case["applicant_kind"].as_str()),
        (Some("submitted"), Some("enterprise")),
        "{case}"
    );
    assert_eq!(case["handling_region"], "430121000000");
    assert_eq!(case["form"]["delivery"]["method"], "post");
    assert_eq!(case["form"]["delivery"]["address"], address);
    let licence = case["materials"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["name"] == "营业执照")
        .unwrap();
    assert!(licence["certificate_id"].is_string(), "{licence}");
    assert!(licence["attachment"].is_null(), "{licence}");
}
