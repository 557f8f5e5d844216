//! The console's pages, one file per group ([`frame`]: what every page's frame shows).

pub mod assets;
pub mod auth;
pub mod booking;
pub mod calling;
pub mod cases;
pub mod catalogue;
pub mod desk;
pub mod errors;
pub mod frame;
pub mod home;
pub mod inbox;
pub mod intake;
pub mod oversight;
pub mod staff;
pub mod views;
pub mod window;
pub mod work;

use axum::Router;
use axum::response::Redirect;
use axum::routing::get;

use crate::AppState;
use crate::session::{self, BASE};

/// Every page, behind the session guard.
pub fn router(state: AppState) -> Router {
    Router::new()
        .route(BASE, get(|| async { Redirect::permanent("/console/") }))
        .route("/console/", get(home::page))
        .merge(auth::router())
        .merge(inbox::router())
        .merge(cases::router())
        .merge(intake::router())
        .merge(calling::router())
        .merge(booking::router())
        .merge(window::router())
        .merge(work::router())
        .merge(desk::router())
        .merge(oversight::router())
        .merge(staff::router())
        .merge(catalogue::router())
        .merge(assets::router())
        .route("/console/{*rest}", get(errors::not_found))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            session::guard::<AppState>,
        ))
        // Outside the guard: draws every failure (the guard's own too) as a page, and sets the
        // security headers on every answer.
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            errors::finish,
        ))
        .with_state(state)
}
