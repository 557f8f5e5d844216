//! Who a person or an enterprise is: identity documents and phone numbers, with the masking
//! every log line and event uses (脱敏).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// A resident identity card number (居民身份证号码, GB 11643-1999): 17 digits and a check
/// character (0-9 or X), with a real date of birth in digits 7-14.
#[derive(Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct IdCardNumber(String);

/// ISO 7064 MOD 11-2 weights of positions 1-17.
const ID_WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const ID_CHECK: &[u8; 11] = b"10X98765432";

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InvalidIdCardNumber {
    #[error("an identity card number is 17 digits and a check character (0-9 or X)")]
    Shape,
    #[error("digits 7-14 of an identity card number are a date of birth")]
    BirthDate,
    #[error("the check character is wrong")]
    Check,
}

impl IdCardNumber {
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The date of birth in digits 7-14 (checked real when the number was read).
    pub fn birth_date(&self) -> Option<chrono::NaiveDate> {
        chrono::NaiveDate::parse_from_str(self.0.get(6..14)?, "%Y%m%d").ok()
    }

    /// Whether digits 1-2 name a province-level division that issues these numbers: the 34 of
    /// GB/T 2260 (31 provinces, 台湾 71, 香港 81, 澳门 82) and 83, the prefix of Taiwan residents'
    /// residence permits (港澳台居民居住证, GB 11643 numbering).
    pub fn has_known_province(&self) -> bool {
        const PROVINCES: [&str; 35] = [
            "11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34", "35", "36",
            "37", "41", "42", "43", "44", "45", "46", "50", "51", "52", "53", "54", "61", "62",
            "63", "64", "65", "71", "81", "82", "83",
        ];
        self.0.get(..2).is_some_and(|p| PROVINCES.contains(&p))
    }

    /// First six and last four characters, the rest starred (前六后四).
    pub fn masked(&self) -> String {
        format!("{}********{}", &self.0[..6], &self.0[14..])
    }

    /// Completes 17 digits with their check character (test and demo data).
    pub fn complete(first17: &str) -> Option<Self> {
        let bytes = first17.as_bytes();
        if bytes.len() != 17 || !bytes.iter().all(u8::is_ascii_digit) {
            return None;
        }
        format!("{first17}{}", Self::check(bytes) as char)
            .parse()
            .ok()
    }

    fn check(first17: &[u8]) -> u8 {
        let sum: u32 = first17
            .iter()
            .zip(ID_WEIGHTS)
            .map(|(d, w)| u32::from(d - b'0') * w)
            .sum();
        ID_CHECK[(sum % 11) as usize]
    }
}

impl FromStr for IdCardNumber {
    type Err = InvalidIdCardNumber;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let upper = s.trim().to_ascii_uppercase();
        let bytes = upper.as_bytes();
        let shaped = bytes.len() == 18
            && bytes[..17].iter().all(u8::is_ascii_digit)
            && (bytes[17].is_ascii_digit() || bytes[17] == b'X');
        if !shaped {
            return Err(InvalidIdCardNumber::Shape);
        }
        chrono::NaiveDate::parse_from_str(&upper[6..14], "%Y%m%d")
            .ok()
            .filter(|birth| {
                *birth >= chrono::NaiveDate::from_ymd_opt(1900, 1, 1).unwrap_or_default()
            })
            .ok_or(InvalidIdCardNumber::BirthDate)?;
        if Self::check(&bytes[..17]) != bytes[17] {
            return Err(InvalidIdCardNumber::Check);
        }
        Ok(Self(upper))
    }
}

impl TryFrom<String> for IdCardNumber {
    type Error = InvalidIdCardNumber;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        value.parse()
    }
}

impl From<IdCardNumber> for String {
    fn from(value: IdCardNumber) -> Self {
        value.0
    }
}

/// Only the masked form is ever formatted, so a stray `{}` or `{:?}` cannot leak the number.
impl fmt::Display for IdCardNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.masked())
    }
}

impl fmt::Debug for IdCardNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "IdCardNumber({})", self.masked())
    }
}

/// The kinds of identity document a natural person may register with (DOMAIN.md "Identity").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum IdType {
    /// 居民身份证 (GB 11643).
    ResidentIdCard,
    /// 护照.
    Passport,
    /// 港澳居民来往内地通行证 (H or M and 8 or 10 digits).
    HkMacaoPermit,
    /// 台湾居民来往大陆通行证 (8 digits).
    TaiwanPermit,
    /// 外国人永久居留身份证 (15 characters, or 18 from the 2017 format on).
    ForeignPermanentResident,
}

impl IdType {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ResidentIdCard => "resident_id_card",
            Self::Passport => "passport",
            Self::HkMacaoPermit => "hk_macao_permit",
            Self::TaiwanPermit => "taiwan_permit",
            Self::ForeignPermanentResident => "foreign_permanent_resident",
        }
    }

    /// Checks `number` against this document's format and returns its normal form.
    pub fn normalize(self, number: &str) -> Result<String, String> {
        let upper = number.trim().to_ascii_uppercase();
        let alnum = |s: &str| s.bytes().all(|b| b.is_ascii_alphanumeric());
        let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
        let ok = match self {
            Self::ResidentIdCard => {
                return upper
                    .parse::<IdCardNumber>()
                    .map(String::from)
                    .map_err(|e| e.to_string());
            }
            Self::Passport => (5..=17).contains(&upper.len()) && alnum(&upper),
            Self::HkMacaoPermit => {
                matches!(upper.as_bytes().first(), Some(b'H' | b'M'))
                    && matches!(upper.len(), 9 | 11)
                    && digits(&upper[1..])
            }
            Self::TaiwanPermit => upper.len() == 8 && digits(&upper),
            Self::ForeignPermanentResident => {
                (upper.len() == 15 && alnum(&upper))
                    || (upper.len() == 18 && upper.starts_with('9') && alnum(&upper))
            }
        };
        if ok {
            Ok(upper)
        } else {
            Err(format!("not a valid {} number", self.as_str()))
        }
    }

    /// A document number with all but its first and last characters starred.
    pub fn mask(self, number: &str) -> String {
        match self {
            Self::ResidentIdCard if number.len() == 18 => {
                format!("{}********{}", &number[..6], &number[14..])
            }
            _ if number.len() > 4 => {
                format!(
                    "{}{}{}",
                    &number[..2],
                    "*".repeat(number.len() - 4),
                    &number[number.len() - 2..]
                )
            }
            _ => "*".repeat(number.len()),
        }
    }
}

