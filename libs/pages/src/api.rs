//! The services' public APIs, called with the signed-in person's token. A site decides nothing
//! a service decides: what a page shows is what the service answered that person, and a
//! refusal is shown in the service's own words (which field, and why).

use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde::Serialize;
use serde::de::DeserializeOwned;

use tongban_runtime::Settings;

/// How long a page waits for one service call.
const CALL_TIMEOUT: Duration = Duration::from_secs(10);

/// A service behind the pages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Service {
    Identity,
    Catalogue,
    Acceptance,
    Approval,
    Crossregion,
    /// The inbox of messages an applicant is sent (站内信).
    Notification,
    /// Service centres' bookings, tickets and calls.
    Hall,
}

impl Service {
    /// The component's name (`tongban serve <name>`, its Service `tongban-<name>`).
    pub fn name(self) -> &'static str {
        match self {
            Self::Identity => "identity",
            Self::Catalogue => "catalogue",
            Self::Acceptance => "acceptance",
            Self::Approval => "approval",
            Self::Crossregion => "crossregion",
            Self::Notification => "notification",
            Self::Hall => "hall",
        }
    }
}

/// A service's refusal (its 4xx body), or a service out of reach.
#[derive(Debug, Clone)]
pub enum Failure {
    /// The service answered 4xx with its error body.
    Refused(Refusal),
    /// No answer, a 5xx, or an answer that is not what the API documents.
    Unavailable(String),
}

/// The platform's error body, with the status it came with.
#[derive(Debug, Clone, serde::Deserialize)]
pub struct Refusal {
    #[serde(skip, default = "not_found")]
    pub status: StatusCode,
    #[serde(default)]
    pub code: String,
    #[serde(default)]
    pub message: String,
    /// The input field at fault, when the service names one.
    #[serde(default)]
    pub field: Option<String>,
}

impl Refusal {
    /// The refusal in the page's language: the words the catalogue has for its code
    /// (`{family}.{code}`), else for the field it names (`{family}.field.{field}`), else the
    /// service's own message (a refusal the catalogue does not know yet still says why).
    pub fn in_words(&self, t: crate::i18n::T, family: &str) -> String {
        let words = t.code(family, &self.code);
        if words != self.code {
            return words;
        }
        if let Some(field) = &self.field {
            let words = t.code(&format!("{family}.field"), field);
            if words != *field {
                return words;
            }
        }
        self.message.clone()
    }
}

fn not_found() -> StatusCode {
    StatusCode::NOT_FOUND
}

impl Failure {
    /// The field a refusal names, if any (a form shows the message beside it).
    pub fn field(&self) -> Option<&str> {
        match self {
            Self::Refused(refusal) => refusal.field.as_deref(),
            Self::Unavailable(_) => None,
        }
    }

    pub fn status(&self) -> StatusCode {
        match self {
            Self::Refused(refusal) => refusal.status,
            Self::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
        }
    }
}

/// What an OAuth token request gives.
#[derive(Debug, Clone, serde::Deserialize)]
pub struct Tokens {
    pub access_token: String,
    pub expires_in: i64,
    #[serde(default)]
    pub refresh_token: Option<String>,
}

/// The client of the services a site's pages call.
pub struct Api {
    http: reqwest::Client,
    /// The services the site calls (its `CALLS`): the network policies let it reach these and
    /// no others, so a call to another is refused here, where a test finds it, and not by
    /// the network of a cluster.
    calls: &'static [Service],
    identity: String,
    catalogue: String,
    acceptance: String,
    approval: String,
    crossregion: String,
    notification: String,
    hall: String,
}

impl Api {
    /// Calls `calls` where the platform's settings place them (`http.upstreams`).
    pub fn new(settings: &Settings, calls: &'static [Service]) -> anyhow::Result<Self> {
        let base = |name: &str| settings.http.upstream(name).to_owned();
        Ok(Self {
            http: reqwest::Client::builder()
                .timeout(CALL_TIMEOUT)
                .pool_idle_timeout(settings.http.client_idle_timeout())
                .redirect(reqwest::redirect::Policy::none())
                .build()?,
            calls,
            identity: base("identity"),
            catalogue: base("catalogue"),
            acceptance: base("acceptance"),
            approval: base("approval"),
            crossregion: base("crossregion"),
            notification: base("notification"),
            hall: base("hall"),
        })
    }

