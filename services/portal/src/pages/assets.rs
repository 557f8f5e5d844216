//! The hall's own files, built into the binary: its style sheet and its one small script
//! (the print button), and the display board's live feed. No third-party scripts, fonts or trackers.

use axum::Router;
use axum::routing::get;

use tongban_pages::assets::asset;

use crate::AppState;

const STYLE: &str = include_str!("../../assets/portal.css");
const SCRIPT: &str = include_str!("../../assets/portal.js");
const BOARD: &str = include_str!("../../assets/board.js");

pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/assets/portal.css",
            get(|| async { asset(STYLE, "text/css; charset=utf-8") }),
        )
        .route(
            "/assets/portal.js",
            get(|| async { asset(SCRIPT, "text/javascript; charset=utf-8") }),
        )
        .route(
            "/assets/board.js",
            get(|| async { asset(BOARD, "text/javascript; charset=utf-8") }),
        )
}
