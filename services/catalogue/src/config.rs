//! The `[catalogue]` section of the settings: what only this service reads. Defaults are stated
//! here (and repeated, with a comment each, in `deploy/tongban.example.toml`); the file and
//! `TONGBAN__CATALOGUE__<KEY>` variables override them.

use serde::Deserialize;

use tongban_runtime::config::Section;

#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct CatalogueSettings {
    /// Load the shipped administrative divisions when the catalogue starts on an empty region
    /// table (`tongban catalogue import-regions` loads or refreshes them at any time).
    pub import_regions_on_start: bool,
}

impl Section for CatalogueSettings {
    const NAME: &'static str = "catalogue";
}

impl Default for CatalogueSettings {
    fn default() -> Self {
        Self {
            import_regions_on_start: true,
        }
    }
}
