//! What the resources' handlers share in reading their input.

use tongban_kernel::{RegionCode, Result};

use crate::AppState;

pub(crate) use tongban_kernel::parse_param as parse;

/// Parses a region code parameter and checks that it names a known division (400 for a
/// malformed code, 422 for an unknown one, both naming `field`).
pub(crate) async fn known_region(state: &AppState, field: &str, raw: &str) -> Result<RegionCode> {
    let region: RegionCode = parse(field, raw)?;
    crate::db::regions::require_known(&state.pool, &region, field).await?;
    Ok(region)
}

/// [`known_region`] for an optional filter.
pub(crate) async fn known_region_filter(
    state: &AppState,
    field: &str,
    raw: Option<&str>,
) -> Result<Option<RegionCode>> {
    match raw {
        Some(raw) => Ok(Some(known_region(state, field, raw).await?)),
        None => Ok(None),
    }
}

/// Why something is withdrawn: 1-500 characters.
#[derive(Debug, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Withdrawal {
    pub reason: String,
}

impl Withdrawal {
    pub(crate) fn reason(&self) -> Result<&str> {
        crate::domain::item::text("reason", &self.reason, 500)?;
        Ok(self.reason.trim())
    }
}

/// Which draft to publish.
#[derive(Debug, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Publication {
    pub version: i32,
}
