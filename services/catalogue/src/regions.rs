//! The administrative divisions shipped with the catalogue (`data/regions`, NBS 2023: provinces,
//! cities, counties, towns; see its SOURCE.md). Parsing only; loading is in `db::regions`.

/// One division as the data files give it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Division {
    /// 12 digits.
    pub code: String,
    pub name: String,
    pub level: &'static str,
    /// 12 digits; none for provinces.
    pub parent: Option<String>,
}

const PROVINCES: &str = include_str!("../data/regions/provinces.csv");
const CITIES: &str = include_str!("../data/regions/cities.csv");
const COUNTIES: &str = include_str!("../data/regions/areas.csv");
const TOWNS: &str = include_str!("../data/regions/streets.csv");

/// The levels in loading order (parents before children), each with its divisions.
///
/// A few divisions are listed twice: cities without counties (东莞, 中山, 儋州 — 不设区的地级市)
/// again as their own county, and 金门县 again as its own town. Such a row names itself as its
/// parent; it is the same division, kept once at its higher level.
pub fn levels() -> Result<Vec<(&'static str, Vec<Division>)>, String> {
    let not_itself = |divisions: Vec<Division>| -> Vec<Division> {
        divisions
            .into_iter()
            .filter(|d| d.parent.as_deref() != Some(d.code.as_str()))
            .collect()
    };
    Ok(vec![
        ("province", parse(PROVINCES, "province", false)?),
        ("city", not_itself(parse(CITIES, "city", true)?)),
        ("county", not_itself(parse(COUNTIES, "county", true)?)),
        ("town", not_itself(parse(TOWNS, "town", true)?)),
    ])
}

fn pad(code: &str) -> String {
    format!("{code:0<12}")
}

/// Rows `code,"name"[,parent,…]`: every file but the provinces' names each row's direct parent
/// in the first column after the name.
fn parse(csv: &str, level: &'static str, has_parent: bool) -> Result<Vec<Division>, String> {
    csv.lines()
        .skip(1)
        .filter(|line| !line.trim().is_empty())
        .enumerate()
        .map(|(n, line)| {
            let bad = || format!("{level} row {}: {line}", n + 2);
            let (code, rest) = line.split_once(",\"").ok_or_else(bad)?;
            let (name, rest) = rest.split_once('"').ok_or_else(bad)?;
            let columns: Vec<&str> = rest.trim_start_matches(',').split(',').collect();
            if code.is_empty() || code.len() > 12 || !code.bytes().all(|b| b.is_ascii_digit()) {
                return Err(bad());
            }
            let parent = if has_parent {
                let parent = columns
                    .first()
                    .copied()
                    .filter(|p| !p.is_empty())
                    .ok_or_else(bad)?;
                Some(pad(parent))
            } else {
                None
            };
            Ok(Division {
                code: pad(code),
                name: name.to_owned(),
                level,
                parent,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_shipped_division_parses_with_its_parent() {
        let levels = levels().unwrap();
        let counts: Vec<(&str, usize)> = levels.iter().map(|(l, d)| (*l, d.len())).collect();
        // Three cities without counties and 金门县 are listed a second time as their own child.
        assert_eq!(
            counts,
            [
                ("province", 31),
                ("city", 342),
                ("county", 2_975),
                ("town", 41_351)
            ]
        );
        let find = |code: &str| {
            levels
                .iter()
                .flat_map(|(_, d)| d)
                .find(|d| d.code == code)
                .cloned()
                .unwrap()
        };
        let nanxian = find("430921000000");
        assert_eq!(nanxian.name, "南县");
        assert_eq!(nanxian.parent.as_deref(), Some("430900000000"));
        assert_eq!(find("430900000000").parent.as_deref(), Some("430000000000"));
        assert_eq!(find("430000000000").parent, None);
        // Codes are unique, and every parent is a division of a level above.
        let codes: std::collections::HashSet<&str> = levels
            .iter()
            .flat_map(|(_, d)| d)
            .map(|d| d.code.as_str())
            .collect();
        assert_eq!(codes.len(), 44_699);
        assert_eq!(find("441900000000").level, "city", "东莞 stays a city");
        for division in levels.iter().flat_map(|(_, d)| d) {
            if let Some(parent) = &division.parent {
                assert!(
                    codes.contains(parent.as_str()),
                    "{} has unknown parent {parent}",
                    division.code
                );
            }
        }
    }
}
