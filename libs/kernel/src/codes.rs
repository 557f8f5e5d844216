//! Service item codes (事项编码): the basic code of the province's catalogue, the implementation
//! code of an item in one region, and the material code of one material of an item.
//!
//! ```text
//! basic code            000101001000                                  12
//! implementation code   11430900MB0000001X 4 000101001000             31 = credit + level + basic
//! material code         <implementation code> 001                     34
//! ```

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::CreditCode;
use crate::region::RegionLevel;

/// Why a code was refused; the message says which part is wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InvalidCode {
    #[error("must be {expected} characters, not {found}")]
    Length { expected: usize, found: usize },
    #[error("character {0} must be a digit or an upper-case letter")]
    Character(usize),
    #[error("characters 1-18 are not a valid unified social credit code: {0}")]
    Credit(crate::credit::InvalidCreditCode),
    #[error("character 19 is the level: 1 national, 2 province, 3 city, 4 county, 5 town")]
    Level,
    #[error("characters 32-34 are the material's number, 001 to 999")]
    MaterialNumber,
    #[error("characters 32-39 are the date, yyyyMMdd")]
    CaseDate,
    #[error("characters 40-43 are the day's sequence, 0001 to 9999")]
    CaseSequence,
}

/// The level of the implementing body inside an implementation code (character 19).
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum ImplementingLevel {
    National = 1,
    Province = 2,
    City = 3,
    County = 4,
    Town = 5,
}

impl ImplementingLevel {
    pub fn digit(self) -> u8 {
        b'0' + self as u8
    }

    fn from_digit(digit: u8) -> Option<Self> {
        Some(match digit {
            b'1' => Self::National,
            b'2' => Self::Province,
            b'3' => Self::City,
            b'4' => Self::County,
            b'5' => Self::Town,
            _ => return None,
        })
    }

    /// The level of a body seated in a region of `level` (villages have no implementing bodies;
    /// their service rooms act for the town).
    pub fn of_region(level: RegionLevel) -> Self {
        match level {
            RegionLevel::Province => Self::Province,
            RegionLevel::City => Self::City,
            RegionLevel::County => Self::County,
            RegionLevel::Town | RegionLevel::Village => Self::Town,
        }
    }
}

fn check_charset(s: &str, offset: usize) -> Result<(), InvalidCode> {
    match s
        .bytes()
        .position(|b| !(b.is_ascii_digit() || b.is_ascii_uppercase()))
    {
        Some(at) => Err(InvalidCode::Character(offset + at + 1)),
        None => Ok(()),
    }
}

/// The length in characters, and only ASCII (the codes are sliced by byte afterwards).
fn check_length(s: &str, expected: usize) -> Result<(), InvalidCode> {
    if let Some(at) = s.chars().position(|c| !c.is_ascii()) {
        return Err(InvalidCode::Character(at + 1));
    }
    if s.len() == expected {
        Ok(())
    } else {
        Err(InvalidCode::Length {
            expected,
            found: s.chars().count(),
        })
    }
}

macro_rules! code_type {
    ($name:ident, $len:literal, $doc:literal, $pattern:literal) => {
        #[doc = $doc]
        #[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(String);

        impl $name {
            pub const LEN: usize = $len;

            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl TryFrom<String> for $name {
            type Error = InvalidCode;
            fn try_from(value: String) -> Result<Self, Self::Error> {
                value.parse()
            }
        }

        impl From<$name> for String {
            fn from(code: $name) -> Self {
                code.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, concat!(stringify!($name), "({})"), self.0)
            }
        }

        impl utoipa::PartialSchema for $name {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                utoipa::openapi::ObjectBuilder::new()
                    .schema_type(utoipa::openapi::schema::Type::String)
                    .pattern(Some($pattern))
                    .description(Some($doc))
                    .into()
            }
        }

        impl utoipa::ToSchema for $name {}
    };
}

