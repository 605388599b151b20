//! Route registration that keeps a table of every route and its methods, so that a known
//! address asked with a wrong method answers `405 Method Not Allowed` with `Allow` (actix
//! answers 404: each route is a resource of its own, its method a guard), and so that tests
//! can hold the table against the authorisation matrix.
//!
//! ```ignore
//! Routes::new(cfg, "/api/v1").get("/jobs", list_jobs).post("/jobs", create_job);
//! ```

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Mutex, OnceLock};

use actix_web::dev::ResourceDef;
use actix_web::{FromRequest, Handler, Responder, Route, web};

struct Entry {
    def: ResourceDef,
    methods: BTreeSet<&'static str>,
}

fn table() -> &'static Mutex<BTreeMap<String, Entry>> {
    static TABLE: OnceLock<Mutex<BTreeMap<String, Entry>>> = OnceLock::new();
    TABLE.get_or_init(|| Mutex::new(BTreeMap::new()))
}

fn record(pattern: String, method: &'static str) {
    let mut table = table()
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    table
        .entry(pattern)
        .or_insert_with_key(|pattern| Entry {
            def: ResourceDef::new(pattern.as_str()),
            methods: BTreeSet::new(),
        })
        .methods
        .insert(method);
}

/// Every route registered in this process: (pattern, methods), by pattern.
pub fn all() -> Vec<(String, Vec<&'static str>)> {
    let table = table()
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    table
        .iter()
        .map(|(pattern, e)| (pattern.clone(), e.methods.iter().copied().collect()))
        .collect()
}

/// The methods `path` answers to (with HEAD wherever GET is), or None for an unknown address.
pub fn allowed(path: &str) -> Option<Vec<&'static str>> {
    let table = table()
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    let mut methods: BTreeSet<&'static str> = BTreeSet::new();
    for entry in table.values() {
        if entry.def.is_match(path) {
            methods.extend(entry.methods.iter().copied());
        }
    }
    if methods.is_empty() {
        return None;
    }
    if methods.contains("GET") {
        methods.insert("HEAD");
    }
    Some(methods.into_iter().collect())
}

/// Registers routes on `cfg` under `prefix` (the scope `cfg` belongs to), writing each down.
pub struct Routes<'a> {
    cfg: &'a mut web::ServiceConfig,
    prefix: &'static str,
}

macro_rules! method {
    ($name:ident, $route:ident, $method:literal) => {
        pub fn $name<F, Args>(&mut self, path: &'static str, handler: F) -> &mut Self
        where
            F: Handler<Args>,
            Args: FromRequest + 'static,
            F::Output: Responder + 'static,
        {
            self.add($method, path, web::$route().to(handler))
        }
    };
}

impl<'a> Routes<'a> {
    pub fn new(cfg: &'a mut web::ServiceConfig, prefix: &'static str) -> Self {
        Self { cfg, prefix }
    }

    fn add(&mut self, method: &'static str, path: &'static str, route: Route) -> &mut Self {
        record(format!("{}{path}", self.prefix), method);
        self.cfg.route(path, route);
        self
    }

    method!(get, get, "GET");
    method!(post, post, "POST");
    method!(put, put, "PUT");
    method!(delete, delete, "DELETE");
    method!(patch, patch, "PATCH");

    pub fn options<F, Args>(&mut self, path: &'static str, handler: F) -> &mut Self
    where
        F: Handler<Args>,
        Args: FromRequest + 'static,
        F::Output: Responder + 'static,
    {
        self.add(
            "OPTIONS",
            path,
            web::route()
                .method(actix_web::http::Method::OPTIONS)
                .to(handler),
        )
    }
}
