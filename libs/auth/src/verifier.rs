//! Verifying tokens against a cached key set.
//!
//! Keys are fetched from a [`KeySource`] (identity's JWKS over HTTP for the gateway and the
//! services; identity reads its own table) and kept for `max_age`. A token naming a key the
//! cache does not know waits for the next allowed fetch (at most one every `min_refetch`, shared
//! by everyone waiting) instead of failing: a key rotated in a moment ago verifies on the first
//! try, and a flood of made-up key ids still causes one JWKS request per `min_refetch`.
//!
//! Tokens that passed full verification are remembered (at most [`VERIFIED_CAPACITY`]): a client
//! presents the same token on every request for its whole lifetime, and re-checking the
//! signature each time would be most of the gateway's cost on a cheap route. A remembered token
//! is still checked for expiry on every use, and only verified tokens are ever remembered, so
//! forged ones cannot fill the cache.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use futures::future::BoxFuture;
use http_body_util::{BodyExt, Empty};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use tokio::sync::Mutex;

use tongban_kernel::Clock;

use crate::jwt::{self, Claims, Jwks, KeySet, TokenError};

/// Where verification keys come from, and the cut-offs that end accounts' sign-ins.
pub trait KeySource: Send + Sync {
    fn fetch(&self) -> BoxFuture<'_, Result<Jwks, String>>;
    /// The accounts whose tokens issued before a moment are refused (identity's
    /// `/.well-known/revocations.json`).
    fn cutoffs(&self) -> BoxFuture<'_, Result<Vec<Cutoff>, String>>;
}

/// An account's tokens issued before `cut_at` are refused, except those of `keep_session`
/// (identity publishes them at `/.well-known/revocations.json`).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct Cutoff {
    pub account_id: uuid::Uuid,
    /// Tokens of the account issued before this are refused...
    pub cut_at: chrono::DateTime<chrono::Utc>,
    /// ...except those of this sign-in.
    pub keep_session: Option<uuid::Uuid>,
}

/// How often a verifier fetches the cut-offs: a revoked role or a disabled account is refused
/// everywhere within this (plus one fetch).
pub const CUTOFF_REFRESH: Duration = Duration::from_secs(15);

/// A JWKS document served over HTTP (identity's `/.well-known/jwks.json`).
pub struct HttpJwks {
    url: String,
    client: Client<HttpConnector, Empty<Bytes>>,
}

impl HttpJwks {
    /// Fetches `url` with `client` (the runtime's `http::client`, which lets go of idle
    /// connections before identity would close them).
    pub fn new(url: impl Into<String>, client: Client<HttpConnector, Empty<Bytes>>) -> Self {
        Self {
            url: url.into(),
            client,
        }
    }
}

impl HttpJwks {
    /// The cut-offs beside the key set (`…/jwks.json` → `…/revocations.json`).
    fn cutoffs_url(&self) -> String {
        match self.url.strip_suffix("jwks.json") {
            Some(base) => format!("{base}revocations.json"),
            None => format!("{}/revocations.json", self.url.trim_end_matches('/')),
        }
    }

    /// GETs `url` (5 s at most) and parses its JSON.
    async fn get<T: serde::de::DeserializeOwned>(&self, url: &str) -> Result<T, String> {
        let uri: axum::http::Uri = url.parse().map_err(|e| format!("{e}"))?;
        let request = axum::http::Request::get(uri)
            .body(Empty::new())
            .map_err(|e| e.to_string())?;
        let response = tokio::time::timeout(Duration::from_secs(5), self.client.request(request))
            .await
            .map_err(|_| "timed out".to_owned())?
            .map_err(|e| e.to_string())?;
        if !response.status().is_success() {
            return Err(format!("{url} answered {}", response.status()));
        }
        let body = response
            .into_body()
            .collect()
            .await
            .map_err(|e| e.to_string())?
            .to_bytes();
        serde_json::from_slice(&body).map_err(|e| e.to_string())
    }
}

