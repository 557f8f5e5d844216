//! The insight service's queries.
//!
//! - [`facts`]: cases, transfers and ratings as the events tell them (writes only; each is
//!   safe to apply twice and in any order across topics).
//! - [`names`]: item and department names for the dimensions.
//! - [`feed`]: which consumer group feeds the tables, how fresh they are, and the rebuild.
//! - [`statistics`]: the aggregates, rolled up by region, item, department, channel, status.
//! - [`halls`]: the halls' queue tickets and bookings as the events tell them (writes only;
//!   safe to apply twice and in any order across tickets and bookings).
//! - [`hall_statistics`]: the halls' aggregates, by centre, window group, window and day.

pub mod facts;
pub mod feed;
pub mod hall_statistics;
pub mod halls;
pub mod names;
pub mod statistics;
