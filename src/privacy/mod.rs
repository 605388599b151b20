//! Privacy by construction: the data inventory now; consent, access and disclosure logs,
//! privacy requests and field encryption as the panel grows.

pub mod inventory;
