//! The security headers every answer of a site carries, set by the site's outermost layer.

use axum::http::{HeaderValue, header};
use axum::response::Response;

/// Gives `response` the site's content security `policy` (unless it brings a stricter one of
/// its own), no content sniffing, no referrer outside the site, and no caching unless it
/// says otherwise.
pub fn secure(response: &mut Response, policy: &'static str) {
    let headers = response.headers_mut();
    // A material's file sets a stricter policy of its own.
    headers
        .entry(header::CONTENT_SECURITY_POLICY)
        .or_insert(HeaderValue::from_static(policy));
    for (name, value) in [
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::REFERRER_POLICY, "same-origin"),
    ] {
        headers.insert(name, HeaderValue::from_static(value));
    }
    // Pages show personal data: never kept by a shared hall PC's cache.
    headers
        .entry(header::CACHE_CONTROL)
        .or_insert(HeaderValue::from_static("no-store"));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_answer_keeps_its_own_policy_and_caching() {
        let mut page = Response::new(axum::body::Body::empty());
        let mut file = Response::new(axum::body::Body::empty());
        file.headers_mut().insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static("sandbox"),
        );
        file.headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));

        secure(&mut page, "default-src 'self'");
        secure(&mut file, "default-src 'self'");

        let got = |r: &Response, name| r.headers()[name].to_str().unwrap().to_owned();
        assert_eq!(
            got(&page, header::CONTENT_SECURITY_POLICY),
            "default-src 'self'"
        );
        assert_eq!(got(&page, header::CACHE_CONTROL), "no-store");
        assert_eq!(got(&file, header::CONTENT_SECURITY_POLICY), "sandbox");
        assert_eq!(got(&file, header::CACHE_CONTROL), "no-cache");
        for r in [&page, &file] {
            assert_eq!(got(r, header::X_CONTENT_TYPE_OPTIONS), "nosniff");
            assert_eq!(got(r, header::REFERRER_POLICY), "same-origin");
        }
    }
}
