//! How the statistics group and count: the grouping key of each `by`, the rates, and a group
//! summed and finished. Pure.

use tongban_kernel::{Error, RegionCode};

use crate::rating::state::{BAD, LEVELS, level_name};

use super::view::Group;

/// The grouping key of `by` over a table's columns: (region, department, item, staff, time).
pub fn key_expression(
    by: &str,
    region: &RegionCode,
    columns: (&str, &str, &str, &str, &str),
) -> Result<String, Error> {
    let (region_column, department, item, staff, time) = columns;
    Ok(match by {
        "region" => {
            let child = match region.prefix().len() {
                2 => 4,
                4 => 6,
                6 => 9,
                _ => 12,
            };
            format!("rpad(substr({region_column}, 1, {child}), 12, '0')")
        }
        "hall" => region_column.to_owned(),
        "department" => format!("coalesce({department}::text, '')"),
        "item" => format!("coalesce({item}, '')"),
        "clerk" => format!("coalesce({staff}::text, '')"),
        "month" => format!("to_char({time} at time zone 'Asia/Shanghai', 'YYYY-MM')"),
        other => {
            return Err(Error::bad_request(
                "by",
                format!("{other:?} is not region, hall, department, item, clerk or month"),
            ));
        }
    })
}

/// `part / whole` to four places; none of nothing.
pub fn ratio(part: i64, whole: i64) -> Option<f64> {
    (whole > 0).then(|| (part as f64 / whole as f64 * 10_000.0).round() / 10_000.0)
}

impl Group {
    /// Counts `count` ratings of `level`.
    pub fn count_level(&mut self, level: i16, count: i64) {
        *self.levels.entry(level_name(level).to_owned()).or_insert(0) += count;
        self.ratings += count;
        if level <= BAD {
            self.bad += count;
        }
    }

    /// Every level shown (zero when none), and the rates.
    pub fn finish(&mut self) {
        for (_, name, _) in LEVELS {
            self.levels.entry(name.to_owned()).or_insert(0);
        }
        self.rating_rate = ratio(self.rated_cases, self.concluded_cases);
        self.bad_rate = ratio(self.bad, self.ratings);
        self.on_time_rate = ratio(
            self.remediated_on_time,
            self.remediated_on_time + self.remediated_late,
        );
    }

    /// Adds `other`'s counts.
    pub fn add(&mut self, other: &Group) {
        for (level, count) in &other.levels {
            *self.levels.entry(level.clone()).or_insert(0) += count;
        }
        self.ratings += other.ratings;
        self.rated_cases += other.rated_cases;
        self.concluded_cases += other.concluded_cases;
        self.bad += other.bad;
        self.remediations += other.remediations;
        self.remediated_on_time += other.remediated_on_time;
        self.remediated_late += other.remediated_late;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_roll_up_one_level_down_and_rates_round_to_four_places() {
        let province: RegionCode = "430000000000".parse().unwrap();
        let columns = ("x", "d", "i", "s", "t");
        assert_eq!(
            key_expression("region", &province, columns).unwrap(),
            "rpad(substr(x, 1, 4), 12, '0')"
        );
        let county: RegionCode = "430903000000".parse().unwrap();
        assert_eq!(
            key_expression("region", &county, columns).unwrap(),
            "rpad(substr(x, 1, 9), 12, '0')"
        );
        assert_eq!(key_expression("hall", &county, columns).unwrap(), "x");
        assert_eq!(
            key_expression("week", &county, columns)
                .unwrap_err()
                .status(),
            400
        );
        assert_eq!(ratio(1, 3), Some(0.3333));
        assert_eq!(ratio(1, 0), None);
    }

    #[test]
    fn a_group_counts_bad_ratings_and_shows_every_level() {
        let mut group = Group::default();
        group.count_level(2, 3);
        group.count_level(5, 1);
        group.finish();
        assert_eq!((group.ratings, group.bad), (4, 3));
        assert_eq!(group.bad_rate, Some(0.75));
        assert_eq!(group.levels.len(), 5);
        assert_eq!(group.levels["very_satisfied"], 1);
    }
}
