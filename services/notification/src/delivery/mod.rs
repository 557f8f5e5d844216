//! Sending what is queued: every channel other than the inbox goes through one [`Channel`]
//! trait. A sender claims due messages under a lease (a sender that dies mid-send leaves them
//! to be tried again), sends them, and records each attempt: sent or delivered; a temporary
//! failure is retried with exponential back-off up to a cap, a permanent one is final. Each
//! outcome is an event on `tongban.notification.v1`.
//!
//! # Layout
//! - [`channel`]: the [`Channel`] trait, the [`Outgoing`] message and an attempt's [`Outcome`].
//! - [`webhook`], [`sms`], [`email`]: the channels (and the webhook [`signature`]).
//! - [`pacing`]: back-off, quiet hours, the hourly limit's setting, the per-second [`Throttle`].
//! - `queue`: claiming due messages under a lease.
//! - `attempt`: recording an attempt's outcome and its events.
//! - [`publish`]: the message events' [`Reference`] and the outbox write.
//! - [`sender`]: the loop that ties them together ([`Sender`]).

mod attempt;
pub mod channel;
pub mod email;
pub mod pacing;
pub mod publish;
mod queue;
pub mod sender;
pub mod sms;
pub mod webhook;

pub use channel::{Channel, Channels, Outcome, Outgoing};
pub use email::Email;
pub use pacing::{Pacing, Throttle, Throttles, backoff, quiet_until};
pub use publish::{Reference, publish};
pub use sender::Sender;
pub use sms::SmsGateway;
pub use webhook::{Webhook, signature};
