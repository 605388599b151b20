//! Privacy by construction: the data inventory, the consent ledger, access records and field
//! encryption, the disclosure log; privacy requests as the panel grows.

pub mod access;
pub mod consent;
pub mod crypto;
pub mod disclosure;
pub mod drp;
pub mod inventory;
pub mod logs;
pub mod notice;
pub mod record;
pub mod requests;
pub mod routes;
pub mod sharing;
pub mod versions;
