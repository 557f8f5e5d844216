//! Queries of the approval schema.
//!
//! - [`clock`]: pauses and extensions of the time-limit clock.
//! - [`joint`]: 一件事 applications, their parts handled in parallel.
//! - [`timers`]: the yellow warning and red escalation sweeps.
//! - [`certificates`]: electronic seals and e-certificates.
//! - [`statistics`]: on-time and overdue counts per department and region.

pub mod certificates;
pub mod clock;
pub mod joint;
pub mod statistics;
pub mod timers;
