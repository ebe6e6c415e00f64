//! `pacerd`: the pacer daemon as a library. `main.rs` parses flags and calls [`run`].

pub mod provider;
pub mod sandbox;
pub mod vault;
