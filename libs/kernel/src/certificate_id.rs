//! Electronic certificate identifiers (电子证照标识, GB/T 36904-2018):
//! `1.2.156.3005.2.{type code}.{issuer's credit code}.{serial}.{version}.{check character}`.
//!
//! - The root `1.2.156.3005.2` is the national e-certificate arc.
//! - The type code (证照类型代码) is the defining authority's 18-character unified social credit
//!   code and a 3-digit number of the type within it (`11100000000013338W011`); the types are a
//!   code list a province extends, so here only the shape is checked.
//! - The issuer (颁发机构代码) is the issuing department's credit code, check character and all.
//! - The serial (流水号) is 1-32 characters of `0-9A-Z`; the version (版本号) is 3 digits, from 001.
//! - The check character follows ISO/IEC 7064 MOD 37,36 (the hybrid system; GB/T 17710-2008 is
//!   its Chinese adoption), over the type code, issuer, serial and version run together without
//!   the root or the dots, characters `0-9A-Z` valued 0-35, the check character from the same
//!   set. The rule is the one the published implementations of the identifier use (the
//!   standard's own text was not at hand); three identifiers issued in the field are this
//!   module's test vectors.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::credit::CreditCode;

/// The national root of e-certificate identifiers.
pub const ROOT: &str = "1.2.156.3005.2";

/// `0-9A-Z`, valued 0-35 in the check.
const CHARS: &[u8; 36] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";

/// A certificate identifier whose parts have their shapes and whose check character is right.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct CertificateId {
    type_code: String,
    issuer: CreditCode,
    serial: String,
    version: u16,
}

/// What is wrong with an identifier, by the part at fault.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InvalidCertificateId {
    #[error("an identifier starts with {ROOT}")]
    Root,
    #[error(
        "an identifier has five parts after {ROOT}: type code, issuer, serial, version, check character"
    )]
    Parts,
    #[error(
        "the certificate type code is the defining authority's credit code and a 3-digit number"
    )]
    TypeCode,
    #[error("the issuer is an 18-character unified social credit code with its check character")]
    Issuer,
    #[error("the serial is 1 to 32 characters of 0-9 and A-Z")]
    Serial,
    #[error("the version is 3 digits, from 001")]
    Version,
    #[error("the check character is wrong: {expected} is expected")]
    Check { expected: char },
}

impl CertificateId {
    /// The identifier of version `version` of certificate `serial` of type `type_code` issued by
    /// `issuer`, its check character computed.
    pub fn new(
        type_code: &str,
        issuer: CreditCode,
        serial: &str,
        version: u16,
    ) -> Result<Self, InvalidCertificateId> {
        let type_code = type_code.to_ascii_uppercase();
        let serial = serial.to_ascii_uppercase();
        if !is_type_code(&type_code) {
            return Err(InvalidCertificateId::TypeCode);
        }
        if serial.is_empty() || serial.len() > 32 || !serial.bytes().all(|b| CHARS.contains(&b)) {
            return Err(InvalidCertificateId::Serial);
        }
        if !(1..=999).contains(&version) {
            return Err(InvalidCertificateId::Version);
        }
        Ok(Self {
            type_code,
            issuer,
            serial,
            version,
        })
    }

    pub fn type_code(&self) -> &str {
        &self.type_code
    }

    pub fn issuer(&self) -> &CreditCode {
        &self.issuer
    }

    pub fn serial(&self) -> &str {
        &self.serial
    }

    pub fn version(&self) -> u16 {
        self.version
    }

    /// The check character of this identifier.
    pub fn check_character(&self) -> char {
        let body = format!(
            "{}{}{}{:03}",
            self.type_code, self.issuer, self.serial, self.version
        );
        // Every part was checked to be of `0-9A-Z`.
        check_character(&body).unwrap_or('0')
    }
}

/// `n` in base 36 over the identifier's characters (`0-9A-Z`), most significant first: a
/// serial made from a number (a `u128` takes at most 25 characters).
pub fn base36(mut n: u128) -> String {
    let mut out = Vec::with_capacity(25);
    loop {
        out.push(char::from(CHARS[(n % 36) as usize]));
        n /= 36;
        if n == 0 {
            break;
        }
    }
    out.iter().rev().collect()
}

/// A type code: a credit code (check character right) and 3 digits.
pub fn is_type_code(code: &str) -> bool {
    code.len() == 21
        && code.is_char_boundary(18)
        && code[..18].parse::<CreditCode>().is_ok()
        && code[18..].bytes().all(|b| b.is_ascii_digit())
}

/// ISO/IEC 7064 MOD 37,36 over `body` (characters of `0-9A-Z`); none for another character.
pub fn check_character(body: &str) -> Option<char> {
    let mut p = 36u32;
    for byte in body.bytes() {
        let value = CHARS.iter().position(|c| *c == byte)? as u32;
        let mut s = (p + value) % 36;
        if s == 0 {
            s = 36;
        }
        p = (2 * s) % 37;
    }
    Some(CHARS[((37 - p) % 36) as usize] as char)
}

