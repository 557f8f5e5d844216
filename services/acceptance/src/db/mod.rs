//! Queries, next to the functions that run them.
//!
//! - [`catalogue`]: reads of the catalogue projection (items in force, the calendar).
//! - [`cases`]: what ratings read of a case (the case itself is [`crate::case`]).
//! - [`numbers`]: the case-number counter.
//! - [`ratings`]: ratings (好差评), window visits and the remediation of bad ratings.
//! - [`remediations`]: bad ratings put right (差评整改).

pub mod cases;
pub mod catalogue;
pub mod numbers;
pub mod ratings;
pub mod remediations;