    fn url(&self, service: Service, path: &str) -> Result<String, Failure> {
        if !self.calls.contains(&service) {
            tracing::error!(
                service = service.name(),
                path,
                "a page called a service its site does not list in CALLS"
            );
            return Err(Failure::Unavailable(format!(
                "{} is not among the services this site calls",
                service.name()
            )));
        }
        let base = match service {
            Service::Identity => &self.identity,
            Service::Catalogue => &self.catalogue,
            Service::Acceptance => &self.acceptance,
            Service::Approval => &self.approval,
            Service::Crossregion => &self.crossregion,
            Service::Notification => &self.notification,
            Service::Hall => &self.hall,
        };
        Ok(format!("{base}{path}"))
    }

    /// `GET` `path` (with its query) of `service` as the holder of `token`.
    pub async fn get<T: DeserializeOwned>(
        &self,
        token: &str,
        service: Service,
        path: &str,
    ) -> Result<T, Failure> {
        let request = self.http.get(self.url(service, path)?).bearer_auth(token);
        json(service, request.send().await).await
    }

    /// `GET` `path` of `service` without a token: what the services answer anyone (the
    /// catalogue, a case's progress by its number and password).
    pub async fn public_get<T: DeserializeOwned>(
        &self,
        service: Service,
        path: &str,
    ) -> Result<T, Failure> {
        let request = self.http.get(self.url(service, path)?);
        json(service, request.send().await).await
    }

    /// `method` `path` with a JSON `body` and no token, answered with JSON.
    pub async fn public_send<B: Serialize + ?Sized, T: DeserializeOwned>(
        &self,
        method: Method,
        service: Service,
        path: &str,
        body: &B,
    ) -> Result<T, Failure> {
        let request = self
            .http
            .request(method, self.url(service, path)?)
            .json(body);
        json(service, request.send().await).await
    }

    /// [`Api::public_send`] for an answer whose body does not matter.
    pub async fn public_act<B: Serialize + ?Sized>(
        &self,
        method: Method,
        service: Service,
        path: &str,
        body: &B,
    ) -> Result<(), Failure> {
        let request = self
            .http
            .request(method, self.url(service, path)?)
            .json(body);
        checked(service, request.send().await).await.map(drop)
    }

    /// `method` `path` with a JSON `body`, answered with JSON.
    pub async fn send<B: Serialize + ?Sized, T: DeserializeOwned>(
        &self,
        token: &str,
        method: Method,
        service: Service,
        path: &str,
        body: &B,
    ) -> Result<T, Failure> {
        let request = self
            .http
            .request(method, self.url(service, path)?)
            .bearer_auth(token)
            .json(body);
        json(service, request.send().await).await
    }

    /// [`Api::send`] for an answer whose body does not matter (204, or a view the page does
    /// not show).
    pub async fn act<B: Serialize + ?Sized>(
        &self,
        token: &str,
        method: Method,
        service: Service,
        path: &str,
        body: Option<&B>,
    ) -> Result<(), Failure> {
        let mut request = self
            .http
            .request(method, self.url(service, path)?)
            .bearer_auth(token);
        if let Some(body) = body {
            request = request.json(body);
        }
        checked(service, request.send().await).await.map(drop)
    }

    /// Puts `bytes` of `content_type` at `path` (a material's file).
    pub async fn put_bytes(
        &self,
        token: &str,
        service: Service,
        path: &str,
        content_type: &str,
        bytes: Vec<u8>,
    ) -> Result<(), Failure> {
        let request = self
            .http
            .put(self.url(service, path)?)
            .bearer_auth(token)
            .header(reqwest::header::CONTENT_TYPE, content_type)
            .body(bytes);
        checked(service, request.send().await).await.map(drop)
    }

    /// `POST path` with a JSON `body` and an `Idempotency-Key`, so that a form sent twice (a
    /// double click, a retry) makes one thing; answered with JSON.
    pub async fn create<B: Serialize + ?Sized, T: DeserializeOwned>(
        &self,
        token: &str,
        service: Service,
        path: &str,
        idempotency_key: &str,
        body: &B,
    ) -> Result<T, Failure> {
        let request = self
            .http
            .post(self.url(service, path)?)
            .bearer_auth(token)
            .header("idempotency-key", idempotency_key)
            .json(body);
        json(service, request.send().await).await
    }

