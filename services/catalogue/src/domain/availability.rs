//! How a hall may take in an item a search by region found: a window clerk choosing an item
//! needs to know whether it is the region's own, reaches it through its 通办 scope, or is
//! collected for another region under an agreement (跨域通办, 异地代收代办).

tongban_kernel::text_enum! {
    /// How a hall of the region searched may take an item in.
    pub enum AvailableAs {
        /// An item of the region itself or of a region above it, whose reach covers it.
        Own => "own",
        /// An item of a region elsewhere whose 通办 scope (or covered regions) reaches it.
        TongbanScope => "tongban_scope",
        /// An item of a region elsewhere that an agreement in force lets the hall collect; the
        /// agreement's mode says how.
        Agreement => "agreement",
    }
}

/// How a hall of the region whose lineage (province first, itself last) is `lineage` may take
/// in an item of `item_region` that a search found: by its reach (`reached`) or under an
/// agreement (`agreed`). Its reach wins over an agreement, as at the window: a case the item's
/// scope lets the hall take in needs no agreement. `None` when neither lets it (not a result).
pub fn available_as(
    item_region: &str,
    lineage: &[String],
    reached: bool,
    agreed: bool,
) -> Option<AvailableAs> {
    match (reached, agreed) {
        (true, _) if lineage.iter().any(|r| r == item_region) => Some(AvailableAs::Own),
        (true, _) => Some(AvailableAs::TongbanScope),
        (false, true) => Some(AvailableAs::Agreement),
        (false, false) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HESHAN: &str = "430903000000";
    const ANHUA: &str = "430923000000";

    fn lineage(codes: &[&str]) -> Vec<String> {
        codes.iter().map(|c| (*c).to_owned()).collect()
    }

    #[test]
    fn an_item_of_the_region_or_above_is_its_own() {
        let town = lineage(&["430000000000", "430900000000", HESHAN, "430903001000"]);
        assert_eq!(
            available_as(HESHAN, &town, true, false),
            Some(AvailableAs::Own)
        );
        assert_eq!(
            available_as("430900000000", &town, true, true),
            Some(AvailableAs::Own),
            "an agreement changes nothing for the region's own item"
        );
    }

    #[test]
    fn an_item_elsewhere_reaches_by_scope_before_any_agreement() {
        let anhua = lineage(&["430000000000", "430900000000", ANHUA]);
        assert_eq!(
            available_as(HESHAN, &anhua, true, false),
            Some(AvailableAs::TongbanScope)
        );
        assert_eq!(
            available_as(HESHAN, &anhua, true, true),
            Some(AvailableAs::TongbanScope)
        );
        assert_eq!(
            available_as(HESHAN, &anhua, false, true),
            Some(AvailableAs::Agreement)
        );
        assert_eq!(available_as(HESHAN, &anhua, false, false), None);
    }

    #[test]
    fn the_names_are_the_shown_strings() {
        for (value, name) in [
            (AvailableAs::Own, "own"),
            (AvailableAs::TongbanScope, "tongban_scope"),
            (AvailableAs::Agreement, "agreement"),
        ] {
            assert_eq!(serde_json::to_value(value).ok(), Some(name.into()));
        }
    }
}
