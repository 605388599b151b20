//! The panel's people: a shopper's application and profile, sealed sensitive values, consents
//! chosen with it, and the shopper's own export. Staff review and qualification follow.

pub mod model;
pub mod routes;
pub mod service;
pub mod store;
