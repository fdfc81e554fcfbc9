//! Validation (feature `validate`): [`Valid<E>`] runs a deserialized value's
//! [garde](https://docs.rs/garde) rules after the extractor `E` built it.
//!
//! `Valid<Json<T>>`, `Valid<Query<T>>`, `Valid<Form<T>>` and `Valid<Path<T>>`
//! take any `T: garde::Validate` whose context is `Default` (`()` unless the
//! type says otherwise). The inner extractor's errors are unchanged (malformed
//! JSON is still a 400, a wrong type a 422 `json_mismatch`); data that parses
//! but breaks a rule is a 422 [`Error`] with code `validation_failed` that
//! lists **every** failing field as a JSON pointer and garde's message:
//!
//! ```text
//! {"type":"about:blank","title":"Unprocessable Entity","status":422,
//!  "detail":"the data failed validation; `errors` lists every failing field",
//!  "code":"validation_failed",
//!  "errors":[{"pointer":"/title","detail":"length is lower than 1"},
//!            {"pointer":"/items/3/name","detail":"not a valid email: ..."}]}
//! ```
//!
//! Your crate depends on garde itself (its derive names `::garde`), with the
//! same minor version as kiln: `garde = { version = "0.23", features = ["derive"] }`.
//!
//! ```
//! use kiln::prelude::*;
//! use kiln::validate::Valid;
//!
//! #[derive(serde::Deserialize, garde::Validate)]
//! struct NewTodo {
//!     #[garde(length(chars, min = 1, max = 200))]
//!     title: String,
//!     #[garde(dive)]
//!     tags: Vec<Tag>,
//! }
//!
//! #[derive(serde::Deserialize, garde::Validate)]
//! struct Tag {
//!     #[garde(ascii, length(min = 1, max = 20))]
//!     name: String,
//! }
//!
//! #[handler]
//! fn create(Valid(Json(todo)): Valid<Json<NewTodo>>) -> (StatusCode, String) {
//!     (StatusCode::CREATED, todo.title)
//! }
//!
//! chain! {
//!     struct Todos;
//!     routes { POST "/todos" => create }
//! }
//!
//! # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
//! let client = TestClient::new(Todos::new());
//! let ok = serde_json::json!({"title": "docs", "tags": [{"name": "work"}]});
//! assert_eq!(client.post("/todos").json(&ok).send().await.status(), StatusCode::CREATED);
//!
//! let bad = serde_json::json!({"title": "", "tags": [{"name": "ok"}, {"name": "naïve"}]});
//! let res = client.post("/todos").json(&bad).send().await;
//! assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
//! let body: serde_json::Value = res.json();
//! assert_eq!(body["code"], "validation_failed");
//! let mut pointers: Vec<_> = body["errors"].as_array().unwrap()
//!     .iter().map(|e| e["pointer"].as_str().unwrap()).collect();
//! pointers.sort_unstable(); // listed in the order garde reports them
//! assert_eq!(pointers, ["/tags/1/name", "/title"]);
//! # });
//! ```
//!
//! # A context from the app
//!
//! A rule that needs something from the app (reserved names, limits from the
//! config) declares a garde context, `#[garde(context(Rules))]`; a
//! `Valid<..>` parameter in a [`chain!`](crate::chain!) then takes the
//! context from the app's singletons, by type (a missing one is a compile
//! error that says to add it). garde's rules are synchronous: a check that
//! needs the database belongs in the handler, where a unique violation is a
//! 409 (see `kiln::db`). Outside a chain, [`Valid`] as a plain
//! [`FromRequest`] needs a `Default` context.
//!
//! ```
//! use kiln::prelude::*;
//! use kiln::validate::Valid;
//!
//! struct Rules {
//!     reserved: Vec<&'static str>,
//! }
//!
//! fn not_reserved(name: &str, rules: &Rules) -> garde::Result {
//!     if rules.reserved.contains(&name) {
//!         return Err(garde::Error::new("is reserved"));
//!     }
//!     Ok(())
//! }
//!
//! #[derive(serde::Deserialize, garde::Validate)]
//! #[garde(context(Rules))]
//! struct NewUser {
//!     #[garde(length(min = 1, max = 32), custom(not_reserved))]
//!     name: String,
//! }
//!
//! #[handler]
//! fn register(Valid(Json(user)): Valid<Json<NewUser>>) -> String {
//!     user.name
//! }
//!
//! chain! {
//!     struct Api;
//!     singletons { rules: Rules }
//!     routes { POST "/users" => register }
//! }
//!
//! # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
//! let client = TestClient::new(Api::new(ApiSingletons { rules: Rules { reserved: vec!["admin"] } }));
//! let res = client.post("/users").json(&serde_json::json!({"name": "ada"})).send().await;
//! assert_eq!(res.text(), "ada");
//! let res = client.post("/users").json(&serde_json::json!({"name": "admin"})).send().await;
//! assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
//! assert_eq!(res.json::<serde_json::Value>()["errors"][0]["pointer"], "/name");
//! # });
//! ```

