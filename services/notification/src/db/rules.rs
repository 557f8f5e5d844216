//! The rules: which event reaches whom through which channels. They ship in the schema; a
//! province's catalogue administrator changes their recipients, channels, urgency, or turns one
//! off. New events follow the change at once.

use serde::{Deserialize, Serialize};
use sqlx::PgPool;
use utoipa::ToSchema;
use uuid::Uuid;

use tongban_kernel::{Error, Principal};

use crate::domain;

#[derive(Debug, Clone, Serialize, ToSchema, sqlx::FromRow)]
pub struct Rule {
    pub id: Uuid,
    /// The event (CloudEvents type) it reacts to.
    pub event_type: String,
    /// The template (kind of message) it renders.
    pub template: String,
    /// applicant, handlers, handling_clerks, receiving_clerks, supervisors,
    /// receiving_supervisors.
    pub recipients: Vec<String>,
    /// inbox, sms, email.
    pub channels: Vec<String>,
    /// Urgent messages go at any hour and past the hourly limit.
    pub urgent: bool,
    pub enabled: bool,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RuleChange {
    pub recipients: Vec<String>,
    pub channels: Vec<String>,
    pub urgent: bool,
    pub enabled: bool,
}

const COLUMNS: &str = "id, event_type, template, recipients, channels, urgent, enabled";

/// The channels a rule may name (webhooks are subscriptions of their own).
const CHANNELS: [&str; 3] = ["inbox", "sms", "email"];

pub async fn list(pool: &PgPool) -> Result<Vec<Rule>, Error> {
    Ok(
        sqlx::query_as(&format!("select {COLUMNS} from rules order by template"))
            .fetch_all(pool)
            .await?,
    )
}

fn check(field: &str, values: &[String], allowed: &[&str]) -> Result<(), Error> {
    if values.is_empty() {
        return Err(Error::bad_request(field, "name at least one"));
    }
    for (n, value) in values.iter().enumerate() {
        if !allowed.contains(&value.as_str()) {
            return Err(Error::bad_request(
                format!("{field}[{n}]"),
                format!("one of {}", allowed.join(", ")),
            ));
        }
    }
    Ok(())
}

pub async fn change(
    pool: &PgPool,
    principal: &Principal,
    id: Uuid,
    change: &RuleChange,
) -> Result<Rule, Error> {
    crate::db::templates::require_editor(principal)?;
    check("recipients", &change.recipients, &domain::RECIPIENTS)?;
    check("channels", &change.channels, &CHANNELS)?;
    let mut recipients = change.recipients.clone();
    recipients.sort_unstable();
    recipients.dedup();
    let mut channels = change.channels.clone();
    channels.sort_unstable();
    channels.dedup();
    sqlx::query_as(&format!(
        "update rules set recipients = $2, channels = $3, urgent = $4, enabled = $5
         where id = $1 returning {COLUMNS}"
    ))
    .bind(id)
    .bind(&recipients)
    .bind(&channels)
    .bind(change.urgent)
    .bind(change.enabled)
    .fetch_optional(pool)
    .await?
    .ok_or_else(|| Error::NotFound(format!("rule {id}")))
}
