//! Queries of the approval schema.
//!
//! - [`joint`]: 一件事 applications, their parts handled in parallel.
//! - [`statistics`]: on-time and overdue counts per department and region.

pub mod joint;
pub mod statistics;
