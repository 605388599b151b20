//! A project's jobs as staff list them: each with its store and its real state (open, offered
//! to a shopper, accepted, visited, report handed in, closed, or past its window unfilled), 50
//! a page, filtered by state and by text, in window or code order.

use crate::ids::{JobId, ProjectId};
use crate::money::Money;
use chrono::NaiveDate;
use diesel::prelude::*;

use super::model::State;
use crate::clients::model::JobStatus;
use crate::db::schema::{assignments, jobs, locations, shoppers};
use crate::db::{DbConnection, contains_pattern, lower};
use crate::error::{AppError, AppResult};

/// Jobs on one page of the list.
pub const PAGE_SIZE: i64 = 50;

/// Which jobs the list shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum StateFilter {
    #[default]
    All,
    /// Open to shoppers: nobody holds it, and it is not closed.
    Open,
    /// Offered to, or taken by, a shopper.
    Held,
    Closed,
}

impl StateFilter {
    pub fn parse(value: &str) -> Option<StateFilter> {
        match value {
            "" | "all" => Some(StateFilter::All),
            "open" => Some(StateFilter::Open),
            "held" => Some(StateFilter::Held),
            "closed" => Some(StateFilter::Closed),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            StateFilter::All => "all",
            StateFilter::Open => "open",
            StateFilter::Held => "held",
            StateFilter::Closed => "closed",
        }
    }
}

/// The order of the list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum JobSort {
    /// Soonest window first.
    #[default]
    Window,
    Code,
}

