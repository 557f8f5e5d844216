//! Queries of the approval schema.
//!
//! - [`work_items`]: opening work items, their steps, clock and decisions; the queue.
//! - [`timers`]: the yellow warning and red escalation sweeps.
//! - [`certificates`]: electronic seals and e-certificates.
//! - [`statistics`]: on-time and overdue counts per department and region.

pub mod certificates;
pub mod statistics;
pub mod timers;
pub mod work_items;
