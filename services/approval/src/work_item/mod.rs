//! A work item (办件): opened from acceptance's events, moved step by step by the staff in
//! scope, concluded with a decision. Every change writes the work item, its history and its
//! event in one transaction through [`store`]. The clock's pauses and extensions
//! ([`crate::clock`]), 一件事 applications ([`crate::db::joint`]) and e-certificates
//! ([`crate::certificate`]) read [`store`]; a work item knows nothing of them but what
//! concluding it needs.
//!
//! - [`state`]: `WorkItemState`, `StepState`, the transition table and the step rules (pure).
//! - [`plan`]: the steps planned from the item's process (pure).
//! - [`store`]: the row, loading, and the only writer of its state, its steps, its history
//!   and its outbox events (through `tongban_bus::aggregate`).
//! - [`view`]: what the API shows of a work item, and its history.
//! - [`action`]: what the actions on steps share (checks, opening a step, finishing).
//! - [`duties`]: separation of duties (who may not handle a step of a case).
//! - use cases: [`open`], [`transfer`], [`claim`], [`complete`], [`send_back`], [`decide`],
//!   [`queue`]; [`end`]: the front office ends a case undecided (withdrawn, refused at the
//!   window); [`take_over`]: a claim right after a take-over waits for it to arrive.
//! - [`http`]: their routes.

pub mod action;
pub mod claim;
pub mod complete;
pub mod decide;
pub mod duties;
pub mod end;
pub mod http;
pub mod open;
pub mod plan;
pub mod queue;
pub mod send_back;
pub mod state;
pub mod store;
pub mod take_over;
pub mod transfer;
pub mod view;
