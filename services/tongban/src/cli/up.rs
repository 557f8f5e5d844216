//! `tongban up` and `tongban serve`: components in this process until Ctrl-C or SIGTERM.

use std::path::Path;

use anyhow::Context as _;
use secrecy::ExposeSecret as _;

use tongban::{Platform, redact_url};
use tongban_runtime::{Settings, shutdown};

/// `serve`: the components named, as one Kubernetes pod runs them.
pub async fn serve(
    settings: Settings,
    components: &[String],
    no_migrate: bool,
) -> anyhow::Result<()> {
    let names: Vec<&str> = components.iter().map(String::as_str).collect();
    run(settings, &names, no_migrate, false, true).await
}

/// Where `tongban up` keeps the key-encryption key of one machine's install when
/// `secrets.kek` is not set (a cluster sets it from its secret store; `serve` never makes one).
const LOCAL_KEK: &str = "data/kek";

/// The KEK kept in `path`, made (readable by the owner only) when there is none; and whether
/// it was made now.
fn local_kek(path: &Path) -> anyhow::Result<(String, bool)> {
    if let Ok(kek) = std::fs::read_to_string(path) {
        return Ok((kek.trim().to_owned(), false));
    }
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    let kek = tongban_vault::Vault::generate_kek();
    let mut file = std::fs::OpenOptions::new();
    file.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut file, 0o600);
    std::io::Write::write_all(
        &mut file
            .open(path)
            .with_context(|| format!("creating {}", path.display()))?,
        format!("{kek}\n").as_bytes(),
    )?;
    Ok((kek, true))
}

/// Starts `components`, prints where they listen and, with `demo`, loads the demo data.
pub async fn run(
    mut settings: Settings,
    components: &[&str],
    no_migrate: bool,
    demo: bool,
    serving_only: bool,
) -> anyhow::Result<()> {
    if no_migrate {
        settings.database.migrate = false;
    }
    if !serving_only && settings.secrets.kek.expose_secret().trim().is_empty() {
        let (kek, made) = local_kek(Path::new(LOCAL_KEK))?;
        settings.secrets.kek = kek.into();
        if made {
            println!(
                "Made a key-encryption key for this machine's secrets in {LOCAL_KEK} (keep a copy \
                 apart from the database's backups: without it the stored keys do not open)."
            );
        }
    }
    let database = redact_url(settings.database_url());
    let mut platform = Platform::start(settings, components).await?;
    tokio::spawn(shutdown::cancel_on_signal(platform.shutdown_token()));

    println!("Tongban is starting:");
    print_addresses(&platform, &database);
    if demo {
        println!("Loading demo data:");
        let loaded = tongban::demo::load(&platform.settings, |stage| println!("  {stage}")).await?;
        println!(
            "  {} records created, {} already there",
            loaded.created, loaded.existing
        );
        if tongban::demo::load_hall(&platform.settings).await? {
            println!("  赫山区's hall: groups A and B, windows 1-4号");
        }
        print_staff(&tongban::demo::load_staff(&platform.settings).await?);
    }
    if let Some(gateway) = platform.gateway_url() {
        println!("Ready when {gateway}/readyz answers 200. Ctrl-C stops.");
        println!("Online hall: {gateway}/");
        println!("Staff console: {gateway}/console/");
        if demo {
            println!(
                "赫山区's hall: kiosk {gateway}/halls/430903000000/kiosk, board {gateway}/halls/430903000000/board"
            );
        }
    }
    platform.wait().await
}

/// The demo's staff accounts, with the passwords of those just made (shown this once).
fn print_staff(staff: &[tongban::demo::DemoStaff]) {
    println!("Demo staff for the console (passwords are shown once, when an account is made):");
    for member in staff {
        let roles: Vec<&str> = member.roles.iter().map(|r| r.as_str()).collect();
        let password = member
            .password
            .as_deref()
            .unwrap_or("(made earlier: the password printed then)");
        println!(
            "  {:<18} {:<8} {} {:<40} {password}",
            member.username,
            member.name,
            member.region,
            roles.join(", ")
        );
    }
}

/// Where each component, the broker and the database are.
fn print_addresses(platform: &Platform, database: &str) {
    for (name, address) in &platform.addresses {
        let note = if *name == "gateway" {
            "  API /api/<service>/v1/…, OpenAPI /api/<service>/openapi.json"
        } else {
            ""
        };
        println!("  {name:<13} http://{address}{note}");
    }
    match &platform.broker {
        Some(broker) => println!(
            "  {:<13} {} (embedded, storage {})",
            "broker",
            broker.address(),
            platform.settings.broker.storage
        ),
        None => println!("  {:<13} {}", "broker", platform.settings.kafka.brokers),
    }
    println!("  {:<13} {database}", "database");
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn a_machine_keeps_one_kek_readable_by_its_owner_only() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("data").join("kek");
        let (made, fresh) = local_kek(&path).unwrap();
        assert!(fresh);
        assert!(tongban_vault::Vault::from_base64(&made, "").is_ok());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        assert_eq!(
            local_kek(&path).unwrap(),
            (made, false),
            "kept, not made again"
        );
    }
}
