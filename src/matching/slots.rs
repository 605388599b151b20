//! Records kept at fixed positions, with a lookup by id that stores only the position: a
//! `HashMap<String, u32>` beside the records would hold every id twice and cost about
//! fifty megabytes more for a million shoppers.

use std::hash::{BuildHasher, RandomState};

use hashbrown::HashTable;

/// A record with an id, unique among its kind.
pub trait Keyed {
    fn key(&self) -> &str;
}

/// Records by position; a removed record leaves a hole (`None`) so that the positions of the
/// others never change.
#[derive(Debug)]
pub struct Slots<T> {
    items: Vec<Option<T>>,
    by_key: HashTable<u32>,
    hasher: RandomState,
}

/// Why a record was not added.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refused {
    /// Another record has this id.
    Duplicate(String),
    /// More records than positions (`u32`).
    Full,
}

impl<T> Default for Slots<T> {
    fn default() -> Self {
        Slots {
            items: Vec::new(),
            by_key: HashTable::new(),
            hasher: RandomState::new(),
        }
    }
}

fn key_of<T: Keyed>(items: &[Option<T>], ix: u32) -> &str {
    items
        .get(ix as usize)
        .and_then(Option::as_ref)
        .map_or("", Keyed::key)
}

impl<T: Keyed> Slots<T> {
    /// All at once, at positions 0, 1, 2, … in the list's order.
    pub fn from_vec(list: Vec<T>) -> Result<Self, Refused> {
        if u32::try_from(list.len()).is_err() {
            return Err(Refused::Full);
        }
        // Reuses the list's memory: `Option<T>` has the size of `T` for the records kept here.
        let items: Vec<Option<T>> = list.into_iter().map(Some).collect();
        let hasher = RandomState::new();
        let mut by_key = HashTable::with_capacity(items.len());
        for (ix, item) in items.iter().enumerate() {
            let Some(item) = item else { continue };
            let key = item.key();
            let hash = hasher.hash_one(key);
            if by_key
                .find(hash, |&other| key_of(&items, other) == key)
                .is_some()
            {
                return Err(Refused::Duplicate(key.to_string()));
            }
            by_key.insert_unique(hash, ix as u32, |&other| {
                hasher.hash_one(key_of(&items, other))
            });
        }
        Ok(Slots {
            items,
            by_key,
            hasher,
        })
    }

    pub fn get(&self, ix: u32) -> Option<&T> {
        self.items.get(ix as usize).and_then(Option::as_ref)
    }

    /// Changing the key through this breaks the lookup: callers change other fields only.
    pub fn get_mut(&mut self, ix: u32) -> Option<&mut T> {
        self.items.get_mut(ix as usize).and_then(Option::as_mut)
    }

    pub fn position(&self, key: &str) -> Option<u32> {
        let hash = self.hasher.hash_one(key);
        self.by_key
            .find(hash, |&ix| key_of(&self.items, ix) == key)
            .copied()
    }

    /// Adds a record at the next position.
    pub fn push(&mut self, item: T) -> Result<u32, Refused> {
        if self.position(item.key()).is_some() {
            return Err(Refused::Duplicate(item.key().to_string()));
        }
        let ix = u32::try_from(self.items.len()).map_err(|_| Refused::Full)?;
        let hash = self.hasher.hash_one(item.key());
        self.items.push(Some(item));
        let Slots {
            items,
            by_key,
            hasher,
        } = self;
        by_key.insert_unique(hash, ix, |&other| hasher.hash_one(key_of(items, other)));
        Ok(ix)
    }

    /// Takes the record out, leaving its position empty.
    pub fn take(&mut self, ix: u32) -> Option<T> {
        let item = self.items.get_mut(ix as usize)?.take()?;
        let hash = self.hasher.hash_one(item.key());
        if let Ok(entry) = self.by_key.find_entry(hash, |&other| other == ix) {
            entry.remove();
        }
        Some(item)
    }

    /// Records held (holes not counted).
    pub fn len(&self) -> usize {
        self.by_key.len()
    }

    pub fn is_empty(&self) -> bool {
        self.by_key.is_empty()
    }

    /// Positions handed out so far, holes included.
    pub fn slots(&self) -> usize {
        self.items.len()
    }

    pub fn iter(&self) -> impl Iterator<Item = (u32, &T)> {
        self.items
            .iter()
            .enumerate()
            .filter_map(|(ix, item)| item.as_ref().map(|item| (ix as u32, item)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    impl Keyed for String {
        fn key(&self) -> &str {
            self
        }
    }

    #[test]
    fn positions_stay_and_ids_are_found() {
        let mut slots = Slots::from_vec(vec!["a".to_string(), "b".into(), "c".into()])
            .unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(slots.position("b"), Some(1));
        assert_eq!(slots.take(1).as_deref(), Some("b"));
        assert_eq!(slots.position("b"), None);
        assert_eq!(slots.position("c"), Some(2));
        assert_eq!((slots.len(), slots.slots()), (2, 3));
        assert_eq!(slots.push("b".into()), Ok(3));
        assert_eq!(slots.position("b"), Some(3));
        assert_eq!(slots.push("a".into()), Err(Refused::Duplicate("a".into())));
        // Many more, so that the table grows and rehashes through the records.
        for i in 0..1000 {
            assert_eq!(slots.push(format!("x{i}")), Ok(4 + i));
        }
        for i in 0..1000 {
            assert_eq!(slots.position(&format!("x{i}")), Some(4 + i));
        }
        let keys: Vec<(u32, &str)> = slots.iter().take(3).map(|(i, s)| (i, s.as_str())).collect();
        assert_eq!(keys, vec![(0, "a"), (2, "c"), (3, "b")]);
    }

    #[test]
    fn duplicates_in_a_list_are_refused() {
        let refused = Slots::from_vec(vec!["a".to_string(), "b".into(), "a".into()]);
        assert_eq!(refused.err(), Some(Refused::Duplicate("a".into())));
    }
}
