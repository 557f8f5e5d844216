//! An event's fields as a handler reads them. A malformed field can never be applied: it is a
//! permanent error naming the field, and the event goes to the dead-letter topic.

use chrono::NaiveDate;
use uuid::Uuid;

use crate::error::HandleError;

/// The permanent error for field `what` holding `value`.
pub fn malformed(what: &str, value: &str) -> HandleError {
    HandleError::Permanent(format!("{what} {value:?} is malformed"))
}

/// A UUID field.
pub fn uuid(what: &str, value: &str) -> Result<Uuid, HandleError> {
    Uuid::parse_str(value).map_err(|_| malformed(what, value))
}

/// A UUID field that may be empty (none).
pub fn optional_uuid(what: &str, value: &str) -> Result<Option<Uuid>, HandleError> {
    if value.is_empty() {
        Ok(None)
    } else {
        uuid(what, value).map(Some)
    }
}

/// An ISO date field.
pub fn date(what: &str, value: &str) -> Result<NaiveDate, HandleError> {
    value.parse().map_err(|_| malformed(what, value))
}

/// An ISO date field that may be empty (none).
pub fn optional_date(what: &str, value: &str) -> Result<Option<NaiveDate>, HandleError> {
    if value.is_empty() {
        Ok(None)
    } else {
        date(what, value).map(Some)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn malformed_fields_are_permanent_errors_naming_the_field() {
        let id = Uuid::now_v7();
        assert_eq!(uuid("case_id", &id.to_string()).unwrap(), id);
        assert_eq!(optional_uuid("applicant_id", "").unwrap(), None);
        let err = uuid("case_id", "12").unwrap_err();
        assert!(
            matches!(&err, HandleError::Permanent(m) if m.contains("case_id \"12\" is malformed"))
        );
        assert_eq!(
            optional_date("due_date", "2026-11-27").unwrap(),
            Some(NaiveDate::from_ymd_opt(2026, 11, 27).unwrap())
        );
        assert!(date("due_date", "27.11.2026").is_err());
    }
}
