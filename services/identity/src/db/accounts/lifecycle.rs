//! An account's life-cycle: disabled and enabled by an administrator, its password changed by
//! its holder or set (temporarily) by an administrator, and the cut-off before which its tokens
//! are refused everywhere (`session_cutoffs`, published to every verifier).

use chrono::{DateTime, Utc};
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

use tongban_auth::verifier::Cutoff;
use tongban_bus::outbox::{self, Subject};
use tongban_events::identity::v1 as events;
use tongban_events::{Event, timestamp};
use tongban_kernel::Error;

/// Ends the account's sign-ins now, except `keep` (a refresh-token family, the sign-in that
/// asked): its refresh tokens are revoked, and its access tokens issued before now are refused
/// by every verifier once they fetch the cut-offs (within a minute).
pub async fn cut_sessions(
    tx: &mut PgConnection,
    account: Uuid,
    keep: Option<Uuid>,
) -> Result<(), Error> {
    sqlx::query(
        "update refresh_tokens set revoked_at = now()
         where account_id = $1 and revoked_at is null and family_id is distinct from $2",
    )
    .bind(account)
    .bind(keep)
    .execute(&mut *tx)
    .await?;
    cut_tokens(tx, account, keep).await
}

/// Refuses the account's access tokens issued before now (every verifier, within a minute),
/// except those of sign-in `keep`; its sign-ins go on: a refresh gives a token that says what
/// holds now (a role revoked is gone from it).
pub async fn cut_tokens(
    tx: &mut PgConnection,
    account: Uuid,
    keep: Option<Uuid>,
) -> Result<(), Error> {
    sqlx::query(
        "insert into session_cutoffs (account_id, cut_at, keep_session) values ($1, clock_timestamp(), $2)
         on conflict (account_id) do update set cut_at = excluded.cut_at, keep_session = excluded.keep_session",
    )
    .bind(account)
    .bind(keep)
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// The cut-offs made within `within_secs` (older ones concern only expired tokens).
pub async fn cutoffs(pool: &PgPool, within_secs: i64) -> Result<Vec<Cutoff>, Error> {
    let rows: Vec<(Uuid, DateTime<Utc>, Option<Uuid>)> = sqlx::query_as(
        "select account_id, cut_at, keep_session from session_cutoffs
         where cut_at > now() - make_interval(secs => $1) order by cut_at",
    )
    .bind(within_secs as f64)
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(account_id, cut_at, keep_session)| Cutoff {
            account_id,
            cut_at,
            keep_session,
        })
        .collect())
}

pub(super) async fn publish<E: Event>(
    tx: &mut PgConnection,
    account: Uuid,
    event: &E,
) -> Result<(), Error> {
    let key = account.to_string();
    let region: Option<String> =
        sqlx::query_scalar("select region_code from accounts where id = $1")
            .bind(account)
            .fetch_one(&mut *tx)
            .await?;
    let about = Subject {
        key: &key,
        subject: None,
        regions: region.into_iter().collect(),
    };
    outbox::enqueue(tx, &about, event).await?;
    Ok(())
}

/// Disables (`true`) or enables the account; 409 when it already is. Disabling ends every
/// sign-in of the account.
pub async fn set_disabled(
    pool: &PgPool,
    account: Uuid,
    disabled: bool,
    by: Uuid,
) -> Result<(), Error> {
    let mut tx = pool.begin().await?;
    let changed: Option<DateTime<Utc>> = sqlx::query_scalar(
        "update accounts set disabled_at = case when $2 then now() end,
             disabled_by = case when $2 then $3 end
         where id = $1 and (disabled_at is not null) <> $2 returning now()",
    )
    .bind(account)
    .bind(disabled)
    .bind(by)
    .fetch_optional(&mut *tx)
    .await?;
    let Some(at) = changed else {
        return Err(Error::Conflict {
            code: if disabled {
                "already_disabled"
            } else {
                "not_disabled"
            },
            message: format!(
                "the account is {}",
                if disabled {
                    "disabled already"
                } else {
                    "not disabled"
                }
            ),
        });
    };
    if disabled {
        cut_sessions(&mut tx, account, None).await?;
        let event = events::AccountDisabled {
            account_id: account.to_string(),
            disabled_by: by.to_string(),
            disabled_at: Some(timestamp(at)),
        };
        publish(&mut tx, account, &event).await?;
    } else {
        let event = events::AccountEnabled {
            account_id: account.to_string(),
            enabled_by: by.to_string(),
            enabled_at: Some(timestamp(at)),
        };
        publish(&mut tx, account, &event).await?;
    }
    let action = if disabled {
        "account_disabled"
    } else {
        "account_enabled"
    };
    let subject = account.to_string();
    let detail = serde_json::json!({});
    crate::db::audit(&mut tx, Some(by), action, &subject, detail, at).await?;
    tx.commit().await?;
    Ok(())
}

/// Sets the account's password hash. By its holder (`temporary` false, `keep` their sign-in):
/// every other sign-in ends. By an administrator (`temporary` true): every sign-in ends, and
/// the holder must change it before doing anything else.
pub async fn set_password(
    pool: &PgPool,
    account: Uuid,
    hash: &str,
    temporary: bool,
    by: Uuid,
    keep: Option<Uuid>,
) -> Result<(), Error> {
    let mut tx = pool.begin().await?;
    let at: DateTime<Utc> = sqlx::query_scalar(
        "update accounts set password_hash = $2, password_temporary = $3,
             password_changed_at = now(), failed_logins = 0, locked_until = null
         where id = $1 returning now()",
    )
    .bind(account)
    .bind(hash)
    .bind(temporary)
    .fetch_optional(&mut *tx)
    .await?
    .ok_or_else(|| Error::NotFound(format!("account {account}")))?;
    cut_sessions(&mut tx, account, keep).await?;
    let event = events::PasswordChanged {
        account_id: account.to_string(),
        changed_by: by.to_string(),
        temporary,
        changed_at: Some(timestamp(at)),
    };
    publish(&mut tx, account, &event).await?;
    tx.commit().await?;
    Ok(())
}
