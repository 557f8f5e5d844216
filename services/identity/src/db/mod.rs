//! Queries of the `identity` schema.

pub mod accounts;
pub mod tokens;
