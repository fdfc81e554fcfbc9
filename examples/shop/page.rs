//! Paging for every list: `?limit=&offset=` in (validated), [`Page`] out.

use garde::Validate;
use serde::{Deserialize, Serialize};

/// The largest page a client may ask for.
pub(crate) const MAX_LIMIT: i64 = 100;

/// The page size when `?limit=` is not given.
pub(crate) fn default_limit() -> i64 {
    20
}

/// `?limit=` (1 to 100, default 20) and `?offset=` (0 or more, default 0).
#[derive(Debug, Deserialize, Validate)]
pub(crate) struct PageQuery {
    #[garde(range(min = 1, max = MAX_LIMIT))]
    #[serde(default = "default_limit")]
    pub(crate) limit: i64,
    #[garde(range(min = 0))]
    #[serde(default)]
    pub(crate) offset: i64,
}

/// One page of a list, and how many there are in all.
#[derive(Debug, Serialize)]
pub(crate) struct Page<T> {
    pub(crate) items: Vec<T>,
    pub(crate) total: i64,
    pub(crate) limit: i64,
    pub(crate) offset: i64,
}
