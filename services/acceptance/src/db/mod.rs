//! Queries that belong to no aggregate, next to the functions that run them.
//!
//! - [`catalogue`]: reads of the catalogue projection (items in force, the calendar).
//! - [`numbers`]: the case-number counter.
//! - [`reads`]: the pool of the hall's lists and the staff search (generic plans).

pub mod catalogue;
pub mod numbers;
pub mod reads;
