//! Unified social credit codes (统一社会信用代码, GB 32100-2015).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// The 31 characters GB 32100 uses; I, O, Z, S and V are left out to avoid misreading.
const CHARSET: &[u8; 31] = b"0123456789ABCDEFGHJKLMNPQRTUWXY";
/// Weights of positions 1-17 for the check character (3^(i-1) mod 31).
const WEIGHTS: [u32; 17] = [
    1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28,
];

/// An 18-character unified social credit code whose check character is correct.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct CreditCode(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InvalidCreditCode {
    #[error("a unified social credit code is 18 characters")]
    Length,
    #[error("character {0} is not allowed in a unified social credit code")]
    Character(usize),
    #[error("the check character is wrong")]
    Check,
}

impl CreditCode {
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Completes 17 characters with their check character, as an issuer does (test and demo
    /// data). `None` when a character is outside the GB 32100 charset.
    pub fn complete(first17: &str) -> Option<Self> {
        let upper = first17.to_ascii_uppercase();
        if upper.len() != 17 {
            return None;
        }
        let check = Self::check_character(upper.as_bytes())?;
        Some(Self(format!("{upper}{}", check as char)))
    }

    /// The check character for the first 17 characters (which must be from the charset).
    fn check_character(first17: &[u8]) -> Option<u8> {
        let mut sum = 0u32;
        for (byte, weight) in first17.iter().zip(WEIGHTS) {
            let value = CHARSET.iter().position(|c| c == byte)? as u32;
            sum += value * weight;
        }
        let check = (31 - sum % 31) % 31;
        Some(CHARSET[check as usize])
    }
}

impl FromStr for CreditCode {
    type Err = InvalidCreditCode;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let upper = s.to_ascii_uppercase();
        let bytes = upper.as_bytes();
        if bytes.len() != 18 {
            return Err(InvalidCreditCode::Length);
        }
        if let Some(at) = bytes.iter().position(|b| !CHARSET.contains(b)) {
            return Err(InvalidCreditCode::Character(at + 1));
        }
        match Self::check_character(&bytes[..17]) {
            Some(check) if check == bytes[17] => Ok(Self(upper)),
            _ => Err(InvalidCreditCode::Check),
        }
    }
}

impl TryFrom<String> for CreditCode {
    type Error = InvalidCreditCode;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        value.parse()
    }
}

impl From<CreditCode> for String {
    fn from(code: CreditCode) -> Self {
        code.0
    }
}

impl fmt::Display for CreditCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for CreditCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CreditCode({})", self.0)
    }
}

impl utoipa::PartialSchema for CreditCode {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .pattern(Some("^[0-9A-HJ-NPQRTUWXY]{18}$"))
            .description(Some(
                "Unified social credit code (GB 32100) with a valid check character",
            ))
            .into()
    }
}

impl utoipa::ToSchema for CreditCode {}

#[cfg(test)]
mod tests {
    use super::*;

    fn with_check(first17: &str) -> String {
        CreditCode::complete(first17).unwrap().to_string()
    }

    #[test]
    fn accepts_published_codes() {
        // Codes printed on public business licences.
        for code in [
            "91350100M000100Y43",
            "11100000000013127D",
            "91110000802100433B",
        ] {
            assert!(code.parse::<CreditCode>().is_ok(), "{code} should be valid");
        }
    }

    #[test]
    fn rejects_a_wrong_check_character() {
        let good = with_check("11430900MB1234567");
        let mut bad = good.clone();
        bad.replace_range(17..18, if good.ends_with('0') { "1" } else { "0" });
        assert!(good.parse::<CreditCode>().is_ok());
        assert_eq!(bad.parse::<CreditCode>(), Err(InvalidCreditCode::Check));
    }

    #[test]
    fn rejects_bad_shapes() {
        assert_eq!("123".parse::<CreditCode>(), Err(InvalidCreditCode::Length));
        assert_eq!(
            "9135010OM000100Y43".parse::<CreditCode>(),
            Err(InvalidCreditCode::Character(8))
        );
    }
}
