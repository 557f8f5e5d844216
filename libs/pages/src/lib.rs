//! The page kit: what every server-rendered site of the platform shares — the staff console
//! (`services/console`) and the public online hall. A site owns no case data and bypasses no
//! rule: its pages call the services' public APIs with the signed-in person's token, so what
//! a page shows or does is exactly what that person may see or do through the API.
//!
//! A site brings its own routes, templates, message catalogues, cookie names, error page and
//! the kinds of account it serves; this crate brings the rest, so that a session, a CSRF
//! check or a refusal behaves the same on every site. It links no service.
//!
//! # Layout
//! - [`guard`]: the middleware every request passes ([`guard::guard`]: the person's language,
//!   their session, the CSRF check), the [`guard::Ctx`] handlers are given (and the
//!   [`guard::SignedIn`] working pages require), a site's cookies ([`guard::Site`]) and what
//!   the guard needs of a site's state ([`guard::PageSite`]).
//! - [`session`]: loading a session and refreshing its tokens ([`session::Sessions`]), and the
//!   sessions table ([`session::store`]).
//! - [`api`]: the client of the services' APIs; [`hall`]: a service centre, its slots and a
//!   booking as the hall shows them; [`rating`]: a rating's five levels.
//! - [`i18n`]: a site's catalogues ([`i18n::Words`]), the words of one language
//!   ([`i18n::T`]), China-time formatting, and the checks a site's tests make of its words.
//! - [`answer`]: what pages share to answer (an HTML page, an action settled, a clock in words).
//! - [`error`]: why a page could not be shown.
//! - [`headers`]: the security headers of every answer; [`assets`]: a site's own files.
//! - [`serve`]: running a site until shutdown, ended sessions swept.

pub mod answer;
pub mod api;
pub mod assets;
pub mod error;
pub mod guard;
pub mod hall;
pub mod headers;
pub mod i18n;
pub mod rating;
pub mod serve;
pub mod session;
pub mod upload;
