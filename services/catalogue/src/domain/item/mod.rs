//! What an implementation item (实施清单事项) says, and the rules a version must keep before it
//! is stored. No I/O: the code lists and the known regions are handed in.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use tongban_kernel::{BasicCode, CreditCode, ImplementationCode, RegionCode, Role, TimeLimit};

mod rules;

pub use rules::check_aliases;
pub(crate) use rules::text;

/// 即办件 (decided on the spot) or 承诺件 (decided within the promised limit).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ItemKind {
    Immediate,
    Promised,
}

/// The fee an applicant pays (most items are free).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Fee {
    pub charged: bool,
    /// In fen (分, 1/100 yuan), when charged: integers keep money exact.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub amount_fen: Option<u64>,
    /// The regulation that sets the fee, when charged (收费依据).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub basis: Option<String>,
}

/// Whether results and materials may travel by post (免费邮寄).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Postal {
    pub results: bool,
    pub materials: bool,
}

/// Where else the item may be applied for (通办范围).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Tongban {
    /// A code of the `tongban_scope` list: `none`, `county`, `city`, `province`, `cross_province`.
    pub scope: String,
    /// Further regions (and everything below them) where the item may be applied for; required
    /// for a scope that reaches only listed regions (cross-province agreements).
    #[serde(default)]
    pub covered_regions: Vec<RegionCode>,
}

/// Where and when to apply in person, and whom to ask (办理地点, 办理时间, 咨询电话, 监督投诉电话):
/// what a service guide (办事指南) prints for people who come to the hall or call it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Venue {
    /// The hall and its windows (e.g. 赫山区政务服务中心一楼 3-5 号综合窗口).
    pub address: String,
    /// Opening hours in words (e.g. 工作日 9:00-12:00, 14:00-17:30).
    pub opening_hours: String,
    /// The consultation number (咨询电话).
    pub consultation_phone: String,
    /// The complaints number (监督投诉电话), when the hall states one apart from 12345.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub complaint_phone: Option<String>,
}

/// One handling step of the back office (承办, 审核, 批准 ...), with its own limit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Step {
    pub name: String,
    /// Who handles it: `window_clerk` (受理) or `approver`.
    pub role: Role,
    pub time_limit: TimeLimit,
}

/// What the applicant gets in the end.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ResultKind {
    /// 证照 (licences, permits).
    Licence,
    /// 证明 (certificates, proofs).
    Certificate,
    /// 批文 (approval documents, decisions).
    Document,
    Other,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResultSpec {
    pub name: String,
    pub kind: ResultKind,
    /// Whether an electronic certificate (电子证照) is issued with it.
    #[serde(default)]
    pub e_certificate: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum MaterialKind {
    /// 证照/证明.
    Certificate,
    /// 表格 (an application form).
    Form,
    Other,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum MaterialSource {
    /// The applicant brings it.
    Applicant,
    /// A government body issued it: fetched from the e-certificate store when present (一证通办).
    Government,
}

/// Ordered from the least to the most demanding, so the strictest of several is the maximum.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Necessity {
    Optional,
    /// 容缺后补: may be supplied after acceptance, against a written commitment.
    Deferrable,
    Required,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Material {
    /// 1-999: the last three characters of the material code. Left out on a new material, the
    /// catalogue assigns the next free number; keep it on later versions so the code is stable.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub number: Option<u16>,
    pub name: String,
    pub kind: MaterialKind,
    pub source: MaterialSource,
    pub necessity: Necessity,
    /// Originals to show (原件).
    #[serde(default)]
    pub originals: u8,
    /// Copies to hand in (复印件).
    #[serde(default)]
    pub copies: u8,
    /// The e-certificate type (e.g. 居民身份证) of a government-issued material; also what makes
    /// two items' materials the same one in a bundle.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub certificate_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notes: Option<String>,
}

/// Everything a version of an implementation item says beyond the basic catalogue's six
/// common elements (name, code, type, supervising department, implementing body, legal basis).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ItemSpec {
    /// Local names people search by (e.g. 办执照 for 营业执照).
    #[serde(default)]
    pub aliases: Vec<String>,
    pub kind: ItemKind,
    /// 法定办结时限.
    pub legal_time_limit: TimeLimit,
    /// 承诺办结时限: 0 for an immediate item.
    pub promised_time_limit: TimeLimit,
    /// 受理条件.
    pub acceptance_conditions: String,
    pub fee: Fee,
    /// 到办事现场次数, 0-2.
    pub visits_required: u8,
    /// A code of the `online_depth` list (网办深度).
    pub online_depth: String,
    pub postal: Postal,
    pub tongban: Tongban,
    pub steps: Vec<Step>,
    pub results: Vec<ResultSpec>,
    pub materials: Vec<Material>,
    /// Where and when to apply in person, and whom to ask; none for an item only done online
    /// or not yet described.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub venue: Option<Venue>,
    /// The real-name level (实名等级) an applicant needs: 1 unverified, 2 basic real-name
    /// (checked against the national identity record), 3 advanced (by face, or in person at a
    /// window). An item that says nothing needs 1.
    #[serde(default = "least_real_name_level")]
    #[schema(minimum = 1, maximum = 3, default = 1)]
    pub real_name_level: u8,
}

/// The level an item needs when it states none.
fn least_real_name_level() -> u8 {
    1
}

/// An implementation item as the import/export files and the create request carry it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ItemRow {
    /// The implementation code; computed from the other two when left out, checked when given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<ImplementationCode>,
    /// The item's name (from the basic catalogue): written on export for readers, ignored on
    /// import.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    pub basic_code: BasicCode,
    /// The implementing department's unified social credit code.
    pub department_credit_code: CreditCode,
    pub spec: ItemSpec,
}

