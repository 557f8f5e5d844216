//! 一件事 bundles: one life event made of items of several departments, with one combined
//! material list in which a material several items need is asked for once.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use tongban_kernel::{CreditCode, Error, ImplementationCode, MaterialCode};

use super::item::{ItemSpec, MaterialKind, MaterialSource, Necessity, check_aliases, text};

/// What a bundle version says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BundleSpec {
    /// The life event, e.g. 出生一件事.
    pub name: String,
    #[serde(default)]
    pub aliases: Vec<String>,
    pub description: String,
    /// The department that leads joint handling (牵头部门); it implements one of the items.
    pub lead_department_credit_code: CreditCode,
    /// The member items, 2-10, of at least two departments.
    pub items: Vec<ImplementationCode>,
}

/// One entry of a bundle's combined material list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct CombinedMaterial {
    pub name: String,
    pub kind: MaterialKind,
    pub source: MaterialSource,
    /// The strictest of the members' (required over 容缺后补 over optional).
    pub necessity: Necessity,
    pub originals: u8,
    pub copies: u8,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub certificate_type: Option<String>,
    /// The member items' materials this one entry stands for.
    pub used_by: Vec<MaterialCode>,
}

impl BundleSpec {
    pub fn check(&self) -> Result<(), Error> {
        text("spec.name", &self.name, 50)?;
        check_aliases("spec.aliases", &self.aliases)?;
        text("spec.description", &self.description, 500)?;
        if !(2..=10).contains(&self.items.len()) {
            return Err(Error::bad_request(
                "spec.items",
                "a bundle has 2 to 10 items",
            ));
        }
        for (n, item) in self.items.iter().enumerate() {
            if self.items[..n].contains(item) {
                return Err(Error::unprocessable(
                    format!("spec.items[{n}]"),
                    format!("{item} is listed twice"),
                ));
            }
        }
        let departments: std::collections::BTreeSet<_> =
            self.items.iter().map(|i| i.credit_code()).collect();
        if departments.len() < 2 {
            return Err(Error::unprocessable(
                "spec.items",
                "a bundle joins items of at least two departments",
            ));
        }
        if !departments.contains(&self.lead_department_credit_code) {
            return Err(Error::unprocessable(
                "spec.lead_department_credit_code",
                "the lead department must implement one of the bundle's items",
            ));
        }
        Ok(())
    }
}

/// What makes two items' materials the same one: the e-certificate type when there is one,
/// else the name without spaces and with full-width brackets made plain.
fn identity(name: &str, certificate_type: Option<&str>) -> String {
    let raw = certificate_type.unwrap_or(name);
    raw.chars()
        .filter(|c| !c.is_whitespace())
        .map(|c| match c {
            '（' => '(',
            '）' => ')',
            other => other,
        })
        .collect()
}

/// The combined material list of `members` (each item's code and published spec), in the
/// order materials first appear.
pub fn combine(members: &[(ImplementationCode, ItemSpec)]) -> Vec<CombinedMaterial> {
    let mut combined: Vec<(String, CombinedMaterial)> = Vec::new();
    for (code, spec) in members {
        for (material_code, material) in spec.material_codes(code) {
            let key = identity(&material.name, material.certificate_type.as_deref());
            match combined.iter_mut().find(|(k, _)| *k == key) {
                Some((_, entry)) => {
                    entry.necessity = entry.necessity.max(material.necessity);
                    entry.originals = entry.originals.max(material.originals);
                    entry.copies = entry.copies.max(material.copies);
                    if material.source == MaterialSource::Government {
                        entry.source = MaterialSource::Government;
                    }
                    entry.used_by.push(material_code);
                }
                None => combined.push((
                    key,
                    CombinedMaterial {
                        name: material.name.clone(),
                        kind: material.kind,
                        source: material.source,
                        necessity: material.necessity,
                        originals: material.originals,
                        copies: material.copies,
                        certificate_type: material.certificate_type.clone(),
                        used_by: vec![material_code],
                    },
                )),
            }
        }
    }
    combined.into_iter().map(|(_, entry)| entry).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::item::tests::spec;

    fn code(serial: &str) -> ImplementationCode {
        let credit = CreditCode::complete(&format!("11430903MB{serial}")).unwrap();
        format!("{credit}4000101001000").parse().unwrap()
    }

    #[test]
    fn shared_materials_are_asked_once_at_the_strictest() {
        let mut first = spec();
        first.number_materials(0).unwrap();
        let mut second = spec();
        second.materials[0].name = "参保登记表".into();
        second.materials[1].necessity = Necessity::Deferrable;
        second.materials[1].copies = 2;
        second.number_materials(0).unwrap();
        let (a, b) = (code("0001001"), code("0001002"));
        let combined = combine(&[(a.clone(), first), (b.clone(), second)]);
        let names: Vec<_> = combined.iter().map(|m| m.name.as_str()).collect();
        assert_eq!(names, ["申请书", "居民身份证", "参保登记表"]);
        let id_card = &combined[1];
        assert_eq!(
            id_card.used_by,
            [a.material(2).unwrap(), b.material(2).unwrap()]
        );
        assert_eq!(id_card.necessity, Necessity::Required);
        assert_eq!(id_card.copies, 2);
    }

    #[test]
    fn a_bundle_needs_two_departments_and_a_lead_among_them() {
        let (a, b) = (code("0001001"), code("0001002"));
        let mut bundle = BundleSpec {
            name: "出生一件事".into(),
            aliases: vec![],
            description: "新生儿出生后的证件一次办".into(),
            lead_department_credit_code: a.credit_code(),
            items: vec![a.clone(), b.clone()],
        };
        bundle.check().unwrap();
        bundle.items = vec![a.clone(), a.clone()];
        assert_eq!(
            bundle.check().unwrap_err().body().field.as_deref(),
            Some("spec.items[1]")
        );
        bundle.items = vec![a, b];
        bundle.lead_department_credit_code = CreditCode::complete("11430903MB0009999").unwrap();
        assert_eq!(
            bundle.check().unwrap_err().body().field.as_deref(),
            Some("spec.lead_department_credit_code")
        );
    }
}
