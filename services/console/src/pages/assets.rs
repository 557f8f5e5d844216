//! The console's own files, built into the binary: its style sheet, its script (the idle
//! warning), and htmx (vendored; version and licence in `assets/README.md`).

use axum::Router;
use axum::routing::get;

use tongban_pages::assets::asset;

use crate::AppState;

const STYLE: &str = include_str!("../../assets/console.css");
const SCRIPT: &str = include_str!("../../assets/console.js");
const HTMX: &str = include_str!("../../assets/htmx.min.js");

pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/console/assets/console.css",
            get(|| async { asset(STYLE, "text/css; charset=utf-8") }),
        )
        .route(
            "/console/assets/console.js",
            get(|| async { asset(SCRIPT, "text/javascript; charset=utf-8") }),
        )
        .route(
            "/console/assets/htmx.min.js",
            get(|| async { asset(HTMX, "text/javascript; charset=utf-8") }),
        )
}
