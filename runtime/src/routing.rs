//! Route matching: literal paths are matched by generated code, patterns with
//! `{param}` or `{*rest}` by a [`matchit`] router built once per app.
//!
//! Paths match exactly: `/users` and `/users/` are different routes, and a
//! request for one does not match the other (declare both to serve both).

/// The most parameters one route pattern may have.
pub const MAX_PARAMS: usize = 8;

/// The parameters a route pattern matched, as ranges into the request path.
///
/// Stored inline (no allocation); values are read back from the path with
/// [`PathParams::get`] or extracted with [`Path`](crate::Path).
#[derive(Debug, Clone, Copy)]
pub struct PathParams {
    names: &'static [&'static str],
    spans: [(u16, u16); MAX_PARAMS],
}

impl PathParams {
    /// No parameters (literal routes, 404s).
    pub const EMPTY: PathParams = PathParams {
        names: &[],
        spans: [(0, 0); MAX_PARAMS],
    };

    /// The number of parameters.
    #[must_use]
    pub fn len(&self) -> usize {
        self.names.len()
    }

    /// Whether the route had no parameters.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }

    /// The raw (still percent-encoded) value of parameter `name` in `path`,
    /// the path of the request these parameters were matched from.
    #[must_use]
    pub fn get<'p>(&self, path: &'p str, name: &str) -> Option<&'p str> {
        self.iter(path).find(|(n, _)| *n == name).map(|(_, v)| v)
    }

    /// Every `(name, raw value)` pair, in pattern order.
    pub fn iter<'s, 'p: 's>(
        &'s self,
        path: &'p str,
    ) -> impl Iterator<Item = (&'static str, &'p str)> + 's {
        self.names
            .iter()
            .zip(&self.spans)
            .map(move |(n, &(a, b))| (*n, path.get(a as usize..b as usize).unwrap_or("")))
    }
}

/// The route pattern that matched a request, e.g. `/users/{id}`; `None` for
/// requests no route matched. An extractor, for logs and metrics.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RoutePattern(pub Option<&'static str>);

/// The router of the patterns with parameters of one app. Generated code
/// builds it in `new` and matches literal paths itself first.
#[doc(hidden)]
#[derive(Debug)]
pub struct Router {
    inner: matchit::Router<(u16, &'static [&'static str])>,
}

impl Router {
    /// Builds the router from `(pattern, path index, parameter names)`.
    ///
    /// # Panics
    /// If two patterns conflict in a way `chain!` could not see (the macro
    /// rejects duplicates and differing parameter names at compile time).
    #[must_use]
    pub fn new(routes: &[(&'static str, u16, &'static [&'static str])]) -> Self {
        let mut inner = matchit::Router::new();
        for &(pattern, index, names) in routes {
            assert!(
                names.len() <= MAX_PARAMS,
                "too many parameters in `{pattern}`"
            );
            if let Err(e) = inner.insert(pattern, (index, names)) {
                panic!("kiln: route `{pattern}` conflicts with another route: {e}");
            }
        }
        Router { inner }
    }

    /// The path index and parameters of the pattern matching `path`.
    #[must_use]
    pub fn find(&self, path: &str) -> Option<(u16, PathParams)> {
        let m = self.inner.at(path).ok()?;
        let (index, names) = *m.value;
        let base = path.as_ptr() as usize;
        let mut spans = [(0u16, 0u16); MAX_PARAMS];
        for (slot, (_, v)) in spans.iter_mut().zip(m.params.iter()) {
            let start = v.as_ptr() as usize - base;
            *slot = (to_u16(start)?, to_u16(start + v.len())?);
        }
        Some((index, PathParams { names, spans }))
    }
}

/// Request paths are shorter than 64 KiB (`http::Uri` rejects longer ones).
fn to_u16(n: usize) -> Option<u16> {
    u16::try_from(n).ok()
}
