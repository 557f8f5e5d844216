//! What a broken or hostile client gets: malformed JSON, invalid UTF-8, absurd page sizes,
//! oversized bodies (declared or streamed), huge headers and slow clients (slowloris) are each
//! answered with a clear 4xx or dropped in bounded time, and the platform's memory stays
//! bounded while it happens.

use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::harness::{TestPlatform, credit_code};

/// The platform runs in this process: its resident size, in MiB.
fn resident_mib() -> f64 {
    tongban::bench::memory::resident_mib(std::process::id()).unwrap()
}

/// Writes `head` and then `body` `times` times on a fresh connection to the gateway, and reads
/// the answer until the server closes or 10 s pass; returns the status code and the answer.
async fn raw(gateway: &str, head: &str, body: &[u8], times: usize) -> (u16, String) {
    let mut stream = TcpStream::connect(gateway.trim_start_matches("http://"))
        .await
        .unwrap();
    stream.write_all(head.as_bytes()).await.unwrap();
    // The server may answer (and close) before it has read everything: that is the point.
    for _ in 0..times {
        if stream.write_all(body).await.is_err() {
            break;
        }
    }
    let mut answer = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut answer)).await;
    let answer = String::from_utf8_lossy(&answer).into_owned();
    let status = answer
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    (status, answer)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn broken_and_hostile_requests_get_a_clear_4xx_and_memory_stays_bounded() {
    // Arrange: slow clients get one second for their headers.
    let test = TestPlatform::start_alone(|s| s.http.header_read_timeout_ms = 1_000).await;
    let token = test.staff_token().await.to_owned();
    let departments = test.url("/api/catalogue/v1/departments");

    malformed_bodies_and_queries_are_named_4xx(&test, &departments, &token).await;
    let gateway = oversized_bodies_and_headers_are_cut_off_in_bounded_memory(&test, &token).await;
    slow_clients_are_dropped_while_a_normal_one_is_served(&test, gateway).await;
    test.stop().await;
}

