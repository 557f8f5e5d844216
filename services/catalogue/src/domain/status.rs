//! Where an item or a bundle, and each of its versions, stands in publishing. Stored in the
//! text `status` columns and shown by the API with the same snake_case names.

tongban_kernel::text_enum! {
    /// An item's or bundle's state: a draft never published, in force, or taken out of service.
    pub enum Status {
        Draft => "draft",
        Published => "published",
        Withdrawn => "withdrawn",
    }
}

tongban_kernel::text_enum! {
    /// A version's state: the draft being edited, the version in force, one in force before it,
    /// or the one in force when the item was withdrawn.
    pub enum VersionStatus {
        Draft => "draft",
        Published => "published",
        Superseded => "superseded",
        Withdrawn => "withdrawn",
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
