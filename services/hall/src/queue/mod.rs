//! The queue (取号、叫号): tickets, their order, and what windows do with them.
//!
//! - [`order`]: the calling order and the green channel (pure, property-tested).
//! - [`state`]: a ticket's states and the window's actions (pure).
//! - [`store`]: the only writer of tickets and their events; the queue's reads.
//! - [`take`]: taking a ticket (the kiosk, or a clerk).
//! - [`call`]: a window calls, calls again, marks absent, serves, finishes, transfers.
//! - [`board`]: what the hall's display board shows.
//! - [`http`]: the routes of tickets, windows and the board.

pub mod board;
pub mod call;
pub mod http;
pub mod order;
pub mod state;
pub mod store;
pub mod take;