impl KeySource for HttpJwks {
    fn cutoffs(&self) -> BoxFuture<'_, Result<Vec<Cutoff>, String>> {
        Box::pin(async move { self.get(&self.cutoffs_url()).await })
    }

    fn fetch(&self) -> BoxFuture<'_, Result<Jwks, String>> {
        Box::pin(async move { self.get(&self.url).await })
    }
}

/// Cut-offs by account: (milliseconds since the epoch, the sign-in kept).
type Cutoffs = HashMap<uuid::Uuid, (i64, Option<uuid::Uuid>)>;

struct Cached {
    keys: Arc<KeySet>,
    fetched_at: Option<Instant>,
}

/// Verifies access tokens for one issuer and audience.
/// How many verified tokens a verifier remembers.
pub const VERIFIED_CAPACITY: usize = 10_000;

pub struct Verifier {
    issuer: String,
    audience: String,
    source: Arc<dyn KeySource>,
    cache: RwLock<Cached>,
    /// Tokens already verified, with their claims.
    verified: std::sync::Mutex<HashMap<String, Claims>>,
    /// One refresh at a time; the others wait for its result.
    refreshing: Mutex<()>,
    max_age: Duration,
    min_refetch: Duration,
    /// The time tokens' lifetimes are checked against: the system's, as identity issues them
    /// (never the service clock a test moves, see `Clock::system`).
    clock: Clock,
    /// Cut-offs by account, and when they were fetched.
    cutoffs: RwLock<(Cutoffs, Option<Instant>)>,
    /// One cut-off fetch at a time; the others go on with what is known.
    fetching_cutoffs: Mutex<()>,
}

impl Verifier {
    pub fn new(
        issuer: impl Into<String>,
        audience: impl Into<String>,
        source: Arc<dyn KeySource>,
    ) -> Self {
        Self {
            issuer: issuer.into(),
            audience: audience.into(),
            source,
            verified: std::sync::Mutex::new(HashMap::new()),
            cache: RwLock::new(Cached {
                keys: Arc::default(),
                fetched_at: None,
            }),
            refreshing: Mutex::new(()),
            clock: Clock::system(),
            cutoffs: RwLock::new((HashMap::new(), None)),
            fetching_cutoffs: Mutex::new(()),
            max_age: Duration::from_secs(300),
            min_refetch: Duration::from_secs(1),
        }
    }

    /// The verifier every component of the platform uses: the issuer and audience of the
    /// settings, keys from identity's JWKS (`identity.jwks_url`, or the identity upstream's).
    pub fn for_platform(settings: &tongban_runtime::Settings) -> Self {
        Self::new(
            settings.tokens.issuer.clone(),
            settings.tokens.audience.clone(),
            Arc::new(HttpJwks::new(
                settings.jwks_url(),
                tongban_runtime::http::client(&settings.http),
            )),
        )
    }

    /// How long fetched keys are trusted, and how soon an unknown key id may trigger a fetch.
    pub fn with_timing(mut self, max_age: Duration, min_refetch: Duration) -> Self {
        self.max_age = max_age;
        self.min_refetch = min_refetch;
        self
    }

    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    /// Verifies `token` and returns its claims.
    pub async fn verify(&self, token: &str) -> Result<Claims, TokenError> {
        let now = self.clock.now().timestamp();
        let claims = match self.remembered(token) {
            Some(claims) => {
                jwt::check_lifetime(&claims, now)?;
                claims
            }
            None => {
                let claims = self.verify_fully(token, now).await?;
                self.remember(token, &claims, now);
                claims
            }
        };
        self.refresh_cutoffs().await;
        if self.cut_off(&claims) {
            return Err(TokenError::Revoked);
        }
        Ok(claims)
    }

