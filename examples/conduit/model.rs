//! What the API returns (RealWorld's JSON shapes, camelCase), the queries
//! several routes share, timestamps and slugs.

use std::fmt::Write as _;
use std::hash::{BuildHasher, RandomState};
use std::time::{SystemTime, UNIX_EPOCH};

use serde::Serialize;

use crate::db::{Conn, on};
use crate::error::ApiError;

/// A user as others see them.
#[derive(Debug, Serialize, sqlx::FromRow)]
pub(crate) struct Profile {
    pub(crate) username: String,
    pub(crate) bio: Option<String>,
    pub(crate) image: Option<String>,
    pub(crate) following: bool,
}

/// `{"profile": ...}`.
#[derive(Serialize)]
pub(crate) struct ProfileBody {
    pub(crate) profile: Profile,
}

/// The profile of `username` as `viewer` sees it, `404` when there is none.
pub(crate) async fn profile(
    conn: Conn<'_>,
    username: &str,
    viewer: Option<i64>,
) -> Result<(i64, Profile), ApiError> {
    #[derive(sqlx::FromRow)]
    struct Row {
        id: i64,
        #[sqlx(flatten)]
        profile: Profile,
    }
    let row: Option<Row> = on!(conn, c => sqlx::query_as(
        "SELECT u.id, u.username, u.bio, u.image, \
         EXISTS (SELECT 1 FROM follows f WHERE f.followee_id = u.id AND f.follower_id = $2) AS following \
         FROM users u WHERE u.username = $1",
    )
    .bind(username)
    .bind(viewer)
    .fetch_optional(&mut *c)
    .await)?;
    let row = row.ok_or_else(|| ApiError::not_found("profile"))?;
    Ok((row.id, row.profile))
}

/// Now, as RealWorld's timestamps: `2024-05-01T12:00:00.000Z` (UTC).
pub(crate) fn now() -> String {
    let d = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    let secs = i64::try_from(d.as_secs()).unwrap_or(i64::MAX);
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    let (y, m, day) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{day:02}T{:02}:{:02}:{:02}.{:03}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60,
        d.subsec_millis()
    )
}

/// The proleptic Gregorian date of a day count since 1970-01-01 (the
/// era-based conversion: 400-year eras of 146 097 days).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097); // [0, 146096]
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365; // [0, 399]
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100); // [0, 365]
    let mp = (5 * doy + 2) / 153; // [0, 11], March first
    let day = u32::try_from(doy - (153 * mp + 2) / 5 + 1).unwrap_or(1);
    let month = u32::try_from(if mp < 10 { mp + 3 } else { mp - 9 }).unwrap_or(1);
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// A URL-safe slug of `title`: lowercase ASCII words joined by `-`, and a
/// random suffix so two articles with one title do not collide.
pub(crate) fn slug(title: &str) -> String {
    let mut s = String::with_capacity(title.len() + 7);
    for word in title
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
    {
        if !s.is_empty() {
            s.push('-');
        }
        s.push_str(&word.to_ascii_lowercase());
    }
    // RandomState's keys are random per instance: a cheap unique-enough suffix.
    let suffix = RandomState::new().hash_one(SystemTime::now()) & 0xff_ffff;
    if !s.is_empty() {
        s.push('-');
    }
    let _ = write!(s, "{suffix:06x}");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_and_timestamps() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(19_723), (2024, 1, 1));
        assert_eq!(civil_from_days(19_782), (2024, 2, 29));
        assert_eq!(civil_from_days(-1), (1969, 12, 31));
        let t = now();
        assert_eq!(t.len(), "2024-05-01T12:00:00.000Z".len(), "{t}");
        assert!(t.ends_with('Z') && t.as_bytes()[10] == b'T', "{t}");
    }

    #[test]
    fn slugs_are_url_safe_and_distinct() {
        let a = slug("How to train your dragon?");
        assert!(a.starts_with("how-to-train-your-dragon-"), "{a}");
        assert!(
            a.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'),
            "{a}"
        );
        assert_ne!(slug("x"), slug("x"));
    }
}
