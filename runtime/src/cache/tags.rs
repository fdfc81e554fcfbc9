//! Tags: named groups of entries that one call invalidates.
//!
//! Invalidation is by epoch, not by walking entries: a global counter moves
//! on every `invalidate_tag`, each tag remembers the epoch of its last
//! invalidation, and each entry the epoch at which its value *started* being
//! computed. An entry is fresh while none of its tags was invalidated after
//! that. So a value computed from data read before a write, and stored after
//! the write's invalidation, is stale on arrival — the race a "delete keys
//! by tag" index cannot close. A read checks one atomic per tag of the entry.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError, Weak};

/// One tag's last invalidation epoch, shared by the entries that carry it.
pub(crate) type TagMark = Arc<AtomicU64>;

/// The tag registry of one cache. Tags that no live entry carries are
/// dropped (the registry holds them weakly), so per-item tags (`post:42`)
/// do not grow it without bound.
#[derive(Debug, Default)]
pub(crate) struct Tags {
    epoch: AtomicU64,
    names: Mutex<Registry>,
}

#[derive(Debug, Default)]
struct Registry {
    marks: HashMap<Box<str>, Weak<AtomicU64>>,
    /// Size after the last sweep of dead tags; the next sweep is at twice it.
    swept_at: usize,
}

impl Tags {
    /// The epoch to record before computing a value.
    pub(crate) fn now(&self) -> u64 {
        self.epoch.load(Ordering::SeqCst)
    }

    /// The marks of `names`, created as needed. A new mark starts at the
    /// current epoch: no entry carries it yet, but a value that began
    /// computing before an invalidation of this tag must not be taken fresh.
    pub(crate) fn marks<S: AsRef<str>>(&self, names: &[S]) -> Arc<[TagMark]> {
        if names.is_empty() {
            return Arc::from([]);
        }
        let mut reg = self.names.lock().unwrap_or_else(PoisonError::into_inner);
        let now = self.now();
        let marks = names
            .iter()
            .map(|name| {
                let name = name.as_ref();
                if let Some(mark) = reg.marks.get(name).and_then(Weak::upgrade) {
                    return mark;
                }
                let mark = Arc::new(AtomicU64::new(now));
                reg.marks.insert(name.into(), Arc::downgrade(&mark));
                mark
            })
            .collect();
        if reg.marks.len() > 64 && reg.marks.len() > 2 * reg.swept_at {
            reg.marks.retain(|_, w| w.strong_count() > 0);
            reg.swept_at = reg.marks.len();
        }
        marks
    }

    /// Makes every entry carrying `name`, and every value being computed for
    /// one, stale.
    pub(crate) fn invalidate(&self, name: &str) {
        let reg = self.names.lock().unwrap_or_else(PoisonError::into_inner);
        let epoch = self.epoch.fetch_add(1, Ordering::SeqCst) + 1;
        if let Some(mark) = reg.marks.get(name).and_then(Weak::upgrade) {
            mark.fetch_max(epoch, Ordering::SeqCst);
        }
    }
}

/// Whether a value begun at `born` with these tags is still fresh.
#[inline]
pub(crate) fn fresh(born: u64, marks: &[TagMark]) -> bool {
    marks.iter().all(|m| m.load(Ordering::SeqCst) <= born)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invalidation_makes_older_values_stale() {
        let tags = Tags::default();
        let born = tags.now();
        let marks = tags.marks(&["posts"]);
        assert!(fresh(born, &marks));
        tags.invalidate("users");
        assert!(fresh(born, &marks), "another tag leaves it fresh");
        tags.invalidate("posts");
        assert!(!fresh(born, &marks));
        assert!(fresh(tags.now(), &marks), "a value begun after is fresh");
    }

    #[test]
    fn a_value_begun_before_an_invalidation_is_stale_on_arrival() {
        let tags = Tags::default();
        let born = tags.now();
        // No entry carries the tag while it is invalidated...
        tags.invalidate("posts");
        // ...then the value computed before it arrives.
        let marks = tags.marks(&["posts"]);
        assert!(!fresh(born, &marks));
    }

    #[test]
    fn dead_tags_are_swept() {
        let tags = Tags::default();
        for i in 0..1000 {
            drop(tags.marks(&[format!("post:{i}")]));
        }
        let live = tags.marks(&["kept"]);
        assert!(tags.names.lock().unwrap().marks.len() < 200);
        assert_eq!(Arc::strong_count(&live[0]), 1);
    }
}
