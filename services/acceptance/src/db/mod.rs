//! Queries, next to the functions that run them.
//!
//! - [`catalogue`]: reads of the catalogue projection (items in force, the calendar).
//! - [`cases`]: cases from draft to the acceptance decision.

pub mod cases;
pub mod catalogue;
