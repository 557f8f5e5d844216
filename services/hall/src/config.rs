//! The `[hall]` section of the settings: what only this service reads. Defaults are stated
//! here (and repeated, with a comment each, in `deploy/tongban.example.toml`); the file and
//! `TONGBAN__HALL__<KEY>` variables override them.

use serde::Deserialize;

use tongban_runtime::config::Section;

#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct HallSettings {
    /// How often the bookings' timers are swept: holds let go, no-shows marked, reminders
    /// sent (seconds).
    pub sweep_secs: u64,
}

impl Section for HallSettings {
    const NAME: &'static str = "hall";
}

impl Default for HallSettings {
    fn default() -> Self {
        Self { sweep_secs: 30 }
    }
}
