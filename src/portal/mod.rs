//! The client reviewers' portal: their own client's released reports (a list, a report, a CSV
//! export), shoppers shown only as a code per client. The API and pages call it.

pub mod alerts;
pub mod dashboard;
pub mod disputes;
pub mod routes;
pub mod service;
