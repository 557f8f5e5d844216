//! Who may see a transfer and who acts for which hall: both halls' window clerks and handlers
//! (a handler bound to another department than the item's does not act), and the supervisors
//! above either, who see it; a role bound to another department than the item's does not see
//! it. Nobody else learns it exists (404).

use uuid::Uuid;

use sqlx::PgConnection;
use tongban_kernel::{Error, Power, Principal, RegionCode};

use super::state::{Action, Side};
use super::store::{self, Row};

fn region(row: &Row, side: Side) -> Result<RegionCode, Error> {
    let code = match side {
        Side::Receiving => &row.receiving_region,
        Side::Handling => &row.handling_region,
    };
    code.parse()
        .map_err(|_| Error::internal(format!("stored region {code} is malformed")))
}

/// Whether `principal` acts for `side`: its window clerks, or (on the handling side) the
/// handlers of the item's department (a handler bound to another department does not).
pub fn acts_for(row: &Row, principal: &Principal, side: Side) -> Result<bool, Error> {
    let region = region(row, side)?;
    Ok(principal.can(Power::AcceptCases, &region)
        || (side == Side::Handling
            && principal
                .bindings_for(Power::HandleCases, &region)
                .any(|b| b.department.is_none() || b.department == row.department_id)))
}

/// 403 unless `principal` acts for `side` in `what`.
pub fn require_side(row: &Row, principal: &Principal, side: Side, what: &str) -> Result<(), Error> {
    if acts_for(row, principal, side)? {
        return Ok(());
    }
    let region = match side {
        Side::Receiving => &row.receiving_region,
        Side::Handling => &row.handling_region,
    };
    Err(Error::Forbidden(format!(
        "{what} is for the {} region's window clerks and handlers ({region})",
        side.as_str()
    )))
}

/// Both halls' clerks and handlers, and the supervisors above either; a role bound to a
/// department sees only the transfers of its department's items (DESIGN.md "Jurisdiction and
/// access", as approval's work items).
pub fn visible_to(row: &Row, principal: &Principal) -> Result<bool, Error> {
    let regions = [region(row, Side::Receiving)?, region(row, Side::Handling)?];
    let departments: Vec<Uuid> = row.department_id.into_iter().collect();
    Ok(regions
        .iter()
        .any(|r| principal.works_on_cases_of(r, &departments)))
}

/// The transfer, if `principal` may see it (404 otherwise); locked when `lock`.
pub async fn visible(
    conn: &mut PgConnection,
    principal: &Principal,
    id: Uuid,
    lock: bool,
) -> Result<Row, Error> {
    match store::load(conn, id, lock).await? {
        Some(row) if visible_to(&row, principal)? => Ok(row),
        _ => Err(Error::NotFound(format!("transfer {id}"))),
    }
}

/// For `action`: visible and locked, in a state that allows it (409 `illegal_transition`), at
/// the caller's `revision` if given (409 `stale_revision`).
pub async fn for_action(
    conn: &mut PgConnection,
    principal: &Principal,
    id: Uuid,
    action: Action,
    revision: Option<i32>,
) -> Result<Row, Error> {
    let row = visible(conn, principal, id, true).await?;
    store::allowed(&row, action)?;
    if let Some(seen) = revision
        && seen != row.revision
    {
        return Err(Error::Conflict {
            code: "stale_revision",
            message: format!(
                "transfer {id} changed since revision {seen} (now {})",
                row.revision
            ),
        });
    }
    Ok(row)
}
