//! What the ratings and remediations read of a case; the case itself lives in
//! [`crate::case`].

pub use crate::case::local_today;
pub use crate::case::rated::Rated;
pub(crate) use crate::case::rated::{rated, rated_by_system};
pub use crate::case::visit::VISIT_PURPOSES;
pub(crate) use crate::case::visit::count_visit;
