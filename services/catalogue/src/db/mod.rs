//! Queries of the `catalogue` schema.

pub mod departments;
pub mod regions;
