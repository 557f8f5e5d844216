//! Queries of the `identity` schema.

pub mod accounts;
pub mod challenges;
pub mod duties;
pub mod tokens;

/// Appends an administrator's action to identity's audit chain in the action's transaction:
/// role grants and revocations, accounts disabled and enabled, separation-of-duties exceptions
/// granted and ended (tongban_audit).
pub(crate) async fn audit(
    tx: &mut sqlx::PgConnection,
    by: Option<uuid::Uuid>,
    action: &str,
    subject: &str,
    detail: serde_json::Value,
    at: chrono::DateTime<chrono::Utc>,
) -> Result<(), sqlx::Error> {
    let action = tongban_audit::Action {
        actor: by,
        action,
        subject,
        detail: &detail,
        at,
    };
    tongban_audit::append(tx, action).await.map(|_| ())
}
