//! Integration tests against the running app on a random port, on SQLite and on PostgreSQL.
//! Tests that need a server skip with a reason when its variable is unset, and fail under CI=true.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod helpers;
mod journey;

mod access_copy;
mod account_pages;
mod accounts;
mod addresses;
mod agent_requests;
mod architecture;
mod assignments;
mod authorization;
mod bad_input;
mod browser;
mod clients;
mod correction;
mod demo;
mod disputes;
mod drp;
mod erasure;
mod limit;
mod lists;
mod live;
mod mail;
mod matching_cli;
mod media;
mod notice_versions;
mod operations;
mod pages;
mod panel;
mod pay;
mod portal;
mod privacy_pages;
mod privacy_requests;
mod qa;
mod reports;
mod retention;
mod schema;
mod security;
mod settings;
mod sharing;
mod storage;
mod throttling;
mod tokens;
mod two_servers;
mod uploads;