use garde::Validate;

use crate::error::{Error, FieldError, escape_pointer_token};
use crate::{Extracting, Form, FromRequest, Json, Path, Query, Request, RequestCx};

/// The extractor `E`, whose value passed its garde rules.
///
/// Destructure it like the extractor it wraps:
/// `Valid(Json(todo)): Valid<Json<NewTodo>>`. See the [module docs](self).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Valid<E>(pub E);

/// An extractor that holds one deserialized value, which [`Valid`] validates.
///
/// Implemented for [`Json`], [`Query`], [`Form`] and [`Path`]; implement it
/// for an extractor of your own to make `Valid<YourExtractor<T>>` work.
pub trait Deserialized {
    /// The value the rules run on.
    type Value;

    /// The value.
    fn value(&self) -> &Self::Value;
}

macro_rules! deserialized {
    ($($extractor:ident),*) => {$(
        impl<T> Deserialized for $extractor<T> {
            type Value = T;

            #[inline]
            fn value(&self) -> &T {
                &self.0
            }
        }
    )*};
}
deserialized!(Json, Query, Form, Path);

/// Runs `E`, then `E`'s value's rules: `E`'s rejection when it fails, a 422
/// `validation_failed` [`Error`] listing every failing field when a rule does.
impl<E> FromRequest for Valid<E>
where
    E: FromRequest<Rejection = Error> + Deserialized + 'static,
    E::Value: Validate,
    <E::Value as Validate>::Context: Default,
{
    type Rejection = Error;

    fn from_request<'a>(req: &'a mut Request, cx: &'a RequestCx<'a>) -> Extracting<'a, Self> {
        E::from_request(req, cx).map(|extracted| {
            let inner = extracted?;
            match inner.value().validate() {
                Ok(()) => Ok(Valid(inner)),
                Err(report) => Err(rejection(&report)),
            }
        })
    }
}

/// How a [`chain!`](crate::chain!) extracts a `Valid<E>` parameter: `E`,
/// then its value's rules with `ctx`, the app's singleton of the context type.
#[doc(hidden)]
pub async fn valid_with<E>(
    req: &mut Request,
    cx: &RequestCx<'_>,
    ctx: &<E::Value as Validate>::Context,
) -> Result<Valid<E>, Error>
where
    E: FromRequest<Rejection = Error> + Deserialized,
    E::Value: Validate,
{
    let inner = E::from_request(req, cx).await?;
    match inner.value().validate_with(ctx) {
        Ok(()) => Ok(Valid(inner)),
        Err(report) => Err(rejection(&report)),
    }
}

/// The 422 for a failed report: one [`FieldError`] per garde error, in the
/// order garde reports them (not always the fields' order: it may list nested
/// fields first).
pub fn rejection(report: &garde::Report) -> Error {
    Error::validation_failed(
        report
            .iter()
            .map(|(path, e)| FieldError::new(pointer(path), e.message().to_owned())),
    )
}

/// The JSON pointer of a garde path: `items[3].name` becomes `/items/3/name`.
///
/// garde's own `Display` (`items[3].name`) cannot be split back safely when a
/// key holds `.` or `[`; its public `Serialize` lists the components, each as
/// `[kind, text]` (kind `none` is a component without a key, skipped).
fn pointer(path: &garde::error::Path) -> String {
    let Ok(serde_json::Value::Array(components)) = serde_json::to_value(path) else {
        return String::new();
    };
    let mut out = String::new();
    for component in &components {
        if let [kind, serde_json::Value::String(text)] =
            component.as_array().map_or(&[][..], Vec::as_slice)
            && kind != "none"
        {
            out.push('/');
            out.push_str(&escape_pointer_token(text));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pointers_from_garde_paths() {
        use garde::error::{NoKey, Path};
        assert_eq!(pointer(&Path::empty()), "");
        assert_eq!(
            pointer(&Path::new("items").join(3).join("name")),
            "/items/3/name"
        );
        assert_eq!(pointer(&Path::new("a/b").join("c~d")), "/a~1b/c~0d");
        assert_eq!(
            pointer(&Path::new("opt").join(NoKey::default()).join("x")),
            "/opt/x"
        );
    }
}
