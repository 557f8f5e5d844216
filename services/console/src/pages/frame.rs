//! The frame of every page ([`Chrome`]): the person, the menu their roles open, the language
//! switch, sign-out and the idle timer; and an action posted as the signed-in person
//! ([`posted`]). What pages share to answer (an HTML page, a value for a query string) is the
//! page kit's (`tongban_pages::answer`), re-exported here for the pages.

use tongban_kernel::Role;
use tongban_pages::api::Service;
use tongban_pages::error::PageResult;

use crate::AppState;
use crate::i18n::{Lang, T};
use crate::session::{Ctx, Session};
pub use tongban_pages::answer::{
    Acted, Clock, Countdown, Done, Fields, Nav, html, html_refused, not_found, printable, relayed,
    settled, urlencode, value, with_history,
};

/// The frame of every page.
pub struct Chrome {
    pub t: T,
    /// The signed-in person's name; none on the sign-in page.
    pub user: Option<String>,
    /// A session exists (perhaps still owing its password change): sign-out and the idle
    /// timer are offered.
    pub signed_in: bool,
    pub csrf: String,
    pub nav: Vec<Nav>,
    /// Seconds of idleness before the session ends, and before that the warning.
    pub idle_secs: i64,
    pub warn_secs: i64,
    /// The language the switch offers, and the page to come back to (encoded for a query).
    pub other_lang: Lang,
    pub back: String,
}

impl Chrome {
    /// The frame for `ctx`, with menu entry `current` marked.
    pub fn new(ctx: &Ctx, state: &AppState, current: &str) -> Self {
        let session = ctx.session.as_ref();
        Self {
            t: ctx.t,
            user: session
                .filter(|s| !s.password_change_required)
                .map(|s| s.name.clone()),
            signed_in: session.is_some(),
            csrf: session
                .map(|s| s.csrf.clone())
                .or_else(|| ctx.pre.clone())
                .unwrap_or_default(),
            nav: session
                .filter(|s| !s.password_change_required)
                .map(|s| menu(s, current))
                .unwrap_or_default(),
            idle_secs: state.config.idle_minutes * 60,
            warn_secs: state.config.idle_warning_minutes * 60,
            other_lang: ctx.t.lang.other(),
            back: urlencode(&ctx.path),
        }
    }

    /// The frame of a signed-in page.
    pub fn staff(session: &Session, t: T, state: &AppState, path: &str, current: &str) -> Self {
        Self::new(
            &Ctx {
                t,
                session: Some(session.clone()),
                pre: None,
                path: path.to_owned(),
                htmx: false,
                elders: false,
            },
            state,
            current,
        )
    }
}

/// The menu `session`'s roles open.
fn menu(session: &Session, current: &str) -> Vec<Nav> {
    let front = session.has(Role::WindowClerk) || session.has(Role::Supervisor);
    let cases = front || session.has(Role::Approver);
    let entries = [
        (true, "/console/", "nav.home"),
        (front, "/console/inbox", "nav.inbox"),
        (
            session.has(Role::WindowClerk),
            "/console/intake",
            "nav.intake",
        ),
        (
            session.has(Role::Approver) || session.has(Role::Supervisor),
            "/console/queue",
            "nav.queue",
        ),
        (
            session.has(Role::WindowClerk),
            "/console/calling",
            "nav.calling",
        ),
        (
            session.has(Role::WindowClerk),
            "/console/booking",
            "nav.booking",
        ),
        (cases, "/console/transfers", "nav.transfers"),
        (cases, "/console/cases", "nav.search"),
        (
            session.has(Role::Supervisor),
            "/console/oversight",
            "nav.oversight",
        ),
        (
            session.has(Role::Supervisor),
            "/api/insight/dashboard/",
            "nav.dashboard",
        ),
        (
            session.has(Role::IdentityAdmin),
            "/console/staff",
            "nav.staff",
        ),
        (
            session.has(Role::CatalogueAdmin),
            "/console/agreements",
            "nav.agreements",
        ),
        (
            session.has(Role::CatalogueAdmin),
            "/console/drafts",
            "nav.drafts",
        ),
        (true, "/console/password", "nav.password"),
    ];
    Nav::menu(entries, current)
}

/// `POST path` of `service` with `body`, as the signed-in person, [`settled`]: done leads to
/// `back`, a refusal is the service's message for the page to show again.
pub async fn posted(
    state: &AppState,
    staff: &crate::session::Staff,
    service: Service,
    path: &str,
    body: Option<&serde_json::Value>,
    back: &str,
) -> PageResult<Acted> {
    let outcome = state
        .api
        .act(
            staff.session.token(),
            reqwest::Method::POST,
            service,
            path,
            body,
        )
        .await;
    settled(outcome, back)
}
