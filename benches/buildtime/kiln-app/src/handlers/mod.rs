//! The 40 route handlers, by who may call them.

pub(crate) mod account;
pub(crate) mod admin;
pub(crate) mod catalog;
