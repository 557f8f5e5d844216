//! The `[insight]` section of the settings: what only this service reads. Defaults are stated
//! here (and repeated, with a comment each, in `deploy/tongban.example.toml`); the file and
//! `TONGBAN__INSIGHT__<KEY>` variables override them.

use serde::Deserialize;

use tongban_runtime::config::Section;

#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct InsightSettings {
    /// Events applied per transaction, at most, when a backlog is waiting (a rebuild reads
    /// every topic from the start): one commit for many events.
    pub consumer_batch: usize,
}

impl Section for InsightSettings {
    const NAME: &'static str = "insight";
}

impl Default for InsightSettings {
    fn default() -> Self {
        Self {
            consumer_batch: 500,
        }
    }
}
