//! Shopper pay: what an approved assignment earns (ledger lines: fee, bonus, the reimbursement
//! QA approved), lines maturing from pending to approved once the client can no longer dispute
//! the report, payout runs that take each approved line once and give the payment provider a
//! CSV, the shopper's earnings, what staff owe, and year-end totals for tax.

pub mod model;
pub mod routes;
pub mod service;
pub mod store;
