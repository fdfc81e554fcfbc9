//! One error sink for every stage of every macro (serde's `Ctxt` idea).
//!
//! Stages push errors and keep going, so a user sees all of their mistakes
//! in one build. The same message at the same place is kept once: a route
//! pipeline resolved for many routes would otherwise repeat it per route.

use std::cell::RefCell;
use std::fmt::Display;

use proc_macro2::{Span, TokenStream};
use quote::ToTokens;

#[derive(Default)]
pub(crate) struct Ctxt {
    errors: RefCell<Vec<(String, syn::Error)>>,
}

impl Ctxt {
    /// An error at `span`.
    pub(crate) fn error(&self, span: Span, msg: impl Display) {
        self.push(syn::Error::new(span, msg));
    }

    /// An error spanning `tokens` (their first and last token).
    pub(crate) fn error_spanned(&self, tokens: impl ToTokens, msg: impl Display) {
        self.push(syn::Error::new_spanned(tokens, msg));
    }

    /// A parse error, or several combined.
    pub(crate) fn push(&self, err: syn::Error) {
        let mut errors = self.errors.borrow_mut();
        for e in err {
            let id = format!("{:?}{e}", e.span());
            if !errors.iter().any(|(k, _)| *k == id) {
                errors.push((id, e));
            }
        }
    }

    pub(crate) fn has_errors(&self) -> bool {
        !self.errors.borrow().is_empty()
    }

    /// Every error as a `compile_error!`, in the order found.
    pub(crate) fn to_compile_errors(&self) -> TokenStream {
        self.errors
            .borrow()
            .iter()
            .map(|(_, e)| e.to_compile_error())
            .collect()
    }
}
