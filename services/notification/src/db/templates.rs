//! Message templates, versioned per kind and locale: saving adds a version (checked against the
//! kind's variables first), the highest version is in use, earlier ones stay for the messages
//! rendered from them.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sqlx::PgPool;
use utoipa::ToSchema;

use tongban_kernel::region::RegionLevel;
use tongban_kernel::{Error, Power, Principal};

use crate::domain::{self, Kind, Value, Variable};

/// One version of a template.
#[derive(Debug, Clone, Serialize, ToSchema, sqlx::FromRow)]
pub struct Template {
    pub key: String,
    pub locale: String,
    pub version: i32,
    pub subject: String,
    pub body: String,
    pub saved_by: Option<uuid::Uuid>,
    pub saved_at: DateTime<Utc>,
}

/// A kind of message with its variables and the versions of its templates in use.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct KindTemplates {
    pub key: &'static str,
    /// The event (CloudEvents type) that raises it.
    pub event_type: &'static str,
    pub variables: Vec<Variable>,
    /// The version in use per locale.
    pub templates: Vec<Template>,
}

fn kind_of(key: &str) -> Result<&'static Kind, Error> {
    domain::kind(key).ok_or_else(|| Error::NotFound(format!("template {key}")))
}

fn check_locale(locale: &str) -> Result<(), Error> {
    if domain::LOCALES.contains(&locale) {
        Ok(())
    } else {
        Err(Error::bad_request("locale", domain::LOCALES.join(" or ")))
    }
}

/// Every kind of message with the templates in use.
pub async fn list(pool: &PgPool) -> Result<Vec<KindTemplates>, Error> {
    let current: Vec<Template> = sqlx::query_as(
        "select distinct on (key, locale) key, locale, version, subject, body, saved_by, saved_at
         from templates order by key, locale, version desc",
    )
    .fetch_all(pool)
    .await?;
    Ok(domain::KINDS
        .iter()
        .map(|kind| KindTemplates {
            key: kind.key,
            event_type: kind.event_type,
            variables: kind.variables.to_vec(),
            templates: current
                .iter()
                .filter(|t| t.key == kind.key)
                .cloned()
                .collect(),
        })
        .collect())
}

/// Every version of the template of `key` in `locale`, newest first.
pub async fn versions(pool: &PgPool, key: &str, locale: &str) -> Result<Vec<Template>, Error> {
    kind_of(key)?;
    check_locale(locale)?;
    Ok(sqlx::query_as(
        "select key, locale, version, subject, body, saved_by, saved_at from templates
         where key = $1 and locale = $2 order by version desc",
    )
    .bind(key)
    .bind(locale)
    .fetch_all(pool)
    .await?)
}

/// A template's text.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TemplateText {
    /// 1-100 characters; may use the kind's variables as `{{name}}`.
    pub subject: String,
    /// 1-1,000 characters; may use the kind's variables as `{{name}}`.
    pub body: String,
}

/// Templates are the platform's voice to every applicant: a catalogue administrator of a
/// province words them.
pub(crate) fn require_editor(principal: &Principal) -> Result<(), Error> {
    if principal
        .bindings_for_power(Power::EditCatalogue)
        .any(|b| b.region.level() == RegionLevel::Province)
    {
        Ok(())
    } else {
        Err(Error::Forbidden(
            "templates are worded by a province's catalogue administrators".into(),
        ))
    }
}

/// Saves a new version of the template of `key` in `locale`, after checking it uses only the
/// kind's variables (422 naming the unknown one). New messages use it at once.
pub async fn save(
    pool: &PgPool,
    principal: &Principal,
    key: &str,
    locale: &str,
    text: &TemplateText,
) -> Result<Template, Error> {
    let kind = kind_of(key)?;
    check_locale(locale)?;
    require_editor(principal)?;
    domain::check(kind, &text.subject, &text.body)?;
    let mut tx = pool.begin().await?;
    // One saver at a time per template: the next version number is taken under the lock.
    sqlx::query("select pg_advisory_xact_lock(hashtext($1 || '/' || $2))")
        .bind(key)
        .bind(locale)
        .execute(&mut *tx)
        .await?;
    let saved: Template = sqlx::query_as(
        "insert into templates (key, locale, version, subject, body, saved_by)
         select $1, $2, coalesce(max(version), 0) + 1, $3, $4, $5
         from templates where key = $1 and locale = $2
         returning key, locale, version, subject, body, saved_by, saved_at",
    )
    .bind(key)
    .bind(locale)
    .bind(text.subject.trim())
    .bind(text.body.trim())
    .bind(principal.account)
    .fetch_one(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(saved)
}

/// What a preview renders: a draft text (else the version in use) with given values (else the
/// kind's samples).
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PreviewRequest {
    pub subject: Option<String>,
    pub body: Option<String>,
    /// Values by variable name, as text (dates as ISO dates); each must fit its type.
    #[serde(default)]
    pub values: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Preview {
    pub subject: String,
    pub body: String,
}

/// Renders a template as a message would read, without saving anything.
pub async fn preview(
    pool: &PgPool,
    key: &str,
    locale: &str,
    request: &PreviewRequest,
) -> Result<Preview, Error> {
    let kind = kind_of(key)?;
    check_locale(locale)?;
    let current = crate::db::messages::latest_template(&mut *pool.acquire().await?, key, locale)
        .await?
        .map(|(_, subject, body)| (subject, body))
        .unwrap_or_default();
    let subject = request.subject.clone().unwrap_or(current.0);
    let body = request.body.clone().unwrap_or(current.1);
    domain::check(kind, &subject, &body)?;
    let mut values = domain::samples(kind);
    for (name, text) in &request.values {
        let variable = kind
            .variables
            .iter()
            .find(|v| v.name == name)
            .ok_or_else(|| {
                Error::unprocessable(format!("values.{name}"), format!("not a variable of {key}"))
            })?;
        let value = Value::parse(variable.ty, text).ok_or_else(|| {
            Error::bad_request(
                format!("values.{name}"),
                format!("not a {:?} value", variable.ty).to_lowercase(),
            )
        })?;
        values.insert(variable.name, value);
    }
    Ok(Preview {
        subject: domain::render(&subject, &values, locale),
        body: domain::render(&body, &values, locale),
    })
}
