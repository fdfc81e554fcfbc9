//! What `chain!` resolved, as data: every app's `describe()`.
//!
//! The macro writes a [`Description`] into a `static` at compile time: each
//! route's pipeline in the order it runs, with the priority, phase, needs and
//! output of every middleware, and the app's singletons and request-scoped and
//! transient services. Nothing reads it on the request path, so it costs
//! nothing unless called. It prints as tables ([`Display`](fmt::Display)),
//! serializes to JSON ([`serde::Serialize`]) and draws the dependency wiring
//! as a Graphviz graph ([`Description::dot`]).
//!
//! ```
//! use kiln::prelude::*;
//! # struct Keys;
//!
//! #[middleware(priority = 20, pre_route)]
//! fn auth(req: &Request, _keys: &Keys) -> Result<(), StatusCode> {
//!     req.headers().get("authorization").map(|_| ()).ok_or(StatusCode::UNAUTHORIZED)
//! }
//!
//! #[handler]
//! fn hello() -> &'static str { "hello" }
//!
//! chain! {
//!     struct Api;
//!     singletons { keys: Keys }
//!     middleware { auth }
//!     routes { GET "/" => hello }
//! }
//!
//! let app = Api::new(ApiSingletons { keys: Keys });
//! let route = &app.describe().routes[0];
//! assert_eq!(route.pattern, Some("/"));
//! assert_eq!(route.middleware[0].name, "auth");
//! assert_eq!(route.middleware[0].priority, 20);
//! println!("{}", app.describe()); // tables, one per route
//! ```

use std::fmt::{self, Write as _};

use serde::Serialize;

/// An app's resolved chain. Built by `chain!`; see the [module docs](self).
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Description {
    /// The app's type name.
    pub app: &'static str,
    /// Whether the app was declared with `options { stats }`.
    pub stats: bool,
    /// With stats: how many counter slots the app's routes use (see
    /// [`Route::stats_slot`]); 0 without.
    pub stats_slots: usize,
    /// The `singletons` section, in order.
    pub singletons: &'static [Singleton],
    /// The `request` section: request-scoped providers.
    pub request: &'static [Provider],
    /// The `transient` section.
    pub transient: &'static [Provider],
    /// The declared routes, in order.
    pub routes: &'static [Route],
    /// The pipeline unmatched requests (404, 405) run through: the global
    /// middleware around the fallback; `method` is `"*"`, `pattern` `None`.
    pub unmatched: Route,
}

/// A singleton.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Singleton {
    /// Its field name in `chain!`.
    pub field: &'static str,
    /// Its type, as written.
    pub ty: &'static str,
    /// The `#[provider]` that `new` builds it with, or `None` when it is
    /// given to `new`.
    pub built_by: Option<&'static str>,
    /// What the constructor takes.
    pub needs: &'static [Need],
}

/// A request-scoped or transient provider.
#[derive(Debug, Clone, Copy, Serialize)]
#[allow(clippy::struct_excessive_bools)] // independent facts, read by name
pub struct Provider {
    /// The constructor's name.
    pub name: &'static str,
    /// The type it provides.
    pub provides: &'static str,
    /// Whether it is an `async fn`.
    pub is_async: bool,
    /// Whether it returns `Result` (an `Err` becomes the response).
    pub fallible: bool,
    /// Whether its value has a finish step (`#[provider(finish)]`), run
    /// when the request is over; see [`Route::request_scoped`] for where.
    pub finish: bool,
    /// Whether some route uses it; `needs` says where its parameters come
    /// from in the first route that does (empty when none does).
    pub used: bool,
    /// What it takes.
    pub needs: &'static [Need],
}

