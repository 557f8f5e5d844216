//! What part of the province a member of staff works on, as SQL can use it: the ranges of
//! region codes their bindings reach (a region and every division below it share its code's
//! prefix, so `code between 330681000000 and 330681999999` is 诸暨 and all below it), each with
//! the department a binding is restricted to. SQL matches a reach through the case's county
//! column (the code's first six digits): a county's cases are one key of an index that then
//! runs in time order, which a range of codes would not. The hall's lists and the staff search
//! are scoped with it (DESIGN.md "Jurisdiction and access"); it gives the same answer as
//! [`Principal::works_on_cases_of`] for each case.
use sqlx::{Postgres, QueryBuilder};
use uuid::Uuid;

use tongban_kernel::{Power, Principal, RegionCode, RoleBinding};

/// One binding's reach: codes from `lo` to `hi`, of one department's items or of all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reach {
    pub lo: String,
    pub hi: String,
    pub department: Option<Uuid>,
}

impl Reach {
    fn of(region: &RegionCode, department: Option<Uuid>) -> Self {
        let prefix = region.prefix();
        let pad = 12 - prefix.len();
        Self {
            lo: format!("{prefix}{}", "0".repeat(pad)),
            hi: format!("{prefix}{}", "9".repeat(pad)),
            department,
        }
    }
}

/// What `principal`'s bindings holding one of `powers` reach, narrowed to `within` when given
/// (a binding above it reaches `within`; one below it, itself; one elsewhere, nothing), without
/// a reach another already covers. Empty: nothing is theirs to see.
pub fn reaches(principal: &Principal, powers: &[Power], within: Option<&RegionCode>) -> Vec<Reach> {
    let mut bindings: Vec<(RegionCode, Option<Uuid>)> = principal
        .roles
        .iter()
        .filter(|b| b.role.powers().iter().any(|p| powers.contains(p)))
        .filter_map(|b| match within {
            None => Some((b.region, b.department)),
            Some(within) if b.covers(within) => Some((*within, b.department)),
            Some(within) if b.region.is_within(within) => Some((b.region, b.department)),
            Some(_) => None,
        })
        .collect();
    bindings.sort_by(|a, b| a.0.as_str().cmp(b.0.as_str()).then(a.1.cmp(&b.1)));
    bindings.dedup();
    let covers = |outer: &(RegionCode, Option<Uuid>), inner: &(RegionCode, Option<Uuid>)| {
        let binding = |(region, department): &(RegionCode, Option<Uuid>)| RoleBinding {
            role: tongban_kernel::Role::Supervisor,
            region: *region,
            department: *department,
        };
        binding(outer).covers_binding(&binding(inner))
    };
    bindings
        .iter()
        .enumerate()
        .filter(|(i, inner)| {
            !bindings.iter().enumerate().any(|(j, outer)| {
                j != *i && covers(outer, inner) && (!covers(inner, outer) || j < *i)
            })
        })
        .map(|(_, (region, department))| Reach::of(region, *department))
        .collect()
}

/// A side of a case a reach is matched on: the region that received it, or the one that
/// handles it — each as its code and its county (the code's first six digits, a column of its
/// own that the hall's indexes lead with).
#[derive(Debug, Clone, Copy)]
pub struct Side {
    pub county: &'static str,
    pub region: &'static str,
}

pub const RECEIVED: Side = Side {
    county: "c.receiving_county",
    region: "c.receiving_region",
};
pub const HANDLED: Side = Side {
    county: "c.handling_county",
    region: "c.handling_region",
};

impl Reach {
    /// The county the reach lies in (the county itself, or a town of it), or none for a city's
    /// or the province's.
    pub fn county(&self) -> Option<&str> {
        (self.lo[..6] == self.hi[..6]).then(|| &self.lo[..6])
    }
}

/// Appends a case on `side` lying in `reach` (and, when the reach is restricted to a
/// department, of whose `departments` — the SQL expression of an array of the departments the
/// case belongs to — that department is one), as an index can follow it in time order: the
/// county equal, and a town's range of codes on top; a city's or the province's a range of
/// counties.
pub fn push_within(
    sql: &mut QueryBuilder<'_, Postgres>,
    reach: &Reach,
    side: Side,
    departments: &str,
) {
    sql.push("(");
    match reach.county() {
        Some(county) => {
            sql.push(format!("{} = ", side.county))
                .push_bind(county.to_owned());
            if !(reach.lo.ends_with("000000") && reach.hi.ends_with("999999")) {
                sql.push(format!(" and {} between ", side.region))
                    .push_bind(reach.lo.clone())
                    .push(" and ")
                    .push_bind(reach.hi.clone());
            }
        }
        None => {
            sql.push(format!("{} between ", side.county))
                .push_bind(reach.lo[..6].to_owned())
                .push(" and ")
                .push_bind(reach.hi[..6].to_owned());
        }
    }
    if let Some(id) = reach.department {
        sql.push(" and ")
            .push_bind(id)
            .push(format!(" = any({departments})"));
    }
    sql.push(")");
}

