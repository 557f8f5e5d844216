//! `tongban bench portal`: how fast the online hall's guide and search pages answer with many
//! visitors at once, over the demo catalogue grown with synthetic town centres (about 2,000
//! items in force by default, as `tongban bench catalogue` grows it), and what a page weighs.
//!
//! Every request is a real page through the gateway: the hall asks the catalogue (a search,
//! or an item's version in force) and draws the page. Searches go by the keywords and regions
//! `bench catalogue` uses; guides are items chosen at random, asked with a region as a
//! visitor who chose one in the picker does.

use anyhow::Context as _;
use axum::body::Bytes;
use http_body_util::{BodyExt, Full};
use serde::Serialize;

use super::{HttpClient, KEYWORDS, Load, Measured, SEARCH_REGIONS, client, gets_in_rounds, row};
use crate::Platform;

#[derive(Debug, Clone, Serialize)]
pub struct PortalReport {
    pub cpus: usize,
    /// Visitors asking at once.
    pub concurrency: usize,
    pub items: i64,
    /// `/search?q=…&region=…`: the catalogue's search, the region picker (kept), the page.
    pub search: Measured,
    /// `/items/{code}?region=…`: the item's version in force, how the region's halls take it
    /// in (a second search), the page.
    pub guide: Measured,
    /// What each page weighs before images: its HTML, with the style sheet and the script
    /// every page loads (bytes, uncompressed).
    pub weights: Vec<(String, usize)>,
}

/// Runs the benchmark over the demo catalogue and `extra_departments` synthetic centres.
pub async fn portal(
    settings: tongban_runtime::Settings,
    load: Load,
    extra_departments: usize,
    progress: impl Fn(&str),
) -> anyhow::Result<PortalReport> {
    super::on_throwaway(settings, &progress, async |platform| {
        measure(platform, load, extra_departments, &progress).await
    })
    .await
}

async fn measure(
    platform: &Platform,
    load: Load,
    extra_departments: usize,
    progress: &impl Fn(&str),
) -> anyhow::Result<PortalReport> {
    let client = client(&platform.settings.http, load.concurrency);
    super::wait_ready(&client, platform).await?;
    let gateway = platform.gateway_url().context("no gateway")?;
    let (items, codes) =
        super::catalogue::grown(platform, &SEARCH_REGIONS[..3], extra_departments, progress)
            .await?;

    let searches: Vec<String> = KEYWORDS
        .iter()
        .flat_map(|keyword| {
            let q: String = url::form_urlencoded::byte_serialize(keyword.as_bytes()).collect();
            let gateway = gateway.clone();
            SEARCH_REGIONS
                .iter()
                .map(move |region| format!("{gateway}/search?q={q}&region={region}"))
        })
        .collect();
    let guides: Vec<String> = codes
        .iter()
        .zip(SEARCH_REGIONS.iter().cycle())
        .map(|(code, region)| format!("{gateway}/items/{code}?region={region}"))
        .collect();
    let weights = weigh(
        &client,
        &gateway,
        &[
            ("front page", "/".to_owned()),
            (
                "search",
                searches[0].trim_start_matches(&gateway).to_owned(),
            ),
            ("guide", guides[0].trim_start_matches(&gateway).to_owned()),
        ],
    )
    .await?;

    let [search, guide] = gets_in_rounds(&client, [&searches, &guides], load, progress).await?;
    Ok(PortalReport {
        cpus: std::thread::available_parallelism().map_or(1, |n| n.get()),
        concurrency: load.concurrency,
        items,
        search,
        guide,
        weights,
    })
}

/// The bytes of each page at `paths` (by name) with the style sheet and script it loads.
async fn weigh(
    client: &HttpClient,
    gateway: &str,
    pages: &[(&str, String)],
) -> anyhow::Result<Vec<(String, usize)>> {
    let mut files = 0;
    for asset in ["/assets/portal.css", "/assets/portal.js"] {
        files += body(client, &format!("{gateway}{asset}")).await?.len();
    }
    let mut weights = Vec::new();
    for (name, path) in pages {
        let html = body(client, &format!("{gateway}{path}")).await?;
        weights.push(((*name).to_owned(), html.len() + files));
    }
    Ok(weights)
}

async fn body(client: &HttpClient, url: &str) -> anyhow::Result<Bytes> {
    let response = client
        .request(http::Request::get(url).body(Full::new(Bytes::new()))?)
        .await?;
    let status = response.status();
    let bytes = response.into_body().collect().await?.to_bytes();
    anyhow::ensure!(status == 200, "{url} answered {status}");
    Ok(bytes)
}

/// The report as a table for a terminal.
pub fn table(report: &PortalReport) -> String {
    let mut out = format!(
        "the online hall through the gateway, {} CPUs, {} visitors at once, {} items in force\n{:<16} {:>9} {:>12} {:>9} {:>9}\n",
        report.cpus,
        report.concurrency,
        report.items,
        "page",
        "requests",
        "requests/s",
        "p50 ms",
        "p99 ms",
    );
    out.push_str(&row("search", &report.search));
    out.push_str(&row("guide", &report.guide));
    for (name, bytes) in &report.weights {
        out.push_str(&format!(
            "{name} weighs {:.1} KB with its style sheet and script\n",
            *bytes as f64 / 1024.0
        ));
    }
    out
}
