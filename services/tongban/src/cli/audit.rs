//! `tongban audit verify`: walks the services' audit chains, showing progress, and names the
//! first entry that does not match.

use clap::Subcommand;

use tongban::ops;
use tongban_runtime::Settings;

#[derive(Subcommand)]
pub enum AuditCommand {
    /// Walk the audit chains of the staff's actions (identity, acceptance, approval): every
    /// entry's SM3 hash recomputed from its contents and the entry before, the numbers without
    /// gaps, the head agreeing with the last entry. Exits 1 naming the first entry that does
    /// not match (deploy/RUNBOOK.md says what to do then). Changes nothing.
    Verify {
        /// Only this service's chain.
        #[arg(long, value_parser = clap::builder::PossibleValuesParser::new(ops::AUDITED))]
        service: Option<String>,
    },
}

pub async fn run(settings: Settings, command: AuditCommand) -> anyhow::Result<()> {
    match command {
        AuditCommand::Verify { service } => verify(&settings, service.as_deref()).await,
    }
}

async fn verify(settings: &Settings, only: Option<&str>) -> anyhow::Result<()> {
    let mut broken = Vec::new();
    for service in ops::AUDITED
        .into_iter()
        .filter(|s| only.is_none_or(|only| only == *s))
    {
        let bar = indicatif::ProgressBar::new(0).with_style(
            indicatif::ProgressStyle::with_template("  {prefix:<11} {bar:40} {pos}/{len} entries")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        bar.set_prefix(service);
        let walk = ops::verify_audit_chain(
            settings,
            service,
            |len| bar.set_length(len),
            |done| bar.set_position(done),
        )
        .await?;
        bar.finish_and_clear();
        match &walk.broken {
            None => {
                let lanes: Vec<String> = walk
                    .heads
                    .iter()
                    .filter(|(_, seq, _)| *seq > 0)
                    .map(|(lane, seq, hash)| {
                        format!(
                            "{lane}:{seq}:{}",
                            hex::encode(hash.get(..8).unwrap_or(hash))
                        )
                    })
                    .collect();
                println!(
                    "{service:<11} ok: {} entries; heads (lane:entry:hash) {}",
                    walk.entries,
                    lanes.join(" ")
                );
            }
            Some((lane, what)) => {
                println!(
                    "{service:<11} BROKEN after {} good entries, in lane {lane}: {what}",
                    walk.entries
                );
                broken.push(service);
            }
        }
    }
    anyhow::ensure!(
        broken.is_empty(),
        "the audit chain of {} does not match: see \"An audit chain does not verify\" in deploy/RUNBOOK.md",
        broken.join(", ")
    );
    Ok(())
}
