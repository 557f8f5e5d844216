//! The rules of a case's materials and regions: whether its materials are complete, how regions
//! share it. No I/O. (Its states and transitions are in `case::state`.)

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use tongban_kernel::Error;

pub use crate::case::state::{Action, Status};

/// A real-name level as the case and item columns keep it (within 1-3 there): 1 unverified,
/// 2 basic real-name, 3 advanced (face or in person).
pub fn real_name_level(stored: i16) -> u8 {
    u8::try_from(stored.clamp(1, 3)).unwrap_or(1)
}

/// How regions share a case (跨域通办): `online` for an online application (全程网办, routed
/// straight to the handling region); `local` when the receiving hall lies in the handling
/// region (its lineage, province first and itself last, is `receiving`); otherwise the case is
/// transferred: `joint` for a bundle part (多地联办), `collect_elsewhere` for an item (异地代收代办).
pub fn mode(channel: &str, kind: &str, receiving: &[String], handling: &str) -> &'static str {
    if channel == "online" {
        "online"
    } else if receiving.iter().any(|r| r == handling) {
        "local"
    } else if kind == "part" {
        "joint"
    } else {
        "collect_elsewhere"
    }
}

/// A material of the pinned item version, as the projection keeps it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ListedMaterial {
    pub code: String,
    pub name: String,
    /// required, optional or deferrable (容缺后补).
    pub necessity: String,
    /// applicant, or government (an e-certificate candidate).
    pub source: String,
    /// The e-certificate type of a government-issued material (empty otherwise).
    #[serde(default)]
    pub certificate_type: String,
}

/// A material's state in a submission.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct MaterialState {
    pub material_code: String,
    pub name: String,
    pub necessity: String,
    /// provided (a file), certificate (taken from the applicant's e-certificates, 一证通办) or
    /// missing (optional or deferrable, not given).
    pub state: String,
}

/// The states of `listed` materials given the codes `provided` as files and those `certified`
/// by an e-certificate; a required material that is neither is a 422 listing every one of them
/// at once (一次性告知 starts at the portal).
pub fn check_materials(
    listed: &[ListedMaterial],
    provided: &BTreeSet<String>,
    certified: &BTreeSet<String>,
) -> Result<Vec<MaterialState>, Error> {
    let missing: Vec<&ListedMaterial> = listed
        .iter()
        .filter(|m| {
            m.necessity == "required" && !provided.contains(&m.code) && !certified.contains(&m.code)
        })
        .collect();
    if !missing.is_empty() {
        let names: Vec<String> = missing
            .iter()
            .map(|m| format!("{} ({})", m.name, m.code))
            .collect();
        return Err(Error::unprocessable(
            "materials",
            format!("required materials are missing: {}", names.join("; ")),
        ));
    }
    Ok(listed
        .iter()
        .map(|m| MaterialState {
            material_code: m.code.clone(),
            name: m.name.clone(),
            necessity: m.necessity.clone(),
            state: if provided.contains(&m.code) {
                "provided"
            } else if certified.contains(&m.code) {
                "certificate"
            } else {
                "missing"
            }
            .to_owned(),
        })
        .collect())
}

/// A query password for the receipt: 8 characters that are easy to read out and type
/// (no 0/O, 1/I/L).
pub fn query_password() -> String {
    use rand::Rng;
    const ALPHABET: &[u8] = b"23456789ABCDEFGHJKMNPQRSTUVWXYZ";
    let mut rng = rand::rngs::OsRng;
    (0..8)
        .map(|_| ALPHABET[rng.gen_range(0..ALPHABET.len())] as char)
        .collect()
}

/// Compares secrets without stopping at the first difference.
pub fn same_secret(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// A file type a material may be provided as: its media type and the signature (magic
/// number) every file of the type starts with. An upload is checked by its content, so a page
/// of HTML declared as a PDF is not stored and served back as one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileType {
    Pdf,
    Jpeg,
    Png,
}

impl FileType {
    pub const ALL: [FileType; 3] = [Self::Pdf, Self::Jpeg, Self::Png];

    /// The type a `Content-Type` (without parameters, lowercase) declares, if accepted.
    pub fn declared(media_type: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.media_type() == media_type)
    }

    pub const fn media_type(self) -> &'static str {
        match self {
            Self::Pdf => "application/pdf",
            Self::Jpeg => "image/jpeg",
            Self::Png => "image/png",
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Self::Pdf => "PDF",
            Self::Jpeg => "JPEG",
            Self::Png => "PNG",
        }
    }

    /// ISO 32000 header, JPEG SOI marker followed by a marker's FF, the PNG file signature.
    pub fn signature(self) -> &'static [u8] {
        match self {
            Self::Pdf => b"%PDF-",
            Self::Jpeg => &[0xFF, 0xD8, 0xFF],
            Self::Png => &[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A],
        }
    }

    /// Whether `content` starts with this type's signature.
    pub fn matches(self, content: &[u8]) -> bool {
        content.starts_with(self.signature())
    }
}

/// How many wrong query passwords one case number takes within [`LOOKUP_WINDOW_SECS`] before
/// its lookups are refused until the window has passed.
pub const LOOKUP_FAILURES_ALLOWED: i32 = 5;
/// The window of the lookup limit, from a number's first wrong password.
pub const LOOKUP_WINDOW_SECS: i64 = 15 * 60;

