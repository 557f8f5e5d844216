//! Appointments (预约): booking a slot of a window group online or by a clerk, holding it
//! while the form is filled in, cancelling, checking in at the kiosk as a ticket due at the
//! slot, and the timers of holds, no-shows and reminders.
//!
//! - [`state`]: an appointment's states and what moves them (pure).
//! - [`rules`]: bookable days and slots, places, no-show suspensions (pure, property-tested).
//! - [`person`]: who comes, as a keyed digest of the identity card number.
//! - [`store`]: the only writer of appointments and their events; the rules' reads.
//! - [`slots`], [`book`], [`cancel`], [`check_in`]: the use cases; [`sweep`]: the timers.
//! - [`http`]: the routes.

pub mod book;
pub mod cancel;
pub mod check_in;
pub mod http;
pub mod person;
pub mod rules;
pub mod slots;
pub mod state;
pub mod store;
pub mod sweep;
