//! Queries, next to the functions that run them.
//!
//! - [`catalogue`]: reads of the catalogue projection (items in force, the calendar).
//! - [`cases`]: cases from draft to the acceptance decision.
//! - [`ratings`]: ratings (好差评), window visits and the remediation of bad ratings.
//! - [`satisfaction`]: the ratings' statistics.

pub mod cases;
pub mod catalogue;
pub mod ratings;
pub mod satisfaction;
