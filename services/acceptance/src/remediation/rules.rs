//! Who may act on a remediation and what an action must carry. Pure.

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
/// themselves, whatever roles they hold (403 `own_remediation`).
pub fn require_not_own(
    principal: &Principal,
    found: &Remediation,
    what: &str,
) -> Result<(), Error> {
    if found.assignee_id == Some(principal.account) {
        return Err(Error::Denied {
            code: "own_remediation",
            message: format!(
                "the remediation is assigned to you: another supervisor {what} it (separation of duties)"
            ),
        });
    }
    Ok(())
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
