//! Real-name levels (实名等级) on a case: 1 unverified, 2 basic real-name (checked online
//! against the national identity record), 3 advanced (by face, or in person at a window). An item
//! states the level its applicants need; a case records the level its applicant has shown, and
//! is neither submitted nor accepted below the level needed (422 naming `real_name_level`).

use sqlx::PgConnection;

use tongban_kernel::{Error, Principal};

use crate::domain::real_name_level;

use super::store::{Listing, Row};

/// The highest level there is: an in-person check of the original ID at a window.
pub const IN_PERSON: u8 = 3;

/// The level a case needs: its item's, or for a 一件事 application the most demanding member's.
pub(super) fn needed(listing: &Listing) -> u8 {
    let item = listing.item.real_name_level;
    listing
        .bundle
        .as_ref()
        .map_or(item, |bundle| bundle.real_name_level.max(item))
}

/// The level a case has shown once `principal` submits it: the applicant brings the level of
/// their token (never lowering one already recorded); a clerk submitting for a window applicant
/// brings none of their own.
pub(super) fn shown(recorded: u8, principal: &Principal, applicant: bool) -> u8 {
    if applicant {
        recorded.max(principal.real_name_level.min(IN_PERSON))
    } else {
        recorded
    }
}

/// Records the level shown at a submission; returns it.
pub(super) async fn record_shown(
    conn: &mut PgConnection,
    principal: &Principal,
    row: &Row,
) -> Result<u8, Error> {
    let recorded = real_name_level(row.real_name_level);
    let applicant = row.applicant_id == Some(principal.account);
    let level = shown(recorded, principal, applicant);
    if level != recorded {
        sqlx::query("update cases set real_name_level = $2 where id = $1 or parent_id = $1")
            .bind(row.id)
            .bind(i16::from(level))
            .execute(&mut *conn)
            .await?;
    }
    Ok(level)
}

/// What a level means, in the words of the front office.
fn described(level: u8) -> &'static str {
    match level {
        0 | 1 => "level 1 (未实名, unverified)",
        2 => "level 2 (基本实名, basic real-name)",
        _ => "level 3 (高级实名, face or in person)",
    }
}

/// `Ok` when the level a case has shown reaches the level it needs; otherwise a 422 naming
/// `real_name_level`, the level needed and how to reach it (online, or at the window).
pub(super) fn require(shown: u8, needed: u8, channel: &str) -> Result<(), Error> {
    if shown >= needed {
        return Ok(());
    }
    let how = if channel == "window" {
        "the window clerk checks the applicant's original ID and records it \
         (POST /v1/cases/{id}/identity-check), which gives the case level 3"
    } else if needed <= 2 {
        "verify your real name online (POST /api/identity/v1/accounts/me/real-name), sign in \
         again, and submit; or apply at a service window with your original ID"
    } else {
        "apply at a service window with your original ID"
    };
    Err(Error::unprocessable(
        "real_name_level",
        format!(
            "this item needs real-name {} (实名等级 {needed}); the applicant has shown {}: {how}",
            described(needed),
            described(shown),
        ),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use tongban_kernel::AccountKind;
    use uuid::Uuid;

    fn citizen(level: u8) -> Principal {
        Principal {
            account: Uuid::now_v7(),
            kind: AccountKind::Citizen,
            real_name_level: level,
            roles: Vec::new(),
            client_id: None,
            session: None,
        }
    }

    #[test]
    fn the_applicant_brings_the_level_of_their_token_and_a_clerk_none() {
        assert_eq!(shown(1, &citizen(2), true), 2);
        assert_eq!(shown(3, &citizen(1), true), 3, "a recorded check stays");
        assert_eq!(
            shown(1, &citizen(3), false),
            1,
            "the clerk's own level counts for nothing"
        );
        assert_eq!(shown(1, &citizen(9), true), 3);
    }

    #[test]
    fn below_the_level_needed_is_a_422_naming_the_level() {
        assert!(require(2, 2, "online").is_ok());
        assert!(require(3, 2, "window").is_ok());
        let err = require(1, 2, "online").unwrap_err();
        let body = err.body();
        assert_eq!(err.status(), 422);
        assert_eq!(body.field.as_deref(), Some("real_name_level"));
        assert!(
            body.message.contains("needs real-name level 2"),
            "{}",
            body.message
        );
        assert!(body.message.contains("accounts/me/real-name"));
        let window = require(1, 2, "window").unwrap_err().body().message;
        assert!(window.contains("identity-check"), "{window}");
    }
}
