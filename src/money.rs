//! Money: integer cents in the database and the API, typed and shown in dollars on pages and in
//! mail. One parser (`25`, `25.5`, `$25.50`, `1,250`) and one formatter (`$1,250.00`).

use diesel::backend::Backend;
use diesel::deserialize::{self, FromSql};
use diesel::serialize::{self, Output, ToSql};
use diesel::sql_types::BigInt;
use serde::{Deserialize, Serialize};

/// An amount of US money in whole cents.
/// Stored and sent as a number of cents (`BIGINT`, a JSON integer).
#[derive(
    Debug,
    Clone,
    Copy,
    Default,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    diesel::expression::AsExpression,
    diesel::deserialize::FromSqlRow,
    utoipa::ToSchema,
)]
#[serde(transparent)]
#[diesel(sql_type = BigInt)]
pub struct Money(i64);

impl<DB: Backend> FromSql<BigInt, DB> for Money
where
    i64: FromSql<BigInt, DB>,
{
    fn from_sql(bytes: DB::RawValue<'_>) -> deserialize::Result<Self> {
        i64::from_sql(bytes).map(Money)
    }
}

impl<DB: Backend> ToSql<BigInt, DB> for Money
where
    i64: ToSql<BigInt, DB>,
{
    fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, DB>) -> serialize::Result {
        self.0.to_sql(out)
    }
}

impl std::ops::Add for Money {
    type Output = Money;
    fn add(self, other: Money) -> Money {
        Money(self.0.saturating_add(other.0))
    }
}

/// The message for an amount a person typed that is not one.
pub const NOT_AN_AMOUNT: &str = "Enter an amount in dollars, like 25 or 25.50";

const TOO_LARGE: &str = "Enter an amount up to $1,000,000";

impl Money {
    /// The largest amount typed on a page: one million dollars.
    pub const MAX_TYPED: Money = Money(100_000_000);

    pub const fn from_cents(cents: i64) -> Self {
        Self(cents)
    }

    pub const fn cents(self) -> i64 {
        self.0
    }

    pub const fn is_zero(self) -> bool {
        self.0 == 0
    }

    /// Parses dollars as people type them: `25`, `25.5`, `25.50`, `$25.50`, `1,250`,
    /// `$ 1,250.00`. Refuses negative amounts, more than two decimals, misplaced commas and
    /// anything above `MAX_TYPED`, with a message in the typist's words.
    pub fn parse(text: &str) -> Result<Money, &'static str> {
        let text = text.trim();
        if text.starts_with('-') || text.starts_with("$-") {
            return Err("Enter an amount of zero or more, like 25 or 25.50");
        }
        let text = text.strip_prefix('$').unwrap_or(text).trim_start();
        let (whole, fraction) = match text.split_once('.') {
            Some((w, f)) => (w, Some(f)),
            None => (text, None),
        };
        if whole.is_empty() && fraction.is_none_or(str::is_empty) {
            return Err(NOT_AN_AMOUNT);
        }
        let digits = if whole.contains(',') {
            let groups: Vec<&str> = whole.split(',').collect();
            let first_ok = (1..=3).contains(&groups[0].len());
            let rest_ok = groups[1..].iter().all(|g| g.len() == 3);
            if !first_ok || !rest_ok {
                return Err(NOT_AN_AMOUNT);
            }
            groups.concat()
        } else {
            whole.to_string()
        };
        if !digits.chars().all(|c| c.is_ascii_digit()) {
            return Err(NOT_AN_AMOUNT);
        }
        // More than seven digits of dollars is above the largest amount (and could overflow).
        if digits.len() > 7 {
            return Err(TOO_LARGE);
        }
        let dollars: i64 = if digits.is_empty() {
            0
        } else {
            digits.parse().map_err(|_| NOT_AN_AMOUNT)?
        };
        let cents: i64 = match fraction {
            None | Some("") => 0,
            Some(f) if f.len() <= 2 && f.chars().all(|c| c.is_ascii_digit()) => {
                let n: i64 = f.parse().map_err(|_| NOT_AN_AMOUNT)?;
                if f.len() == 1 { n * 10 } else { n }
            }
            Some(f) if f.chars().all(|c| c.is_ascii_digit()) => {
                return Err("Enter the amount to the cent, like 25.50");
            }
            Some(_) => return Err(NOT_AN_AMOUNT),
        };
        let amount = Money(dollars * 100 + cents);
        if amount > Self::MAX_TYPED {
            return Err(TOO_LARGE);
        }
        Ok(amount)
    }

    /// As a form field shows it for editing: `25.50`, `1250.00` (no sign, no commas).
    pub fn plain(self) -> String {
        let sign = if self.0 < 0 { "-" } else { "" };
        let c = self.0.unsigned_abs();
        format!("{sign}{}.{:02}", c / 100, c % 100)
    }
}

