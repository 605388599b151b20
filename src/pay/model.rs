//! Pay's pure rules: the lines an approval earns, and when a line is expected to be paid.

use chrono::{Datelike, Duration, NaiveDate, NaiveDateTime, Weekday};

use crate::money::Money;

crate::ids::stored_enum! {
    /// What a ledger line pays for.
    pub enum LineKind as "ledger line kind" {
        Fee = "fee",
        Bonus = "bonus",
        /// The purchase QA approved, at most the job's cap.
        Reimbursement = "reimbursement",
    }
}

crate::ids::stored_enum! {
    /// Where a ledger line stands.
    pub enum LineState as "ledger line state" {
        /// Earned; its report may still be disputed by the client.
        Pending = "pending",
        /// Owed: the next payout run takes it.
        Approved = "approved",
        Paid = "paid",
        /// Not paid: a dispute of its report was upheld (the line says why).
        Withheld = "withheld",
    }
}

impl LineKind {
    /// The kind in the shopper's words.
    pub fn words(self) -> &'static str {
        match self {
            LineKind::Fee => "fee",
            LineKind::Bonus => "bonus",
            LineKind::Reimbursement => "reimbursement",
        }
    }

    /// Whether it is pay for work (reported for tax), not the refund of a purchase.
    pub fn is_income(self) -> bool {
        !matches!(self, LineKind::Reimbursement)
    }
}

impl LineState {
    /// The state in the shopper's words.
    pub fn words(self) -> &'static str {
        match self {
            LineState::Pending => "pending",
            LineState::Approved => "owed",
            LineState::Paid => "paid",
            LineState::Withheld => "withheld",
        }
    }
}

/// What a job pays and what its report claims: the parts of [`lines_for`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Terms {
    pub fee: Money,
    pub bonus: Money,
    /// The job's reimbursement cap.
    pub cap: Money,
    /// The receipt amount the shopper entered, if any.
    pub receipt: Option<Money>,
    /// The amount QA approved instead of the receipt's, if QA gave one.
    pub approved: Option<Money>,
}

/// One line an approval earns: its kind, its amount, and a note when the amount is not
/// simply the job's (a reimbursement capped or set by QA).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Earning {
    pub kind: LineKind,
    pub amount: Money,
    pub note: Option<String>,
}

/// The lines an approved assignment earns: the fee, the bonus, and the reimbursement QA
/// approved (QA's amount, else the receipt's), at most the cap. A zero amount earns no line.
pub fn lines_for(t: &Terms) -> Vec<Earning> {
    let mut lines = Vec::new();
    for (kind, amount) in [(LineKind::Fee, t.fee), (LineKind::Bonus, t.bonus)] {
        if amount.cents() > 0 {
            lines.push(Earning {
                kind,
                amount,
                note: None,
            });
        }
    }
    let claimed = t.approved.or(t.receipt).unwrap_or_default();
    let amount = claimed.min(t.cap);
    if amount.cents() > 0 {
        let mut notes = Vec::new();
        if let (Some(approved), Some(receipt)) = (t.approved, t.receipt)
            && approved != receipt
        {
            notes.push(format!("QA approved {approved} of the receipt's {receipt}"));
        }
        if claimed > t.cap {
            notes.push(format!("the job reimburses at most {}", t.cap));
        }
        lines.push(Earning {
            kind: LineKind::Reimbursement,
            amount,
            note: (!notes.is_empty()).then(|| {
                let mut text = notes.join("; ");
                if let Some(first) = text.get(..1) {
                    text = first.to_uppercase() + &text[1..];
                }
                text + "."
            }),
        });
    }
    lines
}

/// A weekday's English name (`Friday`).
pub fn weekday_name(day: Weekday) -> &'static str {
    match day {
        Weekday::Mon => "Monday",
        Weekday::Tue => "Tuesday",
        Weekday::Wed => "Wednesday",
        Weekday::Thu => "Thursday",
        Weekday::Fri => "Friday",
        Weekday::Sat => "Saturday",
        Weekday::Sun => "Sunday",
    }
}

/// The first `weekday` on or after `day`: when a payout run pays what is owed by `day`.
pub fn payout_day(day: NaiveDate, weekday: Weekday) -> NaiveDate {
    let ahead = (7 + weekday.num_days_from_monday() - day.weekday().num_days_from_monday()) % 7;
    day + Duration::days(i64::from(ahead))
}

/// When a line is expected to be paid.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Schedule {
    pub state: LineState,
    /// When its report was released to the client (None: not yet).
    pub released_at: Option<NaiveDateTime>,
    pub dispute_days: i32,
    /// An open dispute of its report.
    pub disputed: bool,
    /// The day of the payout run that took it, if one did.
    pub in_payout_on: Option<NaiveDate>,
    pub paid_at: Option<NaiveDateTime>,
}

/// The day a line is expected to be paid, or None when it cannot be told yet (its report not
/// released, or disputed) or never will (withheld). Payout runs are on `weekday`.
pub fn expected_pay_date(s: &Schedule, today: NaiveDate, weekday: Weekday) -> Option<NaiveDate> {
    match s.state {
        LineState::Paid => s.paid_at.map(|t| t.date()),
        LineState::Withheld => None,
        LineState::Approved => Some(
            s.in_payout_on
                .map_or_else(|| payout_day(today, weekday), |d| d.max(today)),
        ),
        LineState::Pending => {
            if s.disputed {
                return None;
            }
            let owed = s.released_at?.date() + Duration::days(i64::from(s.dispute_days));
            Some(payout_day(owed.max(today), weekday))
        }
    }
}