/// Appends ` and (…)`: a case lying on `side` in one of `reaches` ([`push_within`]). No reach:
/// ` and false`.
pub fn push_scope(
    sql: &mut QueryBuilder<'_, Postgres>,
    reaches: &[Reach],
    side: Side,
    departments: &str,
) {
    if reaches.is_empty() {
        sql.push(" and false");
        return;
    }
    sql.push(" and (");
    for (i, reach) in reaches.iter().enumerate() {
        if i > 0 {
            sql.push(" or ");
        }
        push_within(sql, reach, side, departments);
    }
    sql.push(")");
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use tongban_kernel::{AccountKind, Role};

    fn staff(bindings: &[(Role, &str, Option<Uuid>)]) -> Principal {
        Principal {
            account: Uuid::now_v7(),
            kind: AccountKind::Staff,
            real_name_level: 3,
            roles: bindings
                .iter()
                .map(|(role, region, department)| RoleBinding {
                    role: *role,
                    region: region.parse().unwrap(),
                    department: *department,
                })
                .collect(),
            client_id: None,
            session: None,
        }
    }

    #[test]
    fn a_county_binding_reaches_every_code_below_it() {
        let clerk = staff(&[(Role::WindowClerk, "330681000000", None)]);
        let reach = reaches(&clerk, &[Power::AcceptCases], None);
        assert_eq!(
            reach,
            vec![Reach {
                lo: "330681000000".into(),
                hi: "330681999999".into(),
                department: None
            }]
        );
        assert!(reaches(&clerk, &[Power::HandleCases], None).is_empty());
    }

    #[test]
    fn a_reach_inside_another_is_dropped_and_a_narrower_department_kept_apart() {
        let department = Uuid::now_v7();
        let person = staff(&[
            (Role::WindowClerk, "330600000000", None),
            (Role::WindowClerk, "330681000000", None),
            (Role::Approver, "330681000000", Some(department)),
            (Role::Approver, "430903000000", Some(department)),
        ]);
        let reach = reaches(&person, &Power::CASE_WORK, None);
        assert_eq!(
            reach
                .iter()
                .map(|r| (r.lo.as_str(), r.department))
                .collect::<Vec<_>>(),
            vec![("330600000000", None), ("430903000000", Some(department))]
        );
    }

    #[test]
    fn narrowing_keeps_what_lies_in_the_region_asked_for() {
        let person = staff(&[
            (Role::Supervisor, "330000000000", None),
            (Role::WindowClerk, "430903000000", None),
        ]);
        let zhuji: RegionCode = "330681000000".parse().unwrap();
        let reach = reaches(&person, &Power::CASE_WORK, Some(&zhuji));
        assert_eq!(reach.len(), 1);
        assert_eq!(
            (reach[0].lo.as_str(), reach[0].hi.as_str()),
            ("330681000000", "330681999999")
        );
        let hunan: RegionCode = "430000000000".parse().unwrap();
        let reach = reaches(&person, &Power::CASE_WORK, Some(&hunan));
        assert_eq!(
            reach[0].lo, "430903000000",
            "a binding below the region asked for"
        );
        let anhui: RegionCode = "340000000000".parse().unwrap();
        assert!(reaches(&person, &Power::CASE_WORK, Some(&anhui)).is_empty());
    }

    fn within(reach: &Reach) -> String {
        let mut sql = QueryBuilder::<Postgres>::new("");
        push_within(&mut sql, reach, RECEIVED, "array[v.department_id]");
        sql.sql().to_owned()
    }

    #[test]
    fn a_county_or_a_town_is_its_county_and_a_city_a_range_of_counties() {
        let person = staff(&[
            (Role::WindowClerk, "330681000000", None),
            (Role::WindowClerk, "330681001000", None),
            (Role::Supervisor, "430900000000", Some(Uuid::now_v7())),
        ]);
        let reach = reaches(&person, &Power::CASE_WORK, None);
        assert_eq!(reach.len(), 2, "the town lies in the county: {reach:?}");
        assert_eq!(reach[0].county(), Some("330681"));
        assert_eq!(within(&reach[0]), "(c.receiving_county = $1)");
        assert_eq!(reach[1].county(), None);
        assert_eq!(
            within(&reach[1]),
            "(c.receiving_county between $1 and $2 and $3 = any(array[v.department_id]))"
        );
        let town = staff(&[(Role::WindowClerk, "330681001000", None)]);
        let reach = reaches(&town, &Power::CASE_WORK, None);
        assert_eq!(reach[0].county(), Some("330681"));
        assert_eq!(
            within(&reach[0]),
            "(c.receiving_county = $1 and c.receiving_region between $2 and $3)"
        );
    }
}
