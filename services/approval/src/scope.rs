//! Which work a member of staff sees: the regions and departments their role bindings reach,
//! shared by the queue and the statistics.

use uuid::Uuid;

use tongban_kernel::region::RegionLevel;
use tongban_kernel::{Error, Power, Principal, RegionCode, RoleBinding};

/// The column holding a work item's handling region cut to `region`'s level (province 2,
/// city 4, county 6, town 9 digits, village the whole code): each is indexed with the due
/// date, so a region's queue is an index walk whatever its level.
pub fn region_column(region: &RegionCode) -> &'static str {
    match region.level() {
        RegionLevel::Province => "handling_province",
        RegionLevel::City => "handling_city",
        RegionLevel::County => "handling_county",
        RegionLevel::Town => "handling_town",
        RegionLevel::Village => "handling_region",
    }
}

pub fn handles_or_supervises(binding: &RoleBinding) -> bool {
    binding
        .role
        .powers()
        .iter()
        .any(|p| matches!(p, Power::HandleCases | Power::Supervise))
}

/// The departments whose work in `region` `principal` handles or supervises: `None` for all
/// of them (a role not bound to a department), or the departments its roles name. 403 when no
/// role reaches the region.
pub fn departments_seen(
    principal: &Principal,
    region: &RegionCode,
) -> Result<Option<Vec<Uuid>>, Error> {
    let bindings: Vec<&RoleBinding> = principal
        .roles
        .iter()
        .filter(|b| handles_or_supervises(b) && b.covers(region))
        .collect();
    if bindings.is_empty() {
        return Err(Error::Forbidden(format!(
            "no role handles or supervises cases in region {region}"
        )));
    }
    Ok((!bindings.iter().any(|b| b.department.is_none()))
        .then(|| bindings.iter().filter_map(|b| b.department).collect()))
}
