//! The gateway's first filter: rate limits and token verification.
//!
//! - Every request counts against its client IP's limit; an authenticated one also against its
//!   subject's. Over a limit: 429 with `Retry-After`.
//! - A bearer token, when given, is verified locally against the cached JWKS (no call to
//!   identity per request): bad, expired or tampered tokens are 401 here.
//! - Without a token only the routes in [`PUBLIC`] pass; everything else is 401.
//!
//! Services verify the token again and decide on jurisdiction themselves: this is a filter,
//! not the authority.

use std::net::{IpAddr, SocketAddr};
use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderValue, Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use uuid::Uuid;

use crate::config::GatewaySettings;
use tongban_auth::{TokenError, Verifier};
use tongban_kernel::Error;

/// Routes open without a token: (method, path pattern). `*` matches one path segment, a
/// trailing `**` the rest of the path.
pub const PUBLIC: &[(&str, &str)] = &[
    ("GET", "/api/*/healthz"),
    ("GET", "/api/*/readyz"),
    ("GET", "/api/*/openapi.json"),
    // Signing in and out, discovery, keys, self-registration.
    ("POST", "/api/identity/v1/oauth/token"),
    ("POST", "/api/identity/v1/oauth/revoke"),
    // Asking for a sign-in code by text (answered alike for every number).
    ("POST", "/api/identity/v1/oauth/sms-codes"),
    ("GET", "/api/identity/.well-known/**"),
    ("POST", "/api/identity/v1/accounts/citizens"),
    ("POST", "/api/identity/v1/accounts/enterprises"),
    // The catalogue is public information (同一事项、同一标准).
    ("GET", "/api/catalogue/v1/**"),
    // Anyone with a case number and its query password may read the case's progress.
    ("POST", "/api/acceptance/v1/cases/lookup"),
    // Whoever is shown an e-certificate may check it, and fetch the seal that signed it.
    ("POST", "/api/approval/v1/certificates/verify"),
    ("GET", "/api/approval/v1/seals/*"),
    // A certificate's public status: what the QR code on its printed face leads to.
    ("GET", "/api/approval/v1/certificates/*/status"),
    // The certificate type code list of the identifiers (GB/T 36904).
    ("GET", "/api/approval/v1/certificate-types"),
    // 通办 agreements (通办事项清单) are public information, like the catalogue.
    ("GET", "/api/crossregion/v1/agreements"),
    ("GET", "/api/crossregion/v1/agreements/**"),
    // Rating a window visit by its code (the window's rating device has no account), and
    // public comments (好差评: anyone may rate a hall).
    ("POST", "/api/acceptance/v1/ratings/visits/*"),
    ("POST", "/api/acceptance/v1/ratings/comments"),
    // The SMS gateway's delivery receipts, signed with the key the platform shares with it.
    ("POST", "/api/notification/v1/receipts/sms"),
    // A hall's set-up, its display board, its free slots and a ticket by its id are public;
    // a ticket is taken, a booking checked in and a ticket given up at the kiosk without an
    // account (the slip carries the ticket's id).
    ("GET", "/api/hall/v1/centres/*"),
    ("GET", "/api/hall/v1/centres/*/board"),
    ("GET", "/api/hall/v1/centres/*/board/events"),
    ("GET", "/api/hall/v1/centres/*/slots"),
    ("POST", "/api/hall/v1/centres/*/tickets"),
    ("POST", "/api/hall/v1/centres/*/check-in"),
    ("GET", "/api/hall/v1/tickets/*"),
    ("POST", "/api/hall/v1/tickets/*/cancel"),
    // The supervisors' dashboard page (its data needs a supervisor's token).
    ("GET", "/api/insight/dashboard"),
    ("GET", "/api/insight/dashboard/"),
    ("GET", "/api/insight/dashboard/*"),
];

pub fn is_public(method: &Method, path: &str) -> bool {
    is_page(method, path)
        || PUBLIC
            .iter()
            .any(|(m, pattern)| *m == method.as_str() && matches(pattern, path))
}

