//! The catalogue's rules, without I/O.
//!
//! - [`basic`]: the province's basic catalogue.
//! - [`department`]: who implements items in a region.
//! - [`item`]: what an implementation item version says, and its checks.
//! - [`bundle`]: 一件事 bundles and their combined material list.
//! - [`status`]: where an item or bundle and its versions stand in publishing.
//! - [`search`]: the terms keyword search indexes and asks for.
//! - [`availability`]: how a hall may take in an item a search by region found.

pub mod availability;
pub mod basic;
pub mod bundle;
pub mod department;
pub mod item;
pub mod search;
pub mod status;
