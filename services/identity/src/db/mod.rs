//! Queries of the `identity` schema.

pub mod accounts;
pub mod challenges;
pub mod duties;
pub mod tokens;
