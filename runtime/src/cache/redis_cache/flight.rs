//! Single flight within one instance: concurrent loads of one key share one
//! read of Redis and, on a miss, one computation.

use std::collections::HashMap;
use std::ops::Deref;
use std::sync::{Arc, Mutex, PoisonError};

use tokio::sync::OnceCell;

/// The loads in progress, by entry key.
pub(super) struct Flights<V> {
    map: Mutex<HashMap<String, Arc<OnceCell<V>>>>,
}

impl<V> Default for Flights<V> {
    fn default() -> Self {
        Flights {
            map: Mutex::new(HashMap::new()),
        }
    }
}

impl<V> Flights<V> {
    /// The load of `key` in progress, or a new one. The first caller to
    /// `get_or_init` it runs its load; the others wait for that value (and
    /// if the runner is cancelled, the next waiter runs its own).
    pub(super) fn join(&self, key: String) -> Flight<'_, V> {
        let mut map = self.map.lock().unwrap_or_else(PoisonError::into_inner);
        let cell = match map.get(&key) {
            Some(cell) => Arc::clone(cell),
            None => {
                let cell = Arc::new(OnceCell::new());
                map.insert(key.clone(), Arc::clone(&cell));
                cell
            }
        };
        Flight {
            flights: self,
            key,
            cell,
        }
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.map.lock().unwrap().len()
    }
}

/// One caller's part in a load; leaving it forgets the load once it is
/// done, so the next call reads Redis again.
pub(super) struct Flight<'a, V> {
    flights: &'a Flights<V>,
    key: String,
    cell: Arc<OnceCell<V>>,
}

impl<V> Flight<'_, V> {
    /// The entry key this load is for.
    pub(super) fn key(&self) -> &str {
        &self.key
    }
}

impl<V> Deref for Flight<'_, V> {
    type Target = OnceCell<V>;

    fn deref(&self) -> &OnceCell<V> {
        &self.cell
    }
}

impl<V> Drop for Flight<'_, V> {
    fn drop(&mut self) {
        let mut map = self
            .flights
            .map
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let ours = map
            .get(&self.key)
            .is_some_and(|c| Arc::ptr_eq(c, &self.cell));
        // Done, or abandoned by its last caller (the map's and this handle
        // are the only references left).
        if ours && (self.cell.initialized() || Arc::strong_count(&self.cell) == 2) {
            map.remove(&self.key);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_done_flight_is_forgotten() {
        let flights = Flights::<u32>::default();
        let a = flights.join("k".into());
        let b = flights.join("k".into());
        assert!(Arc::ptr_eq(&a.cell, &b.cell), "one load per key");
        a.cell.set(7).unwrap();
        drop(a);
        assert_eq!(flights.len(), 0, "forgotten once done");
        assert_eq!(b.get(), Some(&7), "a waiter still has the value");
        drop(b);
        let c = flights.join("k".into());
        assert!(c.get().is_none(), "the next call loads anew");
    }

    #[test]
    fn an_abandoned_flight_is_forgotten_by_its_last_caller() {
        let flights = Flights::<u32>::default();
        let a = flights.join("k".into());
        let b = flights.join("k".into());
        drop(a);
        assert_eq!(flights.len(), 1, "b still waits on it");
        drop(b);
        assert_eq!(flights.len(), 0);
    }
}
