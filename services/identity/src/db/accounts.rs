//! Accounts, credentials, lockout and role bindings. Every change commits with its event.

use chrono::{DateTime, Utc};
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

use crate::config::IdentitySettings;
use tongban_bus::outbox::{self, Subject};
use tongban_events::identity::v1 as events;
use tongban_events::timestamp;
use tongban_kernel::{AccountKind, Error, RegionCode, Role, RoleBinding};

/// An account as the API shows it: no secrets, the login masked for people.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct Account {
    pub id: Uuid,
    pub kind: AccountKind,
    /// The sign-in identifier; document numbers are masked.
    pub login: String,
    pub display_name: String,
    pub real_name_level: i16,
    #[schema(value_type = Option<String>)]
    pub region_code: Option<RegionCode>,
    pub department_id: Option<Uuid>,
    pub created_at: DateTime<Utc>,
}

#[derive(sqlx::FromRow)]
struct Row {
    id: Uuid,
    kind: String,
    login: String,
    display_name: String,
    id_type: Option<String>,
    real_name_level: i16,
    region_code: Option<String>,
    department_id: Option<Uuid>,
    created_at: DateTime<Utc>,
}

const COLUMNS: &str = "id, kind, login, display_name, id_type, real_name_level, region_code, department_id, created_at";

impl TryFrom<Row> for Account {
    type Error = Error;
    fn try_from(row: Row) -> Result<Self, Error> {
        let kind: AccountKind = row.kind.parse().map_err(Error::internal)?;
        Ok(Account {
            id: row.id,
            login: masked_login(kind, row.id_type.as_deref(), &row.login),
            kind,
            display_name: row.display_name,
            real_name_level: row.real_name_level,
            region_code: row
                .region_code
                .map(|r| r.parse())
                .transpose()
                .map_err(Error::internal)?,
            department_id: row.department_id,
            created_at: row.created_at,
        })
    }
}

/// Document numbers are masked wherever they leave the service; user names and credit codes
/// (printed on every business licence) are not.
pub fn masked_login(kind: AccountKind, id_type: Option<&str>, login: &str) -> String {
    match (kind, id_type) {
        (AccountKind::Citizen, Some(id_type)) => {
            let id_type: Option<tongban_kernel::IdType> =
                serde_json::from_value(serde_json::Value::String(id_type.to_owned())).ok();
            id_type.map_or_else(|| "*".repeat(login.len()), |t| t.mask(login))
        }
        _ => login.to_owned(),
    }
}

/// What creating an account takes.
pub struct NewAccount {
    pub kind: AccountKind,
    pub login: String,
    pub display_name: String,
    pub id_type: Option<tongban_kernel::IdType>,
    pub credit_code: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub real_name_level: i16,
    pub region: Option<RegionCode>,
    pub department: Option<Uuid>,
    pub password_hash: String,
    pub created_by: Option<Uuid>,
}

impl NewAccount {
    /// A staff account in `region`, verified by its employer (real-name level 3), with no
    /// department, phone or creator yet.
    pub fn verified_staff(
        login: String,
        display_name: String,
        region: RegionCode,
        password_hash: String,
    ) -> Self {
        Self {
            kind: AccountKind::Staff,
            login,
            display_name,
            id_type: None,
            credit_code: None,
            phone: None,
            email: None,
            real_name_level: 3,
            region: Some(region),
            department: None,
            password_hash,
            created_by: None,
        }
    }

    /// A service account (a client id and its secret's hash), of `region` or of none (one of
    /// the platform's own services).
    pub fn service(
        client_id: String,
        name: String,
        region: Option<RegionCode>,
        password_hash: String,
    ) -> Self {
        Self {
            kind: AccountKind::Service,
            login: client_id,
            display_name: name,
            id_type: None,
            credit_code: None,
            phone: None,
            email: None,
            real_name_level: 3,
            region,
            department: None,
            password_hash,
            created_by: None,
        }
    }
}

pub async fn create(pool: &PgPool, new: NewAccount) -> Result<Account, Error> {
    let mut tx = pool.begin().await?;
    let account = insert(&mut tx, new).await?;
    tx.commit().await?;
    Ok(account)
}

