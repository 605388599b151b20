//! Incognito: a privacy-first platform for a mystery-shopper panel.
//!
//! The binary (`src/main.rs`) is a thin command line over this library, so that tests and
//! benchmarks use the same code. DESIGN.md describes the layout.

pub mod app;
pub mod archive;
pub mod assignments;
pub mod auth;
pub mod background;
pub mod clients;
pub mod clock;
pub mod config;
pub mod db;
pub mod demo;
pub mod error;
pub mod geocode;
pub mod health;
pub mod http;
pub mod ids;
pub mod keys;
pub mod mail;
pub mod matching;
pub mod media;
pub mod metrics;
pub mod middleware;
pub mod money;
pub mod openapi;
pub mod organizations;
pub mod paging;
pub mod panel;
pub mod pay;
pub mod portal;
pub mod privacy;
pub mod qa;
pub mod reports;
pub mod rights;
pub mod routing;
pub mod startup;
pub mod state;
pub mod storage;
pub mod telemetry;
pub mod text;
pub mod units;
pub mod web;
pub mod zones;
