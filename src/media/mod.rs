//! Receipts, photos and recordings: what a file is (by its bytes), the limits it is held to,
//! and what it becomes (a photo's verification data and its web copy and thumbnail without
//! metadata). Uploads, storage and serving build on this.

pub mod audio;
pub mod likeness;
pub mod photo;
pub mod proof;
pub mod routes;
pub mod service;
pub mod sniff;
pub mod store;
pub mod strip;
pub mod sweep;
pub mod tus;
