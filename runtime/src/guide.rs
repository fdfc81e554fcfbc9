//! The guide: how kiln works, one topic per page.
//!
//! These pages say what the README's front page says in one paragraph each,
//! with links into the API and examples that run as doctests. Read them in
//! order the first time; each stands alone after that.
//!
//! 1. [`semantics`]: the order middleware runs in, and what a short-circuit skips.
//! 2. [`di`]: where every parameter's value comes from, and when it is built.
//! 3. [`routing`]: methods, patterns, scopes, and the extractors.
//! 4. [`wrap`]: middleware that runs around the rest of the chain.
//! 5. [`serving`]: the HTTP server, its limits, tower both ways, testing.
//! 6. [`introspection`]: `describe()` and per-route statistics.
//! 7. [`builtin`]: the ten built-in middleware and their default order.
//! 8. [`errors`]: the one error shape, problem+json, your own format in one place.
//! 9. `caching` (feature `cache`): `Cache` in handlers, `ResponseCache` around them.
//!
//! The macros' own pages ([`chain!`](crate::chain!),
//! [`#[middleware]`](crate::middleware), [`#[handler]`](crate::handler),
//! [`#[provider]`](crate::provider)) list every argument and section, each
//! with an example.

pub mod semantics {
    #![doc = include_str!("docs/semantics.md")]
}

pub mod di {
    #![doc = include_str!("docs/di.md")]
}

pub mod routing {
    #![doc = include_str!("docs/routing.md")]
}

pub mod wrap {
    #![doc = include_str!("docs/wrap.md")]
}

pub mod serving {
    #![doc = include_str!("docs/serving.md")]
}

pub mod introspection {
    #![doc = include_str!("docs/introspection.md")]
}

pub mod builtin {
    #![doc = include_str!("docs/builtin.md")]
}

pub mod errors {
    #![doc = include_str!("docs/errors.md")]
}

#[cfg(feature = "cache")]
pub mod caching {
    #![doc = include_str!("docs/caching.md")]
}