/// Whether a lookup of a number with `failures` wrong passwords since `window_started_at`
/// may be tried `now`: `Err` with the seconds until it may, once the failures allowed are
/// used up within the window.
pub fn lookup_allowed(
    failures: i32,
    window_started_at: chrono::DateTime<chrono::Utc>,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<(), u64> {
    let window_ends = window_started_at + chrono::Duration::seconds(LOOKUP_WINDOW_SECS);
    if failures >= LOOKUP_FAILURES_ALLOWED && now < window_ends {
        let wait = (window_ends - now).num_milliseconds();
        // Rounded up: a client that waits as told is not refused once more.
        Err(((wait + 999) / 1000).max(1) as u64)
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_is_of_its_declared_type_only_when_its_content_starts_with_the_signature() {
        let pdf = b"%PDF-1.7\n%\xE2\xE3\xCF\xD3\n1 0 obj".as_slice();
        let jpeg = [0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10, b'J', b'F', b'I', b'F'];
        let png = [0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13];
        assert_eq!(FileType::declared("application/pdf"), Some(FileType::Pdf));
        assert_eq!(FileType::declared("image/jpeg"), Some(FileType::Jpeg));
        assert_eq!(FileType::declared("image/png"), Some(FileType::Png));
        assert_eq!(FileType::declared("text/html"), None);
        assert!(FileType::Pdf.matches(pdf));
        assert!(FileType::Jpeg.matches(&jpeg));
        assert!(FileType::Png.matches(&png));
        let html = b"<!DOCTYPE html><html><script>alert(1)</script></html>".as_slice();
        for file_type in FileType::ALL {
            assert!(!file_type.matches(html), "{file_type:?}");
            assert!(!file_type.matches(b""), "{file_type:?} empty");
        }
        assert!(!FileType::Pdf.matches(&png), "a PNG is no PDF");
        assert!(!FileType::Png.matches(pdf), "a PDF is no PNG");
        assert!(!FileType::Jpeg.matches(&png), "a PNG is no JPEG");
        assert!(!FileType::Pdf.matches(b"%PDF"), "cut short before the dash");
        assert!(
            !FileType::Png.matches(&png[..7]),
            "seven of the eight bytes"
        );
        assert!(
            !FileType::Pdf.matches(b" %PDF-1.7"),
            "the signature starts the file"
        );
        assert!(!FileType::Jpeg.matches(&[0xFF, 0xD8, 0x00]));
    }

    #[test]
    fn a_number_is_refused_after_five_wrong_passwords_until_the_window_passes() {
        let start = chrono::DateTime::parse_from_rfc3339("2026-12-04T10:00:00Z")
            .unwrap()
            .to_utc();
        let at = |secs: i64| start + chrono::Duration::seconds(secs);
        assert_eq!(lookup_allowed(0, start, start), Ok(()));
        assert_eq!(lookup_allowed(4, start, at(60)), Ok(()), "the fifth try");
        assert_eq!(lookup_allowed(5, start, at(60)), Err(840));
        assert_eq!(lookup_allowed(9, start, at(899)), Err(1));
        assert_eq!(
            lookup_allowed(5, start, at(899) + chrono::Duration::milliseconds(500)),
            Err(1),
            "rounded up"
        );
        assert_eq!(
            lookup_allowed(5, start, at(900)),
            Ok(()),
            "the window passed"
        );
    }

    fn material(code: &str, necessity: &str) -> ListedMaterial {
        ListedMaterial {
            code: code.into(),
            name: format!("材料{code}"),
            necessity: necessity.into(),
            source: "applicant".into(),
            certificate_type: String::new(),
        }
    }

    #[test]
    fn every_missing_required_material_is_named_at_once() {
        let listed = [
            material("A", "required"),
            material("B", "required"),
            material("C", "deferrable"),
        ];
        let err = check_materials(&listed, &BTreeSet::new(), &BTreeSet::new()).unwrap_err();
        let message = err.body().message;
        assert!(
            message.contains("(A)") && message.contains("(B)") && !message.contains("(C)"),
            "{message}"
        );
        let provided: BTreeSet<String> = ["A".to_owned(), "B".to_owned()].into();
        let states = check_materials(&listed, &provided, &BTreeSet::new()).unwrap();
        assert_eq!(
            states[2].state, "missing",
            "a deferrable one may be missing"
        );
        let certified: BTreeSet<String> = ["B".to_owned()].into();
        let states = check_materials(&listed, &["A".to_owned()].into(), &certified).unwrap();
        assert_eq!(
            states[1].state, "certificate",
            "一证通办: the store stands in for B"
        );
    }

    #[test]
    fn a_case_is_transferred_when_its_hall_lies_outside_the_handling_region() {
        let heshan_town = [
            "430000000000",
            "430900000000",
            "430903000000",
            "430903001000",
        ]
        .map(String::from);
        assert_eq!(
            mode("window", "item", &heshan_town, "430903000000"),
            "local"
        );
        assert_eq!(
            mode("window", "item", &heshan_town, "430900000000"),
            "local",
            "a city's item taken in at one of its county halls"
        );
        assert_eq!(
            mode("window", "item", &heshan_town, "430121000000"),
            "collect_elsewhere"
        );
        assert_eq!(
            mode("window", "part", &heshan_town, "430121000000"),
            "joint"
        );
        assert_eq!(mode("online", "item", &[], "430121000000"), "online");
    }

    #[test]
    fn query_passwords_are_readable_and_compared_whole() {
        let password = query_password();
        assert_eq!(password.len(), 8);
        assert!(!password.contains(['0', 'O', '1', 'I', 'L']));
        assert!(same_secret(&password, &password.clone()));
        assert!(!same_secret(&password, "ABCDEFGH") || password == "ABCDEFGH");
        assert!(!same_secret("short", "longer"));
    }
}
