//! Queries that belong to no aggregate, next to the functions that run them.
//!
//! - [`catalogue`]: reads of the catalogue projection (items in force, the calendar).
//! - [`numbers`]: the case-number counter.

pub mod catalogue;
pub mod numbers;
