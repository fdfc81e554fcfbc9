//! `Path<T>` and `LoosePath<T>`: the matched route's parameters,
//! percent-decoded (strictly, see [`path_decode`](super::path_decode)) and
//! deserialized.

use std::borrow::Cow;
use std::fmt;

use http::StatusCode;
use serde::de::{self, DeserializeOwned, IntoDeserializer, Visitor};

use super::path_decode::{self, Segments};
use super::{FromRequestParts, RequestCx};
use crate::Request;
use crate::error::{code, escape_pointer_token};
use crate::routing::PathParams;

/// The path parameters of the matched route, deserialized into `T`.
///
/// `T` is a single value for a one-parameter route (`Path<u64>` for
/// `/users/{id}`), a tuple in pattern order (`Path<(String, u32)>`), or a
/// struct whose fields are named like the parameters. Values are
/// percent-decoded first, strictly: invalid percent-encoding, a NUL, a
/// `{name}` value that decodes to a `/` or is `.`/`..`, and a `{*rest}` value
/// that is not a plain relative path (a dot segment, an empty segment, a
/// leading `/`, a `\`) are refused (see the routing guide,
/// `kiln::guide::routing`; [`LoosePath`] accepts slashes and dots in `{name}`).
/// A value refused or that does not parse is a `400 Bad Request`
/// [`Error`](crate::Error) (code `invalid_path`) naming the parameter and the
/// expected type; its pointer is the parameter's name (`/id`).
///
/// ```
/// use kiln::prelude::*;
///
/// #[handler]
/// fn user(Path(id): Path<u64>) -> String { format!("user {id}") }
///
/// chain! {
///     struct Users;
///     routes { GET "/users/{id}" => user }
/// }
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let client = TestClient::new(Users::new());
/// assert_eq!(client.get("/users/7").send().await.text(), "user 7");
/// let res = client.get("/users/x").send().await;
/// assert_eq!(res.status(), StatusCode::BAD_REQUEST);
/// assert_eq!(res.json::<serde_json::Value>()["pointer"], "/id");
/// # });
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Path<T>(pub T);

impl<T: DeserializeOwned + Send> FromRequestParts for Path<T> {
    type Rejection = crate::Error;

    fn from_request_parts(req: &Request, cx: &RequestCx<'_>) -> Result<Self, crate::Error> {
        extract(req, cx, Segments::One).map(Path)
    }
}

/// Like [`Path`], but a one-segment parameter (`{name}`) may decode to a
/// value containing `/` or equal to `.` or `..`: for opaque identifiers that
/// may hold slashes (`/keys/a%2Fb` gives `a/b`). Such a value is not a safe
/// file path: never join it to a directory.
///
/// Invalid percent-encoding, non-UTF-8 and NUL are still refused, and a
/// catch-all (`{*rest}`) keeps its rules (a relative path without dot or
/// empty segments).
///
/// ```
/// use kiln::prelude::*;
/// use kiln::LoosePath;
///
/// #[handler]
/// fn key(LoosePath(key): LoosePath<String>) -> String { key }
///
/// chain! {
///     struct Keys;
///     routes { GET "/keys/{key}" => key }
/// }
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let client = TestClient::new(Keys::new());
/// assert_eq!(client.get("/keys/a%2Fb").send().await.text(), "a/b");
/// assert_eq!(client.get("/keys/%00").send().await.status(), StatusCode::BAD_REQUEST);
/// # });
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LoosePath<T>(pub T);

impl<T: DeserializeOwned + Send> FromRequestParts for LoosePath<T> {
    type Rejection = crate::Error;

    fn from_request_parts(req: &Request, cx: &RequestCx<'_>) -> Result<Self, crate::Error> {
        extract(req, cx, Segments::Loose).map(LoosePath)
    }
}

/// Deserializes the parameters, `segments` being the rule for `{name}` ones.
fn extract<T: DeserializeOwned>(
    req: &Request,
    cx: &RequestCx<'_>,
    segments: Segments,
) -> Result<T, crate::Error> {
    let de = Params {
        matched: cx.params(),
        path: req.uri().path(),
        rest: cx.route().and_then(catch_all_name),
        segments,
    };
    T::deserialize(de).map_err(|e| {
        let err = crate::Error::new(StatusCode::BAD_REQUEST, code::INVALID_PATH).message(e.0);
        match e.1 {
            Some(name) => err.field(format!("/{}", escape_pointer_token(name))),
            None => err,
        }
    })
}

