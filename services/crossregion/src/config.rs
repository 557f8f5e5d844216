//! The `[crossregion]` section of the settings: what only this service reads. Defaults are stated
//! here (and repeated, with a comment each, in `deploy/tongban.example.toml`); the file and
//! `TONGBAN__CROSSREGION__<KEY>` variables override them.

use serde::Deserialize;

use tongban_runtime::config::Section;

#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct CrossregionSettings {
    /// Working days (of its service centre) the handling region has to accept or reject a
    /// transfer.
    pub response_working_days: u32,
    /// Working days (of the receiving centre) to deliver a result the handling region sent back.
    pub delivery_working_days: u32,
    /// How often missed hand-over deadlines are looked for and escalated (seconds).
    pub timer_sweep_secs: u64,
}

impl Section for CrossregionSettings {
    const NAME: &'static str = "crossregion";
}

impl Default for CrossregionSettings {
    fn default() -> Self {
        Self {
            response_working_days: 2,
            delivery_working_days: 3,
            timer_sweep_secs: 60,
        }
    }
}
