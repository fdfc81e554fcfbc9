//! The Redis side of [`RedisCache`](super::RedisCache): the key layout, the
//! three Lua scripts, the timeout on every call and the outage tracker.

use std::fmt;
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use redis::Value;
use redis::aio::{ConnectionManager, ConnectionManagerConfig};

use crate::builtin::ConfigError;
use crate::error::Error;

/// While Redis is down, calls skip it but for one probe this often: an
/// outage costs a request nothing, not a timeout each.
pub(super) const PROBE_EVERY: Duration = Duration::from_millis(500);

/// What a read found.
pub(super) enum Read {
    /// A fresh entry's bytes, and the current epoch.
    Hit { value: Vec<u8>, epoch: i64 },
    /// Nothing fresh; the epoch to record before computing the value.
    Miss { epoch: i64 },
    /// Redis did not answer (or is skipped during an outage).
    Unavailable,
}

/// One cache's connection, scripts and keys.
pub(super) struct Core {
    conn: ConnectionManager,
    read: redis::Script,
    write: redis::Script,
    mark: redis::Script,
    name: String,
    /// `{prefix}:{name}:v:`, then the key as JSON.
    entry_prefix: String,
    /// `{prefix}:{name}:t:`, then the tag.
    tag_prefix: String,
    epoch_key: String,
    all_key: String,
    ttl_ms: u64,
    timeout: Duration,
    health: Health,
}

impl fmt::Debug for Core {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisCache")
            .field("name", &self.name)
            .field("entries", &self.entry_prefix)
            .field("ttl_ms", &self.ttl_ms)
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

/// What [`Core::connect`] needs.
#[derive(Clone, Copy)]
pub(super) struct Settings<'a> {
    pub(super) url: &'a str,
    pub(super) name: &'a str,
    pub(super) prefix: &'a str,
    pub(super) ttl: Duration,
    pub(super) timeout: Duration,
}

