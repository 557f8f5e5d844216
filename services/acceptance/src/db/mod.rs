//! Queries that belong to no aggregate, next to the functions that run them.
//!
//! - [`catalogue`]: reads of the catalogue projection (items in force, the calendar).
//! - [`numbers`]: the case-number counter.

pub mod catalogue;
pub mod numbers;

/// A `like` pattern that finds what begins with `text`, with the pattern characters in it
/// escaped.
pub fn like_prefix(text: &str) -> String {
    format!(
        "{}%",
        text.replace('\\', "\\\\")
            .replace('%', "\\%")
            .replace('_', "\\_")
    )
}
