//! Tags: every tag in use, served from the response cache (tagged
//! [`TAGS`]) until a write changes them.

use kiln::cache::Tagged;
use kiln::prelude::*;
use serde::Serialize;

use crate::articles::TAGS;
use crate::db::{Read, on};
use crate::error::ApiError;

#[derive(Serialize)]
pub(crate) struct TagsBody {
    tags: Vec<String>,
}

/// `GET /api/tags`: most used first, then by name.
#[handler]
pub(crate) async fn list(read: &mut Read) -> Result<Tagged<Json<TagsBody>>, ApiError> {
    let tags: Vec<String> = on!(read.conn(), c => sqlx::query_scalar(
        "SELECT tag FROM article_tags GROUP BY tag ORDER BY count(*) DESC, tag LIMIT 100",
    ).fetch_all(&mut *c).await)?;
    Ok(Tagged::new([TAGS], Json(TagsBody { tags })))
}
