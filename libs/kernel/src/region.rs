//! Administrative division codes (行政区划代码).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// A 12-digit NBS statistical division code: digits 1-2 province, 3-4 city, 5-6 county
/// (the GB/T 2260 part), 7-9 town or street, 10-12 village or community.
///
/// A six-digit GB/T 2260 code is accepted on input and padded with zeros. Whether the code names
/// a division that exists is the catalogue's business; this type only guarantees the shape.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct RegionCode([u8; 12]);

/// The level of government a region code stands for (五级).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RegionLevel {
    Province,
    City,
    County,
    Town,
    Village,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a region code is 12 digits (or a 6-digit GB/T 2260 code) with a non-zero province part")]
pub struct InvalidRegionCode;

impl RegionCode {
    pub fn as_str(&self) -> &str {
        // Only ASCII digits are ever stored.
        std::str::from_utf8(&self.0).unwrap_or_default()
    }

    pub fn level(&self) -> RegionLevel {
        let zero = |range: std::ops::Range<usize>| self.0[range].iter().all(|d| *d == b'0');
        if zero(2..12) {
            RegionLevel::Province
        } else if zero(4..12) {
            RegionLevel::City
        } else if zero(6..12) {
            RegionLevel::County
        } else if zero(9..12) {
            RegionLevel::Town
        } else {
            RegionLevel::Village
        }
    }

    /// Whether this region is `ancestor` or lies below it, by the code's nesting (a province's
    /// two digits, a city's four, a county's six, a town's nine).
    pub fn is_within(&self, ancestor: &RegionCode) -> bool {
        self.as_str().starts_with(ancestor.prefix())
    }

    /// The digits that identify the region at its level (province 2, city 4, county 6, town 9,
    /// village 12): every code by prefix below it starts with them.
    pub fn prefix(&self) -> &str {
        let significant = match self.level() {
            RegionLevel::Province => 2,
            RegionLevel::City => 4,
            RegionLevel::County => 6,
            RegionLevel::Town => 9,
            RegionLevel::Village => 12,
        };
        &self.as_str()[..significant]
    }

    /// The parent by the code's prefix. Special zones nest differently; the catalogue stores the
    /// real parent, this is only the default for ordinary divisions.
    pub fn prefix_parent(&self) -> Option<RegionCode> {
        let keep = match self.level() {
            RegionLevel::Province => return None,
            RegionLevel::City => 2,
            RegionLevel::County => 4,
            RegionLevel::Town => 6,
            RegionLevel::Village => 9,
        };
        let mut parent = self.0;
        parent[keep..].fill(b'0');
        Some(RegionCode(parent))
    }
}

impl FromStr for RegionCode {
    type Err = InvalidRegionCode;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bytes = s.as_bytes();
        if !(bytes.len() == 12 || bytes.len() == 6) || !bytes.iter().all(u8::is_ascii_digit) {
            return Err(InvalidRegionCode);
        }
        let mut code = [b'0'; 12];
        code[..bytes.len()].copy_from_slice(bytes);
        if code[..2] == *b"00" {
            return Err(InvalidRegionCode);
        }
        Ok(Self(code))
    }
}

impl TryFrom<String> for RegionCode {
    type Error = InvalidRegionCode;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        value.parse()
    }
}

impl From<RegionCode> for String {
    fn from(code: RegionCode) -> Self {
        code.as_str().to_owned()
    }
}

impl fmt::Display for RegionCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for RegionCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "RegionCode({})", self.as_str())
    }
}

impl utoipa::PartialSchema for RegionCode {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .pattern(Some("^[0-9]{12}$"))
            .description(Some("12-digit NBS division code (GB/T 2260 prefix)"))
            .examples([serde_json::json!("430900000000")])
            .into()
    }
}

impl utoipa::ToSchema for RegionCode {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_knows_its_level() {
        let county: RegionCode = "430921000000".parse().unwrap();
        assert_eq!(county.level(), RegionLevel::County);
        assert_eq!(county.prefix_parent().unwrap().as_str(), "430900000000");
        let city = county.prefix_parent().unwrap();
        assert_eq!(city.level(), RegionLevel::City);
        assert_eq!(city.prefix_parent().unwrap().level(), RegionLevel::Province);
        let town: RegionCode = "430921100000".parse().unwrap();
        assert_eq!(town.level(), RegionLevel::Town);
        assert_eq!(town.prefix_parent(), Some(county));
    }

    #[test]
    fn pads_six_digit_codes() {
        let code: RegionCode = "430921".parse().unwrap();
        assert_eq!(code.as_str(), "430921000000");
    }

    #[test]
    fn rejects_malformed_codes() {
        for bad in [
            "",
            "43092",
            "4309210000001",
            "43092100000a",
            "000000000000",
            "４３０９２１",
        ] {
            assert!(
                bad.parse::<RegionCode>().is_err(),
                "{bad} should be rejected"
            );
        }
    }
}
