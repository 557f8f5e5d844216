//! The `[acceptance]` section of the settings: what only this service reads. Defaults are stated
//! here (and repeated, with a comment each, in `deploy/tongban.example.toml`); the file and
//! `TONGBAN__ACCEPTANCE__<KEY>` variables override them.

use serde::Deserialize;

use tongban_runtime::config::Section;

#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct AcceptanceSettings {
    /// How often the service looks for 容缺 materials and remediations past their deadline
    /// (seconds).
    pub overdue_sweep_secs: u64,
    /// How long after the first rating of a case its applicant may change it (hours).
    pub rating_change_hours: i64,
    /// Working days a bad rating's remediation has where no region above has set its own.
    pub remediation_working_days: u32,
}

impl Section for AcceptanceSettings {
    const NAME: &'static str = "acceptance";
}

impl Default for AcceptanceSettings {
    fn default() -> Self {
        Self {
            overdue_sweep_secs: 60,
            rating_change_hours: 24,
            remediation_working_days: 5,
        }
    }
}
