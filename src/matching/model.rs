//! The engine's own view of shoppers and jobs: only what matching needs, with names interned
//! as small numbers so that a million shoppers fit in a few hundred megabytes.

use std::collections::HashMap;

use chrono::NaiveDate;

use super::geo::Coordinates;

/// An interned name: an organization, a location, a language, a certification.
pub type Sym = u32;

/// The names behind `Sym`s.
#[derive(Debug, Default, Clone)]
pub struct Symbols {
    map: HashMap<Box<str>, Sym>,
    names: Vec<Box<str>>,
}

impl Symbols {
    pub fn intern(&mut self, name: &str) -> Sym {
        if let Some(sym) = self.map.get(name) {
            return *sym;
        }
        let sym = Sym::try_from(self.names.len()).unwrap_or(Sym::MAX);
        self.names.push(name.into());
        self.map.insert(name.into(), sym);
        sym
    }

    pub fn get(&self, name: &str) -> Option<Sym> {
        self.map.get(name).copied()
    }

    pub fn name(&self, sym: Sym) -> &str {
        self.names.get(sym as usize).map_or("?", |n| n)
    }

    /// Interns a list, sorted and without repeats.
    pub fn intern_all<S: AsRef<str>>(&mut self, names: &[S]) -> Box<[Sym]> {
        let mut syms: Vec<Sym> = names.iter().map(|n| self.intern(n.as_ref())).collect();
        syms.sort_unstable();
        syms.dedup();
        syms.into_boxed_slice()
    }
}

/// Names of symbols: all of them ([`Symbols`]), or the few a caller took out of an engine it
/// no longer holds.
pub trait Names {
    fn name_of(&self, sym: Sym) -> &str;
}

impl Names for Symbols {
    fn name_of(&self, sym: Sym) -> &str {
        self.name(sym)
    }
}

impl Names for HashMap<Sym, Box<str>> {
    fn name_of(&self, sym: Sym) -> &str {
        self.get(&sym).map_or("?", |n| n)
    }
}

/// A visit that counts for rotation: the location, and the day if known.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Visit {
    pub location: Sym,
    pub on: Option<NaiveDate>,
}

/// A shopper's languages, certifications and the organizations they (or their household) are
/// affiliated with: three sorted lists in one allocation, since a million shoppers each holding
/// three small boxes costs about a hundred megabytes more.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Tags {
    items: Box<[Sym]>,
    languages: u32,
    certs: u32,
}

impl Tags {
    /// From sorted, duplicate-free lists (as `Symbols::intern_all` gives).
    pub fn new(languages: &[Sym], certs: &[Sym], orgs: &[Sym]) -> Self {
        let mut items = Vec::with_capacity(languages.len() + certs.len() + orgs.len());
        items.extend_from_slice(languages);
        items.extend_from_slice(certs);
        items.extend_from_slice(orgs);
        Tags {
            items: items.into_boxed_slice(),
            languages: u32::try_from(languages.len()).unwrap_or(u32::MAX),
            certs: u32::try_from(certs.len()).unwrap_or(u32::MAX),
        }
    }

    pub fn languages(&self) -> &[Sym] {
        &self.items[..self.languages as usize]
    }

    pub fn certs(&self) -> &[Sym] {
        &self.items[self.languages as usize..(self.languages + self.certs) as usize]
    }

    pub fn orgs(&self) -> &[Sym] {
        &self.items[(self.languages + self.certs) as usize..]
    }
}

/// A shopper as the engine sees one. `capacity` is what is left (assignments they may still take).
#[derive(Debug, Clone)]
pub struct Shopper {
    pub id: Box<str>,
    pub position: Coordinates,
    pub radius_km: f64,
    pub capacity: u32,
    pub rating: f64,
    pub completed: u32,
    pub age: Option<u32>,
    pub vehicle: bool,
    /// Languages, certifications and affiliated organizations.
    pub tags: Tags,
    /// Locations visited within the rotation period.
    pub recent: Box<[Visit]>,
    /// Suspended or not yet approved shoppers are not matched.
    pub active: bool,
}

/// One visit of one location, with what it requires of a shopper.
#[derive(Debug, Clone)]
pub struct Job {
    pub id: Box<str>,
    pub location: Sym,
    pub position: Coordinates,
    pub max_km: f64,
    pub min_age: Option<u32>,
    pub max_age: Option<u32>,
    pub vehicle: bool,
    /// Sorted; all required.
    pub languages: Box<[Sym]>,
    /// Sorted; all required.
    pub certs: Box<[Sym]>,
    pub min_rating: f64,
    pub min_completed: u32,
    /// The client and its competitors, sorted.
    pub blocked_orgs: Box<[Sym]>,
}

/// True when every element of sorted `need` is in sorted `have`.
pub fn contains_all(have: &[Sym], need: &[Sym]) -> bool {
    need.iter().all(|n| have.binary_search(n).is_ok())
}

/// The first element two sorted lists share.
pub fn first_common(a: &[Sym], b: &[Sym]) -> Option<Sym> {
    let (mut i, mut j) = (0, 0);
    while i < a.len() && j < b.len() {
        match a[i].cmp(&b[j]) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => return Some(a[i]),
        }
    }
    None
}

impl super::slots::Keyed for Shopper {
    fn key(&self) -> &str {
        &self.id
    }
}

impl super::slots::Keyed for Job {
    fn key(&self) -> &str {
        &self.id
    }
}
