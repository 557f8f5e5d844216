//! Transfers (跨域通办): a case accepted at a window outside the region that decides it (or a
//! 多地联办 bundle part handled outside the region that took the bundle in) goes to the handling
//! region, which accepts or rejects it by a deadline; its result comes back for delivery by
//! another. Both halls, and their supervisors up to the province, see the transfer, where the
//! case is, its postal legs and its clock; nobody else does.
//!
//! - [`state`]: the states and their transition table, the kinds, modes and methods, the
//!   hand-over deadlines and when a missed one is escalated (pure, unit-tested).
//! - [`store`]: the row; the only writer of a transfer's state, history and events.
//! - [`access`]: who sees a transfer and who acts for which hall.
//! - [`view`]: what the API shows (a transfer, its history, a list).
//! - use cases: [`open`] (from acceptance's CaseAccepted), [`accept`], [`reject`],
//!   [`conclude`] (the result handed back), [`deliver`], [`legs`] (postal legs), [`escalate`]
//!   (the sweep of missed deadlines), [`cancel`] (the case withdrawn or refused at the window);
//!   [`action`] is how a hall's action ends.
//! - [`http`]: the routes; [`events`]: the consumed events that move a transfer.

pub mod accept;
pub mod access;
pub mod action;
pub mod cancel;
pub mod conclude;
pub mod deliver;
pub mod escalate;
pub mod events;
pub mod http;
pub mod legs;
pub mod open;
pub mod reject;
pub mod state;
pub mod store;
pub mod view;
