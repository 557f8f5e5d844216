//! The remediation of bad ratings (差评整改): a bad rating opens one for whoever handled what
//! was rated (谁办理谁负责), due in working days of the handling centre (per-region policies);
//! the assignee starts it, calls back, fixes it or asks a supervisor to judge it invalid or
//! unfixable; a supervisor extends it once; a sweep flags it overdue once. Every change commits
//! with its history entry and event.
//!
//! A remediation reads its rating through [`crate::rating::store`]; the rating's use cases
//! open and withdraw remediations through [`open`] and [`withdraw`] (one way: the rating's
//! store knows nothing of remediations).
//!
//! - [`state`]: the states, review kinds and the transition table (pure, tested).
//! - [`rules`]: who may act and what an action carries (pure).
//! - [`store`]: the row, its history and its events: the only writer.
//! - [`view`]: the API's types and reads.
//! - use cases: [`open`], [`act`], [`review`], [`extend`], [`withdraw`], [`overdue`],
//!   [`policy`] (the per-region deadlines).
//! - [`http`]: `/v1/remediations` and `/v1/remediation-policies`.

pub mod act;
pub mod extend;
pub mod http;
pub mod open;
pub mod overdue;
pub mod policy;
pub mod review;
pub mod rules;
pub mod state;
pub mod store;
pub mod view;
pub mod withdraw;
