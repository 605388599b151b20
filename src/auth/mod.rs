//! Accounts and sign-in: argon2id passwords, Ed25519-signed access tokens, rotating refresh
//! tokens, single-use mailed links, login throttling, and the roles every route checks.

pub mod model;
pub mod password;
pub mod routes;
pub mod service;
pub mod sessions;
pub mod store;
pub mod throttle;
pub mod tokens;

pub use model::{Email, Password, Role, User, UserId};
pub use service::{Auth, CurrentUser, TokenPair};