    /// Whether the token was issued before its account's cut-off (and is not of the sign-in
    /// kept). Issued when its id (a UUIDv7) says, to the millisecond; `iat` otherwise.
    fn cut_off(&self, claims: &Claims) -> bool {
        let cutoffs = self.cutoffs.read().unwrap_or_else(|e| e.into_inner());
        let Some((cut_ms, keep)) = cutoffs.0.get(&claims.sub) else {
            return false;
        };
        let issued_ms = claims
            .jti
            .get_timestamp()
            .map(|t| {
                let (secs, nanos) = t.to_unix();
                secs as i64 * 1_000 + i64::from(nanos / 1_000_000)
            })
            .unwrap_or(claims.iat * 1_000);
        issued_ms < *cut_ms && (keep.is_none() || *keep != claims.sid)
    }

    /// Fetches the cut-offs when the known ones are older than [`CUTOFF_REFRESH`]; one fetch
    /// at a time, the others go on with what is known. A failed fetch keeps the known ones
    /// (and is tried again after the same interval).
    async fn refresh_cutoffs(&self) {
        let due = {
            let cutoffs = self.cutoffs.read().unwrap_or_else(|e| e.into_inner());
            cutoffs.1.is_none_or(|at| at.elapsed() >= CUTOFF_REFRESH)
        };
        if !due {
            return;
        }
        let Ok(_fetching) = self.fetching_cutoffs.try_lock() else {
            return;
        };
        let fetched = self.source.cutoffs().await;
        let mut cutoffs = self.cutoffs.write().unwrap_or_else(|e| e.into_inner());
        cutoffs.1 = Some(Instant::now());
        match fetched {
            Ok(list) => {
                cutoffs.0 = list
                    .into_iter()
                    .map(|c| (c.account_id, (c.cut_at.timestamp_millis(), c.keep_session)))
                    .collect();
            }
            Err(reason) => {
                tracing::warn!(%reason, "the sign-in cut-offs could not be fetched; using the known ones");
            }
        }
    }

    fn remembered(&self, token: &str) -> Option<Claims> {
        self.verified
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(token)
            .cloned()
    }

    /// Remembers a verified token; when full, forgets the expired ones, or all if none expired.
    fn remember(&self, token: &str, claims: &Claims, now: i64) {
        let mut verified = self.verified.lock().unwrap_or_else(|e| e.into_inner());
        if verified.len() >= VERIFIED_CAPACITY {
            verified.retain(|_, c| jwt::check_lifetime(c, now).is_ok());
            if verified.len() >= VERIFIED_CAPACITY {
                verified.clear();
            }
        }
        verified.insert(token.to_owned(), claims.clone());
    }

    async fn verify_fully(&self, token: &str, now: i64) -> Result<Claims, TokenError> {
        let (keys, seen) = self.snapshot();
        let keys = match seen {
            Some(at) if at.elapsed() < self.max_age => keys,
            // Stale or never fetched: fetch now; with stale keys in hand, a failed fetch is
            // not fatal (identity may be restarting).
            _ => match self.refetch(seen, Duration::ZERO).await {
                Ok(keys) => keys,
                Err(err) if keys.is_empty() => return Err(TokenError::KeysUnavailable(err)),
                Err(_) => keys,
            },
        };
        let seen = self.snapshot().1;
        match jwt::verify(token, &keys, &self.issuer, &self.audience, now) {
            Err(TokenError::UnknownKey(kid)) => {
                // A key rotated in since the last fetch, or a made-up kid.
                let keys = self
                    .refetch(seen, self.min_refetch)
                    .await
                    .map_err(TokenError::KeysUnavailable)?;
                jwt::verify(token, &keys, &self.issuer, &self.audience, now).map_err(
                    |err| match err {
                        TokenError::UnknownKey(_) => TokenError::UnknownKey(kid),
                        other => other,
                    },
                )
            }
            other => other,
        }
    }

    /// The cached keys and when they were fetched.
    fn snapshot(&self) -> (Arc<KeySet>, Option<Instant>) {
        let cache = self.cache.read().unwrap_or_else(|e| e.into_inner());
        (cache.keys.clone(), cache.fetched_at)
    }

