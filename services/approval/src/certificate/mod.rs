//! E-certificates (电子证照): sealed by the issuing department at an approval, verifiable by
//! anyone, revocable by the issuing department. Reads work items through
//! [`crate::work_item::store`]; a work item knows of certificates only the issuing.
//!
//! - [`seal`]: canonical JSON, and the Ed25519 seals of certificates from before SM2.
//! - [`keys`]: the departments' public seal keys.
//! - [`sm2_seal`]: the departments' SM2 seals (GB/T 38540 seal signatures), which seal new
//!   certificates.
//! - [`identifier`]: certificate identifiers after GB/T 36904 and the type code list.
//! - [`issue`]: the results of an approved case, sealed and announced.
//! - [`verify`]: reading a certificate and verifying one as presented.
//! - [`revoke`]: revoking one.
//! - [`face`]: its printable face, with a QR code of its public status.
//! - [`status`]: its public status (valid, revoked, expired), for whoever scans that code.
//! - [`http`]: the routes.

pub mod face;
pub mod http;
pub mod identifier;
pub mod issue;
pub mod keys;
pub mod revoke;
pub mod seal;
pub mod sm2_seal;
pub mod status;
pub mod verify;
