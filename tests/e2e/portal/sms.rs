//! A citizen's account in the online hall (issue 27): the mobile number proved with a texted
//! code, the language of messages kept on the account, and signing in with a texted code
//! instead of the password. The texts go out through the platform's real SMS adapter to a
//! loopback gateway, which hands each code to the browser as a file.

use std::path::PathBuf;
use std::time::Duration;

use serde_json::Value;
use tongban_notification::config::NotificationSettings;

use super::in_the_browser;
use crate::dashboard::browser_tools;
use crate::harness::{BrokerStorage, TestPlatform};
use crate::notification::sms_gateway;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_citizen_proves_the_number_and_signs_in_with_a_texted_code() {
    if !browser_tools() {
        return;
    }
    let (endpoint, texts) = sms_gateway(0).await;
    let test = TestPlatform::start_with(BrokerStorage::Memory, move |s| {
        let notification = s.section_mut::<NotificationSettings>().unwrap();
        notification.sender_poll_ms = 50;
        notification.sms_endpoint = endpoint;
        notification.sms_api_key = "gateway-key".to_owned().into();
    })
    .await;
    let document = tongban_kernel::IdCardNumber::complete("43090319750505222")
        .unwrap()
        .as_str()
        .to_owned();
    let password = "Texted-code-2026";
    let registered = test
        .register_citizen(&document, "13500135000", password)
        .await;
    assert_eq!(registered.status(), 201);

    // The gateway's texts, each code as a file the browser waits for.
    let codes = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../target/test-output/portal-codes")
        .join(uuid::Uuid::now_v7().to_string());
    std::fs::create_dir_all(&codes).unwrap();
    let handed = {
        let (texts, codes) = (texts.clone(), codes.clone());
        tokio::spawn(async move {
            let mut handed = 0;
            loop {
                let next: Option<Value> = texts.lock().unwrap().get(handed).cloned();
                match next {
                    Some(text) => {
                        let content = text["content"].as_str().unwrap_or_default().to_owned();
                        let code = content
                            .split(|c: char| !c.is_ascii_digit())
                            .find(|run| run.len() == 6)
                            .unwrap_or_default()
                            .to_owned();
                        handed += 1;
                        std::fs::write(codes.join(handed.to_string()), code).unwrap();
                    }
                    None => tokio::time::sleep(Duration::from_millis(100)).await,
                }
            }
        })
    };
    let report = in_the_browser(
        &test,
        "phone-code",
        &[
            ("document", &document),
            ("password", password),
            ("phone", "13500135000"),
            ("codes", codes.to_str().unwrap()),
        ],
    )
    .await;
    handed.abort();
    assert_eq!(report["ok"], true, "{report}");
    let token = test.access_token(&document, password).await;
    let contact = test
        .get_json_as(&token, "/api/identity/v1/accounts/me/contact")
        .await;
    assert_eq!(contact["phone_verified"], true, "{contact}");
    assert_eq!(contact["locale"], "en", "{contact}");
    assert_eq!(texts.lock().unwrap().len(), 2, "two codes texted");
    std::fs::remove_dir_all(&codes).ok();
}
