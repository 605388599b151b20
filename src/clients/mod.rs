//! Clients and their work: organizations (clients, competitors, friendly competitors,
//! shoppers' employers), de-duplicated by a normalised name; later locations, projects, jobs.

pub mod candidates;
pub mod csv_import;
pub mod model;
pub mod routes;
pub mod service;
pub mod store;
