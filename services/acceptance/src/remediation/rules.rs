//! Who may act on a remediation and what an action must carry. Pure, but for the lookup of a
//! centre's separation-of-duties exception.

use serde_json::Value;
use sqlx::PgConnection;
use uuid::Uuid;

use tongban_duties::Excepted;
use tongban_kernel::{Error, Power, Principal};

use crate::rating::store::region_of;

use super::state::{Action, State, next};
use super::store::Remediation;

/// The state `action` moves the remediation to; 409 `remediation_state` when it may not.
pub fn require(found: &Remediation, action: Action) -> Result<State, Error> {
    next(found.state, action).ok_or_else(|| Error::Conflict {
        code: "remediation_state",
        message: format!("the remediation is {}", found.state),
    })
}

/// `Ok` when `principal` answers for the remediation: its assignee, or, when it has none, a
/// clerk of its hall.
pub fn require_assignee(principal: &Principal, found: &Remediation) -> Result<(), Error> {
    let answers = match found.assignee_id {
        Some(assignee) => assignee == principal.account,
        None => principal.can(Power::AcceptCases, &region_of(&found.region_code)?),
    };
    if answers {
        Ok(())
    } else {
        Err(Error::Forbidden(
            "only whoever handled what was rated remediates it (谁办理谁负责)".into(),
        ))
    }
}

/// Separation of duties: nobody reviews, extends or closes a remediation assigned to
/// themselves, whatever roles they hold (403 `own_remediation`), unless the remediation's
/// centre has an exception in force (`Some`: the action is marked and counted).
pub async fn require_not_own(
    conn: &mut PgConnection,
    principal: &Principal,
    found: &Remediation,
    what: &str,
) -> Result<Option<Excepted>, Error> {
    if found.assignee_id != Some(principal.account) {
        return Ok(None);
    }
    let refusal = Error::Denied {
        code: "own_remediation",
        message: format!(
            "the remediation is assigned to you: another supervisor {what} it (separation of duties)"
        ),
    };
    tongban_duties::excepted(conn, &found.region_code, refusal)
        .await
        .map(Some)
}

/// `detail` of `action` on remediation `found`, marked when it went on under an exception
/// (and the use counted, by the rated case's number).
pub async fn mark(
    conn: &mut PgConnection,
    excepted: Option<&Excepted>,
    found: &Remediation,
    action: &str,
    actor: Uuid,
    detail: Value,
    at: chrono::DateTime<chrono::Utc>,
) -> Result<Value, Error> {
    if excepted.is_none() {
        return Ok(detail);
    }
    let number: Option<String> = sqlx::query_scalar("select number from cases where id = $1")
        .bind(found.case_id)
        .fetch_optional(&mut *conn)
        .await?
        .flatten();
    let used = tongban_duties::Use {
        subject_id: found.id,
        reference: number.as_deref().unwrap_or_default(),
        action,
        actor,
        at,
    };
    tongban_duties::mark(conn, excepted, used, detail).await
}

/// 409 `stale_revision` when the caller saw another revision than the one stored.
pub fn require_revision(found: &Remediation, seen: Option<i32>) -> Result<(), Error> {
    match seen {
        Some(seen) if seen != found.revision => Err(Error::Conflict {
            code: "stale_revision",
            message: format!(
                "the remediation changed (revision {} now, {seen} seen)",
                found.revision
            ),
        }),
        _ => Ok(()),
    }
}

/// A note of 1 to 1,000 characters, trimmed.
pub fn required_note(note: &str) -> Result<String, Error> {
    let note = note.trim();
    if note.is_empty() || note.chars().count() > 1_000 {
        return Err(Error::bad_request("note", "1 to 1,000 characters"));
    }
    Ok(note.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn notes_are_trimmed_and_bounded() {
        assert_eq!(required_note("  called  ").unwrap(), "called");
        assert_eq!(required_note("  ").unwrap_err().status(), 400);
        assert_eq!(
            required_note(&"长".repeat(1_001)).unwrap_err().status(),
            400
        );
    }
}
