//! Assignments: a shopper's tie to a job, from request or offer to the submitted report, with
//! the rules of who may move it when (see `model`), the race for a job (one holder, enforced by
//! the database), rotation and capacity fed back into matching, and the shopper's calendar.

pub mod batch;
pub mod board;
pub mod calendar;
pub mod candidates;
pub mod coverage;
pub mod deadlines;
pub mod job_list;
pub mod live;
pub mod model;
pub mod notify;
pub mod routes;
pub mod service;
pub mod snapshot;
pub mod store;
