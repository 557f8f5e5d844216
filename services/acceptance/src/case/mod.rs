//! A case (办件): an application from draft through the acceptance decision (受理) to the
//! delivery of its result. One aggregate, one folder:
//!
//! - [`state`]: `Status`, `Action` and the transition table (pure, tested exhaustively).
//! - [`store`]: the case row, loading it (locked for a transition), who may act on it, and the
//!   history entry and outbox event every change writes.
//! - [`view`]: what the API shows of a case and the read queries.
//! - one file per use case: [`intake`] (and [`open`]), [`materials`], [`submit`],
//!   [`correction`] (一次性告知), [`accept`] (受理, 容缺), [`refuse`], [`withdraw`],
//!   [`conclude`] (办结, from approval), [`returned`] (a transfer sent back), [`deliver`]
//!   (出件), [`visit`] and [`record_visit`], [`overdue`] (容缺 past its deadline).
//! - [`real_name`]: the real-name level a case needs and has shown; [`identity_check`]: a
//!   window clerk records having checked the original ID (level 3).
//! - [`mine`]: the applicant's own applications, a page at a time.
//! - [`hall`]: the hall's inbox, list by list with their counts; [`search`]: finding a case
//!   for staff in scope; both scoped through [`reach`].
//! - [`applicant`]: who applies, as staff see them, and their document kept indexed and sealed.
//! - [`lookup`]: the public progress lookup by number and query password, limited per number;
//!   [`password`]: query passwords, kept only as a keyed hash, and issuing one anew.
//! - [`parts`]: a 一件事 bundle's member cases, moving with it.
//! - [`rated`]: the case as a rating needs it (ratings depend on the case, never back).
//! - [`http`]: the routes.

pub mod accept;
pub mod applicant;
pub mod conclude;
pub mod correction;
pub mod deliver;
pub mod hall;
pub mod http;
pub mod identity_check;
pub mod intake;
pub mod lookup;
pub mod materials;
pub mod mine;
pub mod open;
pub mod opening;
pub mod overdue;
pub mod parts;
pub mod password;
pub mod rated;
pub mod reach;
pub mod real_name;
pub mod record_visit;
pub mod refuse;
pub mod returned;
pub mod search;
pub mod state;
pub mod step;
pub mod store;
pub mod submit;
pub mod view;
pub mod visit;
pub mod withdraw;

/// Today in China (UTC+8, no daylight saving): case numbers and due dates use local dates.
pub use tongban_runtime::clock::local_date as local_today;