    /// Fetches the keys, one caller at a time. A caller whose `seen` fetch has been replaced
    /// while it waited for its turn takes the newer keys instead of fetching again; otherwise
    /// it fetches once `spacing` has passed since the previous fetch.
    async fn refetch(
        &self,
        seen: Option<Instant>,
        spacing: Duration,
    ) -> Result<Arc<KeySet>, String> {
        let _guard = self.refreshing.lock().await;
        let (keys, fetched) = self.snapshot();
        if fetched != seen {
            return Ok(keys);
        }
        if let Some(at) = fetched {
            tokio::time::sleep(spacing.saturating_sub(at.elapsed())).await;
        }
        self.fetch().await
    }

    /// Fetches now; callers hold `refreshing`.
    async fn fetch(&self) -> Result<Arc<KeySet>, String> {
        let jwks = self.source.fetch().await?;
        let keys = Arc::new(KeySet::from(&jwks));
        let mut cache = self.cache.write().unwrap_or_else(|e| e.into_inner());
        *cache = Cached {
            keys: keys.clone(),
            fetched_at: Some(Instant::now()),
        };
        tracing::debug!(keys = keys.len(), "verification keys fetched");
        Ok(keys)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use uuid::Uuid;

    use super::*;
    use crate::jwt::SigningKey;
    use tongban_kernel::AccountKind;

    /// A key source whose keys the test changes, counting fetches.
    struct Keys(RwLock<Jwks>, AtomicUsize);

    impl Keys {
        /// A source serving `key` alone, fetched never yet.
        fn serving(key: &SigningKey) -> Arc<Self> {
            Arc::new(Keys(
                RwLock::new(Jwks {
                    keys: vec![key.jwk()],
                }),
                AtomicUsize::new(0),
            ))
        }
    }

    impl KeySource for Keys {
        fn fetch(&self) -> BoxFuture<'_, Result<Jwks, String>> {
            self.1.fetch_add(1, Ordering::SeqCst);
            let jwks = self.0.read().unwrap().clone();
            Box::pin(async move { Ok(jwks) })
        }

        fn cutoffs(&self) -> BoxFuture<'_, Result<Vec<Cutoff>, String>> {
            let cutoffs = CUTOFFS.read().unwrap().clone();
            Box::pin(async move { Ok(cutoffs) })
        }
    }

    /// The cut-offs the test's sources answer (one test sets them).
    static CUTOFFS: RwLock<Vec<Cutoff>> = RwLock::new(Vec::new());

    #[tokio::test]
    async fn tokens_issued_before_an_accounts_cutoff_are_refused_but_the_kept_sign_in() {
        let key = SigningKey::generate();
        let source = Keys::serving(&key);
        let verifier = Verifier::new("iss", "aud", source);
        let account = Uuid::now_v7();
        let (kept, other) = (Uuid::now_v7(), Uuid::now_v7());
        let signed = |sid: Uuid| token_of(&key, account, Some(sid));
        let (before_kept, before_other) = (signed(kept), signed(other));
        assert!(
            verifier.verify(&before_other).await.is_ok(),
            "no cut-off yet"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
        CUTOFFS.write().unwrap().push(Cutoff {
            account_id: account,
            cut_at: Clock::system().now(),
            keep_session: Some(kept),
        });
        tokio::time::sleep(Duration::from_millis(5)).await;
        let after = signed(other);
        // Known once fetched (the verifier fetches every CUTOFF_REFRESH; forced here).
        verifier.cutoffs.write().unwrap().1 = None;
        assert!(matches!(
            verifier.verify(&before_other).await,
            Err(TokenError::Revoked)
        ));
        assert!(
            verifier.verify(&before_kept).await.is_ok(),
            "the kept sign-in"
        );
        assert!(
            verifier.verify(&after).await.is_ok(),
            "issued after the cut-off"
        );
        let stranger = token(&key);
        assert!(verifier.verify(&stranger).await.is_ok(), "another account");
    }

    fn token(key: &SigningKey) -> String {
        token_of(key, Uuid::now_v7(), None)
    }

    /// A token of account `sub`, of sign-in `sid`, valid for a minute.
    fn token_of(key: &SigningKey, sub: Uuid, sid: Option<Uuid>) -> String {
        let now = Clock::system().now().timestamp();
        key.sign(&Claims {
            iss: "iss".into(),
            aud: "aud".into(),
            sub,
            iat: now,
            exp: now + 60,
            jti: Uuid::now_v7(),
            kind: AccountKind::Citizen,
            rnl: 1,
            roles: vec![],
            client_id: None,
            sid,
            pwd: false,
        })
    }

    #[tokio::test]
    async fn a_verified_token_is_remembered_but_a_forged_one_never_is() {
        let key = SigningKey::generate();
        let source = Keys::serving(&key);
        let verifier = Verifier::new("iss", "aud", source.clone());
        let genuine = token(&key);
        assert!(verifier.verify(&genuine).await.is_ok());

        // With the key gone from the source and the cache forced stale, the remembered token
        // still verifies: its signature is not checked again.
        source.0.write().unwrap().keys.clear();
        verifier.cache.write().unwrap().fetched_at = None;
        assert!(verifier.verify(&genuine).await.is_ok());

        // A forged token (same payload, wrong signature) is verified in full and refused.
        let parts: Vec<&str> = genuine.split('.').collect();
        let forged = format!(
            "{}.{}.{}",
            parts[0],
            parts[1],
            &parts[2][..parts[2].len() - 2]
        );
        assert!(verifier.verify(&forged).await.is_err());
        assert!(verifier.remembered(&forged).is_none());
    }

    #[tokio::test]
    async fn a_stale_key_set_met_by_many_requests_at_once_is_fetched_once() {
        let key = SigningKey::generate();
        let source = Keys::serving(&key);
        let verifier = Verifier::new("iss", "aud", source.clone())
            .with_timing(Duration::from_millis(1), Duration::from_secs(1));
        assert!(verifier.verify(&token(&key)).await.is_ok());
        tokio::time::sleep(Duration::from_millis(5)).await;

        // Twenty different tokens (none remembered) all find the keys stale.
        let tokens: Vec<String> = (0..20).map(|_| token(&key)).collect();
        let outcomes = futures::future::join_all(tokens.iter().map(|t| verifier.verify(t))).await;

        assert!(outcomes.iter().all(Result::is_ok));
        assert_eq!(
            source.1.load(Ordering::SeqCst),
            2,
            "one fetch for the start, one for the burst"
        );
    }

    #[tokio::test]
    async fn a_rotated_in_key_is_picked_up_and_made_up_key_ids_do_not_flood_the_source() {
        let old = SigningKey::generate();
        let source = Keys::serving(&old);
        let verifier = Verifier::new("iss", "aud", source.clone())
            .with_timing(Duration::from_secs(300), Duration::from_millis(200));
        assert!(verifier.verify(&token(&old)).await.is_ok());
        assert_eq!(source.1.load(Ordering::SeqCst), 1);

        // Rotation: the JWKS now has both keys; tokens of the new one verify without a restart,
        // tokens of the old one still do.
        let new = SigningKey::generate();
        source.0.write().unwrap().keys.push(new.jwk());
        assert!(
            verifier.verify(&token(&new)).await.is_ok(),
            "no wait for the caller's retry"
        );
        assert!(verifier.verify(&token(&old)).await.is_ok());
        assert_eq!(source.1.load(Ordering::SeqCst), 2);

        // A burst of tokens with a made-up key id: one more fetch, shared by all of them.
        let stranger = SigningKey::generate();
        let stranger_token = token(&stranger);
        let burst = (0..50).map(|_| verifier.verify(&stranger_token));
        for outcome in futures::future::join_all(burst).await {
            assert_eq!(outcome, Err(TokenError::UnknownKey(stranger.kid.clone())));
        }
        assert_eq!(source.1.load(Ordering::SeqCst), 3);
    }
}