/// A line matures from pending to approved once its report was released `dispute_days` ago
/// or more, and no dispute of it is open.
pub fn matured(
    released_at: Option<NaiveDateTime>,
    dispute_days: i32,
    disputed: bool,
    now: NaiveDateTime,
) -> bool {
    !disputed && released_at.is_some_and(|r| r + Duration::days(i64::from(dispute_days)) <= now)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cents(c: i64) -> Money {
        Money::from_cents(c)
    }

    fn day(text: &str) -> NaiveDate {
        text.parse().unwrap()
    }

    #[test]
    fn an_approval_earns_fee_bonus_and_the_receipt_up_to_the_cap() {
        // Hand-worked: fee $12.00, bonus $5.00, receipt $18.40 over a $15.00 cap.
        let lines = lines_for(&Terms {
            fee: cents(1200),
            bonus: cents(500),
            cap: cents(1500),
            receipt: Some(cents(1840)),
            approved: None,
        });
        let amounts: Vec<(LineKind, i64)> =
            lines.iter().map(|l| (l.kind, l.amount.cents())).collect();
        assert_eq!(
            amounts,
            [
                (LineKind::Fee, 1200),
                (LineKind::Bonus, 500),
                (LineKind::Reimbursement, 1500)
            ]
        );
        assert_eq!(
            lines[2].note.as_deref(),
            Some("The job reimburses at most $15.00.")
        );
        // Under the cap: the receipt as entered, no note; no bonus, no bonus line.
        let lines = lines_for(&Terms {
            fee: cents(1200),
            bonus: cents(0),
            cap: cents(1500),
            receipt: Some(cents(940)),
            approved: None,
        });
        let amounts: Vec<(LineKind, i64)> =
            lines.iter().map(|l| (l.kind, l.amount.cents())).collect();
        assert_eq!(
            amounts,
            [(LineKind::Fee, 1200), (LineKind::Reimbursement, 940)]
        );
        assert_eq!(lines[1].note, None);
    }

    #[test]
    fn qa_may_approve_less_than_the_receipt_and_never_more_than_the_cap() {
        let lines = lines_for(&Terms {
            fee: cents(1000),
            bonus: cents(0),
            cap: cents(2000),
            receipt: Some(cents(1840)),
            approved: Some(cents(1240)),
        });
        assert_eq!(lines[1].amount, cents(1240));
        assert_eq!(
            lines[1].note.as_deref(),
            Some("QA approved $12.40 of the receipt's $18.40.")
        );
        let lines = lines_for(&Terms {
            fee: cents(1000),
            bonus: cents(0),
            cap: cents(2000),
            receipt: Some(cents(1840)),
            approved: Some(cents(2500)),
        });
        assert_eq!(lines[1].amount, cents(2000));
        // No receipt and nothing approved: no reimbursement line.
        let lines = lines_for(&Terms {
            fee: cents(1000),
            bonus: cents(0),
            cap: cents(2000),
            receipt: None,
            approved: None,
        });
        assert_eq!(lines.len(), 1);
    }

    #[test]
    fn payout_days_fall_on_the_weekday_on_or_after() {
        // 2026-12-04 is a Friday.
        assert_eq!(
            payout_day(day("2026-12-04"), Weekday::Fri),
            day("2026-12-04")
        );
        assert_eq!(
            payout_day(day("2026-12-05"), Weekday::Fri),
            day("2026-12-11")
        );
        assert_eq!(
            payout_day(day("2026-12-10"), Weekday::Fri),
            day("2026-12-11")
        );
        assert_eq!(
            payout_day(day("2026-12-05"), Weekday::Mon),
            day("2026-12-07")
        );
    }

    #[test]
    fn a_pending_line_is_due_the_payout_after_its_dispute_days() {
        let released = day("2026-12-01").and_hms_opt(9, 0, 0).unwrap();
        let pending = Schedule {
            state: LineState::Pending,
            released_at: Some(released),
            dispute_days: 7,
            disputed: false,
            in_payout_on: None,
            paid_at: None,
        };
        let today = day("2026-12-05");
        // Released Tuesday 1st + 7 days = Tuesday 8th → Friday 11th.
        assert_eq!(
            expected_pay_date(&pending, today, Weekday::Fri),
            Some(day("2026-12-11"))
        );
        let unreleased = Schedule {
            released_at: None,
            ..pending
        };
        assert_eq!(expected_pay_date(&unreleased, today, Weekday::Fri), None);
        let disputed = Schedule {
            disputed: true,
            ..pending
        };
        assert_eq!(expected_pay_date(&disputed, today, Weekday::Fri), None);
        let owed = Schedule {
            state: LineState::Approved,
            ..pending
        };
        assert_eq!(
            expected_pay_date(&owed, today, Weekday::Fri),
            Some(day("2026-12-11"))
        );
        assert!(!matured(
            Some(released),
            7,
            false,
            released + Duration::days(7) - Duration::seconds(1)
        ));
        assert!(matured(
            Some(released),
            7,
            false,
            released + Duration::days(7)
        ));
        assert!(!matured(
            Some(released),
            7,
            true,
            released + Duration::days(30)
        ));
        assert!(!matured(None, 7, false, released + Duration::days(30)));
    }
}
