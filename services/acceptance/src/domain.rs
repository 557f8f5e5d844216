//! The rules of a case's materials and regions: whether its materials are complete, how regions
//! share it. No I/O. (Its states and transitions are in `case::state`.)

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use tongban_kernel::Error;

pub use crate::case::state::{Action, Status};

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

#[cfg(test)]
mod tests {
    use super::*;

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
