//! Ratings (好差评, 国办发〔2019〕51号): window visits (一次一评) rated once through their rating
//! code, concluded cases rated online by their applicant (一事一评, changeable for a while),
//! public comments. A bad rating (不满意, 非常不满意) opens a remediation for whoever handled
//! what was rated (谁办理谁负责): see [`crate::remediation`]. Every change commits with its
//! event on `tongban.acceptance.v1`.
//!
//! A rating reads the case it is about through [`crate::case::rated`] (the case knows nothing of
//! ratings but the visits it records through [`visit`]).
//!
//! - [`state`]: channels, levels and indicators (pure).
//! - [`rules`]: who rates and what a rating says (pure).
//! - [`store`]: the rating row and its events.
//! - [`visit`]: the window visit row and its rating code.
//! - [`view`]: the API's types.
//! - use cases: [`open_visit`], [`rate_visit`], [`rate_case`], [`comment`], [`list`]; [`rate`]
//!   is the step all new ratings share.
//! - [`http`]: `/v1/visits`, `/v1/ratings`, `/v1/cases/{id}/rating`.

pub mod comment;
pub mod http;
pub mod list;
pub mod open_visit;
pub mod rate;
pub mod rate_case;
pub mod rate_visit;
pub mod rules;
pub mod state;
pub mod store;
pub mod view;
pub mod visit;
