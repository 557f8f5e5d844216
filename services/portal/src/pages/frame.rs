//! The frame of every page ([`Chrome`]): the hall's name, the elders' mode and language
//! switches, the person when signed in, and the menu.

use tongban_pages::answer::{Nav, urlencode};
use tongban_pages::error::{PageError, PageResult};
use tongban_pages::guard::Ctx;
use tongban_pages::i18n::{Lang, T};
use tongban_pages::session::Session;

/// The frame of every page.
pub struct Chrome {
    pub t: T,
    /// The elders' mode (长辈版) is on: larger type, stronger contrast.
    pub elders: bool,
    /// The signed-in person's name.
    pub user: Option<String>,
    pub csrf: String,
    pub nav: Vec<Nav>,
    /// The language the switch offers, and the page to come back to (encoded for a query).
    pub other_lang: Lang,
    pub back: String,
}

impl Chrome {
    /// The frame for `ctx`, with menu entry `current` marked.
    pub fn new(ctx: &Ctx, current: &str) -> Self {
        let session = ctx.session.as_ref();
        Self {
            t: ctx.t,
            elders: ctx.elders,
            user: session.map(|s| s.name.clone()),
            csrf: session
                .map(|s| s.csrf.clone())
                .or_else(|| ctx.pre.clone())
                .unwrap_or_default(),
            nav: menu(session.is_some(), current),
            other_lang: ctx.t.lang.other(),
            back: urlencode(&ctx.path),
        }
    }
}

/// The menu: the same for everyone, with the person's own applications once signed in.
fn menu(signed_in: bool, current: &str) -> Vec<Nav> {
    Nav::menu(
        [
            (true, "/", "nav.home"),
            (true, "/search", "nav.search"),
            (true, "/life-events", "nav.events"),
            (true, "/lookup", "nav.lookup"),
            (signed_in, "/my", "nav.mine"),
            (signed_in, "/my/appointments", "nav.appointments"),
            (signed_in, "/my/inbox", "nav.inbox"),
            (signed_in, "/my/account", "nav.account"),
        ],
        current,
    )
}

/// The person signed in, or the sign-in page (and back here after it).
pub fn signed_in(ctx: &Ctx) -> PageResult<&Session> {
    ctx.session.as_ref().ok_or_else(|| PageError::SignIn {
        next: ctx.path.clone(),
    })
}