/// A mainland mobile number (11 digits, 1[3-9]…), the channel for SMS and one-time codes.
#[derive(Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct PhoneNumber(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a mobile number is 11 digits starting with 13-19 (an optional +86 before it)")]
pub struct InvalidPhoneNumber;

impl PhoneNumber {
    pub fn as_str(&self) -> &str {
        &self.0
    }
    /// 138****5678 (前三后四).
    pub fn masked(&self) -> String {
        format!("{}****{}", &self.0[..3], &self.0[7..])
    }
}

impl FromStr for PhoneNumber {
    type Err = InvalidPhoneNumber;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let compact: String = s.chars().filter(|c| !matches!(c, ' ' | '-')).collect();
        let national = compact.strip_prefix("+86").unwrap_or(&compact);
        let bytes = national.as_bytes();
        let ok = bytes.len() == 11
            && bytes.iter().all(u8::is_ascii_digit)
            && bytes[0] == b'1'
            && (b'3'..=b'9').contains(&bytes[1]);
        if ok {
            Ok(Self(national.to_owned()))
        } else {
            Err(InvalidPhoneNumber)
        }
    }
}

impl TryFrom<String> for PhoneNumber {
    type Error = InvalidPhoneNumber;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        value.parse()
    }
}

impl From<PhoneNumber> for String {
    fn from(value: PhoneNumber) -> Self {
        value.0
    }
}

impl fmt::Display for PhoneNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.masked())
    }
}

impl fmt::Debug for PhoneNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PhoneNumber({})", self.masked())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_a_valid_id_card_number_and_never_prints_it_whole() {
        // The GB 11643 standard's own example.
        let id: IdCardNumber = "11010519491231002X".parse().unwrap();
        assert_eq!(id.as_str(), "11010519491231002X");
        assert_eq!(id.to_string(), "110105********002X");
        assert!(!format!("{id:?}").contains("19491231"));
        assert_eq!(
            IdCardNumber::complete("43090219900101123")
                .unwrap()
                .as_str()
                .len(),
            18
        );
    }

    #[test]
    fn the_birth_date_and_the_province_are_read_from_the_number() {
        let id: IdCardNumber = "11010519491231002X".parse().unwrap();
        assert_eq!(
            id.birth_date(),
            chrono::NaiveDate::from_ymd_opt(1949, 12, 31)
        );
        assert!(id.has_known_province());
        let nowhere = IdCardNumber::complete("99999920300101123").unwrap();
        assert!(!nowhere.has_known_province(), "99 is no province");
        assert_eq!(
            nowhere.birth_date(),
            chrono::NaiveDate::from_ymd_opt(2030, 1, 1)
        );
        assert!(
            IdCardNumber::complete("83000019900101123")
                .unwrap()
                .has_known_province()
        );
    }

    #[test]
    fn rejects_bad_id_card_numbers() {
        assert_eq!(
            "11010519491231002".parse::<IdCardNumber>(),
            Err(InvalidIdCardNumber::Shape)
        );
        assert_eq!(
            "110105194912310021".parse::<IdCardNumber>(),
            Err(InvalidIdCardNumber::Check)
        );
        let bad_date = IdCardNumber::check(b"11010519491331002");
        let bad_date = format!("11010519491331002{}", bad_date as char);
        assert_eq!(
            bad_date.parse::<IdCardNumber>(),
            Err(InvalidIdCardNumber::BirthDate)
        );
    }

    #[test]
    fn other_documents_have_their_own_formats() {
        assert_eq!(
            IdType::HkMacaoPermit.normalize("h12345678").unwrap(),
            "H12345678"
        );
        assert!(IdType::HkMacaoPermit.normalize("X12345678").is_err());
        assert!(IdType::TaiwanPermit.normalize("12345678").is_ok());
        assert!(IdType::TaiwanPermit.normalize("1234567").is_err());
        assert!(IdType::Passport.normalize("E12345678").is_ok());
        assert!(IdType::Passport.normalize("E1234-678").is_err());
        assert!(
            IdType::ForeignPermanentResident
                .normalize("912345678901234567")
                .is_ok()
        );
        assert_eq!(IdType::Passport.mask("E12345678"), "E1*****78");
    }

    #[test]
    fn phone_numbers_are_mainland_mobiles() {
        let phone: PhoneNumber = "+86 138-0013-8000".parse().unwrap();
        assert_eq!(phone.as_str(), "13800138000");
        assert_eq!(phone.to_string(), "138****8000");
        for bad in ["12800138000", "1380013800", "1380013800a", "010-12345678"] {
            assert!(bad.parse::<PhoneNumber>().is_err(), "{bad}");
        }
    }
}
