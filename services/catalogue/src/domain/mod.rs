//! The catalogue's rules, without I/O.
//!
//! - [`basic`]: the province's basic catalogue.
//! - [`item`]: what an implementation item version says, and its checks.
//! - [`bundle`]: 一件事 bundles and their combined material list.
//! - [`search`]: the terms keyword search indexes and asks for.

pub mod basic;
pub mod bundle;
pub mod item;
pub mod search;
