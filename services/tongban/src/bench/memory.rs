//! `tongban bench memory`: the resident set size (VmRSS) of a `tongban up --demo` process —
//! every service and the embedded broker in one process, as on a laptop — idle once it has
//! started, at its peak while applicants submit cases and a window clerk accepts them through
//! its gateway, and idle again afterwards. The process is this binary, started as an operator
//! would start it, on a throwaway database.

use std::path::Path;
use std::process::Stdio;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::Context as _;
use serde::Serialize;
use tokio::io::{AsyncBufReadExt, BufReader};

use tongban_runtime::Settings;

use super::intake::Drafts;
use super::{Measured, client, drop_database, summarise, throwaway, window_clerk};

#[derive(Debug, Clone, Serialize)]
pub struct MemoryReport {
    pub cpus: usize,
    /// Resident size once started (demo data loaded) and left alone for the settling time.
    pub idle_mib: f64,
    /// The largest resident size seen (sampled every 50 ms) while the load ran.
    pub peak_under_load_mib: f64,
    /// Resident size after the load, once left alone for the settling time again.
    pub after_load_mib: f64,
    pub concurrency: usize,
    /// The load: drafts made with their materials, then submitted, then accepted.
    pub submissions: Measured,
    pub acceptances: Measured,
}

/// Starts `binary up --demo` on a throwaway database, measures, stops it with SIGTERM.
pub async fn memory(
    mut settings: Settings,
    binary: &Path,
    cases: usize,
    concurrency: usize,
    settle: Duration,
    progress: impl Fn(&str),
) -> anyhow::Result<MemoryReport> {
    let database = throwaway(&mut settings)?;
    progress(&format!("starting `{} up --demo`", binary.display()));
    let mut child = tokio::process::Command::new(binary)
        .args(["up", "--demo"])
        .envs(environment(&settings)?)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .with_context(|| format!("cannot start {}", binary.display()))?;
    let said = last_words(&mut child);
    let result = measure(&settings, &mut child, cases, concurrency, settle, &progress).await;
    stop(&mut child).await;
    let result = match result {
        Err(err) => {
            // The reader may still hold the child's last lines.
            tokio::time::sleep(Duration::from_millis(200)).await;
            let said = said.lock().map(|l| l.join("\n")).unwrap_or_default();
            Err(anyhow::anyhow!(
                "{err:#}\n`tongban up` said last, on its standard error:\n{said}"
            ))
        }
        measured => measured,
    };
    drop_database(&settings, &database).await;
    result
}

