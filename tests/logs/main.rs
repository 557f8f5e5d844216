//! Logs never contain passwords, tokens or full identity numbers: a platform runs with every
//! tongban log line at debug level captured, through registration, sign-in, failures, lockout,
//! refresh, logout and forged tokens, and the captured text is searched for each secret.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a panic is how a test fails

#[allow(dead_code)] // as the harness
#[path = "../e2e/gm.rs"]
mod gm;
#[allow(dead_code)] // the harness serves the e2e binary too; this test uses part of it
#[path = "../e2e/harness.rs"]
mod harness;

use std::io::Write;
use std::sync::{Arc, Mutex};

use serde_json::Value;
use tracing_subscriber::fmt::MakeWriter;

use harness::{BrokerStorage, TestPlatform};

/// Every log line, in memory.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for Captured {
    type Writer = Captured;
    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn logs_never_contain_passwords_tokens_or_full_identity_numbers() {
    // Arrange: capture everything tongban logs, at debug level, before the platform starts.
    let captured = Captured::default();
    let mut settings = tongban_runtime::Settings::load(None).unwrap().telemetry;
    settings.log_filter = "debug,tongban=trace,h2=info,hyper=info,rdkafka=info,librdkafka=info,tansu=info,tansu_storage=info,tansu_broker=info".to_owned();
    settings.log_format = "json".to_owned();
    tongban_runtime::telemetry::init_with_writer(&settings, "logs-test", captured.clone()).unwrap();
    let test = TestPlatform::start(BrokerStorage::Memory).await;
    let id_number = tongban_kernel::IdCardNumber::complete("43092119850505123")
        .unwrap()
        .as_str()
        .to_owned();
    let password = "Secret-Passw0rd-7731";
    let wrong = "Wrong-Passw0rd-9914";

    // Act: everything that handles a secret.
    let registered = test
        .register_citizen(&id_number, "13700137000", password)
        .await;
    assert_eq!(registered.status(), 201);
    let signed_in: Value = test
        .sign_in(&id_number, password)
        .await
        .json()
        .await
        .unwrap();
    let access = signed_in["access_token"].as_str().unwrap().to_owned();
    let refresh = signed_in["refresh_token"].as_str().unwrap().to_owned();
    assert_eq!(
        test.get_as(&access, "/api/identity/v1/accounts/me")
            .await
            .status(),
        200
    );
    let refreshed: Value = test.refresh(&refresh).await.json().await.unwrap();
    let second_refresh = refreshed["refresh_token"].as_str().unwrap().to_owned();
    // Replay (family revoked), logout, a forged token, then enough failures to lock.
    test.refresh(&refresh).await;
    test.http
        .post(test.url("/api/identity/v1/oauth/revoke"))
        .form(&[("token", second_refresh.as_str())])
        .send()
        .await
        .unwrap();
    let forged = format!("{access}x");
    assert_eq!(
        test.get_as(&forged, "/api/identity/v1/accounts/me")
            .await
            .status(),
        401
    );
    for _ in 0..6 {
        test.sign_in(&id_number, wrong).await;
    }
    test.stop().await;

    // Assert
    let logs = String::from_utf8_lossy(&captured.0.lock().unwrap()).into_owned();
    assert!(
        logs.contains("token refused"),
        "the capture works: a refused token was logged"
    );
    assert!(
        logs.contains("account locked"),
        "the capture works: the lockout was logged"
    );
    let signature = access.rsplit('.').next().unwrap();
    for (what, secret) in [
        ("the password", password),
        ("the wrong password", wrong),
        ("the full identity number", id_number.as_str()),
        ("the access token's signature", signature),
        ("the refresh token", refresh.as_str()),
        ("the rotated refresh token", second_refresh.as_str()),
        ("the phone number", "13700137000"),
    ] {
        assert!(!logs.contains(secret), "{what} appears in the logs");
    }
}
