//! The public lookup by case number and query password, limited per number (issue 24, finding
//! 11): five wrong passwords within 15 minutes and the number answers 429 until they pass,
//! whatever the password; an unknown number answers exactly as a wrong password does.

use super::*;

/// Looks `number` up with `password`, without signing in: (status, Retry-After, body).
async fn look_up(test: &TestPlatform, number: &str, password: &str) -> (u16, Option<u64>, Value) {
    let response = test
        .http
        .post(test.url("/api/acceptance/v1/cases/lookup"))
        .json(&json!({ "number": number, "password": password }))
        .send()
        .await
        .unwrap();
    let retry_after = response
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok());
    let (status, body) = status_and_body(response).await;
    (status, retry_after, body)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn wrong_query_passwords_lock_the_number_for_15_minutes_and_unknown_numbers_alike() {
    let clock = tongban_runtime::Clock::adjustable();
    let test = TestPlatform::start_with(BrokerStorage::Memory, |s| s.clock = clock.clone()).await;
    let code = item_in_force(&test).await;
    let (_, applicant) = citizen(&test, 24).await;
    let admin = test.admin("lookup.admin", "430000000000").await;
    let (_, clerk) = test
        .staff_with_role(&admin, "heshan.lookup", "window_clerk", HESHAN)
        .await;
    let (id, materials) = submitted_case(&test, &applicant, &code).await;
    accepted_deferring(&test, &clerk, &id, &materials).await;
    let receipt = test
        .get_json_as(
            &applicant,
            &format!("/api/acceptance/v1/cases/{id}/receipt"),
        )
        .await;
    let number = receipt["number"].as_str().unwrap().to_owned();
    let issued = test
        .post_as(
            &applicant,
            &format!("/api/acceptance/v1/cases/{id}/query-password"),
            json!({}),
        )
        .await;
    assert_eq!(issued.status(), 200);
    let password = issued.json::<serde_json::Value>().await.unwrap()["query_password"]
        .as_str()
        .unwrap()
        .to_owned();
    // A number of the same shape that no case has.
    let unknown = format!(
        "{}{}",
        &number[..39],
        if &number[39..] == "9999" {
            "9998"
        } else {
            "9999"
        }
    );

    // The right password reads the progress.
    let (status, _, progress) = look_up(&test, &number, &password).await;
    assert_eq!(
        (status, progress["status"].as_str()),
        (200, Some("accepted"))
    );

    // Five wrong passwords answer 404, as five guesses at an unknown number do, alike.
    for guess in 1..=5 {
        let wrong = look_up(&test, &number, &format!("WRONG{guess:03}")).await;
        let unknown = look_up(&test, &unknown, &format!("WRONG{guess:03}")).await;
        assert_eq!(
            (wrong.0, wrong.1),
            (404, None),
            "guess {guess}: {}",
            wrong.2
        );
        assert_eq!(
            wrong, unknown,
            "guess {guess}: an unknown number answers alike"
        );
        assert_eq!(
            wrong.2["message"], "a case with this number and query password not found",
            "one clear sentence"
        );
    }

    // Then the number answers 429 whatever the password, the right one included, and says
    // when to come back; the unknown number the same.
    for (number, password) in [
        (&number, "WRONG006"),
        (&number, password.as_str()),
        (&unknown, "WRONG006"),
        (&unknown, password.as_str()),
    ] {
        let (status, retry_after, body) = look_up(&test, number, password).await;
        assert_eq!(
            (status, body["code"].as_str(), body["field"].as_str()),
            (429, Some("too_many_requests"), Some("number")),
            "{body}"
        );
        let retry_after = retry_after.expect("Retry-After");
        assert!((840..=900).contains(&retry_after), "{retry_after}");
    }
    let (status, _, body) = look_up(&test, &number, &password).await;
    assert_eq!(status, 429, "{body}");

    // The limit is on the public lookup only: the applicant still reads the case signed in.
    assert_eq!(
        test.get_as(&applicant, &format!("/api/acceptance/v1/cases/{id}"))
            .await
            .status(),
        200
    );

    // Once the 15 minutes have passed, the right password reads the progress again.
    assert!(clock.advance(chrono::Duration::minutes(15)));
    let (status, _, progress) = look_up(&test, &number, &password).await;
    assert_eq!(
        (status, progress["status"].as_str()),
        (200, Some("accepted")),
        "{progress}"
    );
    let (status, _, _) = look_up(&test, &unknown, "WRONG007").await;
    assert_eq!(status, 404, "a new window for the unknown number too");
    test.stop().await;
}
