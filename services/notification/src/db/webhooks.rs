//! Webhook subscriptions of partner systems: which event types each receives, at which URL,
//! signed with its own secret (shown once, when the subscription is made).

use chrono::{DateTime, Utc};
use rand::Rng;
use serde::{Deserialize, Serialize};
use sqlx::PgPool;
use utoipa::ToSchema;
use uuid::Uuid;

use tongban_kernel::region::RegionLevel;
use tongban_kernel::{Error, Power, Principal};

use crate::outbound::Outbound;

/// A subscription as its administrators see it (the secret is shown only when made).
#[derive(Debug, Clone, Serialize, ToSchema, sqlx::FromRow)]
pub struct Webhook {
    pub id: Uuid,
    pub name: String,
    pub url: String,
    pub event_types: Vec<String>,
    pub enabled: bool,
    pub created_at: DateTime<Utc>,
}

/// A new subscription, with the secret its receiver verifies signatures with.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Created {
    #[serde(flatten)]
    pub webhook: Webhook,
    /// HMAC-SHA256 key of `X-Tongban-Signature` (`t=<unix seconds>,v1=<hex of
    /// HMAC(secret, "<t>.<body>")>`). Shown this once.
    pub secret: String,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewWebhook {
    /// Who receives it (1-100 characters).
    pub name: String,
    /// http(s) URL the events are POSTed to (at most 500 characters).
    pub url: String,
    /// CloudEvents types to receive (`cn.tongban.acceptance.case_accepted.v1` ...), 1-20.
    pub event_types: Vec<String>,
}

/// Partner systems are connected by a province's identity administrators.
fn require_admin(principal: &Principal) -> Result<(), Error> {
    if principal
        .bindings_for_power(Power::ManageAccounts)
        .any(|b| b.region.level() == RegionLevel::Province)
    {
        Ok(())
    } else {
        Err(Error::Forbidden(
            "webhooks are connected by a province's identity administrators".into(),
        ))
    }
}

const COLUMNS: &str = "id, name, url, event_types, enabled, created_at";

/// Where webhook secrets are kept, sealed under the KEK (the sender opens them to sign).
pub const SEALED: tongban_vault::store::Column = tongban_vault::store::Column {
    schema: "notification",
    table: "webhooks",
    key: "id",
    column: "sealed_secret",
};

/// Seals the secrets stored as they are (before secrets were sealed) and forgets their plain
/// form. Run at start.
pub async fn seal_plaintext(pool: &PgPool, vault: &tongban_vault::Vault) -> Result<u64, Error> {
    let plain = tongban_vault::store::Plain::Text("secret");
    Ok(tongban_vault::store::seal_plaintext(pool, vault, &SEALED, plain).await?)
}

pub async fn create(
    pool: &PgPool,
    vault: &tongban_vault::Vault,
    outbound: &Outbound,
    principal: &Principal,
    input: &NewWebhook,
) -> Result<Created, Error> {
    require_admin(principal)?;
    let name = input.name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(Error::bad_request("name", "must be 1 to 100 characters"));
    }
    let url = reqwest::Url::parse(input.url.trim())
        .ok()
        .filter(|u| ["http", "https"].contains(&u.scheme()) && u.host().is_some())
        .filter(|_| input.url.len() <= 500)
        .ok_or_else(|| Error::bad_request("url", "an http(s) URL of at most 500 characters"))?;
    outbound.check("url", &url).await?;
    if input.event_types.is_empty() || input.event_types.len() > 20 {
        return Err(Error::bad_request(
            "event_types",
            "list 1 to 20 event types",
        ));
    }
    for (n, kind) in input.event_types.iter().enumerate() {
        if !crate::events::cases::TYPES.contains(&kind.as_str()) {
            return Err(Error::unprocessable(
                format!("event_types[{n}]"),
                format!(
                    "{kind} is not an event sent to partners; one of {}",
                    crate::events::cases::TYPES.join(", ")
                ),
            ));
        }
    }
    let secret = hex::encode(rand::thread_rng().r#gen::<[u8; 32]>());
    let id = Uuid::now_v7();
    let webhook: Webhook = sqlx::query_as(&format!(
        "insert into webhooks (id, name, url, sealed_secret, event_types, created_by)
         values ($1, $2, $3, $4, $5, $6) returning {COLUMNS}"
    ))
    .bind(id)
    .bind(name)
    .bind(url.as_str())
    .bind(vault.seal(&SEALED.context(&id.to_string()), secret.as_bytes()))
    .bind(&input.event_types)
    .bind(principal.account)
    .fetch_one(pool)
    .await?;
    Ok(Created { webhook, secret })
}

pub async fn list(pool: &PgPool, principal: &Principal) -> Result<Vec<Webhook>, Error> {
    require_admin(principal)?;
    Ok(sqlx::query_as(&format!(
        "select {COLUMNS} from webhooks order by created_at"
    ))
    .fetch_all(pool)
    .await?)
}

/// Stops a subscription: nothing new is sent to it (what is queued still goes).
pub async fn disable(pool: &PgPool, principal: &Principal, id: Uuid) -> Result<Webhook, Error> {
    require_admin(principal)?;
    sqlx::query_as(&format!(
        "update webhooks set enabled = false where id = $1 returning {COLUMNS}"
    ))
    .bind(id)
    .fetch_optional(pool)
    .await?
    .ok_or_else(|| Error::NotFound(format!("webhook {id}")))
}

/// One message to a subscription, with its attempts.
#[derive(Debug, Clone, Serialize, ToSchema, sqlx::FromRow)]
pub struct Delivery {
    pub message_id: Uuid,
    pub event_id: Uuid,
    pub event_type: String,
    /// queued, sent, delivered, failed_temporary (to be retried) or failed_permanent.
    pub status: String,
    pub attempts: i32,
    pub last_error: Option<String>,
    pub next_attempt_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub delivered_at: Option<DateTime<Utc>>,
}

/// The subscription's latest messages (at most 100), newest first.
pub async fn deliveries(
    pool: &PgPool,
    principal: &Principal,
    id: Uuid,
) -> Result<Vec<Delivery>, Error> {
    require_admin(principal)?;
    let exists: bool = sqlx::query_scalar("select exists (select 1 from webhooks where id = $1)")
        .bind(id)
        .fetch_one(pool)
        .await?;
    if !exists {
        return Err(Error::NotFound(format!("webhook {id}")));
    }
    Ok(sqlx::query_as(
        "select id as message_id, event_id, event_type, status, attempts, last_error,
             next_attempt_at, created_at, delivered_at
         from messages where channel = 'webhook' and recipient_id = $1
         order by created_at desc, id desc limit 100",
    )
    .bind(id)
    .fetch_all(pool)
    .await?)
}