code_type!(
    BasicCode,
    12,
    "Basic code (基本编码) of an item of the province's basic catalogue: 12 digits or upper-case letters",
    "^[0-9A-Z]{12}$"
);
code_type!(
    ImplementationCode,
    31,
    "Implementation code (实施编码): the implementing body's credit code (18), its level (1), the basic code (12)",
    "^[0-9A-HJ-NPQRTUWXY]{18}[1-5][0-9A-Z]{12}$"
);
code_type!(
    MaterialCode,
    34,
    "Material code: the implementation code followed by the material's 3-digit number",
    "^[0-9A-HJ-NPQRTUWXY]{18}[1-5][0-9A-Z]{12}[0-9]{3}$"
);

impl FromStr for BasicCode {
    type Err = InvalidCode;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        check_length(s, Self::LEN)?;
        check_charset(s, 0)?;
        Ok(Self(s.to_owned()))
    }
}

impl FromStr for ImplementationCode {
    type Err = InvalidCode;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        check_length(s, Self::LEN)?;
        check_charset(s, 0)?;
        let credit: CreditCode = s[..18].parse().map_err(InvalidCode::Credit)?;
        let level = ImplementingLevel::from_digit(s.as_bytes()[18]).ok_or(InvalidCode::Level)?;
        // The charset of the whole code was checked above.
        let basic = BasicCode(s[19..].to_owned());
        Ok(Self::new(&credit, level, &basic))
    }
}

impl ImplementationCode {
    /// The code of `basic` as implemented by the body with `credit` at `level`.
    pub fn new(credit: &CreditCode, level: ImplementingLevel, basic: &BasicCode) -> Self {
        Self(format!("{credit}{}{basic}", level.digit() as char))
    }

    pub fn credit_code(&self) -> CreditCode {
        // Checked on construction.
        CreditCode::from_str(&self.0[..18]).unwrap_or_else(|_| unreachable!("checked on parse"))
    }

    pub fn level(&self) -> ImplementingLevel {
        ImplementingLevel::from_digit(self.0.as_bytes()[18])
            .unwrap_or_else(|| unreachable!("checked on parse"))
    }

    pub fn basic_code(&self) -> BasicCode {
        BasicCode(self.0[19..].to_owned())
    }

    /// The code of this item's material number `number` (1-999).
    pub fn material(&self, number: u16) -> Option<MaterialCode> {
        (1..=999)
            .contains(&number)
            .then(|| MaterialCode(format!("{}{number:03}", self.0)))
    }
}

impl FromStr for MaterialCode {
    type Err = InvalidCode;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        check_length(s, Self::LEN)?;
        let item: ImplementationCode = s[..31].parse()?;
        let number: u16 = s[31..]
            .parse()
            .ok()
            .filter(|_| s[31..].bytes().all(|b| b.is_ascii_digit()))
            .ok_or(InvalidCode::MaterialNumber)?;
        item.material(number).ok_or(InvalidCode::MaterialNumber)
    }
}

impl MaterialCode {
    pub fn item(&self) -> ImplementationCode {
        ImplementationCode(self.0[..31].to_owned())
    }

    pub fn number(&self) -> u16 {
        self.0[31..].parse().unwrap_or_default()
    }
}

code_type!(
    CaseNumber,
    43,
    "Case number (办件编号): the implementation code, the date (yyyyMMdd) and a 4-digit daily sequence",
    "^[0-9A-HJ-NPQRTUWXY]{18}[1-5][0-9A-Z]{12}[0-9]{12}$"
);

impl CaseNumber {
    /// The `sequence`-th case (1-9999) of `item` on `day`.
    pub fn new(item: &ImplementationCode, day: chrono::NaiveDate, sequence: u16) -> Option<Self> {
        (1..=9999)
            .contains(&sequence)
            .then(|| Self(format!("{item}{}{sequence:04}", day.format("%Y%m%d"))))
    }

    pub fn item(&self) -> ImplementationCode {
        ImplementationCode(self.0[..31].to_owned())
    }
}

