//! Queries, next to the functions that run them.

pub mod basic_items;
pub mod bundles;
pub mod calendar;
pub mod code_lists;
pub mod departments;
pub mod items;
pub mod regions;

/// A `like` pattern that finds `text` anywhere, with the pattern characters in it escaped.
pub fn like_pattern(text: &str) -> String {
    format!(
        "%{}%",
        text.replace('\\', "\\\\")
            .replace('%', "\\%")
            .replace('_', "\\_")
    )
}
