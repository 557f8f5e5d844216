//! Queries of the crossregion schema.
//!
//! - [`agreements`]: 通办 agreements, concluded, terminated, listed and checked.
//! - [`transfers`]: cases handed over between regions, their postal legs and deadlines.

pub mod agreements;
pub mod transfers;
