//! Where an item or a bundle, and each of its versions, stands in publishing. Stored in the
//! text `status` columns and shown by the API with the same snake_case names.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// An item's or bundle's state: a draft never published, in force, or taken out of service.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema, sqlx::Type)]
#[serde(rename_all = "snake_case")]
#[sqlx(type_name = "text", rename_all = "snake_case")]
pub enum Status {
    Draft,
    Published,
    Withdrawn,
}

/// A version's state: the draft being edited, the version in force, one in force before it,
/// or the one in force when the item was withdrawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema, sqlx::Type)]
#[serde(rename_all = "snake_case")]
#[sqlx(type_name = "text", rename_all = "snake_case")]
pub enum VersionStatus {
    Draft,
    Published,
    Superseded,
    Withdrawn,
}

impl VersionStatus {
    /// The name stored and shown.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Draft => "draft",
            Self::Published => "published",
            Self::Superseded => "superseded",
            Self::Withdrawn => "withdrawn",
        }
    }
}

impl std::fmt::Display for VersionStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_names_are_the_stored_strings() {
        for (status, name) in [
            (VersionStatus::Draft, "draft"),
            (VersionStatus::Published, "published"),
            (VersionStatus::Superseded, "superseded"),
            (VersionStatus::Withdrawn, "withdrawn"),
        ] {
            assert_eq!(status.as_str(), name);
            assert_eq!(serde_json::to_value(status).ok(), Some(name.into()));
        }
        for (status, name) in [
            (Status::Draft, "draft"),
            (Status::Published, "published"),
            (Status::Withdrawn, "withdrawn"),
        ] {
            assert_eq!(serde_json::to_value(status).ok(), Some(name.into()));
        }
    }
}
