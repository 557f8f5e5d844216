//! Queries, next to the functions that run them.
//!
//! - [`catalogue`]: reads of the catalogue projection (items in force, the calendar).
//! - [`cases`]: what ratings read of a case (the case itself is [`crate::case`]).
//! - [`numbers`]: the case-number counter.
//! - [`ratings`]: the window-visit insert a case uses (ratings live in [`crate::rating`]).
//! - [`remediations`]: the overdue sweep (remediations live in [`crate::remediation`]).

pub mod cases;
pub mod catalogue;
pub mod numbers;
pub mod ratings;
pub mod remediations;
