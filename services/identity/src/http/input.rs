//! What the API's handlers check of their input alike.

use tongban_kernel::{Error, Result};

/// `value` trimmed, 1 to `max` characters (400 naming `field` otherwise).
pub fn required_text(field: &str, value: &str, max: usize) -> Result<String> {
    let value = value.trim();
    if value.is_empty() || value.chars().count() > max {
        return Err(Error::bad_request(
            field,
            format!("must be 1 to {max} characters"),
        ));
    }
    Ok(value.to_owned())
}
