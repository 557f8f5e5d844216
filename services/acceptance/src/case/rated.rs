//! A case as its rating needs it (ratings depend on this, never the other way).

use sqlx::PgConnection;
use uuid::Uuid;

use tongban_events::acceptance::v1 as events;
use tongban_kernel::{Error, Principal};

use super::store::{COLUMNS, Row, load};

/// A case as its rating needs it: what and where it is, who handled it (谁办理谁负责), and what
/// its events say about it.
#[derive(Debug, Clone)]
pub struct Rated {
    pub id: Uuid,
    pub number: Option<String>,
    pub kind: String,
    pub status: String,
    pub applicant_id: Option<Uuid>,
    pub receiving_region: String,
    pub handling_region: String,
    pub implementation_code: String,
    /// The department that decided it (none for a 一件事 application: its parts' departments).
    pub department_id: Option<Uuid>,
    /// Who answers for it: the approver who decided it; for a 一件事 application, the clerk who
    /// accepted it (the one face of the front office).
    pub handler: Option<Uuid>,
    pub reference: events::CaseRef,
    pub regions: Vec<String>,
}

/// The case `id` as its rating needs it, for `principal` (404 when not theirs to see), locked.
pub(crate) async fn rated(
    conn: &mut PgConnection,
    principal: &Principal,
    id: Uuid,
) -> Result<Rated, Error> {
    let row = load(conn, principal, id, true).await?;
    rated_from(conn, row).await
}

/// The case `id` as its rating needs it, for the platform itself (a visit's rating device has
/// no account), locked.
pub(crate) async fn rated_by_system(conn: &mut PgConnection, id: Uuid) -> Result<Rated, Error> {
    let row: Row = sqlx::query_as(&format!(
        "select {COLUMNS} from cases where id = $1 for update"
    ))
    .bind(id)
    .fetch_one(&mut *conn)
    .await?;
    rated_from(conn, row).await
}

pub(super) async fn rated_from(conn: &mut PgConnection, row: Row) -> Result<Rated, Error> {
    let (decided_by, concluded_by, department_id): (Option<Uuid>, Option<Uuid>, Option<Uuid>) =
        sqlx::query_as(
            "select decided_by, concluded_by, handling_department_id from cases where id = $1",
        )
        .bind(row.id)
        .fetch_one(&mut *conn)
        .await?;
    let handler = if row.kind == "bundle" {
        decided_by
    } else {
        concluded_by
    };
    Ok(Rated {
        id: row.id,
        number: row.number.clone(),
        kind: row.kind.clone(),
        status: row.status.as_str().to_owned(),
        applicant_id: row.applicant_id,
        receiving_region: row.receiving_region.clone(),
        handling_region: row.handling_region.clone(),
        implementation_code: row.implementation_code.clone(),
        department_id,
        handler,
        reference: row.reference(),
        regions: row.regions(),
    })
}
