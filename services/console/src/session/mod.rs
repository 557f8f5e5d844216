//! Who is signed in to the console: its cookies, where its sessions' tokens are kept, and whom
//! it serves ([`Staff`], what every working page requires). The guard every request passes,
//! the sessions and their table are the page kit's (`tongban_pages::guard`,
//! `tongban_pages::session`), shared with the online hall; they are re-exported here so the
//! pages name them in one place.
//!
//! The session cookie: HttpOnly, SameSite=Strict, `Path=/console`, `Secure` where configured;
//! its value names a row of `console.sessions` whose tokens are sealed.

use tongban_kernel::AccountKind;
use tongban_vault::store::Column;

pub use tongban_pages::guard::{Ctx, SignedIn, Site, guard, set_cookie};
pub use tongban_pages::session::{Session, Sessions, store};

/// The session cookie.
pub const SESSION_COOKIE: &str = "tongban_console";
/// Before signing in: the value the sign-in form must repeat (double-submit CSRF).
pub const PRE_COOKIE: &str = "tongban_console_pre";
/// The language chosen with the switch in the header.
pub const LANG_COOKIE: &str = "tongban_lang";
/// Where the console's pages live, on its own port and through the gateway alike.
pub const BASE: &str = "/console";

/// Where the sessions' tokens are kept, sealed under the KEK (`tongban admin rotate-kek`
/// re-wraps them).
pub const SEALED: Column = Column {
    schema: "console",
    table: "sessions",
    key: "id_hash",
    column: "sealed_tokens",
};

/// Staff only: an applicant has the online hall, a service account no pages.
pub const ACCEPTS: &[AccountKind] = &[AccountKind::Staff];

/// The console as the guard sees it: its path and cookies (no elders' pages: those are the
/// online hall's).
pub fn site(secure_cookies: bool) -> Site {
    Site {
        base: BASE,
        session_cookie: SESSION_COOKIE,
        pre_cookie: PRE_COOKIE,
        lang_cookie: LANG_COOKIE,
        elders_cookie: None,
        secure_cookies,
    }
}

/// A signed-in member of staff whose password needs no change: what every working page
/// requires. The kit's [`SignedIn`]: the console's sessions accept staff only ([`ACCEPTS`]).
pub type Staff = SignedIn;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_session_cookie_stays_on_the_console_and_off_scripts() {
        let value = set_cookie(&site(true), SESSION_COOKIE, "v", 60);
        let value = value.to_str().unwrap();
        for part in ["HttpOnly", "SameSite=Strict", "Path=/console;", "Secure"] {
            assert!(value.contains(part), "{value}");
        }
        let plain = set_cookie(&site(false), SESSION_COOKIE, "v", 60);
        assert!(!plain.to_str().unwrap().contains("Secure"));
    }
}
