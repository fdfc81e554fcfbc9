//! Request-scoped values in a pipeline: where each is built, how consumers
//! reach it, and its finish step.
//!
//! A value is a local built just before the member (or handler) that first
//! needs it. A value with a finish step (`#[provider(finish)]`) also opens a
//! labeled block around everything inside that position: a short-circuit
//! inside breaks to it, the step runs after the block with the response, and
//! control falls through to the post hooks outside, so the step runs at the
//! mirrored onion position on every way out.
//!
//! Inside a `wrap` the rest of the chain is a future the hook may drop (a
//! timeout) or abandon after a panic (`CatchPanic`). So a value with a finish
//! step built inside a `wrap` lives in a slot declared at the top of the
//! pipeline (`__kiln_tx_slot`): consumers reach it through the slot, the
//! step takes it out at its position, and after each enclosing `wrap`
//! returns, whatever is still in the slot was cancelled or caught and is
//! finished there with the response the `wrap` made.

use proc_macro2::{Span, TokenStream};
use quote::{ToTokens, format_ident, quote};

use super::pipeline::{Emitter, Labels, Pos};
use super::respan;
use crate::chain::model::{Built, Hooks, Source};
use crate::symbol::snake;

impl Emitter<'_, '_> {
    fn request_key(&self, r: usize) -> String {
        snake(&self.model.request[r].desc.provides().unwrap_or_default())
    }

    fn request_local(&self, r: usize) -> syn::Ident {
        format_ident!("__kiln_{}", self.request_key(r))
    }

    fn slot_local(&self, r: usize) -> syn::Ident {
        format_ident!("__kiln_{}_slot", self.request_key(r))
    }

    fn scope_label(&self, r: usize) -> syn::Lifetime {
        syn::Lifetime::new(
            &format!("'__kiln_scope_{}", self.request_key(r)),
            Span::call_site(),
        )
    }

    /// Where value `r` is built: the member position (the handler's is
    /// `members.len()`).
    fn built_at(&self, r: usize) -> Option<usize> {
        self.p
            .built
            .iter()
            .position(|at| at.iter().any(|b| b.index == r))
    }

    /// Whether a `wrap` encloses position `at`.
    fn inside_wrap(&self, at: usize) -> bool {
        self.p.members[..at]
            .iter()
            .any(|m| matches!(m.hooks, Hooks::Wrap(_)))
    }

    /// Whether value `r` lives in a slot: it has a finish step and a `wrap`
    /// may cancel the future it is built in.
    fn slotted(&self, r: usize) -> bool {
        self.model.request[r].desc.finish && self.built_at(r).is_some_and(|at| self.inside_wrap(at))
    }

    /// The place a consumer lends value `r` from.
    pub(super) fn request_place(&self, r: usize) -> TokenStream {
        let local = self.request_local(r);
        if self.slotted(r) {
            quote!(*#local)
        } else {
            quote!(#local)
        }
    }

    /// `let mut __kiln_tx_slot = None;` for every slotted value, at the top
    /// of the pipeline, outside every `wrap`.
    pub(super) fn slot_decls(&self) -> TokenStream {
        self.p
            .built
            .iter()
            .flatten()
            .filter(|b| self.slotted(b.index))
            .map(|b| {
                let slot = self.slot_local(b.index);
                quote!(let mut #slot = ::core::option::Option::None;)
            })
            .collect()
    }

    /// The label a short-circuit inside position `at` breaks to once its
    /// values are built: the innermost finish step's, else `outer`.
    pub(super) fn inner_label(
        &self,
        at: usize,
        outer: Option<&syn::Lifetime>,
    ) -> Option<syn::Lifetime> {
        self.p.built[at]
            .iter()
            .rev()
            .find(|b| b.call.desc.finish)
            .map(|b| self.scope_label(b.index))
            .or_else(|| outer.cloned())
    }

    /// The values built at position `at`, in order, then `rest`; each value
    /// with a finish step encloses what follows it in its labeled block.
    pub(super) fn with_built(
        &self,
        at: usize,
        label: Option<&syn::Lifetime>,
        rest: &dyn Fn(Option<&syn::Lifetime>) -> TokenStream,
    ) -> TokenStream {
        self.built_from(&self.p.built[at], at, label, rest)
    }

    fn built_from(
        &self,
        values: &[Built],
        at: usize,
        label: Option<&syn::Lifetime>,
        rest: &dyn Fn(Option<&syn::Lifetime>) -> TokenStream,
    ) -> TokenStream {
        let Some((b, more)) = values.split_first() else {
            return rest(label);
        };
        let build = self.build(b, at, label);
        if !b.call.desc.finish {
            let tail = self.built_from(more, at, label, rest);
            return quote!(#build #tail);
        }
        let l = self.scope_label(b.index);
        let tail = self.built_from(more, at, Some(&l), rest);
        let finish = self.finish(b.index);
        quote!(#build #l: { #tail } #finish)
    }

    /// `let [mut] __kiln_tx = provider(..);`, an `Err` short-circuiting to
    /// `label`; a slotted value goes into its slot and the local borrows it.
    fn build(&self, b: &Built, at: usize, label: Option<&syn::Lifetime>) -> TokenStream {
        let mut hoist = Vec::new();
        let call = self.call(Pos::Pre(at), &b.call, Labels::one(label), &mut hoist);
        let value = self.unwrap_result(&b.call, call, label, Pos::Pre(at));
        let local = self.request_local(b.index);
        if self.slotted(b.index) {
            let slot = self.slot_local(b.index);
            return quote!(#(#hoist)* let #local = #slot.insert(#value););
        }
        let index = b.index;
        let m = self
            .taken_mut(|s| matches!(s, Source::RequestScoped(r) if *r == index))
            .then(|| quote!(mut));
        quote!(#(#hoist)* let #m #local = #value;)
    }

    /// Value `r`'s finish step with the response, reported at the
    /// provider's name when its type does not implement `Finish`.
    fn finish(&self, r: usize) -> TokenStream {
        let krate = self.krate;
        let span = self.model.request[r].desc.ident.span();
        let step = |value: TokenStream| {
            let call = respan(quote!(#krate::__private::Finish::finish), span);
            quote!(#call(#value, &mut __kiln_res).await;)
        };
        if self.slotted(r) {
            let slot = self.slot_local(r);
            let step = step(quote!(__kiln_v));
            quote!(if let ::core::option::Option::Some(__kiln_v) = #slot.take() { #step })
        } else {
            step(self.request_local(r).into_token_stream())
        }
    }

    /// After the `wrap` at member `w` returns: the finish steps of the values
    /// built inside it that it cancelled or caught, innermost first.
    pub(super) fn finish_cancelled(&self, w: usize) -> TokenStream {
        self.p.built[w + 1..]
            .iter()
            .rev()
            .flat_map(|at| at.iter().rev())
            .filter(|b| self.slotted(b.index))
            .map(|b| self.finish(b.index))
            .collect()
    }
}