impl Core {
    /// Connects and loads the scripts.
    pub(super) async fn connect(s: Settings<'_>) -> Result<Core, ConfigError> {
        let err = |m: String| ConfigError::new("RedisCache", m);
        if s.name.is_empty() {
            return Err(err(
                "the cache needs a name (its keys are `{prefix}:{name}:...`)".into(),
            ));
        }
        if s.timeout.is_zero() {
            return Err(err(
                "a timeout of 0 fails every call; give it at least 1 ms".into(),
            ));
        }
        let ttl_ms = u64::try_from(s.ttl.as_millis()).unwrap_or(u64::MAX);
        if ttl_ms == 0 {
            return Err(err(
                "a TTL under 1 ms stores nothing; give at least 1 ms".into()
            ));
        }
        let url = s.url;
        let client = redis::Client::open(url).map_err(|e| err(format!("`{url}`: {e}")))?;
        let wait = s.timeout.max(Duration::from_secs(1));
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(wait))
            .set_response_timeout(Some(s.timeout));
        let conn = tokio::time::timeout(wait, client.get_connection_manager_with_config(config))
            .await
            .map_err(|_| err(format!("Redis at `{url}` did not answer within {wait:?}")))?
            .map_err(|e| err(format!("Redis at `{url}`: {e}")))?;
        let core = Core {
            conn,
            read: redis::Script::new(include_str!("read.lua")),
            write: redis::Script::new(include_str!("write.lua")),
            mark: redis::Script::new(include_str!("mark.lua")),
            name: s.name.to_owned(),
            entry_prefix: format!("{}:{}:v:", s.prefix, s.name),
            tag_prefix: format!("{}:{}:t:", s.prefix, s.name),
            epoch_key: format!("{}:{}:epoch", s.prefix, s.name),
            all_key: format!("{}:{}:all", s.prefix, s.name),
            ttl_ms,
            timeout: s.timeout,
            health: Health::new(),
        };
        for script in [&core.read, &core.write, &core.mark] {
            let mut conn = core.conn.clone();
            tokio::time::timeout(wait, script.prepare_invoke().load_async(&mut conn))
                .await
                .map_err(|_| err(format!("Redis at `{url}` did not answer within {wait:?}")))?
                .map_err(|e| err(format!("loading a script into `{url}`: {e}")))?;
        }
        Ok(core)
    }

    pub(super) fn name(&self) -> &str {
        &self.name
    }

    /// The Redis key of the entry whose key serializes to `json`.
    pub(super) fn entry_key(&self, json: &str) -> String {
        let mut key = String::with_capacity(self.entry_prefix.len() + json.len());
        key.push_str(&self.entry_prefix);
        key.push_str(json);
        key
    }

    /// Runs one call within the timeout, unless an outage says to skip it;
    /// `None` when Redis did not answer.
    async fn bounded<T>(&self, call: impl Future<Output = redis::RedisResult<T>>) -> Option<T> {
        if self.health.skip() {
            return None;
        }
        match tokio::time::timeout(self.timeout, call).await {
            Ok(Ok(v)) => {
                self.health.answered(&self.name);
                Some(v)
            }
            Ok(Err(e)) => {
                self.health.failed(&self.name, &e);
                None
            }
            Err(_) => {
                let timeout = self.timeout;
                self.health
                    .failed(&self.name, &format_args!("no answer within {timeout:?}"));
                None
            }
        }
    }

    /// The entry under `entry`, if fresh.
    pub(super) async fn read(&self, entry: &str) -> Read {
        let mut conn = self.conn.clone();
        let mut call = self.read.key(entry);
        call.key(&self.epoch_key)
            .key(&self.all_key)
            .arg(&self.tag_prefix);
        let Some(answer) = self.bounded(call.invoke_async::<Value>(&mut conn)).await else {
            return Read::Unavailable;
        };
        let Value::Array(items) = answer else {
            return Read::Unavailable;
        };
        let mut items = items.into_iter();
        match (items.next(), items.next(), items.next()) {
            (Some(Value::Int(1)), Some(Value::Int(epoch)), Some(Value::BulkString(value))) => {
                Read::Hit { value, epoch }
            }
            (Some(Value::Int(0)), Some(Value::Int(epoch)), None) => Read::Miss { epoch },
            _ => Read::Unavailable,
        }
    }

    /// Stores `value` under `entry` with `tags`, unless one of them (or
    /// `invalidate_all`) moved past `born` (`None`: the current epoch).
    /// Whether it was stored.
    pub(super) async fn write<S: AsRef<str>>(
        &self,
        entry: &str,
        value: &[u8],
        born: Option<i64>,
        tags: &[S],
    ) -> bool {
        let mut conn = self.conn.clone();
        let mut call = self.write.key(entry);
        call.key(&self.epoch_key)
            .key(&self.all_key)
            .arg(&self.tag_prefix)
            .arg(self.ttl_ms)
            .arg(born.unwrap_or(-1))
            .arg(value);
        for tag in tags {
            call.arg(tag.as_ref());
        }
        self.bounded(call.invoke_async::<i64>(&mut conn))
            .await
            .is_some_and(|stored| stored == 1)
    }

    /// Deletes the entry under `entry`.
    pub(super) async fn delete(&self, entry: &str) -> Result<(), Error> {
        let mut conn = self.conn.clone();
        let mut cmd = redis::cmd("DEL");
        cmd.arg(entry);
        self.bounded(cmd.query_async::<i64>(&mut conn))
            .await
            .map(drop)
            .ok_or_else(|| self.unavailable())
    }

    /// Makes every entry tagged `tag` stale, on every instance.
    pub(super) async fn invalidate_tag(&self, tag: &str) -> Result<(), Error> {
        let mut key = String::with_capacity(self.tag_prefix.len() + tag.len());
        key.push_str(&self.tag_prefix);
        key.push_str(tag);
        self.move_mark(&key).await
    }

    /// Makes every entry stale, on every instance.
    pub(super) async fn invalidate_all(&self) -> Result<(), Error> {
        self.move_mark(&self.all_key).await
    }

    async fn move_mark(&self, mark: &str) -> Result<(), Error> {
        let mut conn = self.conn.clone();
        let mut call = self.mark.key(&self.epoch_key);
        // Twice the TTL: past it, every entry the mark could make stale has
        // expired (one computed for longer than that could be stored stale).
        call.key(mark).arg(self.ttl_ms.saturating_mul(2));
        self.bounded(call.invoke_async::<i64>(&mut conn))
            .await
            .map(drop)
            .ok_or_else(|| self.unavailable())
    }

    /// `PING` within the timeout.
    pub(super) async fn ping(&self) -> Result<(), Error> {
        let mut conn = self.conn.clone();
        let cmd = redis::cmd("PING");
        // Not skipped during an outage: readiness asks Redis itself.
        match tokio::time::timeout(self.timeout, cmd.query_async::<String>(&mut conn)).await {
            Ok(Ok(_)) => {
                self.health.answered(&self.name);
                Ok(())
            }
            Ok(Err(e)) => {
                self.health.failed(&self.name, &e);
                Err(self.unavailable())
            }
            Err(_) => Err(self.unavailable()),
        }
    }

    fn unavailable(&self) -> Error {
        Error::unavailable().message(format!(
            "the cache `{}` (Redis) is unavailable; retry shortly",
            self.name
        ))
    }
}