    /// The raw answer to `GET path` (a material's file, a printable document), checked for
    /// success.
    pub async fn fetch(
        &self,
        token: &str,
        method: Method,
        service: Service,
        path: &str,
    ) -> Result<reqwest::Response, Failure> {
        let request = self
            .http
            .request(method, self.url(service, path)?)
            .bearer_auth(token);
        checked(service, request.send().await).await
    }

    /// Identity's token endpoint (`password` or `refresh_token` grant).
    pub async fn token(&self, form: &[(&str, &str)]) -> Result<Tokens, Failure> {
        let request = self
            .http
            .post(self.url(Service::Identity, "/v1/oauth/token")?)
            .form(form);
        json(Service::Identity, request.send().await).await
    }

    /// Ends a sign-in at identity (its refresh token); a failure is logged, not shown: the
    /// site's session ends either way.
    pub async fn revoke(&self, refresh_token: &str) {
        let revoked = async {
            let url = self.url(Service::Identity, "/v1/oauth/revoke")?;
            let request = self.http.post(url).form(&[("token", refresh_token)]);
            checked(Service::Identity, request.send().await)
                .await
                .map(drop)
        };
        if let Err(failure) = revoked.await {
            tracing::warn!(?failure, "cannot revoke a sign-in at identity");
        }
    }
}

async fn json<T: DeserializeOwned>(
    service: Service,
    sent: reqwest::Result<reqwest::Response>,
) -> Result<T, Failure> {
    let response = checked(service, sent).await?;
    response.json::<T>().await.map_err(|e| {
        tracing::error!(service = service.name(), error = %e, "an answer the pages cannot read");
        Failure::Unavailable(format!("{}: {e}", service.name()))
    })
}

async fn checked(
    service: Service,
    sent: reqwest::Result<reqwest::Response>,
) -> Result<reqwest::Response, Failure> {
    let response = sent.map_err(|e| {
        tracing::warn!(service = service.name(), error = %e, "service out of reach");
        Failure::Unavailable(format!("{}: {e}", service.name()))
    })?;
    let status = response.status();
    if status.is_success() {
        return Ok(response);
    }
    if status.is_client_error() {
        let mut refusal = response.json::<Refusal>().await.unwrap_or(Refusal {
            status,
            code: String::new(),
            message: String::new(),
            field: None,
        });
        refusal.status = status;
        return Err(Failure::Refused(refusal));
    }
    tracing::warn!(service = service.name(), %status, "service failed");
    Err(Failure::Unavailable(format!(
        "{}: {status}",
        service.name()
    )))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::{Lang, T, Words};

    #[test]
    fn a_site_calls_only_the_services_it_lists() {
        let settings = Settings::load_with(None, Default::default()).unwrap();
        let api = Api::new(&settings, &[Service::Identity, Service::Hall]).unwrap();
        assert_eq!(
            api.url(Service::Hall, "/v1/tickets").unwrap(),
            format!("{}/v1/tickets", settings.http.upstream("hall"))
        );
        let refused = api.url(Service::Notification, "/v1/messages");
        assert!(
            matches!(&refused, Err(Failure::Unavailable(why)) if why.contains("notification")),
            "{refused:?}"
        );
    }

    #[test]
    fn a_refusal_is_told_by_its_code_then_its_field_then_the_services_words() {
        let words: &'static Words = Box::leak(Box::new(Words::parse(
            "x.refused.full = 已约满\nx.refused.field.card = 身份证号不正确\n",
            "x.refused.full = full\nx.refused.field.card = bad card\n",
        )));
        let t = T::new(Lang::Zh, words);
        let refusal = |code: &str, field: Option<&str>| Refusal {
            status: StatusCode::CONFLICT,
            code: code.into(),
            message: "as the service said".into(),
            field: field.map(Into::into),
        };
        assert_eq!(
            refusal("full", Some("card")).in_words(t, "x.refused"),
            "已约满"
        );
        assert_eq!(
            refusal("unprocessable", Some("card")).in_words(t, "x.refused"),
            "身份证号不正确"
        );
        assert_eq!(
            refusal("new", Some("other")).in_words(t, "x.refused"),
            "as the service said"
        );
    }
}
