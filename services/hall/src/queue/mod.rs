//! The queue (取号、叫号): tickets, their order, and what windows do with them.
//!
//! - [`order`]: the calling order and the green channel (pure, property-tested).
//! - [`state`]: a ticket's states and the window's actions (pure).
//! - [`store`]: the only writer of tickets and their events; the queue's reads.
//! - [`take`]: taking a ticket (the kiosk, or a clerk).
//! - [`cancel`]: the holder gives a ticket up.
//! - [`call`]: a window calls, calls again, marks absent, serves, finishes, transfers.
//! - [`finish`]: serving ends and the visit is recorded ([`visit`]: acceptance's API).
//! - [`feed`]: the board's live feed (server-sent events).
//! - [`board`]: what the hall's display board shows.
//! - [`http`]: the routes of tickets, windows and the board.

pub mod board;
pub mod call;
pub mod cancel;
pub mod feed;
pub mod finish;
pub mod http;
pub mod order;
pub mod state;
pub mod store;
pub mod take;
pub mod visit;
