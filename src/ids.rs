//! Ids that cannot be mixed up: a job's id is not a store's, though both are numbers in the
//! database. Each is a `BIGINT` to diesel, a number in JSON and in paths, and shown as its number.
//! Stored enums (a role, a state, a status) are mapped to `TEXT` the same way by
//! [`stored_text!`]: an unknown stored value is an error when it is read, never a default.

use diesel::backend::Backend;
use diesel::deserialize::{self, FromSql};
use diesel::serialize::{self, Output, ToSql};
use diesel::sql_types::BigInt;

/// A stored value this code does not know (a role, a state, a status written by something
/// else, or by a newer version): reading it is an error, answered as a server error and
/// logged, never a silent default.
#[derive(Debug, thiserror::Error)]
#[error("unknown {kind} stored in the database: {value:?}")]
pub struct UnknownStored {
    pub kind: &'static str,
    pub value: String,
}

impl UnknownStored {
    pub fn new(kind: &'static str, value: &str) -> Self {
        Self {
            kind,
            value: value.chars().take(40).collect(),
        }
    }
}

impl From<UnknownStored> for diesel::result::Error {
    fn from(e: UnknownStored) -> Self {
        diesel::result::Error::DeserializationError(Box::new(e))
    }
}

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(
            Debug,
            Clone,
            Copy,
            PartialEq,
            Eq,
            PartialOrd,
            Ord,
            Hash,
            serde::Serialize,
            serde::Deserialize,
            diesel::expression::AsExpression,
            diesel::deserialize::FromSqlRow,
            utoipa::ToSchema,
        )]
        #[serde(transparent)]
        #[diesel(sql_type = BigInt)]
        pub struct $name(pub i64);

        impl<DB: Backend> FromSql<BigInt, DB> for $name
        where
            i64: FromSql<BigInt, DB>,
        {
            fn from_sql(bytes: DB::RawValue<'_>) -> deserialize::Result<Self> {
                i64::from_sql(bytes).map($name)
            }
        }

        impl<DB: Backend> ToSql<BigInt, DB> for $name
        where
            i64: ToSql<BigInt, DB>,
        {
            fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, DB>) -> serialize::Result {
                self.0.to_sql(out)
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                self.0.fmt(f)
            }
        }

        impl std::str::FromStr for $name {
            type Err = std::num::ParseIntError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                s.parse().map($name)
            }
        }

        impl From<i64> for $name {
            fn from(id: i64) -> Self {
                $name(id)
            }
        }

        /// Tests compare an id with the number an API answer held.
        impl PartialEq<i64> for $name {
            fn eq(&self, other: &i64) -> bool {
                self.0 == *other
            }
        }

    };
}

id_type!(
    /// An account's id.
    UserId
);
id_type!(
    /// A shopper's id: the same number as the shopper's account, but it names the panel
    /// member (the `shoppers` row), not the sign-in.
    ShopperId
);
id_type!(
    /// A client's id.
    ClientId
);
id_type!(
    /// A store's (location's) id.
    LocationId
);
id_type!(
    /// A project's id.
    ProjectId
);
id_type!(
    /// A job's id.
    JobId
);
id_type!(
    /// An assignment's id.
    AssignmentId
);
id_type!(
    /// A questionnaire version's id.
    QuestionnaireId
);
id_type!(
    /// A ledger line's id.
    LedgerLineId
);
id_type!(
    /// A payout run's id.
    PayoutId
);

impl From<UserId> for ShopperId {
    fn from(user: UserId) -> Self {
        ShopperId(user.0)
    }
}

impl From<ShopperId> for UserId {
    fn from(shopper: ShopperId) -> Self {
        UserId(shopper.0)
    }
}

/// Maps an enum stored as `TEXT` through its `as_str` and its `stored` reader (which names an
/// unknown value as [`crate::ids::UnknownStored`]), so rows read and write it typed.
macro_rules! stored_text {
    ($name:ty) => {
        impl<DB: diesel::backend::Backend> diesel::deserialize::FromSql<diesel::sql_types::Text, DB>
            for $name
        where
            String: diesel::deserialize::FromSql<diesel::sql_types::Text, DB>,
        {
            fn from_sql(bytes: DB::RawValue<'_>) -> diesel::deserialize::Result<Self> {
                let text = String::from_sql(bytes)?;
                Ok(<$name>::stored(&text)?)
            }
        }

        impl<DB: diesel::backend::Backend> diesel::serialize::ToSql<diesel::sql_types::Text, DB>
            for $name
        where
            str: diesel::serialize::ToSql<diesel::sql_types::Text, DB>,
        {
            fn to_sql<'b>(
                &'b self,
                out: &mut diesel::serialize::Output<'b, '_, DB>,
            ) -> diesel::serialize::Result {
                self.as_str().to_sql(out)
            }
        }
    };
}
pub(crate) use stored_text;

/// Declares an enum stored as `TEXT` and sent as a string: each variant with its stored name
/// (its name in snake case), the same in the database, in JSON and in the OpenAPI document. Gives `ALL`, `as_str`,
/// `parse` and `stored` (an unknown stored value is an error naming `$kind`, never a default).
macro_rules! stored_enum {
    (
        $(#[$meta:meta])*
        $vis:vis enum $name:ident as $kind:literal {
            $($(#[$vmeta:meta])* $variant:ident = $text:literal),+ $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(
            Debug,
            Clone,
            Copy,
            PartialEq,
            Eq,
            Hash,
            serde::Serialize,
            serde::Deserialize,
            utoipa::ToSchema,
            diesel::expression::AsExpression,
            diesel::deserialize::FromSqlRow,
        )]
        // The stored names are the variants in snake case (a test checks each against
        // `as_str`): serde and the OpenAPI document read this attribute, and the latter does not
        // see a name passed through a macro.
        #[serde(rename_all = "snake_case")]
        #[diesel(sql_type = diesel::sql_types::Text)]
        $vis enum $name {
            $($(#[$vmeta])* $variant),+
        }

        impl $name {
            /// Every value, in the order declared.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The value as stored and sent.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text),+
                }
            }

            /// A value as written; None when it is not one.
            pub fn parse(text: &str) -> Option<$name> {
                Self::ALL.iter().copied().find(|v| v.as_str() == text)
            }

            /// A value as stored; an unknown one is an error, never a default.
            pub fn stored(text: &str) -> Result<$name, crate::ids::UnknownStored> {
                Self::parse(text).ok_or_else(|| crate::ids::UnknownStored::new($kind, text))
            }
        }

        crate::ids::stored_text!($name);
    };
}
pub(crate) use stored_enum;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_read_and_print_as_their_number() {
        assert_eq!("42".parse::<JobId>().unwrap(), JobId(42));
        assert_eq!(JobId(42).to_string(), "42");
        assert_eq!(serde_json::to_string(&JobId(42)).unwrap(), "42");
        assert_eq!(serde_json::from_str::<JobId>("42").unwrap(), JobId(42));
        assert!("x".parse::<JobId>().is_err());
        assert_eq!(ShopperId::from(UserId(7)), ShopperId(7));
    }
}
