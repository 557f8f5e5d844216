//! The rules of 通办 agreements, without I/O: the modes and the reach an agreement has between
//! the regions it involves.
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
}
