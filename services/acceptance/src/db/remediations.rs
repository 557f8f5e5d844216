//! Moved to [`crate::remediation`]; the service's sweep flags overdue remediations here.

pub use crate::remediation::overdue::flag_overdue;