/// The name of the catch-all parameter of a pattern (`rest` in `/f/{*rest}`).
fn catch_all_name(pattern: &'static str) -> Option<&'static str> {
    let start = pattern.find("{*")? + 2;
    let len = pattern[start..].find('}')?;
    Some(&pattern[start..start + len])
}

/// The deserializer error: the message, and the parameter it is about when known.
#[derive(Debug)]
struct Error(String, Option<&'static str>);

impl Error {
    fn at(name: &'static str, message: String) -> Self {
        Error(message, Some(name))
    }

    /// Names the parameter, unless a deeper error already did.
    fn or_at(mut self, name: &'static str) -> Self {
        self.1.get_or_insert(name);
        self
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Error {}

impl de::Error for Error {
    fn custom<M: fmt::Display>(msg: M) -> Self {
        Error(format!("invalid path: {msg}"), None)
    }
}

/// All parameters: a map (struct), a sequence (tuple) or one value.
#[derive(Clone, Copy)]
struct Params<'a> {
    matched: &'a PathParams,
    path: &'a str,
    /// The catch-all parameter's name, if the route has one.
    rest: Option<&'static str>,
    /// The rule for the other parameters.
    segments: Segments,
}

impl<'a> Params<'a> {
    fn value(self, name: &'static str, raw: &'a str) -> Value<'a> {
        let segments = if self.rest == Some(name) {
            Segments::Rest
        } else {
            self.segments
        };
        Value {
            name,
            raw,
            segments,
        }
    }

    fn single(self) -> Result<Value<'a>, Error> {
        let mut it = self.matched.iter(self.path);
        match (it.next(), it.next()) {
            (Some((name, raw)), None) => Ok(self.value(name, raw)),
            _ => Err(Error(
                format!(
                    "invalid path: expected 1 parameter, the route has {}",
                    self.matched.len()
                ),
                None,
            )),
        }
    }
}

macro_rules! via_single {
    ($($method:ident)*) => {$(
        fn $method<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Error> {
            self.single()?.$method(v)
        }
    )*};
}

impl<'de> de::Deserializer<'de> for Params<'_> {
    type Error = Error;

    fn deserialize_any<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Error> {
        self.deserialize_map(v)
    }

    fn deserialize_map<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Error> {
        v.visit_map(Pairs {
            it: self.matched.iter(self.path),
            params: self,
            value: None,
        })
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _: &'static str,
        _: &'static [&'static str],
        v: V,
    ) -> Result<V::Value, Error> {
        self.deserialize_map(v)
    }

    fn deserialize_seq<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Error> {
        v.visit_seq(Values(self.matched.iter(self.path), self))
    }

    fn deserialize_tuple<V: Visitor<'de>>(self, len: usize, v: V) -> Result<V::Value, Error> {
        if len != self.matched.len() {
            return Err(Error(
                format!(
                    "invalid path: expected a tuple of {len}, the route has {} parameters",
                    self.matched.len()
                ),
                None,
            ));
        }
        self.deserialize_seq(v)
    }

    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        _: &'static str,
        len: usize,
        v: V,
    ) -> Result<V::Value, Error> {
        self.deserialize_tuple(len, v)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _: &'static str,
        v: V,
    ) -> Result<V::Value, Error> {
        v.visit_newtype_struct(self)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        name: &'static str,
        variants: &'static [&'static str],
        v: V,
    ) -> Result<V::Value, Error> {
        self.single()?.deserialize_enum(name, variants, v)
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Error> {
        v.visit_unit()
    }

    fn deserialize_unit<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Error> {
        v.visit_unit()
    }

    fn deserialize_unit_struct<V: Visitor<'de>>(
        self,
        _: &'static str,
        v: V,
    ) -> Result<V::Value, Error> {
        v.visit_unit()
    }

    via_single! {
        deserialize_bool deserialize_i8 deserialize_i16 deserialize_i32 deserialize_i64
        deserialize_i128 deserialize_u8 deserialize_u16 deserialize_u32 deserialize_u64
        deserialize_u128 deserialize_f32 deserialize_f64 deserialize_char deserialize_str
        deserialize_string deserialize_bytes deserialize_byte_buf deserialize_option
        deserialize_identifier
    }
}

struct Pairs<'a, I> {
    it: I,
    params: Params<'a>,
    value: Option<Value<'a>>,
}

impl<'de, 'a, I: Iterator<Item = (&'static str, &'a str)>> de::MapAccess<'de> for Pairs<'a, I> {
    type Error = Error;

