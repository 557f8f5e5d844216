//! What a rating is made of: the channel it came through, the five levels and the indicators
//! it may score. Pure.

tongban_kernel::text_enum! {
    /// How a rating came in; stored as text in `ratings.channel`.
    pub enum Channel {
        /// A window visit rated through its rating code (一次一评).
        Window => "window",
        /// A concluded case rated by its applicant (一事一评).
        Online => "online",
        /// A public comment on a hall.
        Public => "public",
    }
}

/// The five levels, best first: (score, name, 名称).
pub const LEVELS: [(i16, &str, &str); 5] = [
    (5, "very_satisfied", "非常满意"),
    (4, "satisfied", "满意"),
    (3, "basically_satisfied", "基本满意"),
    (2, "dissatisfied", "不满意"),
    (1, "very_dissatisfied", "非常不满意"),
];

/// Scores at or below this are bad ratings (差评): they open a remediation.
pub const BAD: i16 = 2;

/// What a rating may score, each 1 to 5: guidance (办事指南), attitude (服务态度), efficiency
/// (办理效率), convenience (便利程度), integrity (廉洁自律).
pub const INDICATORS: [&str; 5] = [
    "guidance",
    "attitude",
    "efficiency",
    "convenience",
    "integrity",
];

/// The level named `name` as its score.
pub fn level_score(name: &str) -> Option<i16> {
    LEVELS.iter().find(|l| l.1 == name).map(|l| l.0)
}

/// The name of the level `score` ("unknown" for none).
pub fn level_name(score: i16) -> &'static str {
    LEVELS
        .iter()
        .find(|l| l.0 == score)
        .map_or("unknown", |l| l.1)
}

/// The Chinese label of the level `score` (empty for none).
pub fn level_label(score: i16) -> &'static str {
    LEVELS.iter().find(|l| l.0 == score).map_or("", |l| l.2)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_run_from_very_satisfied_to_very_dissatisfied() {
        assert_eq!(level_score("very_satisfied"), Some(5));
        assert_eq!(level_score("basically_satisfied"), Some(3));
        assert_eq!(level_name(1), "very_dissatisfied");
        assert_eq!(level_name(9), "unknown");
        assert_eq!(level_label(4), "满意");
        assert!(
            LEVELS
                .iter()
                .filter(|l| l.0 <= BAD)
                .map(|l| l.2)
                .eq(["不满意", "非常不满意"])
        );
    }

    #[test]
    fn channels_are_stored_as_today() {
        for (channel, name) in [
            (Channel::Window, "window"),
            (Channel::Online, "online"),
            (Channel::Public, "public"),
        ] {
            assert_eq!(channel.as_str(), name);
            assert_eq!(serde_json::to_value(channel).unwrap(), name);
        }
    }
}
