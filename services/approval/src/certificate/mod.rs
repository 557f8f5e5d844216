//! E-certificates (电子证照): sealed by the issuing department at an approval, verifiable by
//! anyone, revocable by the issuing department. Reads work items through
//! [`crate::work_item::store`]; a work item knows of certificates only the issuing.
//!
//! - [`seal`]: the departments' electronic seals, canonical JSON, signing and checking.
//! - [`issue`]: the results of an approved case, sealed and announced.
//! - [`verify`]: reading a certificate and verifying one as presented.
//! - [`revoke`]: revoking one.
//! - [`http`]: the routes.

pub mod http;
pub mod issue;
pub mod revoke;
pub mod seal;
pub mod verify;