    fn next_key_seed<K: de::DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, Error> {
        let Some((name, raw)) = self.it.next() else {
            return Ok(None);
        };
        self.value = Some(self.params.value(name, raw));
        seed.deserialize(name.into_deserializer()).map(Some)
    }

    fn next_value_seed<S: de::DeserializeSeed<'de>>(&mut self, seed: S) -> Result<S::Value, Error> {
        match self.value.take() {
            Some(v) => seed.deserialize(v).map_err(|e| e.or_at(v.name)),
            None => Err(Error("invalid path: value without a name".into(), None)),
        }
    }
}

struct Values<'a, I>(I, Params<'a>);

impl<'de, 'a, I: Iterator<Item = (&'static str, &'a str)>> de::SeqAccess<'de> for Values<'a, I> {
    type Error = Error;

    fn next_element_seed<S: de::DeserializeSeed<'de>>(
        &mut self,
        seed: S,
    ) -> Result<Option<S::Value>, Error> {
        match self.0.next() {
            Some((name, raw)) => seed
                .deserialize(self.1.value(name, raw))
                .map(Some)
                .map_err(|e| e.or_at(name)),
            None => Ok(None),
        }
    }
}

/// One parameter: its name (for errors), raw (still percent-encoded) value
/// and the decoding rule that applies to it.
#[derive(Clone, Copy)]
struct Value<'a> {
    name: &'static str,
    raw: &'a str,
    segments: Segments,
}

impl<'a> Value<'a> {
    fn decoded(self) -> Result<Cow<'a, str>, Error> {
        path_decode::decode(self.raw, self.segments).map_err(|why| {
            Error::at(
                self.name,
                format!("invalid path parameter `{}`: {why}", self.name),
            )
        })
    }

    fn parse<T: std::str::FromStr>(self, what: &str) -> Result<T, Error> {
        let s = self.decoded()?;
        s.parse().map_err(|_| {
            Error::at(
                self.name,
                format!(
                    "invalid path parameter `{}`: expected {what}, got `{s}`",
                    self.name
                ),
            )
        })
    }
}

macro_rules! parsed {
    ($($method:ident $visit:ident $ty:ty, $what:literal;)*) => {$(
        fn $method<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Error> {
            v.$visit(self.parse::<$ty>($what)?)
        }
    )*};
}

impl<'de> de::Deserializer<'de> for Value<'_> {
    type Error = Error;

    parsed! {
        deserialize_bool visit_bool bool, "`true` or `false`";
        deserialize_i8 visit_i8 i8, "an integer (i8)";
        deserialize_i16 visit_i16 i16, "an integer (i16)";
        deserialize_i32 visit_i32 i32, "an integer (i32)";
        deserialize_i64 visit_i64 i64, "an integer (i64)";
        deserialize_i128 visit_i128 i128, "an integer (i128)";
        deserialize_u8 visit_u8 u8, "a non-negative integer (u8)";
        deserialize_u16 visit_u16 u16, "a non-negative integer (u16)";
        deserialize_u32 visit_u32 u32, "a non-negative integer (u32)";
        deserialize_u64 visit_u64 u64, "a non-negative integer (u64)";
        deserialize_u128 visit_u128 u128, "a non-negative integer (u128)";
        deserialize_f32 visit_f32 f32, "a number";
        deserialize_f64 visit_f64 f64, "a number";
        deserialize_char visit_char char, "one character";
    }

    fn deserialize_any<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Error> {
        match self.decoded()? {
            Cow::Borrowed(s) => v.visit_str(s),
            Cow::Owned(s) => v.visit_string(s),
        }
    }

    fn deserialize_option<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Error> {
        v.visit_some(self)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _: &'static str,
        v: V,
    ) -> Result<V::Value, Error> {
        v.visit_newtype_struct(self)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _: &'static str,
        _: &'static [&'static str],
        v: V,
    ) -> Result<V::Value, Error> {
        let s = self.decoded()?;
        let de: de::value::StrDeserializer<'_, Error> = s.as_ref().into_deserializer();
        v.visit_enum(de).map_err(|e| {
            Error::at(
                self.name,
                format!(
                    "invalid path parameter `{}`: {}",
                    self.name,
                    e.0.trim_start_matches("invalid path: ")
                ),
            )
        })
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Error> {
        v.visit_unit()
    }

    serde::forward_to_deserialize_any! {
        str string bytes byte_buf unit unit_struct seq tuple tuple_struct map struct identifier
    }
}