/// Inserts the account and its `AccountCreated` event in the caller's transaction.
pub async fn insert(tx: &mut PgConnection, new: NewAccount) -> Result<Account, Error> {
    let row: Row = sqlx::query_as(&format!(
        "insert into accounts (id, kind, login, display_name, id_type, credit_code, phone,
             real_name_level, region_code, department_id, password_hash, created_by, email)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
         returning {COLUMNS}"
    ))
    .bind(Uuid::now_v7())
    .bind(new.kind.as_str())
    .bind(&new.login)
    .bind(&new.display_name)
    .bind(new.id_type.map(|t| t.as_str()))
    .bind(&new.credit_code)
    .bind(&new.phone)
    .bind(new.real_name_level)
    .bind(new.region.as_ref().map(RegionCode::as_str))
    .bind(new.department)
    .bind(&new.password_hash)
    .bind(new.created_by)
    .bind(&new.email)
    .fetch_one(&mut *tx)
    .await
    .map_err(|err| {
        Error::conflict_on(
            err,
            &[(
                "accounts_login_key",
                "account_exists",
                "an account with this sign-in identifier already exists",
            )],
        )
    })?;
    let account = Account::try_from(row)?;
    let id = account.id.to_string();
    let event = events::AccountCreated {
        account_id: id.clone(),
        kind: account.kind.as_str().to_owned(),
        login_masked: account.login.clone(),
        region_code: account
            .region_code
            .map(|r| r.to_string())
            .unwrap_or_default(),
        department_id: account
            .department_id
            .map(|d| d.to_string())
            .unwrap_or_default(),
        real_name_level: i32::from(account.real_name_level),
        created_by: new.created_by.map(|u| u.to_string()).unwrap_or_default(),
        created_at: Some(timestamp(account.created_at)),
    };
    let regions = account.region_code.iter().map(|r| r.to_string()).collect();
    outbox::enqueue(
        tx,
        &Subject {
            key: &id,
            subject: None,
            regions,
        },
        &event,
    )
    .await?;
    Ok(account)
}

/// How an account can be reached: its kind, phone number, e-mail address and language.
pub type ContactRow = (String, Option<String>, Option<String>, String);

pub async fn contact(pool: &PgPool, id: Uuid) -> Result<Option<ContactRow>, Error> {
    Ok(sqlx::query_as(
        "select kind, phone, email, locale from accounts where id = $1 and disabled_at is null",
    )
    .bind(id)
    .fetch_optional(pool)
    .await?)
}

/// The account's own contact details, as it sees them.
#[derive(Debug, Clone, serde::Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct OwnContact {
    pub phone: Option<String>,
    /// Whether the account proved it holds `phone` (a code texted to it came back).
    pub phone_verified: bool,
    pub email: Option<String>,
    /// The language messages are written in: zh-CN or en.
    pub locale: String,
}

/// The contact details of account `id`, as it sees them.
pub async fn own_contact(pool: &PgPool, id: Uuid) -> Result<Option<OwnContact>, Error> {
    Ok(sqlx::query_as(
        "select phone, phone_verified_at is not null as phone_verified, email, locale
         from accounts where id = $1",
    )
    .bind(id)
    .fetch_optional(pool)
    .await?)
}

/// Changes an account's phone (when given), e-mail (when given: `Some(None)` removes it) and
/// language (when given, announced as `PreferencesChanged`); returns the three as they now are,
/// or `None` for no such account.
pub async fn update_contact(
    pool: &PgPool,
    id: Uuid,
    phone: Option<&str>,
    email: Option<Option<String>>,
    locale: Option<&str>,
    now: DateTime<Utc>,
) -> Result<Option<OwnContact>, Error> {
    let mut tx = pool.begin().await?;
    // A different number is unproved until a code texted to it comes back.
    let row: Option<OwnContact> = sqlx::query_as(
        "update accounts set phone = coalesce($2, phone),
             phone_verified_at = case when $2 is distinct from phone and $2 is not null then null
                 else phone_verified_at end,
             email = case when $3 then $4 else email end,
             locale = coalesce($5, locale)
         where id = $1
         returning phone, phone_verified_at is not null as phone_verified, email, locale",
    )
    .bind(id)
    .bind(phone)
    .bind(email.is_some())
    .bind(email.flatten())
    .bind(locale)
    .fetch_optional(&mut *tx)
    .await?;
    if let (Some(changed), Some(_)) = (&row, locale) {
        let key = id.to_string();
        let event = events::PreferencesChanged {
            account_id: key.clone(),
            locale: changed.locale.clone(),
            changed_at: Some(timestamp(now)),
        };
        outbox::enqueue(
            &mut tx,
            &Subject {
                key: &key,
                subject: None,
                regions: Vec::new(),
            },
            &event,
        )
        .await?;
    }
    tx.commit().await?;
    Ok(row)
}

/// The id of the platform's own service account `client_id`, made (with the unusable secret
/// hash given, announced like any account) when it does not exist yet.
pub async fn ensure_service(
    pool: &PgPool,
    client_id: &str,
    name: &str,
    hash: &str,
) -> Result<Uuid, Error> {
    let find = || {
        sqlx::query_scalar::<_, Uuid>(
            "select id from accounts where login = $1 and kind = 'service'",
        )
        .bind(client_id)
        .fetch_optional(pool)
    };
    if let Some(id) = find().await? {
        return Ok(id);
    }
    let new = NewAccount::service(client_id.to_owned(), name.to_owned(), None, hash.to_owned());
    let mut tx = pool.begin().await?;
    match insert(&mut tx, new).await {
        Ok(account) => {
            tx.commit().await?;
            Ok(account.id)
        }
        // Made meanwhile by another replica.
        Err(Error::Conflict { .. }) => find().await?.ok_or_else(|| {
            Error::internal(format!(
                "{client_id} is taken by an account of another kind"
            ))
        }),
        Err(err) => Err(err),
    }
}

