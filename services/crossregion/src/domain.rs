//! The rules of 通办 agreements and transfers, without I/O: the modes, the reach an agreement
//! has between the regions it involves, and who hands what over to whom in a transfer.
//! (Whether a receiving region is covered is asked of the database: a collecting region in the
//! receiving region's lineage.)

use tongban_kernel::RegionCode;
use tongban_kernel::region::RegionLevel;

/// How the cases of an agreement are handled (国办发〔2020〕35号).
pub const MODES: [&str; 3] = [
    // 全程网办: applied for online from anywhere, handled at home.
    "online",
    // 异地代收代办: collected at a window elsewhere, handled at home (收受分离).
    "collect_elsewhere",
    // 多地联办: several regions each handle their part; the applicant deals with one hall.
    "joint",
];

/// The widest reach between regions given by their lineages (province first, each region
/// last): the level of their deepest common ancestor. Lineages follow the catalogue's stored
/// parents, so special zones whose codes do not nest are placed right.
pub fn scope(lineages: &[Vec<String>]) -> &'static str {
    let Some(first) = lineages.first() else {
        return "cross_province";
    };
    let common = first
        .iter()
        .enumerate()
        .take_while(|(i, code)| lineages.iter().all(|l| l.get(*i) == Some(*code)))
        .map(|(_, code)| code)
        .last();
    match common
        .and_then(|c| c.parse::<RegionCode>().ok())
        .map(|c| c.level())
    {
        None => "cross_province",
        Some(RegionLevel::Province) => "province",
        Some(RegionLevel::City) => "city",
        Some(RegionLevel::County | RegionLevel::Town | RegionLevel::Village) => "county",
    }
}

/// Why a handling region sends a transfer back.
pub const REJECTION_KINDS: [&str; 2] = [
    // The item is not the handling region's to decide (wrong region or department).
    "not_competent",
    // The materials forwarded are incomplete or defective.
    "materials_defective",
];

/// The two halls of a transfer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    /// The window that took the case in (收件地).
    Receiving,
    /// The region whose department decides it (办理地).
    Handling,
}

/// A postal leg the halls record between themselves: who posts it, who receives it, and the
/// transfer states in which it may go out. (A result posted to the applicant is recorded from
/// the delivery itself.)
pub fn leg(direction: &str) -> Option<(Side, Side, &'static [&'static str])> {
    match direction {
        // Originals follow the electronic hand-over, before or after the handling region
        // accepted it.
        "materials" => Some((Side::Receiving, Side::Handling, &["sent", "accepted"])),
        // The paper result goes back for pickup at the receiving window.
        "result_to_receiving" => Some((Side::Handling, Side::Receiving, &["returned"])),
        _ => None,
    }
}

/// Where a transfer's case is, by its state.
pub fn location(state: &str) -> &'static str {
    match state {
        "sent" | "accepted" => "handling_region",
        "delivered" => "applicant",
        _ => "receiving_region",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lineage(codes: &[&str]) -> Vec<String> {
        codes.iter().map(|c| format!("{c:0<12}")).collect()
    }

    #[test]
    fn the_scope_is_the_level_of_the_deepest_common_ancestor() {
        let heshan = lineage(&["43", "4309", "430903"]);
        let anhua = lineage(&["43", "4309", "430923"]);
        let changsha = lineage(&["43", "4301", "430121"]);
        let zhuji = lineage(&["33", "3306", "330681"]);
        let heshan_town = lineage(&["43", "4309", "430903", "430903001"]);
        assert_eq!(scope(&[heshan.clone(), heshan_town]), "county");
        assert_eq!(scope(&[heshan.clone(), anhua]), "city");
        assert_eq!(scope(&[heshan.clone(), changsha]), "province");
        assert_eq!(scope(&[heshan.clone(), zhuji]), "cross_province");
        assert_eq!(scope(&[heshan]), "county");
    }

    #[test]
    fn legs_go_between_the_halls_in_their_states() {
        let (from, to, states) = leg("materials").unwrap();
        assert_eq!((from, to), (Side::Receiving, Side::Handling));
        assert!(states.contains(&"sent") && !states.contains(&"returned"));
        let (from, to, states) = leg("result_to_receiving").unwrap();
        assert_eq!((from, to), (Side::Handling, Side::Receiving));
        assert_eq!(states, &["returned"]);
        assert!(
            leg("result_to_applicant").is_none(),
            "recorded by the delivery"
        );
        assert_eq!(location("sent"), "handling_region");
        assert_eq!(location("rejected"), "receiving_region");
        assert_eq!(location("delivered"), "applicant");
    }
}
