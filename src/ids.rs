//! Ids that cannot be mixed up: a job's id is not a store's, though both are numbers in the
//! database. Each is a `BIGINT` to diesel, a number in JSON and in paths, and shown as its number.
//! Stored enums (a role, a state, a status) are mapped to `TEXT` the same way by
//! [`stored_text!`]: an unknown stored value is an error when it is read, never a default.

use diesel::backend::Backend;
use diesel::deserialize::{self, FromSql};
use diesel::serialize::{self, Output, ToSql};
use diesel::sql_types::BigInt;

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
/// unknown value as [`crate::db::UnknownStored`]), so rows read and write it typed.
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