impl FromStr for CaseNumber {
    type Err = InvalidCode;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        check_length(s, Self::LEN)?;
        let item: ImplementationCode = s[..31].parse()?;
        let day = chrono::NaiveDate::parse_from_str(&s[31..39], "%Y%m%d")
            .map_err(|_| InvalidCode::CaseDate)?;
        let sequence: u16 = s[39..]
            .parse()
            .ok()
            .filter(|_| s[39..].bytes().all(|b| b.is_ascii_digit()))
            .ok_or(InvalidCode::CaseSequence)?;
        Self::new(&item, day, sequence).ok_or(InvalidCode::CaseSequence)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn credit() -> CreditCode {
        CreditCode::complete("11430900MB0000001").unwrap()
    }

    #[test]
    fn implementation_codes_round_trip() {
        let basic: BasicCode = "000101001000".parse().unwrap();
        let code = ImplementationCode::new(&credit(), ImplementingLevel::County, &basic);
        assert_eq!(code.as_str().len(), 31);
        let parsed: ImplementationCode = code.as_str().parse().unwrap();
        assert_eq!(parsed, code);
        assert_eq!(parsed.credit_code(), credit());
        assert_eq!(parsed.level(), ImplementingLevel::County);
        assert_eq!(parsed.basic_code(), basic);
        let json = serde_json::to_string(&code).unwrap();
        assert_eq!(
            serde_json::from_str::<ImplementationCode>(&json).unwrap(),
            code
        );
    }

    #[test]
    fn implementation_codes_check_every_part() {
        let good = format!("{}4000101001000", credit());
        assert!(good.parse::<ImplementationCode>().is_ok());
        let mut wrong_check = good.clone();
        let check = &good[17..18];
        wrong_check.replace_range(17..18, if check == "0" { "1" } else { "0" });
        assert!(matches!(
            wrong_check.parse::<ImplementationCode>(),
            Err(InvalidCode::Credit(_))
        ));
        let mut wrong_level = good.clone();
        wrong_level.replace_range(18..19, "7");
        assert_eq!(
            wrong_level.parse::<ImplementationCode>(),
            Err(InvalidCode::Level)
        );
        let mut lower = good.clone();
        lower.replace_range(25..26, "a");
        assert_eq!(
            lower.parse::<ImplementationCode>(),
            Err(InvalidCode::Character(26))
        );
        assert_eq!(
            good[..30].parse::<ImplementationCode>(),
            Err(InvalidCode::Length {
                expected: 31,
                found: 30
            })
        );
    }

    #[test]
    fn case_numbers_are_item_date_and_sequence() {
        let item: ImplementationCode = format!("{}4000101001000", credit()).parse().unwrap();
        let day = chrono::NaiveDate::from_ymd_opt(2026, 11, 22).unwrap();
        let number = CaseNumber::new(&item, day, 17).unwrap();
        assert_eq!(number.as_str().len(), 43);
        assert!(number.as_str().ends_with("202611220017"));
        assert_eq!(number.as_str().parse::<CaseNumber>().unwrap(), number);
        assert_eq!(number.item(), item);
        assert!(CaseNumber::new(&item, day, 0).is_none());
        // Multi-byte characters are refused before anything is sliced.
        let wide = format!("{}中", &number.as_str()[..40]);
        assert_eq!(wide.parse::<CaseNumber>(), Err(InvalidCode::Character(41)));
        assert!(
            format!("{}中", &item.as_str()[..31])
                .parse::<MaterialCode>()
                .is_err()
        );
        assert_eq!(
            format!("{item}202613010001").parse::<CaseNumber>(),
            Err(InvalidCode::CaseDate)
        );
    }

    #[test]
    fn material_codes_extend_the_item_code() {
        let item: ImplementationCode = format!("{}4000101001000", credit()).parse().unwrap();
        let material = item.material(7).unwrap();
        assert_eq!(material.as_str().len(), 34);
        assert!(material.as_str().ends_with("007"));
        assert_eq!(
            material.as_str().parse::<MaterialCode>().unwrap().item(),
            item
        );
        assert_eq!(material.number(), 7);
        assert!(item.material(0).is_none());
        assert_eq!(
            format!("{item}000").parse::<MaterialCode>(),
            Err(InvalidCode::MaterialNumber)
        );
    }
}