/// The people's pages (the staff console under `/console/`, the online hall everywhere else
/// outside `/api/`): their own sessions (a cookie) stand in for the token, and they call the
/// services with the signed-in person's token.
fn is_page(method: &Method, path: &str) -> bool {
    matches!(*method, Method::GET | Method::HEAD | Method::POST)
        && path != "/api"
        && !path.starts_with("/api/")
}

fn matches(pattern: &str, path: &str) -> bool {
    let mut pattern = pattern.split('/');
    let mut path = path.split('/');
    loop {
        match (pattern.next(), path.next()) {
            (Some("**"), Some(rest)) => return !rest.is_empty(),
            (Some("*"), Some(segment)) if !segment.is_empty() => {}
            (Some(expected), Some(segment)) if expected == segment => {}
            (None, None) => return true,
            _ => return false,
        }
    }
}

pub struct Guard {
    verifier: Arc<Verifier>,
    by_ip: DefaultKeyedRateLimiter<IpAddr>,
    by_subject: DefaultKeyedRateLimiter<Uuid>,
    /// Registrations per client IP (an hour's worth of burst, refilled evenly).
    registrations: DefaultKeyedRateLimiter<IpAddr>,
    trust_forwarded_for: bool,
}

/// The self-service registrations, limited per client IP.
fn is_registration(method: &Method, path: &str) -> bool {
    method == Method::POST
        && matches!(
            path.trim_end_matches('/'),
            "/api/identity/v1/accounts/citizens" | "/api/identity/v1/accounts/enterprises"
        )
}

fn quota(per_second: u32, burst: u32) -> Quota {
    let rate = NonZeroU32::new(per_second.max(1)).unwrap_or(NonZeroU32::MIN);
    let burst = NonZeroU32::new(burst.max(per_second).max(1)).unwrap_or(NonZeroU32::MIN);
    Quota::per_second(rate).allow_burst(burst)
}

impl Guard {
    pub fn new(verifier: Arc<Verifier>, settings: &GatewaySettings) -> Self {
        Self {
            verifier,
            by_ip: RateLimiter::keyed(quota(
                settings.rate_limit_ip_per_second,
                settings.rate_limit_ip_burst,
            )),
            by_subject: RateLimiter::keyed(quota(
                settings.rate_limit_subject_per_second,
                settings.rate_limit_subject_burst,
            )),
            registrations: RateLimiter::keyed({
                let per_hour = NonZeroU32::new(settings.registrations_per_hour_per_ip.max(1))
                    .unwrap_or(NonZeroU32::MIN);
                Quota::per_hour(per_hour).allow_burst(per_hour)
            }),
            trust_forwarded_for: settings.trust_forwarded_for,
        }
    }

    /// Forgets clients that have been quiet long enough to be back at full burst.
    pub fn forget_idle(&self) {
        self.by_ip.retain_recent();
        self.by_subject.retain_recent();
        self.registrations.retain_recent();
    }

    fn client_ip(&self, request: &Request) -> Option<IpAddr> {
        if self.trust_forwarded_for
            && let Some(first) = request
                .headers()
                .get("x-forwarded-for")
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.split(',').next())
            && let Ok(ip) = first.trim().parse()
        {
            return Some(ip);
        }
        request
            .extensions()
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| c.0.ip())
    }
}

/// 429 with the seconds to wait.
fn too_many(wait: Duration) -> Response {
    let seconds = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
    let body = tongban_kernel::ErrorBody {
        code: "rate_limited".to_owned(),
        message: format!("too many requests, retry in {seconds} s"),
        field: None,
    };
    let mut response =
        (axum::http::StatusCode::TOO_MANY_REQUESTS, axum::Json(body)).into_response();
    if let Ok(value) = HeaderValue::from_str(&seconds.max(1).to_string()) {
        response.headers_mut().insert(header::RETRY_AFTER, value);
    }
    response
}