/// Sets a new secret (an Argon2id hash) for the service account `client_id`; `false` when there
/// is none.
pub async fn reset_service_secret(
    pool: &PgPool,
    client_id: &str,
    hash: &str,
) -> Result<bool, Error> {
    Ok(sqlx::query(
        "update accounts set password_hash = $2, failed_logins = 0, lock_count = 0,
             locked_until = null
         where login = $1 and kind = 'service'",
    )
    .bind(client_id)
    .bind(hash)
    .execute(pool)
    .await?
    .rows_affected()
        == 1)
}

pub async fn find(pool: &PgPool, id: Uuid) -> Result<Option<Account>, Error> {
    let row: Option<Row> = sqlx::query_as(&format!("select {COLUMNS} from accounts where id = $1"))
        .bind(id)
        .fetch_optional(pool)
        .await?;
    row.map(Account::try_from).transpose()
}

/// What signing in needs to know about an account.
#[derive(sqlx::FromRow)]
pub struct Credentials {
    pub id: Uuid,
    pub kind: String,
    pub login: String,
    pub real_name_level: i16,
    pub password_hash: String,
    pub locked_until: Option<DateTime<Utc>>,
    pub disabled_at: Option<DateTime<Utc>>,
}

impl Credentials {
    pub fn kind(&self) -> Result<AccountKind, Error> {
        self.kind.parse().map_err(Error::internal)
    }

    /// Whether sign-in is refused whatever the password.
    pub fn barred(&self, now: DateTime<Utc>) -> bool {
        self.disabled_at.is_some() || self.locked_until.is_some_and(|until| until > now)
    }
}

/// The account signing in with any of `logins` (spellings of one typed identifier; logins are
/// unique and their formats do not overlap, so at most one matches).
pub async fn credentials_by_login(
    pool: &PgPool,
    logins: &[String],
) -> Result<Option<Credentials>, Error> {
    Ok(sqlx::query_as(
        "select id, kind, login, real_name_level, password_hash, locked_until, disabled_at
         from accounts where login = any($1) limit 1",
    )
    .bind(logins)
    .fetch_optional(pool)
    .await?)
}

pub async fn credentials_by_id(pool: &PgPool, id: Uuid) -> Result<Option<Credentials>, Error> {
    Ok(sqlx::query_as(
        "select id, kind, login, real_name_level, password_hash, locked_until, disabled_at
         from accounts where id = $1",
    )
    .bind(id)
    .fetch_optional(pool)
    .await?)
}

/// Counts a failed sign-in; the `threshold`th in a row locks the account for a back-off that
/// doubles with each lock in a row, and raises `AccountLocked`.
pub async fn record_failure(
    pool: &PgPool,
    id: Uuid,
    settings: &IdentitySettings,
    now: DateTime<Utc>,
) -> Result<(), Error> {
    let mut tx = pool.begin().await?;
    let (failed, lock_count): (i32, i32) = sqlx::query_as(
        "update accounts set failed_logins = failed_logins + 1 where id = $1
         returning failed_logins, lock_count",
    )
    .bind(id)
    .fetch_one(&mut *tx)
    .await?;
    if failed >= settings.lockout_threshold {
        let factor = 1_i64 << lock_count.clamp(0, 20);
        let secs = settings
            .lockout_base_secs
            .saturating_mul(factor)
            .min(settings.lockout_max_secs);
        let until = now + chrono::Duration::seconds(secs);
        sqlx::query(
            "update accounts set failed_logins = 0, lock_count = lock_count + 1, locked_until = $2
             where id = $1",
        )
        .bind(id)
        .bind(until)
        .execute(&mut *tx)
        .await?;
        let key = id.to_string();
        let event = events::AccountLocked {
            account_id: key.clone(),
            locked_until: Some(timestamp(until)),
            lock_count: lock_count + 1,
        };
        outbox::enqueue(
            &mut tx,
            &Subject {
                key: &key,
                subject: None,
                regions: vec![],
            },
            &event,
        )
        .await?;
        tracing::warn!(account = %id, lock_secs = secs, "account locked after repeated failed sign-ins");
    }
    tx.commit().await?;
    Ok(())
}

pub async fn record_success(pool: &PgPool, id: Uuid) -> Result<(), Error> {
    sqlx::query(
        "update accounts set failed_logins = 0, lock_count = 0, locked_until = null where id = $1",
    )
    .bind(id)
    .execute(pool)
    .await?;
    Ok(())
}

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
