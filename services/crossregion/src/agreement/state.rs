//! What an agreement is, as typed values, and its rules without I/O: the modes, the reach
//! between the regions it involves, its status, and when it may be signed or terminated.

use chrono::NaiveDate;
use tongban_kernel::RegionCode;
use tongban_kernel::region::RegionLevel;

use tongban_kernel::text_enum;

text_enum! {
    /// How the cases of an agreement are handled (国办发〔2020〕35号).
    pub enum Mode {
        /// 全程网办: applied for online from anywhere, handled at home.
        Online => "online",
        /// 异地代收代办: collected at a window elsewhere, handled at home (收受分离).
        CollectElsewhere => "collect_elsewhere",
        /// 多地联办: several regions each handle their part; the applicant deals with one hall.
        Joint => "joint",
    }
}

text_enum! {
    /// The widest reach between an agreement's regions.
    pub enum Scope {
        County => "county",
        City => "city",
        Province => "province",
        CrossProvince => "cross_province",
    }
}

text_enum! {
    /// Where an agreement stands (kept as the instants it was concluded and terminated).
    pub enum Status {
        /// Awaiting signatures.
        Proposed => "proposed",
        /// Signed for every region; applies from `effective_from`.
        InForce => "in_force",
        Terminated => "terminated",
    }
}

impl Status {
    /// The status of an agreement concluded or not, terminated or not (termination wins).
    pub fn of(concluded: bool, terminated: bool) -> Self {
        if terminated {
            Self::Terminated
        } else if concluded {
            Self::InForce
        } else {
            Self::Proposed
        }
    }
}

/// The widest reach between regions given by their lineages (province first, each region
/// last): the level of their deepest common ancestor. Lineages follow the catalogue's stored
/// parents, so special zones whose codes do not nest are placed right.
pub fn scope(lineages: &[Vec<String>]) -> Scope {
    let Some(first) = lineages.first() else {
        return Scope::CrossProvince;
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
        None => Scope::CrossProvince,
        Some(RegionLevel::Province) => Scope::Province,
        Some(RegionLevel::City) => Scope::City,
        Some(RegionLevel::County | RegionLevel::Town | RegionLevel::Village) => Scope::County,
    }
}

/// Why a signature or a termination is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// Every region signed already (409 `already_concluded`).
    AlreadyConcluded,
    /// It was terminated already (409 `already_terminated`).
    AlreadyTerminated,
    /// The last day asked for is before today or before the agreement starts (422).
    EndsTooEarly,
}

/// A signature is for an agreement not yet concluded (a terminated proposal may still be
/// signed; it stays terminated).
pub fn may_sign(concluded: bool) -> Result<(), Refusal> {
    if concluded {
        Err(Refusal::AlreadyConcluded)
    } else {
        Ok(())
    }
}

/// The last day an agreement applies once terminated on `until` (today when absent): never
/// before today nor before it starts, and never later than an end it already had.
pub fn termination_end(
    terminated: bool,
    until: Option<NaiveDate>,
    today: NaiveDate,
    effective_from: NaiveDate,
    effective_until: Option<NaiveDate>,
) -> Result<NaiveDate, Refusal> {
    if terminated {
        return Err(Refusal::AlreadyTerminated);
    }
    let until = until.unwrap_or(today);
    if until < effective_from || until < today {
        return Err(Refusal::EndsTooEarly);
    }
    Ok(effective_until.map_or(until, |current| current.min(until)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lineage(codes: &[&str]) -> Vec<String> {
        codes.iter().map(|c| format!("{c:0<12}")).collect()
    }

    fn day(d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 12, d).unwrap()
    }

    #[test]
    fn the_scope_is_the_level_of_the_deepest_common_ancestor() {
        let heshan = lineage(&["43", "4309", "430903"]);
        let anhua = lineage(&["43", "4309", "430923"]);
        let changsha = lineage(&["43", "4301", "430121"]);
        let zhuji = lineage(&["33", "3306", "330681"]);
        let heshan_town = lineage(&["43", "4309", "430903", "430903001"]);
        assert_eq!(scope(&[heshan.clone(), heshan_town]), Scope::County);
        assert_eq!(scope(&[heshan.clone(), anhua]), Scope::City);
        assert_eq!(scope(&[heshan.clone(), changsha]), Scope::Province);
        assert_eq!(scope(&[heshan.clone(), zhuji]), Scope::CrossProvince);
        assert_eq!(scope(&[heshan]), Scope::County);
    }

    #[test]
    fn the_texts_are_todays() {
        for m in Mode::ALL {
            assert_eq!(serde_json::to_value(m).unwrap(), m.as_str());
        }
        for s in Scope::ALL {
            assert_eq!(serde_json::to_value(s).unwrap(), s.as_str());
        }
        for s in Status::ALL {
            assert_eq!(serde_json::to_value(s).unwrap(), s.as_str());
        }
        assert_eq!(Scope::CrossProvince.as_str(), "cross_province");
        assert_eq!(Status::InForce.as_str(), "in_force");
    }

    #[test]
    fn every_status_allows_or_refuses_signing_and_terminating() {
        for concluded in [false, true] {
            for terminated in [false, true] {
                let status = Status::of(concluded, terminated);
                assert_eq!(
                    status,
                    match (concluded, terminated) {
                        (_, true) => Status::Terminated,
                        (true, false) => Status::InForce,
                        (false, false) => Status::Proposed,
                    }
                );
                assert_eq!(may_sign(concluded).is_ok(), !concluded);
                let end = termination_end(terminated, None, day(4), day(1), None);
                if terminated {
                    assert_eq!(end, Err(Refusal::AlreadyTerminated));
                } else {
                    assert_eq!(end, Ok(day(4)));
                }
            }
        }
    }

    #[test]
    fn a_termination_ends_today_or_later_and_never_extends() {
        assert_eq!(
            termination_end(false, Some(day(3)), day(4), day(1), None),
            Err(Refusal::EndsTooEarly)
        );
        assert_eq!(
            termination_end(false, Some(day(5)), day(4), day(6), None),
            Err(Refusal::EndsTooEarly)
        );
        assert_eq!(
            termination_end(false, Some(day(20)), day(4), day(1), Some(day(10))),
            Ok(day(10))
        );
        assert_eq!(
            termination_end(false, Some(day(8)), day(4), day(1), Some(day(10))),
            Ok(day(8))
        );
    }
}