/// `$1,250.00`, `-$5.00`.
impl Money {
    /// As `Display` writes it, without `.00` for whole dollars ("$10,000", "$12.50").
    pub fn whole_dollars(self) -> String {
        let shown = self.to_string();
        shown
            .strip_suffix(".00")
            .map_or(shown.clone(), str::to_string)
    }
}

impl std::fmt::Display for Money {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let sign = if self.0 < 0 { "-" } else { "" };
        let c = self.0.unsigned_abs();
        let dollars = (c / 100).to_string();
        let mut grouped = String::with_capacity(dollars.len() + dollars.len() / 3);
        for (i, d) in dollars.chars().enumerate() {
            if i > 0 && (dollars.len() - i).is_multiple_of(3) {
                grouped.push(',');
            }
            grouped.push(d);
        }
        write!(f, "{sign}${grouped}.{:02}", c % 100)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn amounts_parse_as_people_type_them() {
        for (typed, cents) in [
            ("25", 2500),
            ("25.5", 2550),
            ("25.50", 2550),
            ("$25.50", 2550),
            ("$ 25.50", 2550),
            ("1,250", 125_000),
            ("$1,250.00", 125_000),
            ("  7 ", 700),
            ("0", 0),
            (".5", 50),
            ("12.", 1200),
            ("1,000,000", 100_000_000),
        ] {
            assert_eq!(Money::parse(typed), Ok(Money::from_cents(cents)), "{typed}");
        }
    }

    #[test]
    fn what_is_not_an_amount_is_named_in_plain_words() {
        for typed in [
            "", "$", "five", "25,5", "1,25", "12,3456", "2.5.0", "25$", "1e3", ".",
        ] {
            assert_eq!(Money::parse(typed), Err(NOT_AN_AMOUNT), "{typed}");
        }
        assert_eq!(
            Money::parse("-5"),
            Err("Enter an amount of zero or more, like 25 or 25.50")
        );
        assert_eq!(
            Money::parse("25.505"),
            Err("Enter the amount to the cent, like 25.50")
        );
        assert_eq!(
            Money::parse("1,000,001"),
            Err("Enter an amount up to $1,000,000")
        );
        assert_eq!(
            Money::parse("9223372036854775807"),
            Err("Enter an amount up to $1,000,000")
        );
    }

    #[test]
    fn amounts_are_shown_in_dollars_with_cents() {
        assert_eq!(Money::from_cents(2550).to_string(), "$25.50");
        assert_eq!(Money::from_cents(125_000).to_string(), "$1,250.00");
        assert_eq!(Money::from_cents(100_000_000).to_string(), "$1,000,000.00");
        assert_eq!(Money::from_cents(5).to_string(), "$0.05");
        assert_eq!(Money::from_cents(-500).to_string(), "-$5.00");
        assert_eq!(Money::from_cents(125_000).plain(), "1250.00");
    }

    proptest! {
        #[test]
        fn what_is_shown_parses_back(cents in 0i64..=100_000_000) {
            let money = Money::from_cents(cents);
            prop_assert_eq!(Money::parse(&money.to_string()), Ok(money));
            prop_assert_eq!(Money::parse(&money.plain()), Ok(money));
        }
    }
}