async fn malformed_bodies_and_queries_are_named_4xx(
    test: &TestPlatform,
    departments: &str,
    token: &str,
) {
    let error = |response: reqwest::Response| async move {
        let status = response.status().as_u16();
        let body: serde_json::Value = response.json().await.expect("an error body in JSON");
        (status, body)
    };
    let post = |body: Vec<u8>| {
        test.http
            .post(departments)
            .bearer_auth(token)
            .header("content-type", "application/json")
            .body(body)
            .send()
    };
    // Malformed JSON, a field of the wrong type, invalid UTF-8 inside a string.
    let (status, body) = error(post(b"{\"region_code\": ".to_vec()).await.unwrap()).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (400, Some("bad_request")),
        "{body}"
    );
    assert_eq!(body["field"], "body", "{body}");
    let (status, body) = error(
        post(br#"{"region_code": 430903, "name": "x"}"#.to_vec())
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["field"], "region_code", "{body}");
    let mut invalid = br#"{"region_code": "430903000000", "name": "Bad "#.to_vec();
    invalid.extend_from_slice(&[0xff, 0xfe, 0xc3]);
    invalid.extend_from_slice(format!(r#"", "credit_code": "{}"}}"#, credit_code(1)).as_bytes());
    let (status, body) = error(post(invalid).await.unwrap()).await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["field"], "body", "{body}");

    // A query string that is not UTF-8, page sizes nobody may ask for, a number that overflows.
    for (query, field) in [
        ("region_code=%FF%FE", "region_code"),
        ("limit=1000000000", "limit"),
        ("limit=0", "limit"),
        ("limit=-5", "limit"),
        ("limit=99999999999999999999999", "limit"),
        ("limit=%FF", "limit"),
    ] {
        let response = test
            .http
            .get(format!("{departments}?{query}"))
            .send()
            .await
            .unwrap();
        let (status, body) = error(response).await;
        assert_eq!(status, 400, "?{query}: {body}");
        assert_eq!(body["field"], field, "?{query}: {body}");
    }
}

async fn oversized_bodies_and_headers_are_cut_off_in_bounded_memory(
    test: &TestPlatform,
    token: &str,
) -> String {
    let token = token.to_owned();
    // A body over the limit (2 MiB): declared, it is refused before it is read — the answer
    // comes before a byte of it is sent. (Sending it too races the answer: the server closes
    // once it has answered, and the client may fail on the write before it reads the 413.)
    let (status, answer) = raw(
        &test.gateway,
        &format!(
            "POST /api/catalogue/v1/departments HTTP/1.1\r\nHost: tongban\r\n\
             Authorization: Bearer {token}\r\nContent-Type: application/json\r\n\
             Content-Length: {}\r\n\r\n",
            3 * 1024 * 1024
        ),
        b"",
        0,
    )
    .await;
    assert_eq!(status, 413, "{answer}");
    assert!(answer.contains(r#""code":"payload_too_large""#), "{answer}");

    let gateway = test.gateway.clone();
    let rss_before = resident_mib();
    let peak = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(rss_before.to_bits()));
    let sampler = {
        let peak = peak.clone();
        tokio::spawn(async move {
            loop {
                peak.fetch_max(
                    resident_mib().to_bits(),
                    std::sync::atomic::Ordering::Relaxed,
                );
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        })
    };
    // Streamed without a length (chunked), 16 at once, 32 MiB each: cut off at the limit.
    let chunk = format!("10000\r\n{}\r\n", " ".repeat(0x10000)).into_bytes();
    let streamed: Vec<_> = (0..16)
        .map(|_| {
            let (gateway, chunk, token) = (gateway.clone(), chunk.clone(), token.clone());
            tokio::spawn(async move {
                let head = format!(
                    "POST /api/catalogue/v1/departments HTTP/1.1\r\nHost: tongban\r\n\
                     Authorization: Bearer {token}\r\nContent-Type: application/json\r\n\
                     Transfer-Encoding: chunked\r\n\r\n"
                );
                raw(&gateway, &head, &chunk, 512).await
            })
        })
        .collect();
    for sent in streamed {
        let (status, answer) = sent.await.unwrap();
        assert_eq!(status, 413, "a streamed body over the limit: {answer}");
        assert!(answer.contains("payload_too_large"), "{answer}");
    }
    // Headers of a megabyte.
    let huge = format!(
        "GET /api/catalogue/v1/departments HTTP/1.1\r\nHost: tongban\r\nX-Padding: {}\r\n\r\n",
        "a".repeat(1024 * 1024)
    );
    let (status, answer) = raw(&gateway, &huge, b"", 0).await;
    assert!(
        status == 431 || (status == 0 && answer.is_empty()),
        "huge headers: refused (431) or the connection dropped, not {status}: {answer:.200}"
    );
    sampler.abort();
    let grown = f64::from_bits(peak.load(std::sync::atomic::Ordering::Relaxed)) - rss_before;
    // 512 MiB were offered; a platform that buffered them would grow by that much.
    assert!(
        grown < 96.0,
        "the platform grew by {grown:.0} MiB while refusing 512 MiB of bodies"
    );
    gateway
}

async fn slow_clients_are_dropped_while_a_normal_one_is_served(
    test: &TestPlatform,
    gateway: String,
) {
    // Slowloris: 200 connections trickling their headers, a byte every 200 ms, and 50 that
    // say nothing. Each is dropped once its second is up, while a normal client is served.
    let started = Instant::now();
    let slow: Vec<_> = (0..250)
        .map(|n| {
            let gateway = gateway.clone();
            tokio::spawn(async move {
                let mut stream = TcpStream::connect(gateway.trim_start_matches("http://"))
                    .await
                    .unwrap();
                let opened = Instant::now();
                let head = b"GET /healthz HTTP/1.1\r\nHost: tongban\r\nX-Slow: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
                let mut buffer = [0u8; 1024];
                if n < 200 {
                    for byte in head {
                        if stream.write_all(&[*byte]).await.is_err() {
                            return (n, opened.elapsed());
                        }
                        tokio::time::sleep(Duration::from_millis(200)).await;
                    }
                }
                // Dropped: the read sees the end (or an error), not a hang.
                let _ = tokio::time::timeout(Duration::from_secs(30), stream.read(&mut buffer)).await;
                (n, opened.elapsed())
            })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(300)).await;
    let served = test
        .http
        .get(test.url("/api/catalogue/v1/departments?limit=1"))
        .send()
        .await
        .unwrap();
    assert_eq!(served.status(), 200, "a normal client meanwhile");
    for connection in slow {
        let (n, held) = connection.await.unwrap();
        assert!(
            held < Duration::from_secs(5),
            "slow connection {n} was held {held:?} (header timeout 1 s)"
        );
    }
    assert!(started.elapsed() < Duration::from_secs(10));
}
