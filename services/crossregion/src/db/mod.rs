//! Queries of the crossregion schema.
//!
//! - [`agreements`]: 通办 agreements, concluded, terminated, listed and checked.

pub mod agreements;
