//! Closed sets stored in text columns and shown in the API (states, kinds, channels ...): one
//! macro, [`text_enum!`](crate::text_enum), gives each its `sqlx::Type` (`type_name = "text"`),
//! serde and OpenAPI schema with the same strings, and `ALL`, `as_str`, `parse` and `Display`
//! for the events, query parameters and messages that carry them as text.
//!
//! Each variant names its text once, so the column, the JSON and the event field cannot drift
//! apart. The expansion derives through the calling crate's own `serde`, `sqlx` and `utoipa`,
//! which every service depends on.

/// Declares an enum stored as text: each variant with the exact text stored, published and
/// shown (its serde and sqlx name).
///
/// ```
/// tongban_kernel::text_enum! {
///     /// Where a thing stands.
///     pub enum State {
///         /// Being worked.
///         InProgress => "in_progress",
///         Done => "done",
///     }
/// }
///
/// assert_eq!(State::InProgress.as_str(), "in_progress");
/// assert_eq!(State::parse("done"), Some(State::Done));
/// assert_eq!(State::ALL, [State::InProgress, State::Done]);
/// assert_eq!(State::Done.to_string(), "done");
/// ```
// Each text is taken as a token tree, not a `literal` fragment: a fragment reaches the derive
// macros wrapped in an invisible group, and utoipa then ignores the `rename` (the schema would
// list the variant names). `as_str` returning `&'static str` still checks it is a string.
#[macro_export]
macro_rules! text_enum {
    ($(#[$meta:meta])* pub enum $name:ident { $($(#[$vmeta:meta])* $variant:ident => $text:tt,)+ }) => {
        $(#[$meta])*
        #[derive(
            Debug, Clone, Copy, PartialEq, Eq, Hash,
            serde::Serialize, serde::Deserialize, sqlx::Type, utoipa::ToSchema,
        )]
        #[sqlx(type_name = "text")]
        pub enum $name {
            $(
                $(#[$vmeta])*
                #[serde(rename = $text)]
                #[sqlx(rename = $text)]
                $variant,
            )+
        }

        impl $name {
            /// Every value, in the order declared.
            pub const ALL: [Self; [$(stringify!($variant)),+].len()] = [$(Self::$variant),+];

            /// The text stored, published and shown.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(Self::$variant => $text,)+
                }
            }

            /// The value whose text is `text`.
            pub fn parse(text: &str) -> Option<Self> {
                Self::ALL.into_iter().find(|v| v.as_str() == text)
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

#[cfg(test)]
mod tests {
    crate::text_enum! {
        /// A set whose texts are not all the snake case of their names.
        pub enum Sample {
            First => "first",
            SecondOne => "second_one",
            Odd => "odd-one",
        }
    }

    #[test]
    fn the_text_is_the_stored_and_shown_name() {
        for (value, text) in Sample::ALL
            .into_iter()
            .zip(["first", "second_one", "odd-one"])
        {
            assert_eq!(value.as_str(), text);
            assert_eq!(value.to_string(), text);
            assert_eq!(Sample::parse(text), Some(value));
            assert_eq!(serde_json::to_value(value).unwrap(), text);
            assert_eq!(
                serde_json::from_value::<Sample>(serde_json::json!(text)).unwrap(),
                value
            );
        }
        assert_eq!(Sample::parse("second-one"), None);
        assert!(serde_json::from_value::<Sample>(serde_json::json!("Odd")).is_err());
    }

    #[test]
    fn the_column_holds_the_text() {
        use sqlx::postgres::{PgArgumentBuffer, PgTypeInfo};
        assert_eq!(
            <Sample as sqlx::Type<sqlx::Postgres>>::type_info(),
            PgTypeInfo::with_name("text")
        );
        for value in Sample::ALL {
            let mut buf = PgArgumentBuffer::default();
            let _ = sqlx::Encode::<sqlx::Postgres>::encode_by_ref(&value, &mut buf).unwrap();
            assert_eq!(&buf[..], value.as_str().as_bytes());
        }
    }

    /// A set as the services derived it by hand before the macro.
    #[derive(serde::Serialize, serde::Deserialize, sqlx::Type, utoipa::ToSchema)]
    #[sqlx(type_name = "text", rename_all = "snake_case")]
    #[serde(rename_all = "snake_case")]
    pub enum ByHand {
        /// The first.
        First,
        SecondOne,
    }

    crate::text_enum! {
        /// A set as the services derived it by hand before the macro.
        pub enum ByMacro {
            /// The first.
            First => "first",
            SecondOne => "second_one",
        }
    }

    #[test]
    fn the_schema_is_the_one_derived_by_hand() {
        use utoipa::PartialSchema;
        let by_hand = serde_json::to_value(ByHand::schema()).unwrap();
        assert_eq!(serde_json::to_value(ByMacro::schema()).unwrap(), by_hand);
        assert_eq!(ByMacro::parse("second_one"), Some(ByMacro::SecondOne));
    }

    #[test]
    fn the_schema_lists_the_texts() {
        use utoipa::PartialSchema;
        let schema = serde_json::to_value(Sample::schema()).unwrap();
        assert_eq!(
            schema["enum"],
            serde_json::json!(["first", "second_one", "odd-one"])
        );
    }
}
