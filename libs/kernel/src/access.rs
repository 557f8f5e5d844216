//! Who may do what, where (DESIGN.md "Jurisdiction and access").
//!
//! A staff member's powers come from role bindings: (role, region, department?). A binding
//! covers its region and every region below it. Every service checks a request against the
//! region(s) of the resource it touches with [`Principal::require`]; the gateway's check is only
//! a first filter.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::{Error, RegionCode};

/// What kind of party an account is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AccountKind {
    /// A natural person applying for services.
    Citizen,
    /// A legal person, identified by its unified social credit code.
    Enterprise,
    /// A civil servant of a department in a region.
    Staff,
    /// A system, such as the provincial platform (client-credentials grant).
    Service,
}

impl AccountKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Citizen => "citizen",
            Self::Enterprise => "enterprise",
            Self::Staff => "staff",
            Self::Service => "service",
        }
    }
}

impl FromStr for AccountKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "citizen" => Ok(Self::Citizen),
            "enterprise" => Ok(Self::Enterprise),
            "staff" => Ok(Self::Staff),
            "service" => Ok(Self::Service),
            other => Err(format!("unknown account kind {other}")),
        }
    }
}

/// A staff role. The names may change; the powers each grants may not.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Takes cases in at a window (收件、受理).
    WindowClerk,
    /// Handles and decides cases in the back office (审核、批准).
    Approver,
    /// Watches everything in scope: cases, statistics, ratings (督查).
    Supervisor,
    /// Maintains the catalogue: departments, items, calendars.
    CatalogueAdmin,
    /// Manages accounts and grants roles.
    IdentityAdmin,
    /// Runs a service centre's hall: window groups, windows, opening hours, booking rules
    /// (大厅管理员).
    HallAdmin,
}

/// What a role allows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Power {
    AcceptCases,
    HandleCases,
    /// Read anything in scope (cases, statistics, directories).
    Supervise,
    EditCatalogue,
    /// Create and change accounts; grant and revoke roles.
    ManageAccounts,
    /// Set up a hall's window groups, windows, hours and booking rules.
    RunHall,
}

impl Power {
    /// The powers of working on cases: taking them in, handling them, supervising them.
    pub const CASE_WORK: [Power; 3] = [Power::AcceptCases, Power::HandleCases, Power::Supervise];

    /// What the power lets one do, and the role that gives it, in a clerk's words.
    pub fn describe(self) -> &'static str {
        match self {
            Self::AcceptCases => "taking cases in at a window (the window_clerk role)",
            Self::HandleCases => "handling cases in the back office (the approver role)",
            Self::Supervise => "supervising (the supervisor role)",
            Self::EditCatalogue => "keeping the catalogue (the catalogue_admin role)",
            Self::ManageAccounts => "managing accounts and roles (the identity_admin role)",
            Self::RunHall => "running a service centre's hall (the hall_admin role)",
        }
    }
}

impl Role {
    pub const ALL: [Role; 6] = [
        Self::WindowClerk,
        Self::Approver,
        Self::Supervisor,
        Self::CatalogueAdmin,
        Self::IdentityAdmin,
        Self::HallAdmin,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::WindowClerk => "window_clerk",
            Self::Approver => "approver",
            Self::Supervisor => "supervisor",
            Self::CatalogueAdmin => "catalogue_admin",
            Self::IdentityAdmin => "identity_admin",
            Self::HallAdmin => "hall_admin",
        }
    }

    pub fn powers(self) -> &'static [Power] {
        match self {
            Self::WindowClerk => &[Power::AcceptCases],
            Self::Approver => &[Power::HandleCases],
            Self::Supervisor => &[Power::Supervise],
            Self::CatalogueAdmin => &[Power::EditCatalogue],
            Self::IdentityAdmin => &[Power::ManageAccounts],
            Self::HallAdmin => &[Power::RunHall],
        }
    }
}

impl FromStr for Role {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|role| role.as_str() == s)
            .ok_or_else(|| format!("unknown role {s}; expected one of window_clerk, approver, supervisor, catalogue_admin, identity_admin, hall_admin"))
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One role held in one region (and its descendants), optionally only for one department.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
pub struct RoleBinding {
    pub role: Role,
    pub region: RegionCode,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub department: Option<Uuid>,
}

impl RoleBinding {
    /// Whether this binding reaches `region` (the same region or one below it).
    pub fn covers(&self, region: &RegionCode) -> bool {
        region.is_within(&self.region)
    }

    /// Whether this binding reaches everything `other` reaches: a region at or below this one,
    /// and the same department restriction or a narrower one.
    pub fn covers_binding(&self, other: &RoleBinding) -> bool {
        self.covers(&other.region)
            && match self.department {
                None => true,
                Some(mine) => other.department == Some(mine),
            }
    }
}

