//! Queries of the notification schema.
//!
//! - [`messages`]: messages made from events by the rules, once per recipient and channel.
//! - [`inbox`]: the in-app inbox.
//! - [`templates`]: versioned templates, checked against their kind's variables, previewed.
//! - [`webhooks`]: partner systems' subscriptions.
//! - [`receipts`]: providers' delivery receipts.
//! - [`rules`]: which event reaches whom through which channels.
//! - [`codes`]: one-time codes texted for identity.

pub mod codes;
pub mod inbox;
pub mod messages;
pub mod receipts;
pub mod rules;
pub mod templates;
pub mod webhooks;