/// One route's compiled pipeline.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Route {
    /// `GET`, `POST`, ...; `"*"` for [`Description::unmatched`].
    pub method: &'static str,
    /// The full pattern (scopes' prefixes included); `None` for unmatched requests.
    pub pattern: Option<&'static str>,
    /// The handler; `None` for unmatched requests (404/405).
    pub handler: Option<Handler>,
    /// Global and route middleware merged, in priority order: pre hooks run
    /// first to last, post hooks last to first.
    pub middleware: &'static [Step],
    /// The request-scoped values this route builds, in the order it builds
    /// them.
    pub request_scoped: &'static [Scoped],
    /// The route's `#[limit(..)]` as written (its scope's included), `""`
    /// without one.
    pub limits: &'static str,
    /// With stats: the route's first counter slot. The route is this slot,
    /// middleware `i` the slot `stats_slot + 1 + i`, the handler the one
    /// after the last middleware. Numbered by `chain!`, once.
    pub stats_slot: usize,
}

/// A request-scoped value in one route's pipeline.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Scoped {
    /// Its provider's name.
    pub provider: &'static str,
    /// Built just before `middleware[before]` runs; `before ==
    /// middleware.len()` is the handler (after its extractors).
    pub before: usize,
    /// Whether it has a finish step, which then runs at the mirrored
    /// position: after the post hooks of `middleware[before..]`, before
    /// those of `middleware[..before]`, on every way out.
    pub finish: bool,
}

/// A route's handler.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Handler {
    /// Its name.
    pub name: &'static str,
    /// Whether it is an `async fn`.
    pub is_async: bool,
    /// Its parameters and where each comes from.
    pub needs: &'static [Need],
}

/// One middleware in a route's pipeline.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Step {
    /// Its name: `name = "..."` from `#[middleware]`, else the item's name.
    pub name: &'static str,
    /// The path it was listed by in `chain!`.
    pub path: &'static str,
    /// The priority it runs at (a listing may override the declared one).
    pub priority: i32,
    /// The priority `#[middleware]` declared.
    pub declared_priority: i32,
    /// When it runs.
    pub phase: Phase,
    /// Where it was listed.
    pub scope: Scope,
    /// Whether a hook is `async`.
    pub is_async: bool,
    /// Whether its pre hook returns `Result`, so it may short-circuit.
    pub fallible: bool,
    /// What its hooks take (both hooks of an `impl` middleware; `&self` too).
    pub needs: &'static [Need],
    /// The type its pre hook provides downstream.
    pub provides: Option<&'static str>,
}

/// When a middleware runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    /// Before the handler, in ascending priority.
    Pre,
    /// After the handler, in descending priority.
    Post,
    /// An `impl` middleware with both hooks.
    PrePost,
    /// Around the rest of the chain, which it receives as `Next`.
    Wrap,
}

/// Where a middleware was listed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Scope {
    /// In `middleware { .. }`: every route and unmatched requests.
    Global,
    /// In a route's or scope's `with [..]`.
    Route,
}

/// A parameter and where its value comes from.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Need {
    /// The parameter's type as written, with `&`/`&mut`.
    pub ty: &'static str,
    /// Its source.
    pub from: Source,
}

/// Where an injected value comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", content = "name", rename_all = "snake_case")]
pub enum Source {
    /// The singleton with this field name.
    Singleton(&'static str),
    /// The request-scoped provider with this name.
    RequestScoped(&'static str),
    /// The transient provider with this name.
    Transient(&'static str),
    /// The output of the middleware with this name.
    Middleware(&'static str),
    /// The request.
    Request,
    /// The response (post hooks).
    Response,
    /// The connection's arena (`&Bump`).
    Arena,
    /// The rest of the chain (`wrap` middleware).
    Next,
    /// The app's statistics (`options { stats }`).
    Stats,
    /// The value the middleware's own `pre` hook returned (its `post`'s `&self`).
    State,
    /// Extracted from the request (`FromRequest`).
    Extractor,
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Source::Singleton(n) => write!(f, "singleton {n}"),
            Source::RequestScoped(n) => write!(f, "request-scoped {n}"),
            Source::Transient(n) => write!(f, "transient {n}"),
            Source::Middleware(n) => write!(f, "middleware {n}"),
            Source::Request => f.write_str("request"),
            Source::Response => f.write_str("response"),
            Source::Arena => f.write_str("arena"),
            Source::Next => f.write_str("next"),
            Source::Stats => f.write_str("stats"),
            Source::State => f.write_str("own pre"),
            Source::Extractor => f.write_str("extractor"),
        }
    }
}

impl fmt::Display for Phase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Phase::Pre => "pre",
            Phase::Post => "post",
            Phase::PrePost => "pre+post",
            Phase::Wrap => "wrap",
        })
    }
}