/// The authenticated party behind a request, as its access token says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    pub account: Uuid,
    pub kind: AccountKind,
    /// Real-name level 1 (unverified) to 3 (verified in person or by face).
    pub real_name_level: u8,
    pub roles: Vec<RoleBinding>,
    /// For service accounts: the OAuth client id.
    pub client_id: Option<String>,
    /// The sign-in the caller's token belongs to, if any.
    pub session: Option<Uuid>,
}

/// The widest region of `bindings`: the one with the shortest prefix (a province before its
/// cities, a city before its counties).
pub fn widest_region<'a>(
    bindings: impl IntoIterator<Item = &'a RoleBinding>,
) -> Option<RegionCode> {
    bindings
        .into_iter()
        .map(|b| b.region)
        .min_by_key(|r| r.prefix().len())
}

impl Principal {
    /// Whether this is a service account whose client id is one of `clients` (the platform's
    /// own services, named in configuration, for calls between them).
    pub fn is_service_among(&self, clients: &[String]) -> bool {
        self.kind == AccountKind::Service
            && self.client_id.as_ref().is_some_and(|c| clients.contains(c))
    }

    /// The bindings through which this principal holds `power` over `region`.
    pub fn bindings_for<'a>(
        &'a self,
        power: Power,
        region: &'a RegionCode,
    ) -> impl Iterator<Item = &'a RoleBinding> + 'a {
        self.roles
            .iter()
            .filter(move |b| b.role.powers().contains(&power) && b.covers(region))
    }

    /// The widest region in which this principal holds `power` (a default scope for a list).
    pub fn widest_region(&self, power: Power) -> Option<RegionCode> {
        widest_region(self.bindings_for_power(power))
    }

    /// The bindings through which this principal holds `power` anywhere.
    pub fn bindings_for_power(&self, power: Power) -> impl Iterator<Item = &RoleBinding> + '_ {
        self.roles
            .iter()
            .filter(move |b| b.role.powers().contains(&power))
    }

    /// Whether this principal takes in, handles or supervises cases in `region`: whom a case,
    /// a transfer or a rating there is visible to.
    pub fn works_on_cases_in(&self, region: &RegionCode) -> bool {
        Power::CASE_WORK
            .iter()
            .any(|power| self.can(*power, region))
    }

    /// Whether this principal takes in, handles or supervises cases in `region` of a case
    /// handled by one of `departments`: like [`Principal::works_on_cases_in`], but a binding
    /// restricted to a department counts only for that department's cases (DESIGN.md
    /// "Jurisdiction and access"; the rule approval applies to its work items). A case whose
    /// department is unknown (empty `departments`) is seen only through unrestricted bindings.
    pub fn works_on_cases_of(&self, region: &RegionCode, departments: &[Uuid]) -> bool {
        Power::CASE_WORK.iter().any(|power| {
            self.bindings_for(*power, region)
                .any(|b| b.department.is_none_or(|d| departments.contains(&d)))
        })
    }

    /// The departments whose cases in `region` this principal takes in, handles or supervises:
    /// `None` for every department (a binding restricted to none reaches the region), else the
    /// departments its bindings name (empty when no binding reaches the region).
    pub fn case_departments_in(&self, region: &RegionCode) -> Option<Vec<Uuid>> {
        let bindings: Vec<&RoleBinding> = Power::CASE_WORK
            .iter()
            .flat_map(|power| self.bindings_for(*power, region))
            .collect();
        if bindings.iter().any(|b| b.department.is_none()) {
            return None;
        }
        Some(bindings.iter().filter_map(|b| b.department).collect())
    }

    /// Whether this principal holds `power` over `region`.
    pub fn can(&self, power: Power, region: &RegionCode) -> bool {
        self.bindings_for(power, region).next().is_some()
    }

    /// `Ok` when [`Principal::can`], else 403 naming what is missing.
    pub fn require(&self, power: Power, region: &RegionCode) -> Result<(), Error> {
        if self.can(power, region) {
            Ok(())
        } else {
            Err(Error::Forbidden(format!(
                "none of your roles allows {} in region {region}",
                power.describe()
            )))
        }
    }

    /// Like [`Principal::require`], for a resource of one department: a binding restricted to
    /// another department does not count.
    pub fn require_in_department(
        &self,
        power: Power,
        region: &RegionCode,
        department: Uuid,
    ) -> Result<(), Error> {
        if self
            .bindings_for(power, region)
            .any(|b| b.department.is_none_or(|d| d == department))
        {
            Ok(())
        } else {
            Err(Error::Forbidden(format!(
                "none of your roles allows {} for department {department} in region {region}",
                power.describe()
            )))
        }
    }

    /// Whether this principal may do everything `binding` allows (the rule for granting it).
    pub fn may_grant(&self, binding: &RoleBinding) -> bool {
        self.roles
            .iter()
            .any(|own| own.role == Role::IdentityAdmin && own.covers_binding(binding))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_named_service_account_is_among_the_services() {
        let clients = vec!["tongban-identity".to_owned()];
        let service = |kind, client: Option<&str>| Principal {
            account: Uuid::nil(),
            kind,
            real_name_level: 3,
            roles: Vec::new(),
            client_id: client.map(str::to_owned),
            session: None,
        };
        assert!(service(AccountKind::Service, Some("tongban-identity")).is_service_among(&clients));
        assert!(!service(AccountKind::Service, Some("partner")).is_service_among(&clients));
        assert!(!service(AccountKind::Service, None).is_service_among(&clients));
        assert!(!service(AccountKind::Staff, Some("tongban-identity")).is_service_among(&clients));
    }

    fn code(s: &str) -> RegionCode {
        s.parse().unwrap()
    }

    fn binding(role: Role, region: &str) -> RoleBinding {
        RoleBinding {
            role,
            region: code(region),
            department: None,
        }
    }

    #[test]
    fn a_binding_covers_its_region_and_below_only() {
        let city = binding(Role::Supervisor, "430900000000");
        assert!(city.covers(&code("430900000000")));
        assert!(city.covers(&code("430921000000")));
        assert!(city.covers(&code("430921100000")));
        assert!(
            !city.covers(&code("430000000000")),
            "not the province above"
        );
        assert!(!city.covers(&code("430100000000")), "not a sibling city");
        let county = binding(Role::WindowClerk, "430921000000");
        assert!(
            !county.covers(&code("430922000000")),
            "not a sibling county"
        );
    }

    #[test]
    fn powers_come_from_roles_in_scope() {
        let clerk = Principal {
            account: Uuid::nil(),
            kind: AccountKind::Staff,
            real_name_level: 3,
            roles: vec![binding(Role::WindowClerk, "430921000000")],
            client_id: None,
            session: None,
        };
        assert!(clerk.can(Power::AcceptCases, &code("430921000000")));
        assert!(!clerk.can(Power::HandleCases, &code("430921000000")));
        assert!(!clerk.can(Power::AcceptCases, &code("430922000000")));
        assert!(
            clerk
                .require(Power::AcceptCases, &code("430900000000"))
                .is_err()
        );
    }

    #[test]
    fn a_department_bound_binding_sees_only_its_departments_cases() {
        let health = Uuid::now_v7();
        let labour = Uuid::now_v7();
        let county = code("430921000000");
        let bound = Principal {
            account: Uuid::nil(),
            kind: AccountKind::Staff,
            real_name_level: 3,
            roles: vec![RoleBinding {
                department: Some(health),
                ..binding(Role::Approver, "430921000000")
            }],
            client_id: None,
            session: None,
        };
        assert!(bound.works_on_cases_of(&county, &[health]));
        assert!(bound.works_on_cases_of(&county, &[labour, health]));
        assert!(
            !bound.works_on_cases_of(&county, &[labour]),
            "another department"
        );
        assert!(!bound.works_on_cases_of(&county, &[]), "department unknown");
        assert!(
            !bound.works_on_cases_of(&code("430922000000"), &[health]),
            "another county"
        );
        let unbound = Principal {
            roles: vec![binding(Role::Supervisor, "430900000000")],
            ..bound.clone()
        };
        assert!(unbound.works_on_cases_of(&county, &[labour]));
        assert!(unbound.works_on_cases_of(&county, &[]));
        assert_eq!(bound.case_departments_in(&county), Some(vec![health]));
        assert_eq!(unbound.case_departments_in(&county), None);
        let revoked = Principal {
            roles: Vec::new(),
            ..bound
        };
        assert!(!revoked.works_on_cases_of(&county, &[health]));
        assert_eq!(revoked.case_departments_in(&county), Some(Vec::new()));
    }

    #[test]
    fn granting_needs_an_identity_admin_whose_scope_covers_the_binding() {
        let dept = Uuid::now_v7();
        let city_admin = Principal {
            account: Uuid::nil(),
            kind: AccountKind::Staff,
            real_name_level: 3,
            roles: vec![binding(Role::IdentityAdmin, "430900000000")],
            client_id: None,
            session: None,
        };
        assert!(city_admin.may_grant(&binding(Role::Approver, "430921000000")));
        assert!(city_admin.may_grant(&binding(Role::IdentityAdmin, "430900000000")));
        assert!(!city_admin.may_grant(&binding(Role::Approver, "430000000000")));
        let dept_admin = Principal {
            roles: vec![RoleBinding {
                department: Some(dept),
                ..binding(Role::IdentityAdmin, "430900000000")
            }],
            ..city_admin.clone()
        };
        assert!(
            !dept_admin.may_grant(&binding(Role::Approver, "430921000000")),
            "wider than its department"
        );
        assert!(dept_admin.may_grant(&RoleBinding {
            department: Some(dept),
            ..binding(Role::Approver, "430921000000")
        }));
        let clerk = Principal {
            roles: vec![binding(Role::WindowClerk, "430000000000")],
            ..city_admin
        };
        assert!(!clerk.may_grant(&binding(Role::WindowClerk, "430921000000")));
    }
}
