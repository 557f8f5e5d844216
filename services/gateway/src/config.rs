//! The `[gateway]` section of the settings: what only this service reads. Defaults are stated
//! here (and repeated, with a comment each, in `deploy/tongban.example.toml`); the file and
//! `TONGBAN__GATEWAY__<KEY>` variables override them.

use serde::Deserialize;

use tongban_runtime::config::Section;

#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct GatewaySettings {
    /// Requests per second each client IP may send (sustained), and the burst above it.
    pub rate_limit_ip_per_second: u32,
    pub rate_limit_ip_burst: u32,
    /// Requests per second each authenticated subject may send, and the burst.
    pub rate_limit_subject_per_second: u32,
    pub rate_limit_subject_burst: u32,
    /// Accounts one client IP may register per hour (citizens and enterprises together): the
    /// answer to a registration says whether a document number has an account, so it must not
    /// become a way to sweep numbers.
    pub registrations_per_hour_per_ip: u32,
    /// Take the client IP from the first `X-Forwarded-For` entry (only behind an ingress that
    /// sets it; otherwise clients could pick their own IP).
    pub trust_forwarded_for: bool,
    /// The port (on `http.host`) where the gateway serves `/metrics` for monitoring; 0: none.
    /// The public port never serves metrics, neither the gateway's nor a service's.
    pub metrics_port: u16,
}

impl Section for GatewaySettings {
    const NAME: &'static str = "gateway";
}

impl Default for GatewaySettings {
    fn default() -> Self {
        Self {
            rate_limit_ip_per_second: 100,
            rate_limit_ip_burst: 200,
            rate_limit_subject_per_second: 20,
            rate_limit_subject_burst: 40,
            registrations_per_hour_per_ip: 10,
            trust_forwarded_for: false,
            metrics_port: 0,
        }
    }
}
