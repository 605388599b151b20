//! QA's review of handed-in reports: the queue, claims, outcomes (approve, revision, reject,
//! hold, release), the shopper's one appeal, and QA's edits of answers, each kept and shown to
//! the shopper. The web and API layers call it; nothing here reads HTTP.

pub mod routes;
pub mod service;
pub mod store;