impl JobSort {
    pub fn parse(value: &str) -> Option<JobSort> {
        match value {
            "" | "window" => Some(JobSort::Window),
            "code" => Some(JobSort::Code),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            JobSort::Window => "window",
            JobSort::Code => "code",
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct JobListQuery {
    /// Part of the job's code, or of its store's code, name or city.
    pub q: Option<String>,
    pub state: StateFilter,
    pub sort: JobSort,
    /// From 1.
    pub page: i64,
}

/// One job of the list.
#[derive(Debug, Clone)]
pub struct JobLine {
    pub id: JobId,
    pub code: String,
    pub window_start: NaiveDate,
    pub window_end: NaiveDate,
    pub fee_cents: Money,
    pub bonus_cents: Money,
    /// "S12 Chelsea, New York NY"
    pub store: String,
    /// The state in words: "open", "offered to S-1042", "window over, unfilled".
    pub state: String,
    /// The badge class of the state.
    pub badge: &'static str,
}

#[derive(Debug, Clone)]
pub struct JobListPage {
    pub lines: Vec<JobLine>,
    pub page: i64,
    pub pages: i64,
    /// Jobs matching the filter, in all.
    pub total: i64,
    /// Jobs of the project, in all.
    pub all: i64,
}

/// The project's jobs matching the text and state filter, as a boxed query.
macro_rules! matching_jobs {
    ($project_id:expr, $query:expr, $holding:expr) => {{
        let mut q = jobs::table
            .inner_join(locations::table)
            .filter(jobs::project_id.eq($project_id))
            .into_boxed();
        if let Some(text) = $query.q.as_deref().filter(|t| !t.trim().is_empty()) {
            let p = contains_pattern(text);
            q = q.filter(
                lower(jobs::code)
                    .like(p.clone())
                    .escape('\\')
                    .or(lower(locations::code).like(p.clone()).escape('\\'))
                    .or(lower(locations::name).like(p.clone()).escape('\\'))
                    .or(lower(locations::city).like(p).escape('\\')),
            );
        }
        let held = assignments::table
            .filter(assignments::state.eq_any($holding.clone()))
            .select(assignments::job_id);
        q = match $query.state {
            StateFilter::All => q,
            StateFilter::Open => q
                .filter(jobs::status.eq(JobStatus::Open))
                .filter(diesel::dsl::not(jobs::id.eq_any(held))),
            StateFilter::Held => q.filter(jobs::id.eq_any(held)),
            StateFilter::Closed => q.filter(jobs::status.ne(JobStatus::Open)),
        };
        q
    }};
}

/// One page of the project's jobs; `today` tells a window that is over.
pub fn project_jobs(
    conn: &mut DbConnection,
    project_id: ProjectId,
    query: &JobListQuery,
    today: NaiveDate,
) -> AppResult<JobListPage> {
    if query.page < 1 {
        return Err(AppError::field("page", "must be 1 or more"));
    }
    let holding = super::store::names(State::holds_job);
    let all: i64 = jobs::table
        .filter(jobs::project_id.eq(project_id))
        .count()
        .get_result(conn)?;
    let total: i64 = matching_jobs!(project_id, query, holding)
        .count()
        .get_result(conn)?;
    let pages = ((total + PAGE_SIZE - 1) / PAGE_SIZE).max(1);
    let page = query.page.min(pages);
    let ordered = match query.sort {
        JobSort::Window => matching_jobs!(project_id, query, holding)
            .order((jobs::window_start.asc(), jobs::code.asc())),
        JobSort::Code => matching_jobs!(project_id, query, holding).order(jobs::code.asc()),
    };
    type Row = (
        JobId,
        String,
        NaiveDate,
        NaiveDate,
        Money,
        Money,
        JobStatus,
        String,
        String,
        String,
        String,
    );
    let rows: Vec<Row> = ordered
        .offset((page - 1) * PAGE_SIZE)
        .limit(PAGE_SIZE)
        .select((
            jobs::id,
            jobs::code,
            jobs::window_start,
            jobs::window_end,
            jobs::fee_cents,
            jobs::bonus_cents,
            jobs::status,
            locations::code,
            locations::name,
            locations::city,
            locations::state,
        ))
        .load(conn)?;
    let ids: Vec<JobId> = rows.iter().map(|r| r.0).collect();
    let holders: Vec<(JobId, State, String)> = assignments::table
        .inner_join(shoppers::table)
        .filter(assignments::job_id.eq_any(&ids))
        .filter(assignments::state.eq_any(&holding))
        .select((assignments::job_id, assignments::state, shoppers::code))
        .load(conn)?;
    let lines = rows
        .into_iter()
        .map(|r| {
            let holder = holders.iter().find(|(job, _, _)| *job == r.0);
            let (state, badge) =
                line_state(r.6, holder.map(|(_, s, c)| (*s, c.as_str())), r.3, today);
            JobLine {
                id: r.0,
                code: r.1,
                window_start: r.2,
                window_end: r.3,
                fee_cents: r.4,
                bonus_cents: r.5,
                store: format!("{} {}, {} {}", r.7, r.8, r.9, r.10),
                state,
                badge,
            }
        })
        .collect();
    Ok(JobListPage {
        lines,
        page,
        pages,
        total,
        all,
    })
}

/// A job's state in words, with its badge: who holds it, else closed, else whether its window
/// is still ahead.
pub fn line_state(
    status: JobStatus,
    holder: Option<(State, &str)>,
    window_end: NaiveDate,
    today: NaiveDate,
) -> (String, &'static str) {
    match holder {
        Some((State::Offered, code)) => (format!("offered to {code}"), State::Offered.badge()),
        Some((state, code)) => (format!("{} by {code}", state.words()), state.badge()),
        None if status != JobStatus::Open => ("closed".to_string(), "badge-muted"),
        None if window_end < today => ("window over, unfilled".to_string(), "badge-bad"),
        None => ("open".to_string(), "badge-wait"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2036, 6, d).unwrap()
    }

    #[test]
    fn a_job_says_who_holds_it_or_why_it_is_not_taken() {
        let today = day(10);
        assert_eq!(
            line_state(
                JobStatus::Open,
                Some((State::Offered, "S-1042")),
                day(20),
                today
            ),
            ("offered to S-1042".to_string(), "badge-wait")
        );
        assert_eq!(
            line_state(
                JobStatus::Open,
                Some((State::Accepted, "S-7")),
                day(20),
                today
            )
            .0,
            "accepted by S-7"
        );
        assert_eq!(
            line_state(JobStatus::Closed, None, day(20), today).0,
            "closed"
        );
        assert_eq!(
            line_state(JobStatus::Open, None, day(9), today),
            ("window over, unfilled".to_string(), "badge-bad")
        );
        assert_eq!(line_state(JobStatus::Open, None, day(10), today).0, "open");
        assert_eq!(StateFilter::parse("held"), Some(StateFilter::Held));
        assert_eq!(StateFilter::parse("gone"), None);
    }
}
