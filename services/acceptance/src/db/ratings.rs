//! Moved to [`crate::rating`]; a case records its window visits here.

pub(crate) use crate::rating::visit::insert_visit;
