//! `tongban outbox replay`: publish again what the services recorded since a moment.

use clap::Subcommand;

use tongban_runtime::Settings;

#[derive(Subcommand)]
pub enum OutboxCommand {
    /// Publish again every event recorded since a moment (consumers apply each once): for a
    /// topic restored from an older backup, or a consumer that lost its state. The outbox keeps
    /// outbox.retention_hours (72); older events are replayed from Kafka (deploy/RUNBOOK.md).
    Replay {
        /// An RFC 3339 instant (2026-11-27T08:00:00+08:00) or a China date (2026-11-27).
        #[arg(long)]
        since: String,
        /// Only these services' events (repeatable); all when omitted.
        #[arg(long = "service")]
        services: Vec<String>,
    },
}

pub async fn run(settings: Settings, command: OutboxCommand) -> anyhow::Result<()> {
    match command {
        OutboxCommand::Replay { since, services } => replay(settings, &since, &services).await,
    }
}

/// `since` as an instant: RFC 3339, or a date meaning its midnight in China.
fn instant(since: &str) -> anyhow::Result<chrono::DateTime<chrono::Utc>> {
    if let Ok(at) = chrono::DateTime::parse_from_rfc3339(since) {
        return Ok(at.with_timezone(&chrono::Utc));
    }
    let date: chrono::NaiveDate = since.parse().map_err(|_| {
        anyhow::anyhow!("--since: {since:?} is neither an RFC 3339 instant nor a date")
    })?;
    date.and_hms_opt(0, 0, 0)
        .and_then(|t| {
            t.and_local_timezone(tongban_runtime::clock::china())
                .single()
        })
        .map(|t| t.with_timezone(&chrono::Utc))
        .ok_or_else(|| anyhow::anyhow!("--since: {since:?} is out of range"))
}

async fn replay(settings: Settings, since: &str, services: &[String]) -> anyhow::Result<()> {
    let since = instant(since)?;
    println!("Publishing again every event recorded since {since}:");
    for (service, marked) in tongban::ops::replay_outbox(&settings, since, services).await? {
        println!("  {service:<13} {marked} events");
    }
    println!("Each service's relay sends them now; consumers apply each event once.");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replay_since_takes_an_instant_or_a_china_date() {
        assert_eq!(
            instant("2026-11-27T08:00:00+08:00").unwrap().to_rfc3339(),
            "2026-11-27T00:00:00+00:00"
        );
        // A date is its midnight in China.
        assert_eq!(
            instant("2026-11-27").unwrap().to_rfc3339(),
            "2026-11-26T16:00:00+00:00"
        );
        assert!(
            instant("yesterday")
                .unwrap_err()
                .to_string()
                .contains("--since")
        );
    }
}