/// Whether Redis answered lately. While it does not, calls skip it but for
/// one probe every [`PROBE_EVERY`], and the outage is logged once, not per
/// request.
#[derive(Debug)]
struct Health {
    base: Instant,
    /// Nanoseconds after `base` of the next probe; 0 while Redis answers.
    next_probe: AtomicU64,
}

impl Health {
    fn new() -> Health {
        Health {
            base: Instant::now(),
            next_probe: AtomicU64::new(0),
        }
    }

    fn now(&self) -> u64 {
        u64::try_from(self.base.elapsed().as_nanos())
            .unwrap_or(u64::MAX)
            .max(1)
    }

    fn later(&self) -> u64 {
        let probe = u64::try_from(PROBE_EVERY.as_nanos()).unwrap_or(u64::MAX);
        self.now().saturating_add(probe)
    }

    /// Whether this call should leave Redis alone: during an outage, all
    /// but the one call that claims the next probe.
    fn skip(&self) -> bool {
        let next = self.next_probe.load(Ordering::Acquire);
        if next == 0 {
            return false;
        }
        self.now() < next
            || self
                .next_probe
                .compare_exchange(next, self.later(), Ordering::AcqRel, Ordering::Acquire)
                .is_err()
    }

    fn failed(&self, name: &str, error: &dyn fmt::Display) {
        if self.next_probe.swap(self.later(), Ordering::AcqRel) == 0 {
            tracing::warn!(
                target: "kiln::cache",
                cache = name,
                error = %error,
                "RedisCache: Redis is unavailable; reads miss and compute until it answers again"
            );
        }
    }

    fn answered(&self, name: &str) {
        if self.next_probe.load(Ordering::Acquire) != 0
            && self.next_probe.swap(0, Ordering::AcqRel) != 0
        {
            tracing::info!(target: "kiln::cache", cache = name, "RedisCache: Redis answers again");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_outage_skips_all_but_one_probe_per_interval() {
        let health = Health::new();
        assert!(!health.skip(), "up: every call asks");
        health.failed("t", &"down");
        assert!(health.skip(), "down: skipped until the next probe");
        health.next_probe.store(1, Ordering::Release);
        assert!(!health.skip(), "the probe is due: one call asks");
        assert!(health.skip(), "and the next one waits again");
        health.answered("t");
        assert!(!health.skip(), "answered: every call asks again");
    }
}
