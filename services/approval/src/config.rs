//! The `[approval]` section of the settings: what only this service reads. Defaults are stated
//! here (and repeated, with a comment each, in `deploy/tongban.example.toml`); the file and
//! `TONGBAN__APPROVAL__<KEY>` variables override them.

use serde::Deserialize;

use tongban_runtime::config::Section;

#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct ApprovalSettings {
    /// How often the time-limit timers run: yellow warnings before the due date, red
    /// escalation once it has passed (seconds).
    pub timer_sweep_secs: u64,
    /// A case is warned (yellow) this many working days before its due date.
    pub warning_working_days: u32,
    /// Where the public reaches the platform (the gateway, or the ingress in front of it),
    /// without a trailing slash: the QR code on a printed certificate encodes this base plus
    /// the certificate's public status path, so a phone that scans it needs no account.
    pub public_url: String,
}

impl Section for ApprovalSettings {
    const NAME: &'static str = "approval";
}

impl Default for ApprovalSettings {
    fn default() -> Self {
        Self {
            timer_sweep_secs: 60,
            warning_working_days: 2,
            public_url: "http://127.0.0.1:8080".into(),
        }
    }
}
