//! The rules of the back office shared by its aggregates, without I/O: the time-limit clock
//! (working days, pauses, extensions, the yellow warning), e-certificates and written texts.

pub mod certificate;
pub mod clock;

use tongban_kernel::Error;

/// Why the clock stops (行政许可法 Art. 45, and correction after acceptance).
pub const PAUSE_KINDS: [&str; 6] = [
    "correction",
    "hearing",
    "inspection",
    "testing",
    "expert_review",
    "other",
];

/// The most working days the statute lets a decision be extended by: 10 (Art. 42), 15 for
/// joint handling of several departments (a part of a 一件事 application).
pub fn max_extension(kind: &str) -> i32 {
    if kind == "part" { 15 } else { 10 }
}

/// A written text of 1 to `max` characters, trimmed; 400 naming `field` otherwise.
pub fn written(field: &str, text: Option<&str>, max: usize) -> Result<String, Error> {
    let text = text.map(str::trim).unwrap_or_default();
    if text.is_empty() || text.chars().count() > max {
        return Err(Error::bad_request(
            field,
            format!("a written {field} of 1 to {max} characters is required"),
        ));
    }
    Ok(text.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn written_texts_are_required_and_bounded() {
        assert!(written("reason", None, 10).is_err());
        assert!(written("reason", Some("  "), 10).is_err());
        assert!(written("reason", Some("太长了太长了太长了太长了"), 10).is_err());
        assert_eq!(
            written("reason", Some(" 材料不实 "), 10).unwrap(),
            "材料不实"
        );
    }
}
