//! Every company the panel knows: clients, their competitors, shoppers' employers and friendly
//! competitors, de-duplicated by a name key. Below `panel` (affiliations name organizations)
//! and `clients` (a client is an organization); imports nothing of either.

pub mod model;
pub mod store;

pub use model::{Organization, name_key};
