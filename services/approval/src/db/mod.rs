//! Queries of the approval schema.
//!
//! - [`work_items`]: opening work items, their steps and decisions.
//! - [`clock`]: pauses and extensions of the time-limit clock.
//! - [`joint`]: 一件事 applications, their parts handled in parallel.
//! - [`queue`]: the back office's queue.
//! - [`timers`]: the yellow warning and red escalation sweeps.
//! - [`certificates`]: electronic seals and e-certificates.
//! - [`statistics`]: on-time and overdue counts per department and region.

pub mod certificates;
pub mod clock;
pub mod joint;
pub mod queue;
pub mod statistics;
pub mod timers;
pub mod work_items;
