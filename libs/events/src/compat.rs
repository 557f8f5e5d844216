//! The wire-compatibility guard: the event contract as compiled now against the baseline
//! committed in `proto/baseline.binpb` (the descriptor set of the last published contract).
//! Consumers in any language decode with the baseline's `.proto` files, so a change may add
//! messages, fields and enum values, and rename them, but never:
//! - remove a message or an enum a consumer may decode;
//! - remove a field without reserving its number (a later reuse would be misread);
//! - give a field number another type, another message or enum type, or another cardinality;
//! - remove an enum value's number.
//!
//! After a compatible change, refresh the baseline:
//! `TONGBAN_UPDATE_PROTO_BASELINE=1 cargo test -p tongban-events`.

use std::collections::BTreeMap;

use prost_types::{DescriptorProto, EnumDescriptorProto, FileDescriptorSet};

/// Every message and enum of `set` by full name (`.tongban.acceptance.v1.CaseRef`).
fn index(
    set: &FileDescriptorSet,
) -> (
    BTreeMap<String, &DescriptorProto>,
    BTreeMap<String, &EnumDescriptorProto>,
) {
    fn walk<'a>(
        prefix: &str,
        message: &'a DescriptorProto,
        messages: &mut BTreeMap<String, &'a DescriptorProto>,
        enums: &mut BTreeMap<String, &'a EnumDescriptorProto>,
    ) {
        let name = format!("{prefix}.{}", message.name());
        for nested in &message.nested_type {
            walk(&name, nested, messages, enums);
        }
        for e in &message.enum_type {
            enums.insert(format!("{name}.{}", e.name()), e);
        }
        messages.insert(name, message);
    }
    let (mut messages, mut enums) = (BTreeMap::new(), BTreeMap::new());
    for file in &set.file {
        let prefix = format!(".{}", file.package());
        for message in &file.message_type {
            walk(&prefix, message, &mut messages, &mut enums);
        }
        for e in &file.enum_type {
            enums.insert(format!("{prefix}.{}", e.name()), e);
        }
    }
    (messages, enums)
}

