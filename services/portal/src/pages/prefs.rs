//! The person's preferences, kept in cookies on their device: the language and the elders'
//! mode (长辈版). Each switch is a link that comes back to the page it was followed from.

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use serde::Deserialize;

use tongban_pages::guard::set_cookie;
use tongban_pages::i18n::Lang;

use crate::AppState;
use crate::session::{ELDERS_COOKIE, LANG_COOKIE, PREFERENCE_SECS};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/lang/{lang}", get(language))
        .route("/elders/{mode}", get(elders))
}

#[derive(Deserialize, Default)]
struct Back {
    #[serde(default)]
    back: String,
}

/// Only the hall's own pages are come back to (no open redirect).
pub fn safe_back(back: &str) -> &str {
    if back.starts_with('/') && !back.starts_with("//") && !back.starts_with("/\\") {
        back
    } else {
        "/"
    }
}

fn kept(state: &AppState, back: &str, name: &str, value: &str) -> Response {
    let mut response = Redirect::to(safe_back(back)).into_response();
    response.headers_mut().append(
        header::SET_COOKIE,
        set_cookie(&state.site, name, value, PREFERENCE_SECS),
    );
    response
}

async fn language(
    State(state): State<AppState>,
    Path(lang): Path<String>,
    Query(back): Query<Back>,
) -> Response {
    let lang = Lang::parse(&lang).unwrap_or_default();
    kept(&state, &back.back, LANG_COOKIE, lang.code())
}

async fn elders(
    State(state): State<AppState>,
    Path(mode): Path<String>,
    Query(back): Query<Back>,
) -> Response {
    let on = if mode == "on" { "1" } else { "0" };
    kept(&state, &back.back, ELDERS_COOKIE, on)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_halls_own_pages_are_come_back_to() {
        assert_eq!(safe_back("/items/x?region=1"), "/items/x?region=1");
        for elsewhere in [
            "https://example.org/",
            "//example.org/",
            "/\\example.org",
            "",
        ] {
            assert_eq!(safe_back(elsewhere), "/", "{elsewhere}");
        }
    }
}
