//! Pages of a list: every list the API answers, and every list a page shows, is one page of
//! at most `MAX_PER_PAGE` items, with the total and the number of pages.
//!
//! Query: `page` (from 1, default 1) and `per_page` (1–100, default 50). Answer: `Paged<T>`,
//! `{items, page, per_page, total, pages}`. A page past the last has no items, so a
//! client walking pages stops.

use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::error::{AppError, AppResult, FieldError};

/// Items on a page unless the query asks for another number.
pub const DEFAULT_PER_PAGE: i64 = 50;
/// The most items one answer holds.
pub const MAX_PER_PAGE: i64 = 100;

/// `?page=&per_page=` of a list without other filters.
#[derive(Debug, Clone, Copy, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct PageQuery {
    /// The page, from 1 (default 1).
    pub page: Option<i64>,
    /// Items a page, 1–100 (default 50).
    pub per_page: Option<i64>,
}

/// A checked page request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageRequest {
    pub page: i64,
    pub per_page: i64,
}

impl PageRequest {
    /// Checks `page` and `per_page`, naming each bad one.
    pub fn parse(page: Option<i64>, per_page: Option<i64>) -> AppResult<Self> {
        let mut errors = Vec::new();
        let page = page.unwrap_or(1);
        if page < 1 {
            errors.push(FieldError::new("page", "must be 1 or more"));
        }
        let per_page = per_page.unwrap_or(DEFAULT_PER_PAGE);
        if !(1..=MAX_PER_PAGE).contains(&per_page) {
            errors.push(FieldError::new(
                "per_page",
                format!("must be 1 to {MAX_PER_PAGE}"),
            ));
        }
        if errors.is_empty() {
            Ok(Self { page, per_page })
        } else {
            Err(AppError::validation(errors))
        }
    }

    /// A page request for the pages' own links: a bad or missing number is page 1.
    pub fn lenient(page: Option<i64>, per_page: i64) -> Self {
        Self {
            page: page.filter(|p| *p >= 1).unwrap_or(1),
            per_page: per_page.clamp(1, MAX_PER_PAGE),
        }
    }

    pub fn offset(&self) -> i64 {
        (self.page - 1).saturating_mul(self.per_page)
    }

    pub fn limit(&self) -> i64 {
        self.per_page
    }

    /// This page of a list already in memory.
    pub fn slice<T>(&self, all: Vec<T>) -> Paged<T> {
        let total = i64::try_from(all.len()).unwrap_or(i64::MAX);
        let items = all
            .into_iter()
            .skip(usize::try_from(self.offset()).unwrap_or(usize::MAX))
            .take(usize::try_from(self.per_page).unwrap_or(0))
            .collect();
        Paged::new(items, *self, total)
    }
}

impl PageQuery {
    pub fn checked(&self) -> AppResult<PageRequest> {
        PageRequest::parse(self.page, self.per_page)
    }
}

/// One page of a list.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Paged<T> {
    pub items: Vec<T>,
    /// This page, from 1.
    pub page: i64,
    pub per_page: i64,
    /// Items in the whole list.
    pub total: i64,
    /// Pages in the whole list (at least 1).
    pub pages: i64,
}

impl<T> Paged<T> {
    pub fn new(items: Vec<T>, request: PageRequest, total: i64) -> Self {
        Self {
            items,
            page: request.page,
            per_page: request.per_page,
            total,
            pages: pages(total, request.per_page),
        }
    }
}

/// Pages needed for `total` items, at least one.
pub fn pages(total: i64, per_page: i64) -> i64 {
    ((total.max(0) + per_page.max(1) - 1) / per_page.max(1)).max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_numbers_are_named() {
        let e = PageRequest::parse(Some(0), Some(101)).unwrap_err();
        let fields: Vec<&str> = e.fields.iter().map(|f| f.field.as_str()).collect();
        assert_eq!(fields, ["page", "per_page"]);
        assert!(PageRequest::parse(Some(1), Some(100)).is_ok());
    }

    #[test]
    fn a_slice_counts_the_whole_list() {
        let request = PageRequest::parse(Some(3), Some(4)).unwrap();
        let page = request.slice((1..=10).collect::<Vec<_>>());
        assert_eq!(page.items, [9, 10]);
        assert_eq!((page.total, page.pages), (10, 3));
        assert!(page.page > 1 && page.page == page.pages, "the last page");
        let past = PageRequest::parse(Some(9), Some(4))
            .unwrap()
            .slice(vec![1, 2]);
        assert!(past.items.is_empty());
        assert_eq!(past.pages, 1);
    }
}
