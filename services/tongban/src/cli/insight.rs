//! `tongban insight rebuild`: count the statistics again from the topics, showing progress.

use clap::Subcommand;

use tongban::ops;
use tongban_insight::db::feed::Feed;
use tongban_runtime::Settings;

#[derive(Subcommand)]
pub enum InsightCommand {
    /// Throw the statistics away and count them again from every topic's first retained
    /// event (after a fix to how they are counted, or to recover from lost state). The running
    /// insight service starts over within a second; this waits, showing progress, until it has
    /// read what the topics held when the rebuild began. Topics keep what their retention
    /// keeps: statistics older than that cannot be rebuilt (deploy/RUNBOOK.md).
    Rebuild {
        /// Return once the rebuild has started, without waiting for it.
        #[arg(long)]
        no_wait: bool,
    },
}

pub async fn run(settings: Settings, command: InsightCommand) -> anyhow::Result<()> {
    match command {
        InsightCommand::Rebuild { no_wait } => rebuild(settings, no_wait).await,
    }
}

async fn rebuild(mut settings: Settings, no_wait: bool) -> anyhow::Result<()> {
    let feed = ops::rebuild_insight(&settings).await?;
    println!(
        "Statistics emptied; the insight service reads every topic again as generation {} \
         (consumer group {}).",
        feed.generation,
        feed.group()
    );
    if no_wait {
        return Ok(());
    }
    if settings.embedded_broker() {
        // `tongban up` runs the embedded broker here.
        settings.kafka.brokers = settings.broker.listen.clone();
    }
    wait(&settings, &feed).await
}

/// Shows the rebuild's progress until it has read what the topics hold now.
async fn wait(settings: &Settings, feed: &Feed) -> anyhow::Result<()> {
    // What the topics hold now is what the rebuild must read.
    let target = ops::insight_position(settings, feed).await?.retained;
    let bar = indicatif::ProgressBar::new(target.max(0) as u64).with_style(
        indicatif::ProgressStyle::with_template("  {bar:40} {pos}/{len} events  {elapsed}  {msg}")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    let started = std::time::Instant::now();
    loop {
        let position = ops::insight_position(settings, feed).await?;
        bar.set_position(position.done.clamp(0, target) as u64);
        if position.done >= target {
            break;
        }
        if position.done == 0 && started.elapsed() > std::time::Duration::from_secs(30) {
            bar.set_message("nothing read yet: is the insight service running?");
        }
        let current = ops::insight_feed(settings).await?;
        anyhow::ensure!(
            current.group() == feed.group(),
            "another rebuild (generation {}) started meanwhile",
            current.generation
        );
        tokio::time::sleep(std::time::Duration::from_secs(1)).await;
    }
    bar.finish();
    println!("Rebuilt: the statistics count every event the topics held.");
    Ok(())
}
