//! `tongban admin`: identity administrators, the notification service's account, signing keys.

use anyhow::Context as _;
use clap::Subcommand;

use tongban::{database, redact_url};
use tongban_runtime::Settings;

#[derive(Subcommand)]
pub enum AdminCommand {
    /// Create an identity administrator (a staff account holding identity_admin over a region),
    /// e.g. the first one of an install. Without --password-stdin a password is generated and
    /// printed once.
    Create {
        /// Sign-in name (3-32 of a-z, 0-9, '.', '_', '-').
        #[arg(long)]
        username: String,
        /// Display name; the user name when omitted.
        #[arg(long)]
        name: Option<String>,
        /// 12-digit region code the administrator's powers cover (usually the province).
        #[arg(long)]
        region: String,
        /// Read the password from the first line of standard input.
        #[arg(long)]
        password_stdin: bool,
    },
    /// Give the notification service its service account (made, or given a new secret) and
    /// print the secret once, for `TONGBAN__NOTIFICATION__CLIENT_SECRET` in a cluster's secret
    /// store. (`tongban up` does this itself on every start.)
    NotificationAccount,
    /// Make a new token signing key now; the old ones keep verifying until the tokens they
    /// signed expire (identity.access_token_ttl_secs).
    RotateKeys,
    /// Re-wrap every stored secret (signing keys, seal keys, webhook secrets) under the
    /// key-encryption key in secrets.kek, opening those under one of secrets.previous_keks.
    /// Afterwards the previous KEKs can be removed from the secret store.
    RotateKek,
}

pub async fn run(settings: Settings, command: AdminCommand) -> anyhow::Result<()> {
    match command {
        AdminCommand::Create {
            username,
            name,
            region,
            password_stdin,
        } => {
            create(
                settings,
                &username,
                name.as_deref(),
                &region,
                password_stdin,
            )
            .await
        }
        AdminCommand::NotificationAccount => notification_account(settings).await,
        AdminCommand::RotateKeys => rotate_keys(settings).await,
        AdminCommand::RotateKek => rotate_kek(settings).await,
    }
}

/// The identity service's pool, migrated (the commands work without the service running).
/// Which database is a log line (`--verbose`): standard output carries only the answer.
async fn identity_pool(settings: &Settings) -> anyhow::Result<sqlx::PgPool> {
    tracing::info!(database = %redact_url(settings.database_url()), "connecting");
    database::migrated(
        settings,
        tongban_identity::NAME,
        tongban_identity::migrator(),
    )
    .await
}

async fn create(
    settings: Settings,
    username: &str,
    name: Option<&str>,
    region: &str,
    password_stdin: bool,
) -> anyhow::Result<()> {
    let region: tongban_kernel::RegionCode = region
        .parse()
        .map_err(|e| anyhow::anyhow!("--region: {e}"))?;
    let (password, generated) = if password_stdin {
        let mut line = String::new();
        std::io::stdin().read_line(&mut line)?;
        (line.trim_end_matches(['\r', '\n']).to_owned(), false)
    } else {
        (tongban_identity::password::new_secret(), true)
    };
    let pool = identity_pool(&settings).await?;
    let account = tongban_identity::create_admin(
        &pool,
        username,
        name.unwrap_or(username),
        region,
        &password,
    )
    .await
    .context("creating the administrator")?;
    // The answer, one item a line (a script reads the id or the password by its label). The
    // sign-in name as stored: the service lower-cases it.
    println!(
        "Created identity administrator {} ({}) over region {region}.",
        account.login, account.display_name
    );
    println!("Id: {}", account.id);
    if generated {
        println!("Password (shown once, change it after signing in): {password}");
    }
    pool.close().await;
    Ok(())
}

async fn notification_account(settings: Settings) -> anyhow::Result<()> {
    let pool = identity_pool(&settings).await?;
    let client_id = &settings
        .section::<tongban_notification::config::NotificationSettings>()?
        .client_id;
    let secret = tongban_identity::provision_service(&pool, client_id, "通办通知服务", None)
        .await
        .context("provisioning the notification service's account")?;
    println!("Service account {client_id} is ready; any earlier secret no longer works.");
    println!("Secret (shown once; set TONGBAN__NOTIFICATION__CLIENT_SECRET): {secret}");
    Ok(())
}

async fn rotate_kek(settings: Settings) -> anyhow::Result<()> {
    let kek = settings.secrets.vault()?.kek_id();
    println!("Re-wrapping the stored secrets under KEK {kek}");
    let bar = indicatif::ProgressBar::new(0).with_style(
        indicatif::ProgressStyle::with_template("  {bar:40} {pos}/{len} secrets  {msg}")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    let rewrapped = tongban::ops::rotate_kek(&settings, |name, done, total| {
        bar.set_length(total);
        bar.set_position(done);
        bar.set_message(name.to_owned());
    })
    .await;
    bar.finish_and_clear();
    for (name, count) in rewrapped? {
        println!("  {name:<40} {count} re-wrapped");
    }
    println!(
        "Every stored secret is under KEK {kek}: secrets.previous_keks can be removed from the \
         secret store (then restart the services)."
    );
    Ok(())
}

async fn rotate_keys(settings: Settings) -> anyhow::Result<()> {
    let kid = tongban::ops::rotate_keys(&settings).await?;
    println!(
        "New signing key {kid}. Every identity replica signs with it within a minute; tokens \
         signed before keep verifying until they expire."
    );
    Ok(())
}
