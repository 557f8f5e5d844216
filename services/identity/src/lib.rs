//! The identity service: accounts (citizens, enterprises, staff, services), credentials,
//! real-name levels, staff roles bound to (region, department), and the tokens every other
//! component verifies.
//!
//! # Layout
//! - [`http`]: `/v1/oauth` (token, revoke), `/v1/accounts` (registration, staff, services,
//!   roles), `/.well-known` (OpenID configuration, JWKS).
//! - [`db`]: accounts, lockout, role bindings, refresh-token families.
//! - [`keys`]: Ed25519 signing keys and their rotation.
//! - [`password`]: Argon2id hashing and the password policy.
//! - [`real_name`]: online real-name verification against the national identity check.
//! - `migrations/`: the `identity` schema.
//!
//! Publishes to `tongban.identity.v1` (account created, role granted/revoked, account locked,
//! real name verified, ...).

mod app;
pub mod config;
pub mod db;
pub mod http;
pub mod keys;
pub mod password;
pub mod real_name;
pub mod texts;

use std::sync::Arc;

use secrecy::ExposeSecret;
use sqlx::PgPool;
use tokio::net::TcpListener;

use crate::config::IdentitySettings;
use tongban_auth::Verifier;
use tongban_bus::Host;
use tongban_kernel::{RegionCode, Role, RoleBinding};
use tongban_runtime::{CancellationToken, Settings};

use app::grace_secs;
use db::accounts::{self, Account, NewAccount};

pub use app::AppState;

/// The service's name, schema and path segment behind the gateway.
pub const NAME: &str = "identity";

/// Runs the service until `shutdown`.
pub async fn run(
    settings: Arc<Settings>,
    listener: TcpListener,
    shutdown: CancellationToken,
) -> anyhow::Result<()> {
    let host = Host::connect(NAME, settings.clone(), migrator()).await?;
    let vault = settings.secrets.vault()?;
    tongban_audit::head::keep_publishing(
        &settings,
        host.pool.clone(),
        &vault,
        NAME,
        shutdown.clone(),
    )?;
    let identity: Arc<config::IdentitySettings> = Arc::new(settings.section()?);
    bootstrap_admin(&host.pool, &identity).await?;
    let signer = Arc::new(
        keys::Signer::load(
            host.pool.clone(),
            settings.secrets.vault()?,
            identity.key_rotation_days,
        )
        .await?,
    );
    let verifier = Arc::new(Verifier::new(
        identity.tokens.issuer.clone(),
        identity.tokens.audience.clone(),
        Arc::new(keys::DbKeys {
            pool: host.pool.clone(),
            grace_secs: grace_secs(&identity),
        }),
    ));
    let own_account = accounts::ensure_service(
        &host.pool,
        tongban_runtime::config::IDENTITY_CLIENT_ID,
        "Identity service",
        &password::hash(&password::new_secret()).await?,
    )
    .await?;
    let texts = Arc::new(texts::Texts::new(
        &settings.http,
        signer.clone(),
        identity.clone(),
        own_account,
    )?);
    let online_check = real_name::configured(&identity)?;
    let state = AppState {
        pool: host.pool.clone(),
        identity,
        signer,
        texts,
        clock: settings.clock.clone(),
        regions: Arc::new(tongban_runtime::regions::RegionDirectory::new(
            &settings.http,
        )),
        real_name: online_check,
    };
    let (api, doc) = http::app(state, verifier);
    host.serve(listener, api, doc, Vec::new(), shutdown).await
}

pub fn migrator() -> sqlx::migrate::Migrator {
    sqlx::migrate!("./migrations")
}

/// Makes the service account `client_id` (of `region`, or of none: one of the platform's own
/// services) or, when it exists, gives it a new secret; returns the secret, which is shown
/// nowhere else. For `tongban up`, which provisions the notification service's account on each
/// start, and for operators setting one up for a cluster.
pub async fn provision_service(
    pool: &PgPool,
    client_id: &str,
    name: &str,
    region: Option<RegionCode>,
) -> Result<String, tongban_kernel::Error> {
    let secret = password::new_secret();
    let hash = password::hash(&secret).await?;
    if accounts::reset_service_secret(pool, client_id, &hash).await? {
        return Ok(secret);
    }
    let new = accounts::NewAccount::service(client_id.to_owned(), name.to_owned(), region, hash);
    match accounts::create(pool, new).await {
        Ok(_) => Ok(secret),
        // Made meanwhile by another start: take it over.
        Err(tongban_kernel::Error::Conflict { .. }) => {
            let hash = password::hash(&secret).await?;
            accounts::reset_service_secret(pool, client_id, &hash).await?;
            Ok(secret)
        }
        Err(err) => Err(err),
    }
}

/// Creates a staff account holding `identity_admin` over `region`: the first administrator,
/// from `tongban admin create` or from configuration.
pub async fn create_admin(
    pool: &PgPool,
    username: &str,
    display_name: &str,
    region: RegionCode,
    password: &str,
) -> Result<Account, tongban_kernel::Error> {
    let binding = RoleBinding {
        role: Role::IdentityAdmin,
        region,
        department: None,
    };
    create_staff(pool, username, display_name, region, password, &[binding]).await
}

/// Creates staff member `username` of `region` holding `roles`, with `password` kept as theirs
/// (not temporary: whoever runs this tells the holder once). A taken user name is a 409.
pub async fn create_staff(
    pool: &PgPool,
    username: &str,
    display_name: &str,
    region: RegionCode,
    password: &str,
    roles: &[RoleBinding],
) -> Result<Account, tongban_kernel::Error> {
    password::check_policy("password", password, &[username, display_name])?;
    let login = username.trim().to_ascii_lowercase();
    let mut tx = pool.begin().await?;
    let account = accounts::insert(
        &mut tx,
        NewAccount::verified_staff(
            login,
            display_name.to_owned(),
            region,
            password::hash(password).await?,
        ),
    )
    .await?;
    for binding in roles {
        accounts::grant(&mut tx, account.id, binding, None).await?;
    }
    tx.commit().await?;
    Ok(account)
}

/// Creates the configured first administrator when no identity administrator exists yet.
async fn bootstrap_admin(pool: &PgPool, identity: &IdentitySettings) -> anyhow::Result<()> {
    let username = identity.bootstrap_admin_username.trim();
    let password = identity.bootstrap_admin_password.expose_secret();
    if username.is_empty() || password.is_empty() {
        return Ok(());
    }
    if accounts::any_identity_admin(pool).await? {
        return Ok(());
    }
    let region: RegionCode = identity.bootstrap_admin_region.parse().map_err(|_| {
        anyhow::anyhow!("identity.bootstrap_admin_region must be a region code to create the first administrator")
    })?;
    match create_admin(pool, username, username, region, password).await {
        Ok(account) => {
            tracing::info!(account = %account.id, region = %region, "first identity administrator created");
            Ok(())
        }
        // Another replica did it first.
        Err(tongban_kernel::Error::Conflict { .. }) => Ok(()),
        Err(err) => Err(anyhow::anyhow!("creating the first administrator: {err}")),
    }
}