/// What breaks wire compatibility from `baseline` to `current`, one line each (empty: none).
pub fn breaking_changes(baseline: &FileDescriptorSet, current: &FileDescriptorSet) -> Vec<String> {
    let (old_messages, old_enums) = index(baseline);
    let (new_messages, new_enums) = index(current);
    let mut problems = Vec::new();
    for (name, old) in &old_messages {
        let Some(new) = new_messages.get(name) else {
            problems.push(format!("message {name} was removed"));
            continue;
        };
        for field in &old.field {
            let number = field.number();
            match new.field.iter().find(|f| f.number() == number) {
                None => {
                    let reserved = new
                        .reserved_range
                        .iter()
                        .any(|r| r.start() <= number && number < r.end());
                    if !reserved {
                        problems.push(format!(
                            "{name}.{} (field {number}) was removed without reserving its number",
                            field.name()
                        ));
                    }
                }
                Some(now) => {
                    if now.r#type() != field.r#type() || now.type_name() != field.type_name() {
                        problems.push(format!(
                            "{name} field {number} changed type: {:?} {} → {:?} {}",
                            field.r#type(),
                            field.type_name(),
                            now.r#type(),
                            now.type_name()
                        ));
                    }
                    if now.label() != field.label() {
                        problems.push(format!(
                            "{name} field {number} changed cardinality: {:?} → {:?}",
                            field.label(),
                            now.label()
                        ));
                    }
                }
            }
        }
    }
    for (name, old) in &old_enums {
        let Some(new) = new_enums.get(name) else {
            problems.push(format!("enum {name} was removed"));
            continue;
        };
        for value in &old.value {
            if !new.value.iter().any(|v| v.number() == value.number()) {
                problems.push(format!(
                    "{name}.{} (value {}) was removed",
                    value.name(),
                    value.number()
                ));
            }
        }
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;
    use prost::Message;
    use prost_types::field_descriptor_proto::{Label, Type};
    use prost_types::{DescriptorProto, FieldDescriptorProto, FileDescriptorProto};

    fn baseline_path() -> std::path::PathBuf {
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../proto/baseline.binpb")
    }

    #[test]
    fn the_contract_stays_wire_compatible_with_the_committed_baseline() {
        let current = FileDescriptorSet::decode(crate::DESCRIPTORS).unwrap();
        if std::env::var_os("TONGBAN_UPDATE_PROTO_BASELINE").is_some() {
            let problems = std::fs::read(baseline_path())
                .ok()
                .and_then(|b| FileDescriptorSet::decode(b.as_slice()).ok())
                .map(|baseline| breaking_changes(&baseline, &current))
                .unwrap_or_default();
            assert!(
                problems.is_empty(),
                "not refreshing a baseline the change breaks:\n{}",
                problems.join("\n")
            );
            std::fs::write(baseline_path(), crate::DESCRIPTORS).unwrap();
            return;
        }
        let baseline = FileDescriptorSet::decode(
            std::fs::read(baseline_path())
                .expect("proto/baseline.binpb: TONGBAN_UPDATE_PROTO_BASELINE=1 makes it")
                .as_slice(),
        )
        .unwrap();
        let problems = breaking_changes(&baseline, &current);
        assert!(
            problems.is_empty(),
            "the event contract breaks wire compatibility:\n{}",
            problems.join("\n")
        );
    }

    #[test]
    fn personal_data_travels_masked_or_not_at_all() {
        // Fields that would carry an identity document, a phone number, an e-mail address, a
        // sign-in name or a person's name must say they are masked; secrets never travel.
        let personal = [
            "phone",
            "mobile",
            "id_number",
            "id_card",
            "document",
            "email",
            "login",
            "applicant_name",
            "holder_name",
        ];
        // The one name that travels: the applicant's, on case events, because the work item
        // and the e-certificate must name the holder (proto/README.md).
        let named = [(".tongban.acceptance.v1.CaseRef", "applicant_name")];
        let secret = ["password", "secret", "code_hash", "one_time_code"];
        let current = FileDescriptorSet::decode(crate::DESCRIPTORS).unwrap();
        let (messages, _) = index(&current);
        let mut checked = 0;
        for (name, message) in messages {
            for field in &message.field {
                let field_name = field.name();
                assert!(
                    !secret.iter().any(|s| field_name.contains(s)),
                    "{name}.{field_name} would put a secret on a stream"
                );
                if named.contains(&(name.as_str(), field_name)) {
                    continue;
                }
                if personal.iter().any(|p| field_name.contains(p)) {
                    assert!(
                        field_name.ends_with("_masked"),
                        "{name}.{field_name} carries personal data unmasked"
                    );
                    checked += 1;
                }
            }
        }
        assert!(checked >= 3, "the masked fields are found ({checked})");
    }

    fn field(name: &str, number: i32, ty: Type, label: Label) -> FieldDescriptorProto {
        FieldDescriptorProto {
            name: Some(name.into()),
            number: Some(number),
            r#type: Some(ty as i32),
            label: Some(label as i32),
            ..Default::default()
        }
    }

    fn set(fields: Vec<FieldDescriptorProto>, reserved: &[(i32, i32)]) -> FileDescriptorSet {
        FileDescriptorSet {
            file: vec![FileDescriptorProto {
                package: Some("tongban.test.v1".into()),
                message_type: vec![DescriptorProto {
                    name: Some("Thing".into()),
                    field: fields,
                    reserved_range: reserved
                        .iter()
                        .map(
                            |(start, end)| prost_types::descriptor_proto::ReservedRange {
                                start: Some(*start),
                                end: Some(*end),
                            },
                        )
                        .collect(),
                    ..Default::default()
                }],
                ..Default::default()
            }],
        }
    }

    #[test]
    fn removals_renumberings_and_retypings_are_caught_additions_and_renames_are_not() {
        let id = || field("id", 1, Type::String, Label::Optional);
        let count = || field("count", 2, Type::Uint32, Label::Optional);
        let baseline = set(vec![id(), count()], &[]);
        // Added a field, renamed one: fine.
        let grown = set(
            vec![
                field("thing_id", 1, Type::String, Label::Optional),
                count(),
                field("note", 3, Type::String, Label::Optional),
            ],
            &[],
        );
        assert!(breaking_changes(&baseline, &grown).is_empty());
        // Removed without reserving: caught; reserved: fine.
        let removed = set(vec![id()], &[]);
        assert_eq!(breaking_changes(&baseline, &removed).len(), 1);
        assert!(breaking_changes(&baseline, &set(vec![id()], &[(2, 3)])).is_empty());
        // Renumbered (the old number gone, a new one added): caught.
        let renumbered = set(
            vec![id(), field("count", 5, Type::Uint32, Label::Optional)],
            &[],
        );
        assert_eq!(breaking_changes(&baseline, &renumbered).len(), 1);
        // Another type, another cardinality: caught.
        let retyped = set(
            vec![id(), field("count", 2, Type::String, Label::Optional)],
            &[],
        );
        assert!(breaking_changes(&baseline, &retyped)[0].contains("changed type"));
        let repeated = set(
            vec![id(), field("count", 2, Type::Uint32, Label::Repeated)],
            &[],
        );
        assert!(breaking_changes(&baseline, &repeated)[0].contains("cardinality"));
        // A message removed: caught.
        let gone = FileDescriptorSet { file: Vec::new() };
        assert!(breaking_changes(&baseline, &gone)[0].contains("was removed"));
    }
}
