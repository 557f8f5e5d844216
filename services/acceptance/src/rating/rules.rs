//! The rules a rating obeys before it is stored: who may rate, and what a rating says. Pure.

use serde_json::{Value, json};
use tongban_kernel::{AccountKind, Error, Principal};

use super::state::{BAD, INDICATORS, LEVELS, level_score};
use super::view::RatingInput;

/// A checked rating: (score, indicators as JSON, comment).
pub fn checked(input: &RatingInput) -> Result<(i16, Value, String), Error> {
    let level = level_score(&input.level).ok_or_else(|| {
        Error::bad_request(
            "level",
            format!(
                "one of {}",
                LEVELS.iter().map(|l| l.1).collect::<Vec<_>>().join(", ")
            ),
        )
    })?;
    for (name, score) in &input.indicators {
        if !INDICATORS.contains(&name.as_str()) {
            return Err(Error::unprocessable(
                format!("indicators.{name}"),
                format!("not an indicator; they are {}", INDICATORS.join(", ")),
            ));
        }
        if !(1..=5).contains(score) {
            return Err(Error::bad_request(
                format!("indicators.{name}"),
                "a score from 1 to 5",
            ));
        }
    }
    let comment = input.comment.trim().to_owned();
    if comment.chars().count() > 500 {
        return Err(Error::bad_request("comment", "at most 500 characters"));
    }
    if level <= BAD && comment.is_empty() {
        return Err(Error::unprocessable(
            "comment",
            "a bad rating says what went wrong, so it can be put right",
        ));
    }
    Ok((level, json!(input.indicators), comment))
}

/// Only the people served rate: staff and services get 403.
pub fn require_rater(principal: Option<&Principal>) -> Result<(), Error> {
    match principal.map(|p| p.kind) {
        Some(AccountKind::Staff | AccountKind::Service) => Err(Error::Forbidden(
            "ratings are the applicants' to give; staff do not rate".into(),
        )),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    fn input(level: &str, comment: &str) -> RatingInput {
        RatingInput {
            level: level.into(),
            indicators: BTreeMap::new(),
            comment: comment.into(),
            anonymous: false,
        }
    }

    #[test]
    fn a_rating_names_a_level_known_indicators_and_why_it_is_bad() {
        assert_eq!(checked(&input("satisfied", "")).unwrap().0, 4);
        assert_eq!(
            checked(&input("very_dissatisfied", "排队太久")).unwrap().0,
            1
        );
        assert_eq!(checked(&input("terrible", "")).unwrap_err().status(), 400);
        let unexplained = checked(&input("dissatisfied", " ")).unwrap_err();
        assert_eq!(
            (
                unexplained.status().as_u16(),
                unexplained.body().field.as_deref()
            ),
            (422, Some("comment"))
        );
        let mut scored = input("satisfied", "");
        scored.indicators.insert("attitude".into(), 5);
        assert!(checked(&scored).is_ok());
        scored.indicators.insert("attitude".into(), 6);
        assert_eq!(checked(&scored).unwrap_err().status(), 400);
        scored.indicators.clear();
        scored.indicators.insert("speed".into(), 3);
        let unknown = checked(&scored).unwrap_err();
        assert_eq!(
            (unknown.status().as_u16(), unknown.body().field.as_deref()),
            (422, Some("indicators.speed"))
        );
        assert_eq!(
            checked(&input("satisfied", &"长".repeat(501)))
                .unwrap_err()
                .status(),
            400
        );
    }
}