/// What `tongban up` reads instead of its defaults: the throwaway database, a broker in memory,
/// ports the system picks, rate limits nobody reaches.
fn environment(settings: &Settings) -> anyhow::Result<Vec<(String, String)>> {
    let mut env = vec![
        ("DATABASE__URL", settings.database_url().to_owned()),
        ("KAFKA__BROKERS", String::new()),
        ("BROKER__LISTEN", settings.broker.listen.clone()),
        ("BROKER__STORAGE", settings.broker.storage.clone()),
        ("TELEMETRY__LOG_FILTER", "warn".to_owned()),
        // The throwaway database's key, so `up` makes none in the working directory.
        (
            "SECRETS__KEK",
            secrecy::ExposeSecret::expose_secret(&settings.secrets.kek).to_owned(),
        ),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect::<Vec<_>>();
    let gateway = settings.section::<tongban_gateway::config::GatewaySettings>()?;
    for (key, value) in [
        ("RATE_LIMIT_IP_PER_SECOND", gateway.rate_limit_ip_per_second),
        ("RATE_LIMIT_IP_BURST", gateway.rate_limit_ip_burst),
        (
            "RATE_LIMIT_SUBJECT_PER_SECOND",
            gateway.rate_limit_subject_per_second,
        ),
        ("RATE_LIMIT_SUBJECT_BURST", gateway.rate_limit_subject_burst),
        (
            "REGISTRATIONS_PER_HOUR_PER_IP",
            gateway.registrations_per_hour_per_ip,
        ),
    ] {
        env.push((format!("GATEWAY__{key}"), value.to_string()));
    }
    for (service, port) in &settings.http.ports {
        env.push((
            format!("HTTP__PORTS__{}", service.to_uppercase()),
            port.to_string(),
        ));
    }
    Ok(env
        .into_iter()
        .map(|(k, v)| (format!("TONGBAN__{k}"), v))
        .collect())
}

async fn measure(
    settings: &Settings,
    child: &mut tokio::process::Child,
    cases: usize,
    concurrency: usize,
    settle: Duration,
    progress: &impl Fn(&str),
) -> anyhow::Result<MemoryReport> {
    let pid = child.id().context("the process has already exited")?;
    let gateway = started(child).await?;
    let client = client(&settings.http, concurrency);
    super::ready_by(&client, &gateway, Instant::now() + Duration::from_secs(60)).await?;
    progress(&format!(
        "started; leaving it alone for {} s",
        settle.as_secs()
    ));
    tokio::time::sleep(settle).await;
    let idle_mib = resident_mib(pid)?;

    progress("loading it: applicants' drafts, submissions, acceptances");
    let peak = Arc::new(AtomicU64::new(0));
    let sampler = {
        let peak = peak.clone();
        tokio::spawn(async move {
            while let Ok(mib) = resident_mib(pid) {
                peak.fetch_max(mib.to_bits(), Ordering::Relaxed);
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        })
    };
    let load = async {
        let drafts =
            Drafts::prepare(settings, &client, &gateway, cases, concurrency, progress).await?;
        let submitted = drafts.submit(&client, concurrency).await?;
        let clerk = window_clerk(settings, &client, &gateway).await?;
        let accepted = drafts.accept(&client, &clerk, concurrency).await?;
        anyhow::Ok((submitted, accepted))
    }
    .await;
    sampler.abort();
    let ((submitted, submit_latencies), (accepted, accept_latencies)) = load?;
    // A sample while the process is between two of the sampler's.
    peak.fetch_max(resident_mib(pid)?.to_bits(), Ordering::Relaxed);
    let peak_under_load_mib = f64::from_bits(peak.load(Ordering::Relaxed));

    progress(&format!(
        "load over; leaving it alone for {} s",
        settle.as_secs()
    ));
    tokio::time::sleep(settle).await;
    let after_load_mib = resident_mib(pid)?;
    Ok(MemoryReport {
        cpus: std::thread::available_parallelism().map_or(1, |n| n.get()),
        idle_mib,
        peak_under_load_mib,
        after_load_mib,
        concurrency,
        submissions: summarise(submit_latencies, submitted),
        acceptances: summarise(accept_latencies, accepted),
    })
}

/// Reads what `tongban up` prints until it says it is ready (the demo data loaded); returns
/// the gateway's URL. The rest of its output is drained so it never blocks on a full pipe.
async fn started(child: &mut tokio::process::Child) -> anyhow::Result<String> {
    let stdout = child.stdout.take().context("no stdout")?;
    let mut lines = BufReader::new(stdout).lines();
    let mut gateway = None;
    let deadline = Instant::now() + Duration::from_secs(300);
    loop {
        let line = tokio::time::timeout_at(deadline.into(), lines.next_line())
            .await
            .context("`tongban up` did not say it was ready within five minutes")??
            .context("`tongban up` exited before it was ready")?;
        let mut words = line.split_whitespace();
        if words.next() == Some("gateway") {
            gateway = words.next().map(str::to_owned);
        }
        if line.starts_with("Ready when") {
            break;
        }
    }
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    gateway.context("`tongban up` named no gateway")
}

/// The last lines the child wrote to its standard error (its warnings and, when it fails, why),
/// kept while it runs so a failure can say them.
fn last_words(child: &mut tokio::process::Child) -> Arc<std::sync::Mutex<Vec<String>>> {
    const KEPT: usize = 40;
    let kept = Arc::new(std::sync::Mutex::new(Vec::new()));
    if let Some(stderr) = child.stderr.take() {
        let kept = kept.clone();
        tokio::spawn(async move {
            let mut lines = BufReader::new(stderr).lines();
            while let Ok(Some(line)) = lines.next_line().await {
                let Ok(mut kept) = kept.lock() else { break };
                if kept.len() == KEPT {
                    kept.remove(0);
                }
                kept.push(line);
            }
        });
    }
    kept
}

/// VmRSS of a process, in MiB (Linux).
pub fn resident_mib(pid: u32) -> anyhow::Result<f64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))
        .with_context(|| format!("cannot read /proc/{pid}/status"))?;
    let kib: f64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .context("no VmRSS in /proc/<pid>/status")?;
    Ok(kib / 1024.0)
}

/// SIGTERM, as an operator's Ctrl-C; SIGKILL if it has not stopped within 30 s.
async fn stop(child: &mut tokio::process::Child) {
    if let Some(pid) = child.id() {
        let _ = tokio::process::Command::new("kill")
            .args(["-TERM", &pid.to_string()])
            .status()
            .await;
    }
    if tokio::time::timeout(Duration::from_secs(30), child.wait())
        .await
        .is_err()
    {
        let _ = child.kill().await;
    }
}

/// The report as a table for a terminal.
pub fn table(report: &MemoryReport) -> String {
    format!(
        "resident size of `tongban up --demo` (every service and the embedded broker in one process), {} CPUs\n\
         idle after start        {:>8.1} MiB\n\
         peak under load         {:>8.1} MiB   ({} cases submitted at {:.0}/s, accepted at {:.0}/s, concurrency {})\n\
         idle after the load     {:>8.1} MiB\n",
        report.cpus,
        report.idle_mib,
        report.peak_under_load_mib,
        report.submissions.requests,
        report.submissions.requests_per_second,
        report.acceptances.requests_per_second,
        report.concurrency,
        report.after_load_mib,
    )
}
