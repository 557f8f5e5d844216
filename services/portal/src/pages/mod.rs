//! The online hall's pages, one file per group ([`frame`]: what every page's frame shows).

pub mod account;
pub mod act;
pub mod apply;
pub mod assets;
pub mod booking;
pub mod case;
pub mod contact;
pub mod errors;
pub mod events;
pub mod frame;
pub mod guide;
pub mod home;
pub mod inbox;
pub mod kiosk;
pub mod lookup;
pub mod mine;
pub mod prefs;
pub mod rating;
pub mod real_name;
pub mod search;
pub mod sms;

use axum::Router;
use axum::routing::get;

use crate::AppState;
use crate::session;

/// Every page, behind the session guard.
pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/", get(home::page))
        .merge(search::router())
        .merge(account::router())
        .merge(mine::router())
        .merge(case::router())
        .merge(act::router())
        .merge(apply::router())
        .merge(inbox::router())
        .merge(real_name::router())
        .merge(sms::router())
        .merge(contact::router())
        .merge(guide::router())
        .merge(events::router())
        .merge(lookup::router())
        .merge(rating::router())
        .merge(booking::router())
        .merge(kiosk::router())
        .merge(prefs::router())
        .merge(assets::router())
        .fallback(errors::not_found)
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            tongban_pages::guard::guard::<AppState>,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            session::pre_session,
        ))
        // Outside the guard: draws every failure (the guard's own too) as a page, and sets the
        // security headers on every answer.
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            errors::finish,
        ))
        .with_state(state)
}
