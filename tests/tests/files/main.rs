//! Static files (`kiln::fs`): a directory and single files, the hostile-path
//! battery, and files embedded in the binary.

#[path = "../support/mod.rs"]
mod support;

mod embedded;
mod hostile_paths;
mod static_dir;