impl Route {
    /// `GET /users/{id}`, or `* (unmatched)`.
    #[must_use]
    pub fn title(&self) -> String {
        match self.pattern {
            Some(p) => format!("{} {p}", self.method),
            None => "* (unmatched: 404/405)".to_owned(),
        }
    }
}

fn needs(list: &[Need]) -> String {
    if list.is_empty() {
        return "-".to_owned();
    }
    let mut out = String::new();
    for (i, n) in list.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        let _ = write!(out, "{} ({})", n.ty, n.from);
    }
    out
}

/// Left-aligned columns separated by two spaces, no trailing blanks.
fn table(f: &mut fmt::Formatter<'_>, rows: &[Vec<String>]) -> fmt::Result {
    let cols = rows.iter().map(Vec::len).max().unwrap_or(0);
    let widths: Vec<usize> = (0..cols)
        .map(|c| {
            rows.iter()
                .filter_map(|r| r.get(c))
                .map(|s| s.chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    for row in rows {
        let mut line = String::from("  ");
        for (c, cell) in row.iter().enumerate() {
            line.push_str(cell);
            if c + 1 < row.len() {
                let pad = widths[c] - cell.chars().count() + 2;
                line.extend(std::iter::repeat_n(' ', pad));
            }
        }
        writeln!(f, "{}", line.trim_end())?;
    }
    Ok(())
}

impl fmt::Display for Description {
    /// One table of services, then one table per route (and one for
    /// unmatched requests) listing the pipeline in order.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.routes.len();
        writeln!(
            f,
            "{}: {n} route{}, stats {}",
            self.app,
            if n == 1 { "" } else { "s" },
            if self.stats { "on" } else { "off" }
        )?;
        self.services(f)?;
        for route in self.routes.iter().chain([&self.unmatched]) {
            writeln!(f)?;
            match route.handler {
                Some(h) => writeln!(f, "{} -> {}", route.title(), h.name)?,
                None => writeln!(f, "{}", route.title())?,
            }
            if !route.limits.is_empty() {
                writeln!(f, "limits: {}", route.limits)?;
            }
            let mut rows = vec![
                [
                    "#",
                    "priority",
                    "phase",
                    "middleware",
                    "scope",
                    "needs",
                    "provides",
                ]
                .map(str::to_owned)
                .to_vec(),
            ];
            for (i, s) in route.middleware.iter().enumerate() {
                let priority = if s.priority == s.declared_priority {
                    s.priority.to_string()
                } else {
                    format!("{} (declared {})", s.priority, s.declared_priority)
                };
                let scope = match s.scope {
                    Scope::Global => "global",
                    Scope::Route => "route",
                };
                rows.push(vec![
                    (i + 1).to_string(),
                    priority,
                    s.phase.to_string(),
                    s.name.to_owned(),
                    scope.to_owned(),
                    needs(s.needs),
                    s.provides.unwrap_or("-").to_owned(),
                ]);
            }
            if let Some(h) = route.handler {
                rows.push(vec![
                    String::new(),
                    String::new(),
                    "handler".to_owned(),
                    h.name.to_owned(),
                    String::new(),
                    needs(h.needs),
                    "-".to_owned(),
                ]);
            }
            table(f, &rows)?;
        }
        Ok(())
    }
}

impl Description {
    /// The table of singletons and request-scoped and transient providers.
    fn services(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut services = vec![vec![
            "service".to_owned(),
            "kind".to_owned(),
            "type".to_owned(),
            "needs".to_owned(),
        ]];
        for s in self.singletons {
            let kind = match s.built_by {
                Some(by) => format!("singleton (built by {by})"),
                None => "singleton".to_owned(),
            };
            services.push(vec![
                s.field.to_owned(),
                kind,
                s.ty.to_owned(),
                needs(s.needs),
            ]);
        }
        for (list, kind) in [
            (self.request, "request-scoped"),
            (self.transient, "transient"),
        ] {
            for p in list {
                let mut kind = kind.to_owned();
                if p.is_async {
                    kind.push_str(", async");
                }
                if p.fallible {
                    kind.push_str(", fallible");
                }
                if p.finish {
                    kind.push_str(", finish");
                }
                services.push(vec![
                    p.name.to_owned(),
                    kind,
                    p.provides.to_owned(),
                    needs(p.needs),
                ]);
            }
        }
        if services.len() > 1 {
            writeln!(f)?;
            table(f, &services)?;
        }
        Ok(())
    }
}

/// A Graphviz identifier: quoted, with `"` and `\` escaped.
fn dot_id(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        if c == '"' || c == '\\' {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
    out
}

impl Description {
    /// The dependency wiring as a Graphviz `digraph`: an edge from each
    /// provider (singleton, request-scoped or transient provider, middleware
    /// output) to each consumer, labeled with the type; render it with
    /// `dot -Tsvg`.
    #[must_use]
    pub fn dot(&self) -> String {
        let mut nodes: Vec<(String, String)> = Vec::new();
        let mut edges: Vec<(String, String, &str)> = Vec::new();
        let mut node = |id: String, attrs: String| {
            if !nodes.iter().any(|(i, _)| *i == id) {
                nodes.push((id, attrs));
            }
        };
        let source_id = |from: &Source| match from {
            Source::Singleton(n) => Some(format!("singleton {n}")),
            Source::RequestScoped(n) => Some(format!("request-scoped {n}")),
            Source::Transient(n) => Some(format!("transient {n}")),
            Source::Middleware(n) => Some(format!("middleware {n}")),
            Source::Stats => Some("stats".to_owned()),
            _ => None,
        };
        let mut wire = |consumer: &str, list: &'static [Need]| {
            for n in list {
                if let Some(from) = source_id(&n.from) {
                    let e = (from, consumer.to_owned(), n.ty);
                    if !edges.contains(&e) {
                        edges.push(e);
                    }
                }
            }
        };
        for s in self.singletons {
            let id = format!("singleton {}", s.field);
            wire(&id, s.needs);
            node(
                id,
                format!(
                    "label={}, shape=box",
                    dot_id(&format!("{}: {}", s.field, s.ty))
                ),
            );
        }
        for (list, kind) in [
            (self.request, "request-scoped"),
            (self.transient, "transient"),
        ] {
            for p in list {
                let id = format!("{kind} {}", p.name);
                wire(&id, p.needs);
                let label = format!("{} -> {}\n({kind})", p.name, p.provides);
                node(id, format!("label={}, shape=ellipse", dot_id(&label)));
            }
        }
        if self.stats {
            node(
                "stats".to_owned(),
                "label=\"stats\", shape=box, style=dashed".to_owned(),
            );
        }
        for route in self.routes.iter().chain([&self.unmatched]) {
            for s in route.middleware {
                let id = format!("middleware {}", s.name);
                wire(&id, s.needs);
                let label = format!("{}\n({}, {})", s.name, s.phase, s.priority);
                node(id, format!("label={}, shape=component", dot_id(&label)));
            }
            if let Some(h) = route.handler {
                let id = format!("handler {}", route.title());
                wire(&id, h.needs);
                let label = format!("{}\n{}", route.title(), h.name);
                node(
                    id,
                    format!("label={}, shape=box, style=rounded", dot_id(&label)),
                );
            }
        }
        let mut out = format!(
            "digraph {} {{\n  rankdir=LR;\n  node [fontname=\"monospace\"];\n",
            dot_id(self.app)
        );
        for (id, attrs) in &nodes {
            let _ = writeln!(out, "  {} [{attrs}];", dot_id(id));
        }
        for (from, to, ty) in &edges {
            let _ = writeln!(
                out,
                "  {} -> {} [label={}];",
                dot_id(from),
                dot_id(to),
                dot_id(ty)
            );
        }
        out.push_str("}\n");
        out
    }
}
