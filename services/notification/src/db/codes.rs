//! One-time codes identity asks to have texted: one urgent text per code (however often the
//! request is repeated), to the number identity names, rendered in the account's language. The
//! stored text loses the code once it is sent or given up; the code appears on no event.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sqlx::PgPool;
use utoipa::ToSchema;
use uuid::Uuid;

use tongban_kernel::{Error, PhoneNumber};

use crate::domain::{self, Value};

/// What the code is for, and so which template says it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Purpose {
    PhoneVerification,
    Login,
}

impl Purpose {
    fn template(self) -> &'static str {
        match self {
            Self::PhoneVerification => "phone_verification_code",
            Self::Login => "login_code",
        }
    }
}

/// A code to text.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CodeRequest {
    /// The challenge the code belongs to: the same id again sends nothing new.
    pub id: Uuid,
    /// Whose code it is (the language of the text is theirs).
    pub account_id: Uuid,
    /// The number to text it to.
    #[schema(value_type = String, example = "13800138000")]
    pub phone: PhoneNumber,
    pub purpose: Purpose,
    /// 4 to 8 digits.
    pub code: String,
    /// Not sent after this.
    pub expires_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CodeQueued {
    pub message_id: Uuid,
    /// queued, sent, delivered, failed_temporary, failed_permanent.
    pub status: String,
}

/// The type every code message's events carry.
pub const EVENT_TYPE: &str = "one_time_code";

/// Queues the text of `request` as of `now`; the message already made for its id when asked
/// again.
pub async fn queue(
    pool: &PgPool,
    request: &CodeRequest,
    now: DateTime<Utc>,
) -> Result<CodeQueued, Error> {
    let digits = request.code.len();
    if !(4..=8).contains(&digits) || !request.code.bytes().all(|b| b.is_ascii_digit()) {
        return Err(Error::bad_request("code", "4 to 8 digits"));
    }
    if request.expires_at <= now {
        return Err(Error::unprocessable("expires_at", "the code has expired"));
    }
    let mut tx = pool.begin().await?;
    let existing: Option<(Uuid, String)> =
        sqlx::query_as("select id, status from messages where event_id = $1 and channel = 'sms'")
            .bind(request.id)
            .fetch_optional(&mut *tx)
            .await?;
    if let Some((message_id, status)) = existing {
        return Ok(CodeQueued { message_id, status });
    }
    let template = request.purpose.template();
    let locale = crate::db::messages::by_locale(&mut tx, &[request.account_id])
        .await?
        .first()
        .map_or("zh-CN", |(locale, _)| *locale);
    let (version, subject, body) = crate::db::messages::latest_template(&mut tx, template, locale)
        .await?
        .ok_or_else(|| Error::internal(format!("no {template} template in {locale}")))?;
    // Whole minutes, rounded up (a code valid for 300 seconds was made a moment ago).
    let minutes = ((request.expires_at - now).num_seconds() + 59) / 60;
    let text = |code: &str| {
        let values = BTreeMap::from([
            ("code", Value::Text(code.to_owned())),
            ("minutes", Value::Number(minutes)),
        ]);
        domain::render(&body, &values, locale)
    };
    let (message_id, status): (Uuid, String) = sqlx::query_as(
        "insert into messages (id, event_id, event_type, recipient_id, channel, template,
             template_version, locale, subject, body, redacted_body, urgent, status, created_at,
             next_attempt_at, address, expires_at)
         values (gen_random_uuid(), $1, $2, $3, 'sms', $4, $5, $6, $7, $8, $9, true, 'queued',
             $10, $10, $11, $12)
         on conflict on constraint messages_once do update set status = messages.status
         returning id, status",
    )
    .bind(request.id)
    .bind(EVENT_TYPE)
    .bind(request.account_id)
    .bind(template)
    .bind(version)
    .bind(locale)
    .bind(&subject)
    .bind(text(&request.code))
    .bind(text(&"*".repeat(digits)))
    .bind(now)
    .bind(request.phone.as_str())
    .bind(request.expires_at)
    .fetch_one(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(CodeQueued { message_id, status })
}
