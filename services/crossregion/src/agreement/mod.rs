//! 通办 agreements: proposed by a catalogue administrator of one of the regions involved,
//! signed for every region involved (each collecting region, each item's region) by an
//! administrator covering it, in force once all have signed; public to read, checked for a
//! receiving region and an item on a date.
//!
//! - [`state`]: the modes, the scope, the status and the rules of signing and terminating
//!   (pure, unit-tested).
//! - [`parties`]: the regions involved and those an administrator covers.
//! - [`store`]: the rows; the only writer of agreements, their items, signatures and events.
//! - [`view`]: what anyone sees (an agreement, a list, those covering a case).
//! - use cases: [`propose`], [`sign`], [`terminate`]; [`http`]: the routes.

pub mod http;
pub mod parties;
pub mod propose;
pub mod sign;
pub mod state;
pub mod store;
pub mod terminate;
pub mod view;
