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
}

impl Section for ApprovalSettings {
    const NAME: &'static str = "approval";
}

impl Default for ApprovalSettings {
    fn default() -> Self {
        Self {
            timer_sweep_secs: 60,
            warning_working_days: 2,
        }
    }
}
