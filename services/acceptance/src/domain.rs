//! The rules of a case before the back office takes it: which transitions are allowed, and
//! whether its materials are complete. No I/O.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use tongban_kernel::Error;

/// Where a case stands in the front office.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Being filled in by the applicant.
    Draft,
    /// Submitted; awaits the pre-check and the acceptance decision.
    Submitted,
    /// The one-time correction notice was sent; awaits the applicant's resubmission.
    NeedsCorrection,
    /// Accepted (受理): the time limit runs.
    Accepted,
    /// The handling region sent the transfer back (跨域通办): the receiving window tells the
    /// applicant once what to fix, sends the case again, or refuses it.
    Returned,
    /// Not accepted (不予受理), with a written reason.
    Refused,
    /// Withdrawn by the applicant before a decision.
    Withdrawn,
    /// Approval concluded it (办结: approved or refused); the result awaits delivery.
    Concluded,
    /// The result went out to the applicant.
    Delivered,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Draft => "draft",
            Self::Submitted => "submitted",
            Self::NeedsCorrection => "needs_correction",
            Self::Accepted => "accepted",
            Self::Returned => "returned",
            Self::Refused => "refused",
            Self::Withdrawn => "withdrawn",
            Self::Concluded => "concluded",
            Self::Delivered => "delivered",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "draft" => Self::Draft,
            "submitted" => Self::Submitted,
            "needs_correction" => Self::NeedsCorrection,
            "accepted" => Self::Accepted,
            "returned" => Self::Returned,
            "refused" => Self::Refused,
            "withdrawn" => Self::Withdrawn,
            "concluded" => Self::Concluded,
            "delivered" => Self::Delivered,
            _ => return None,
        })
    }

    /// `Ok` when `action` may happen in this state, else a 409 saying why not.
    pub fn allow(self, action: Action) -> Result<(), Error> {
        let allowed = match action {
            // The clerk who entered a returned case may replace a defective scan before
            // sending it again.
            Action::Edit => matches!(self, Self::Draft | Self::NeedsCorrection | Self::Returned),
            Action::Submit => matches!(self, Self::Draft | Self::NeedsCorrection),
            Action::Decide => matches!(self, Self::Submitted | Self::Returned),
            Action::Withdraw => matches!(
                self,
                Self::Draft | Self::Submitted | Self::NeedsCorrection | Self::Returned
            ),
            Action::SupplyDeferred => self == Self::Accepted,
            Action::Deliver => self == Self::Concluded,
        };
        if allowed {
            Ok(())
        } else {
            Err(Error::Conflict {
                code: "illegal_transition",
                message: format!("a {} case cannot be {}", self.as_str(), action.past()),
            })
        }
    }
}

/// What is being done to a case.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Change its form or materials.
    Edit,
    Submit,
    /// Accept, refuse, or request a correction.
    Decide,
    /// The applicant withdraws before a decision.
    Withdraw,
    /// A 容缺 material arrives after acceptance.
    SupplyDeferred,
    /// The result goes out (统一窗口出件).
    Deliver,
}

impl Action {
    fn past(self) -> &'static str {
        match self {
            Self::Edit => "edited",
            Self::Submit => "submitted",
            Self::Decide => "decided",
            Self::Withdraw => "withdrawn",
            Self::SupplyDeferred => "given deferred materials",
            Self::Deliver => "delivered",
        }
    }
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
    fn transitions_follow_the_case_life() {
        assert!(Status::Draft.allow(Action::Submit).is_ok());
        assert!(Status::NeedsCorrection.allow(Action::Submit).is_ok());
        assert!(Status::Submitted.allow(Action::Decide).is_ok());
        assert!(
            Status::Accepted.allow(Action::Decide).is_err(),
            "deciding twice"
        );
        assert!(Status::Refused.allow(Action::Edit).is_err());
        assert!(Status::Submitted.allow(Action::Withdraw).is_ok());
        assert!(
            Status::Accepted.allow(Action::Withdraw).is_err(),
            "decided: too late to withdraw"
        );
        assert!(Status::Accepted.allow(Action::SupplyDeferred).is_ok());
        // A returned transfer is decided again at the receiving window, not resubmitted.
        assert!(Status::Returned.allow(Action::Decide).is_ok());
        assert!(Status::Returned.allow(Action::Edit).is_ok());
        assert!(Status::Returned.allow(Action::Submit).is_err());
        assert!(Status::Returned.allow(Action::Deliver).is_err());
        assert_eq!(
            Status::Submitted
                .allow(Action::Submit)
                .unwrap_err()
                .status(),
            409
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
