//! What the apps' middleware work out per request (tenant, locale, API
//! version), the singletons they consult (tenants, flags, audit log) and the
//! tokens login issues.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use serde::Serialize;

/// The API version a request asked for with `x-api-version` (default 2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ApiVersion(pub u8);

impl ApiVersion {
    /// Parses the header's value; `None` for anything but 1 or 2.
    #[must_use]
    pub fn parse(header: Option<&[u8]>) -> Option<ApiVersion> {
        match header {
            None | Some(b"2") => Some(ApiVersion(2)),
            Some(b"1") => Some(ApiVersion(1)),
            Some(_) => None,
        }
    }
}

/// The shop front a request is for (`x-tenant`, default `main`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tenant {
    /// Its id.
    pub id: u32,
    /// Its name.
    pub name: String,
}

/// The known tenants: a singleton.
#[derive(Debug)]
pub struct Tenants(Vec<Tenant>);

impl Default for Tenants {
    fn default() -> Self {
        Tenants(
            ["main", "outlet"]
                .iter()
                .zip(1..)
                .map(|(name, id)| Tenant {
                    id,
                    name: (*name).to_owned(),
                })
                .collect(),
        )
    }
}

impl Tenants {
    /// The tenant named by the header, `main` without one, `None` if unknown.
    #[must_use]
    pub fn find(&self, header: Option<&[u8]>) -> Option<Tenant> {
        let name = header.unwrap_or(b"main");
        self.0.iter().find(|t| t.name.as_bytes() == name).cloned()
    }
}

/// Operational switches: a singleton.
#[derive(Debug, Default)]
pub struct Flags {
    /// Answer 503 to everything.
    pub maintenance: AtomicBool,
    /// `User-Agent` substrings that get a 403.
    pub blocked_agents: Vec<String>,
}

impl Flags {
    /// Whether maintenance mode is on.
    #[must_use]
    pub fn in_maintenance(&self) -> bool {
        self.maintenance.load(Ordering::Relaxed)
    }

    /// Whether this `User-Agent` is blocked.
    #[must_use]
    pub fn blocks(&self, agent: Option<&[u8]>) -> bool {
        let Some(agent) = agent.and_then(|a| std::str::from_utf8(a).ok()) else {
            return false;
        };
        self.blocked_agents
            .iter()
            .any(|b| agent.contains(b.as_str()))
    }
}

/// Responses per tenant and status class: a singleton the `audit` middleware fills.
#[derive(Debug, Default)]
pub struct AuditLog(Mutex<BTreeMap<(String, u16), u64>>);

/// One row of [`AuditLog::rows`].
#[derive(Debug, Serialize)]
pub struct AuditRow {
    /// Tenant name.
    pub tenant: String,
    /// Status class: 200, 300, 400 or 500.
    pub class: u16,
    /// Responses counted.
    pub count: u64,
}

impl AuditLog {
    /// Counts one response.
    pub fn record(&self, tenant: &Tenant, status: u16) {
        let mut map = self
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        *map.entry((tenant.name.clone(), status / 100 * 100))
            .or_default() += 1;
    }

    /// Everything counted so far.
    #[must_use]
    pub fn rows(&self) -> Vec<AuditRow> {
        let map = self
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        map.iter()
            .map(|((tenant, class), count)| AuditRow {
                tenant: tenant.clone(),
                class: *class,
                count: *count,
            })
            .collect()
    }
}

/// The negotiated language (`Accept-Language`: `en`, `de` or `fr`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Locale(pub &'static str);

impl Locale {
    /// The first supported language in the header, `en` otherwise.
    #[must_use]
    pub fn negotiate(header: Option<&[u8]>) -> Locale {
        let header = header
            .and_then(|h| std::str::from_utf8(h).ok())
            .unwrap_or("");
        header
            .split(',')
            .filter_map(|part| part.split(';').next())
            .map(str::trim)
            .find_map(|tag| {
                let lang = tag.split('-').next().unwrap_or("");
                ["en", "de", "fr"]
                    .into_iter()
                    .find(|l| l.eq_ignore_ascii_case(lang))
            })
            .map_or(Locale("en"), Locale)
    }
}

#[derive(Serialize)]
struct Claims<'a> {
    sub: String,
    iss: &'a str,
    iat: u64,
    exp: u64,
}

/// Seconds a token is valid for.
pub const TOKEN_TTL: u64 = 3600;

/// A Bearer JWT (HS256, [`crate::JWT_SECRET`]) for `user`, valid for an hour.
///
/// # Panics
/// Never in practice: HS256 signing of these claims cannot fail.
#[must_use]
pub fn issue_token(user: u64) -> String {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let claims = Claims {
        sub: user.to_string(),
        iss: crate::JWT_ISSUER,
        iat: now,
        exp: now + TOKEN_TTL,
    };
    jsonwebtoken::encode(
        &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
        &claims,
        &jsonwebtoken::EncodingKey::from_secret(crate::JWT_SECRET),
    )
    .expect("HS256 signing does not fail")
}