/// The code lists a spec refers to (local data, see `code_lists`).
#[derive(Debug, Clone, Default)]
pub struct CodeLists {
    /// list -> code -> reach (only `tongban_scope` codes have one).
    pub lists: BTreeMap<String, BTreeMap<String, Option<String>>>,
}

impl CodeLists {
    pub fn has(&self, list: &str, code: &str) -> bool {
        self.lists
            .get(list)
            .is_some_and(|codes| codes.contains_key(code))
    }

    pub fn codes(&self, list: &str) -> String {
        self.lists
            .get(list)
            .map(|codes| codes.keys().cloned().collect::<Vec<_>>().join(", "))
            .unwrap_or_default()
    }

    /// How far a 通办 scope reaches: `self`, `county`, `city`, `province` or `listed`.
    pub fn reach(&self, scope: &str) -> Option<&str> {
        self.lists.get("tongban_scope")?.get(scope)?.as_deref()
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use tongban_kernel::Error;

    pub fn lists() -> CodeLists {
        let mut lists = CodeLists::default();
        let online = [
            "consult",
            "collect",
            "precheck",
            "accept",
            "handle",
            "feedback",
            "e_certificate",
        ];
        lists.lists.insert(
            "online_depth".into(),
            online.iter().map(|c| (c.to_string(), None)).collect(),
        );
        lists.lists.insert(
            "tongban_scope".into(),
            [
                ("none", "self"),
                ("county", "county"),
                ("province", "province"),
                ("cross_province", "listed"),
            ]
            .iter()
            .map(|(c, r)| (c.to_string(), Some(r.to_string())))
            .collect(),
        );
        lists
    }

    pub fn spec() -> ItemSpec {
        ItemSpec {
            aliases: vec!["办执照".into()],
            kind: ItemKind::Promised,
            legal_time_limit: TimeLimit::working_days(20),
            promised_time_limit: TimeLimit::working_days(3),
            acceptance_conditions: "申请材料齐全、符合法定形式".into(),
            fee: Fee {
                charged: false,
                amount_fen: None,
                basis: None,
            },
            visits_required: 0,
            online_depth: "handle".into(),
            postal: Postal {
                results: true,
                materials: false,
            },
            tongban: Tongban {
                scope: "province".into(),
                covered_regions: vec![],
            },
            steps: vec![
                Step {
                    name: "受理".into(),
                    role: Role::WindowClerk,
                    time_limit: TimeLimit::working_days(1),
                },
                Step {
                    name: "审核".into(),
                    role: Role::Approver,
                    time_limit: TimeLimit::working_days(2),
                },
            ],
            results: vec![ResultSpec {
                name: "营业执照".into(),
                kind: ResultKind::Licence,
                e_certificate: true,
            }],
            venue: None,
            materials: vec![
                Material {
                    number: None,
                    name: "申请书".into(),
                    kind: MaterialKind::Form,
                    source: MaterialSource::Applicant,
                    necessity: Necessity::Required,
                    originals: 1,
                    copies: 0,
                    certificate_type: None,
                    notes: None,
                },
                Material {
                    number: None,
                    name: "居民身份证".into(),
                    kind: MaterialKind::Certificate,
                    source: MaterialSource::Government,
                    necessity: Necessity::Required,
                    originals: 1,
                    copies: 1,
                    certificate_type: Some("居民身份证".into()),
                    notes: None,
                },
            ],
            real_name_level: 1,
        }
    }

    fn field_of(err: Error) -> String {
        err.body().field.unwrap_or_default()
    }

    #[test]
    fn a_sound_spec_passes() {
        spec().check("spec", &lists()).unwrap();
    }

    #[test]
    fn each_rule_names_its_field() {
        let lists = lists();
        type Breakage = Box<dyn Fn(&mut ItemSpec)>;
        let cases: Vec<(&str, Breakage)> = vec![
            (
                "spec.promised_time_limit",
                Box::new(|s| s.promised_time_limit.value = 30),
            ),
            (
                "spec.promised_time_limit",
                Box::new(|s| s.kind = ItemKind::Immediate),
            ),
            ("spec.steps", Box::new(|s| s.steps[1].time_limit.value = 5)),
            (
                "spec.steps[1].role",
                Box::new(|s| s.steps[1].role = Role::Supervisor),
            ),
            (
                "spec.online_depth",
                Box::new(|s| s.online_depth = "telepathy".into()),
            ),
            (
                "spec.tongban.covered_regions",
                Box::new(|s| s.tongban.scope = "cross_province".into()),
            ),
            ("spec.fee", Box::new(|s| s.fee.charged = true)),
            ("spec.visits_required", Box::new(|s| s.visits_required = 3)),
            (
                "spec.materials[1].certificate_type",
                Box::new(|s| s.materials[1].certificate_type = None),
            ),
            (
                "spec.materials[0].name",
                Box::new(|s| s.materials[0].name = " ".into()),
            ),
            ("spec.results", Box::new(|s| s.results.clear())),
            ("spec.real_name_level", Box::new(|s| s.real_name_level = 0)),
            ("spec.real_name_level", Box::new(|s| s.real_name_level = 4)),
        ];
        for (field, break_it) in cases {
            let mut broken = spec();
            break_it(&mut broken);
            assert_eq!(field_of(broken.check("spec", &lists).unwrap_err()), field);
        }
    }

    #[test]
    fn an_item_that_states_no_real_name_level_needs_level_one() {
        let mut row = serde_json::to_value(spec()).unwrap();
        row.as_object_mut().unwrap().remove("real_name_level");
        let read: ItemSpec = serde_json::from_value(row).unwrap();
        assert_eq!(read.real_name_level, 1);
        let mut stated = spec();
        stated.real_name_level = 2;
        stated.check("spec", &lists()).unwrap();
        let wrong = stated_level(5).check("spec", &lists()).unwrap_err();
        assert_eq!(wrong.status(), 422);
        assert!(wrong.body().message.contains("1, 2 or 3"), "{wrong}");
    }

    #[test]
    fn a_venue_states_its_address_hours_and_numbers() {
        let mut s = spec();
        s.venue = Some(Venue {
            address: "赫山区政务服务中心一楼 3 号窗口".into(),
            opening_hours: "工作日 9:00-12:00，14:00-17:30".into(),
            consultation_phone: "0737-4222345".into(),
            complaint_phone: Some("12345".into()),
        });
        s.check("spec", &lists()).unwrap();
        let mut letters = s.clone();
        if let Some(venue) = letters.venue.as_mut() {
            venue.consultation_phone = "call us".into();
        }
        assert_eq!(
            field_of(letters.check("spec", &lists()).unwrap_err()),
            "spec.venue.consultation_phone"
        );
        let mut nowhere = s;
        if let Some(venue) = nowhere.venue.as_mut() {
            venue.address = " ".into();
        }
        assert_eq!(
            field_of(nowhere.check("spec", &lists()).unwrap_err()),
            "spec.venue.address"
        );
    }

    fn stated_level(level: u8) -> ItemSpec {
        ItemSpec {
            real_name_level: level,
            ..spec()
        }
    }

    #[test]
    fn material_numbers_are_never_reused() {
        let mut s = spec();
        s.materials[1].number = Some(4);
        s.number_materials(6).unwrap();
        assert_eq!(s.materials[0].number, Some(7), "above everything ever used");
        assert_eq!(s.materials[1].number, Some(4), "kept");
        let mut twice = spec();
        twice.materials[0].number = Some(2);
        twice.materials[1].number = Some(2);
        assert_eq!(
            field_of(twice.check("spec", &lists()).unwrap_err()),
            "spec.materials[1].number"
        );
    }
}
