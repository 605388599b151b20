//! Clients and their work: clients and their competitors, stores (locations), projects and
//! jobs, one by one or imported from CSV. Organizations live in `organizations`; who may take a
//! job (candidates) in `assignments`.

pub mod csv_import;
pub mod model;
pub mod routes;
pub mod service;
pub mod store;
