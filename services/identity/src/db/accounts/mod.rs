//! Accounts, credentials, lockout and role bindings. Every change commits with its event.
//!
//! - this module: accounts, their contacts and service accounts;
//! - [`credentials`]: what signing in reads, failures and the lockout;
//! - [`roles`]: role bindings, granted and revoked;
//! - [`lifecycle`]: disabling, password changes, and the cut-offs that end sign-ins;
//! - [`real_name`]: raising a citizen to basic real-name once the national record agrees;
//! - [`staff`]: the staff directory administrators page through.

use chrono::{DateTime, Utc};
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

use tongban_bus::outbox::{self, Subject};
use tongban_events::identity::v1 as events;
use tongban_events::timestamp;
use tongban_kernel::{AccountKind, Error, RegionCode};

mod credentials;
pub mod lifecycle;
pub mod real_name;
mod roles;
pub mod staff;

pub use credentials::{
    Credentials, credentials_by_id, credentials_by_login, record_failure, record_success,
};
pub use roles::{Binding, any_identity_admin, binding, grant, revoke, roles, roles_of};

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
    /// Disabled by an administrator: it signs in nowhere until enabled again.
    pub disabled: bool,
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
    disabled: bool,
}

const COLUMNS: &str = "id, kind, login, display_name, id_type, real_name_level, region_code, department_id, \
    created_at, disabled_at is not null as disabled";

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
            disabled: row.disabled,
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
    /// Set by an administrator: the holder changes it before anything else.
    pub password_temporary: bool,
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
            password_temporary: false,
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
            password_temporary: false,
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
             real_name_level, region_code, department_id, password_hash, created_by, email,
             password_temporary)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
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
    .bind(new.password_temporary)
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

/// An applicant's identity as the account holds it.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema, sqlx::FromRow)]
pub struct Applicant {
    /// citizen or enterprise.
    pub kind: String,
    /// The name on the document: a citizen's full name, an enterprise's registered name.
    pub name: String,
    /// A citizen's document type (resident_id_card, passport ...); none for an enterprise.
    pub id_type: Option<String>,
    /// The document number in full: a citizen's ID number, an enterprise's credit code.
    pub document_number: String,
    /// The mobile number the account gave, if any.
    pub phone: Option<String>,
    /// 1 unverified, 2 basic real-name, 3 advanced.
    pub real_name_level: i16,
}

/// Who an active citizen or enterprise account applies as: its name, document (a citizen's
/// sign-in identifier, an enterprise's credit code), phone and real-name level.
pub async fn applicant(pool: &PgPool, id: Uuid) -> Result<Option<Applicant>, Error> {
    Ok(sqlx::query_as(
        "select kind, display_name as name, id_type, coalesce(credit_code::text, login) as document_number,
                phone, real_name_level
         from accounts where id = $1 and disabled_at is null",
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
