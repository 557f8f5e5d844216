//! Role bindings: granted and revoked, each with its event.

use chrono::{DateTime, Utc};
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

use tongban_bus::outbox::{self, Subject};
use tongban_events::identity::v1 as events;
use tongban_events::timestamp;
use tongban_kernel::{Error, Role, RoleBinding};

/// A live role binding with its id.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct Binding {
    pub id: Uuid,
    #[serde(flatten)]
    pub binding: RoleBinding,
    pub granted_at: DateTime<Utc>,
}

#[derive(sqlx::FromRow)]
struct BindingRow {
    id: Uuid,
    role: String,
    region_code: String,
    department_id: Option<Uuid>,
    granted_at: DateTime<Utc>,
}

impl TryFrom<BindingRow> for Binding {
    type Error = Error;
    fn try_from(row: BindingRow) -> Result<Self, Error> {
        Ok(Binding {
            id: row.id,
            binding: RoleBinding {
                role: row.role.parse::<Role>().map_err(Error::internal)?,
                region: row.region_code.parse().map_err(Error::internal)?,
                department: row.department_id,
            },
            granted_at: row.granted_at,
        })
    }
}

pub async fn roles(pool: &PgPool, account: Uuid) -> Result<Vec<Binding>, Error> {
    let rows: Vec<BindingRow> = sqlx::query_as(
        "select id, role, region_code, department_id, granted_at from role_bindings
         where account_id = $1 and revoked_at is null order by granted_at",
    )
    .bind(account)
    .fetch_all(pool)
    .await?;
    rows.into_iter().map(Binding::try_from).collect()
}

#[derive(sqlx::FromRow)]
struct AccountBindingRow {
    account_id: Uuid,
    #[sqlx(flatten)]
    binding: BindingRow,
}

/// The live bindings of `accounts`, each with its account, oldest first.
pub async fn roles_of(pool: &PgPool, accounts: &[Uuid]) -> Result<Vec<(Uuid, Binding)>, Error> {
    let rows: Vec<AccountBindingRow> = sqlx::query_as(
        "select account_id, id, role, region_code, department_id, granted_at from role_bindings
         where account_id = any($1) and revoked_at is null order by granted_at",
    )
    .bind(accounts)
    .fetch_all(pool)
    .await?;
    rows.into_iter()
        .map(|row| Ok((row.account_id, Binding::try_from(row.binding)?)))
        .collect()
}

/// Grants `binding` to `account` with its `RoleGranted` event, in the caller's transaction.
pub async fn grant(
    tx: &mut PgConnection,
    account: Uuid,
    binding: &RoleBinding,
    by: Option<Uuid>,
) -> Result<Binding, Error> {
    let row: BindingRow = sqlx::query_as(
        "insert into role_bindings (id, account_id, role, region_code, department_id, granted_by)
         values ($1, $2, $3, $4, $5, $6)
         returning id, role, region_code, department_id, granted_at",
    )
    .bind(Uuid::now_v7())
    .bind(account)
    .bind(binding.role.as_str())
    .bind(binding.region.as_str())
    .bind(binding.department)
    .bind(by)
    .fetch_one(&mut *tx)
    .await
    .map_err(|err| {
        Error::conflict_on(
            err,
            &[(
                "role_bindings_live_key",
                "role_exists",
                "the account already holds this role there",
            )],
        )
    })?;
    let granted = Binding::try_from(row)?;
    let key = account.to_string();
    let event = events::RoleGranted {
        account_id: key.clone(),
        binding_id: granted.id.to_string(),
        role: binding.role.as_str().to_owned(),
        region_code: binding.region.to_string(),
        department_id: binding
            .department
            .map(|d| d.to_string())
            .unwrap_or_default(),
        granted_by: by.map(|u| u.to_string()).unwrap_or_default(),
        granted_at: Some(timestamp(granted.granted_at)),
    };
    let about = Subject {
        key: &key,
        subject: None,
        regions: vec![binding.region.to_string()],
    };
    outbox::enqueue(tx, &about, &event).await?;
    let detail = serde_json::json!({ "binding_id": granted.id, "role": event.role,
        "region_code": event.region_code, "department_id": binding.department });
    let at = granted.granted_at;
    crate::db::audit(tx, by, "role_granted", &key, detail, at).await?;
    Ok(granted)
}

/// The live binding `binding_id` of `account`.
pub async fn binding(
    pool: &PgPool,
    account: Uuid,
    binding_id: Uuid,
) -> Result<Option<Binding>, Error> {
    let row: Option<BindingRow> = sqlx::query_as(
        "select id, role, region_code, department_id, granted_at from role_bindings
         where id = $1 and account_id = $2 and revoked_at is null",
    )
    .bind(binding_id)
    .bind(account)
    .fetch_optional(pool)
    .await?;
    row.map(Binding::try_from).transpose()
}

/// Revokes a live binding with its `RoleRevoked` event.
pub async fn revoke(
    pool: &PgPool,
    account: Uuid,
    binding: &Binding,
    by: Uuid,
) -> Result<(), Error> {
    let mut tx = pool.begin().await?;
    let revoked_at: Option<DateTime<Utc>> = sqlx::query_scalar(
        "update role_bindings set revoked_at = now(), revoked_by = $3
         where id = $1 and account_id = $2 and revoked_at is null returning revoked_at",
    )
    .bind(binding.id)
    .bind(account)
    .bind(by)
    .fetch_optional(&mut *tx)
    .await?;
    let Some(revoked_at) = revoked_at else {
        return Err(Error::NotFound(format!("role binding {}", binding.id)));
    };
    // The role is gone from every token now, not at their expiry: the account's tokens are
    // refused everywhere within a minute (its refresh tokens give new ones without the role).
    super::lifecycle::cut_tokens(&mut tx, account, None).await?;
    let key = account.to_string();
    let event = events::RoleRevoked {
        account_id: key.clone(),
        binding_id: binding.id.to_string(),
        role: binding.binding.role.as_str().to_owned(),
        region_code: binding.binding.region.to_string(),
        department_id: binding
            .binding
            .department
            .map(|d| d.to_string())
            .unwrap_or_default(),
        revoked_by: by.to_string(),
        revoked_at: Some(timestamp(revoked_at)),
    };
    let about = Subject {
        key: &key,
        subject: None,
        regions: vec![binding.binding.region.to_string()],
    };
    outbox::enqueue(&mut tx, &about, &event).await?;
    let detail = serde_json::json!({ "binding_id": binding.id, "role": event.role,
        "region_code": event.region_code, "department_id": binding.binding.department });
    crate::db::audit(&mut tx, Some(by), "role_revoked", &key, detail, revoked_at).await?;
    tx.commit().await?;
    Ok(())
}

/// Whether any live identity administrator exists (for the first-start bootstrap).
pub async fn any_identity_admin(pool: &PgPool) -> Result<bool, Error> {
    Ok(sqlx::query_scalar(
        "select exists (select 1 from role_bindings where role = 'identity_admin' and revoked_at is null)",
    )
    .fetch_one(pool)
    .await?)
}
