//! Counters a singleton reports through its app's statistics ([`Counters`]).

use serde::Serialize;
use serde::ser::SerializeMap;

/// Counters a singleton reports through its app's statistics.
///
/// A singleton whose type implements [`Counters`] (and `Clone`, the handle
/// the statistics keep) appears in `App::stats()`, [`json`](super::json) and
/// [`prometheus`](super::prometheus) of every app with `options { stats }`
/// that lists it: nothing to register by hand. `chain!` checks each
/// singleton's type where it expands, so a type that does not implement the
/// trait costs nothing, and an app without `options { stats }` emits no code.
///
#[cfg_attr(
    feature = "tasks",
    doc = "[`Tasks`](crate::tasks::Tasks) reports its job counters this way."
)]
#[cfg_attr(
    not(feature = "tasks"),
    doc = "`Tasks` (feature `tasks`) reports its job counters this way."
)]
///
/// ```
/// use std::sync::Arc;
/// use std::sync::atomic::{AtomicU64, Ordering};
/// use kiln::prelude::*;
/// use kiln::stats::{CounterSet, Counters};
///
/// /// Mail sent, as a singleton handle.
/// #[derive(Clone, Default)]
/// struct Mailer(Arc<AtomicU64>);
///
/// impl Counters for Mailer {
///     fn counters(&self) -> CounterSet {
///         CounterSet::new("mail_total", "Mail, by outcome.", "outcome")
///             .value("sent", self.0.load(Ordering::Relaxed))
///     }
/// }
///
/// #[handler]
/// fn send(mailer: &Mailer) -> StatusCode {
///     mailer.0.fetch_add(1, Ordering::Relaxed);
///     StatusCode::ACCEPTED
/// }
///
/// chain! {
///     struct Api;
///     singletons { mailer: Mailer, greeting: String }
///     routes {
///         POST "/mail" => send,
///         GET "/metrics" => kiln::stats::prometheus,
///     }
///     options { stats }
/// }
///
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let client = TestClient::new(Api::new(ApiSingletons { mailer: Mailer::default(), greeting: "hi".into() }));
/// client.post("/mail").send().await;
/// let stats = client.app().stats();
/// assert_eq!(stats.counters.len(), 1, "a String has no counters");
/// assert_eq!(stats.counters[0].singleton, "mailer");
/// assert_eq!(stats.counters[0].set.get("sent"), Some(1));
/// let metrics = client.get("/metrics").send().await.text();
/// assert!(metrics.contains(r#"mail_total{app="Api",singleton="mailer",outcome="sent"} 1"#));
/// # });
/// ```
pub trait Counters {
    /// The counters now. Called when the statistics are read, not per
    /// request.
    fn counters(&self) -> CounterSet;
}

/// One counter family: a Prometheus metric name, its help text, and values
/// distinguished by one label.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CounterSet {
    /// The metric name, e.g. `kiln_tasks_total` (a counter: it only grows).
    pub family: &'static str,
    /// One line saying what it counts.
    pub help: &'static str,
    /// The label that tells the values apart, e.g. `event`.
    pub label: &'static str,
    /// `(label value, count)`, in the order written.
    pub values: Vec<(&'static str, u64)>,
}

impl CounterSet {
    /// An empty family.
    #[must_use]
    pub fn new(family: &'static str, help: &'static str, label: &'static str) -> CounterSet {
        CounterSet {
            family,
            help,
            label,
            values: Vec::new(),
        }
    }

    /// Adds one value.
    #[must_use]
    pub fn value(mut self, label: &'static str, n: u64) -> CounterSet {
        self.values.push((label, n));
        self
    }

    /// The count for `label`, if the family has it.
    #[must_use]
    pub fn get(&self, label: &str) -> Option<u64> {
        self.values
            .iter()
            .find(|(l, _)| *l == label)
            .map(|&(_, n)| n)
    }
}

impl Serialize for CounterSet {
    /// `{"family": .., "label": .., "values": {"done": 3, ..}}`.
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        struct Values<'a>(&'a [(&'static str, u64)]);
        impl Serialize for Values<'_> {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                let mut m = s.serialize_map(Some(self.0.len()))?;
                for (k, v) in self.0 {
                    m.serialize_entry(k, v)?;
                }
                m.end()
            }
        }
        use serde::ser::SerializeStruct as _;
        let mut st = s.serialize_struct("CounterSet", 3)?;
        st.serialize_field("family", self.family)?;
        st.serialize_field("label", self.label)?;
        st.serialize_field("values", &Values(&self.values))?;
        st.end()
    }
}

/// One singleton's counters in a [`ChainStats`](super::ChainStats).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SingletonCounters {
    /// The singleton's field name in `chain!`.
    pub singleton: &'static str,
    /// Its counters.
    pub set: CounterSet,
}

/// The handles an app's statistics keep, one per reporting singleton.
#[derive(Default)]
pub(super) struct Sources(Vec<(&'static str, Box<dyn Counters + Send + Sync>)>);

impl Sources {
    pub(super) fn push(
        &mut self,
        singleton: &'static str,
        source: Box<dyn Counters + Send + Sync>,
    ) {
        self.0.push((singleton, source));
    }

    pub(super) fn read(&self) -> Vec<SingletonCounters> {
        self.0
            .iter()
            .map(|(singleton, source)| SingletonCounters {
                singleton,
                set: source.counters(),
            })
            .collect()
    }

    pub(super) fn len(&self) -> usize {
        self.0.len()
    }
}

/// Autoref dispatch for generated code: `(&&Probe(&singleton)).__kiln_report(..)`
/// keeps a clone of a singleton whose type implements [`Counters`], and
/// resolves to the no-op of [`Ignore`] for every other type.
#[doc(hidden)]
pub struct Probe<'a, T>(pub &'a T);

#[doc(hidden)]
pub trait Report {
    fn __kiln_report(&self, singleton: &'static str, stats: &mut super::Stats);
}

impl<T: Counters + Clone + Send + Sync + 'static> Report for &Probe<'_, T> {
    fn __kiln_report(&self, singleton: &'static str, stats: &mut super::Stats) {
        stats.report(singleton, Box::new(self.0.clone()));
    }
}

#[doc(hidden)]
pub trait Ignore {
    fn __kiln_report(&self, _singleton: &'static str, _stats: &mut super::Stats) {}
}

impl<T> Ignore for Probe<'_, T> {}
