//! The rules of the back office shared by its aggregates, without I/O: written texts.

use tongban_kernel::Error;

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