pub async fn guard(State(guard): State<Arc<Guard>>, request: Request, next: Next) -> Response {
    let clock = DefaultClock::default();
    let ip = guard.client_ip(&request);
    if let Some(ip) = ip
        && let Err(not_until) = guard.by_ip.check_key(&ip)
    {
        return too_many(not_until.wait_time_from(clock.now()));
    }
    if let Some(ip) = ip
        && is_registration(request.method(), request.uri().path())
        && let Err(not_until) = guard.registrations.check_key(&ip)
    {
        return too_many(not_until.wait_time_from(clock.now()));
    }
    let token = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, token)| token.trim().to_owned());
    match token {
        Some(token) => match guard.verifier.verify(&token).await {
            Ok(claims) => {
                if let Err(not_until) = guard.by_subject.check_key(&claims.sub) {
                    return too_many(not_until.wait_time_from(clock.now()));
                }
            }
            Err(TokenError::KeysUnavailable(reason)) => {
                return Error::Unavailable(reason).into_response();
            }
            Err(reason) => {
                tracing::info!(%reason, "token refused at the gateway");
                return Error::Unauthorized.into_response();
            }
        },
        None if is_public(request.method(), request.uri().path()) => {}
        None => return Error::Unauthorized.into_response(),
    }
    next.run(request).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn public_routes_are_exactly_the_listed_ones() {
        assert!(is_public(&Method::POST, "/api/identity/v1/oauth/token"));
        assert!(is_public(&Method::POST, "/api/identity/v1/oauth/sms-codes"));
        assert!(is_public(
            &Method::GET,
            "/api/identity/.well-known/jwks.json"
        ));
        assert!(is_public(&Method::GET, "/api/catalogue/v1/departments"));
        assert!(is_public(&Method::GET, "/api/approval/readyz"));
        assert!(is_public(&Method::GET, "/api/insight/dashboard/"));
        assert!(is_public(
            &Method::GET,
            "/api/insight/dashboard/dashboard.js"
        ));
        assert!(!is_public(&Method::GET, "/api/insight/v1/statistics"));
        assert!(!is_public(&Method::POST, "/api/catalogue/v1/departments"));
        assert!(!is_public(
            &Method::GET,
            "/api/approval/v1/directory/regions/430900000000"
        ));
        assert!(!is_public(&Method::GET, "/api/identity/v1/accounts/me"));
        assert!(!is_public(&Method::GET, "/api/catalogue/metrics"));
        assert!(
            !is_public(&Method::GET, "/api/catalogue/v1"),
            "** needs a segment"
        );
        assert!(!is_public(&Method::GET, "/api//readyz"));
        assert!(is_public(
            &Method::POST,
            "/api/approval/v1/certificates/verify"
        ));
        assert!(!is_public(
            &Method::GET,
            "/api/approval/v1/certificates/0193a4f2-0000-7000-8000-000000000001"
        ));
        assert!(is_public(
            &Method::GET,
            "/api/approval/v1/certificates/0193a4f2-0000-7000-8000-000000000001/status"
        ));
        assert!(!is_public(
            &Method::GET,
            "/api/approval/v1/certificates/0193a4f2-0000-7000-8000-000000000001/face"
        ));
        assert!(is_public(
            &Method::POST,
            "/api/notification/v1/receipts/sms"
        ));
        assert!(!is_public(&Method::GET, "/api/notification/v1/inbox"));
    }

    #[test]
    fn pages_are_open_and_the_api_is_not_a_page() {
        for page in ["/", "/search", "/items/x", "/console/", "/console/inbox"] {
            assert!(is_public(&Method::GET, page), "{page}");
            assert!(is_public(&Method::POST, page), "{page}");
        }
        assert!(!is_public(&Method::DELETE, "/search"));
        assert!(!is_public(&Method::GET, "/api"));
        assert!(!is_public(&Method::POST, "/api/identity/v1/accounts/staff"));
    }
}