impl FromStr for CertificateId {
    type Err = InvalidCertificateId;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let upper = s.trim().to_ascii_uppercase();
        let rest = upper
            .strip_prefix(ROOT)
            .and_then(|r| r.strip_prefix('.'))
            .ok_or(InvalidCertificateId::Root)?;
        let parts: Vec<&str> = rest.split('.').collect();
        let [type_code, issuer, serial, version, check] = parts[..] else {
            return Err(InvalidCertificateId::Parts);
        };
        let issuer: CreditCode = issuer.parse().map_err(|_| InvalidCertificateId::Issuer)?;
        if version.len() != 3 || !version.bytes().all(|b| b.is_ascii_digit()) {
            return Err(InvalidCertificateId::Version);
        }
        let version: u16 = version.parse().map_err(|_| InvalidCertificateId::Version)?;
        let id = Self::new(type_code, issuer, serial, version)?;
        let expected = id.check_character();
        if check.len() != 1 || !check.starts_with(expected) {
            return Err(InvalidCertificateId::Check { expected });
        }
        Ok(id)
    }
}

impl TryFrom<String> for CertificateId {
    type Error = InvalidCertificateId;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        value.parse()
    }
}

impl From<CertificateId> for String {
    fn from(id: CertificateId) -> Self {
        id.to_string()
    }
}

impl fmt::Display for CertificateId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{ROOT}.{}.{}.{}.{:03}.{}",
            self.type_code,
            self.issuer,
            self.serial,
            self.version,
            self.check_character()
        )
    }
}

impl fmt::Debug for CertificateId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CertificateId({self})")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Identifiers issued in the field (a 不动产 certificate, a 浙江 licence, and a department's
    /// certificate with a county code where this platform puts a credit code).
    #[test]
    fn the_check_character_of_identifiers_issued_in_the_field() {
        for (body, check) in [
            ("11100000000013338W01111430000006122244L20230000403001", 'U'),
            ("11100000000013338W00911330105002500287C2025052201002", '0'),
            ("11100000MB03271699022340100000000016001", '9'),
        ] {
            assert_eq!(check_character(body), Some(check), "{body}");
        }
        assert_eq!(check_character("11100000000013338W011-"), None);
    }

    #[test]
    fn an_identifier_round_trips_and_a_wrong_check_character_is_named() {
        let text = "1.2.156.3005.2.11100000000013338W011.11430000006122244L.20230000403.001.U";
        let id: CertificateId = text.parse().unwrap();
        assert_eq!(id.to_string(), text);
        assert_eq!(
            (
                id.type_code(),
                id.issuer().as_str(),
                id.serial(),
                id.version()
            ),
            (
                "11100000000013338W011",
                "11430000006122244L",
                "20230000403",
                1
            )
        );
        let wrong = text.replace(".001.U", ".001.V");
        assert_eq!(
            wrong.parse::<CertificateId>(),
            Err(InvalidCertificateId::Check { expected: 'U' })
        );
        assert_eq!(
            text.replace(".001.U", ".1.U").parse::<CertificateId>(),
            Err(InvalidCertificateId::Version)
        );
        assert_eq!(
            text.replace("1.2.156.3005.2.", "1.2.156.3005.3.")
                .parse::<CertificateId>(),
            Err(InvalidCertificateId::Root)
        );
        assert_eq!(
            text.replace("11430000006122244L", "11430000006122244M")
                .parse::<CertificateId>(),
            Err(InvalidCertificateId::Issuer)
        );
        assert_eq!(
            text.replace(".U", "").parse::<CertificateId>(),
            Err(InvalidCertificateId::Parts)
        );
    }

    fn body_char() -> impl Strategy<Value = char> {
        prop::sample::select(CHARS.iter().map(|c| *c as char).collect::<Vec<_>>())
    }

    proptest! {
        /// Every identifier made reads back as itself, and any other check character is refused.
        #[test]
        fn made_identifiers_round_trip(
            serial in prop::collection::vec(body_char(), 1..=32),
            version in 1u16..=999,
            other in body_char(),
        ) {
            let issuer: CreditCode = "11430000006122244L".parse().unwrap();
            let serial: String = serial.into_iter().collect();
            let id = CertificateId::new("11100000000013338W011", issuer, &serial, version).unwrap();
            let text = id.to_string();
            prop_assert_eq!(text.parse::<CertificateId>(), Ok(id.clone()));
            if other != id.check_character() {
                let forged = format!("{}{other}", &text[..text.len() - 1]);
                prop_assert!(forged.parse::<CertificateId>().is_err());
            }
        }

        /// MOD 37,36 catches every change of one character of the body.
        #[test]
        fn one_character_changed_changes_the_check(
            body in prop::collection::vec(body_char(), 1..=60),
            at in any::<prop::sample::Index>(),
            to in body_char(),
        ) {
            let i = at.index(body.len());
            prop_assume!(body[i] != to);
            let mut changed = body.clone();
            changed[i] = to;
            let (a, b): (String, String) = (body.into_iter().collect(), changed.into_iter().collect());
            prop_assert_ne!(check_character(&a), check_character(&b));
        }
    }
}
