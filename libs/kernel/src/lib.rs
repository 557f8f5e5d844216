//! Domain primitives every Tongban crate shares.
//!
//! # Layout
//! - [`error`]: the one error type of the HTTP APIs and its stable JSON body
//!   `{ "code": "...", "message": "...", "field": "..." }`.
//! - [`json`]: a JSON extractor whose rejections use that body and name the field.
//! - [`extract`]: query-string and path extractors that answer the same way.
//! - [`region`]: [`RegionCode`], the 12-digit NBS statistical division code (GB/T 2260 prefix).
//! - [`credit`]: [`CreditCode`], the 18-character unified social credit code (GB 32100).
//! - [`identity`]: identity documents ([`IdCardNumber`], GB 11643) and phone numbers, masked
//!   whenever they are formatted.
//! - [`access`]: account kinds, roles, powers, role bindings and the [`Principal`] checks.
//! - [`codes`]: service item codes — [`BasicCode`] (12), [`ImplementationCode`] (31),
//!   [`MaterialCode`] (34), [`CaseNumber`] (43).
//! - [`calendar`]: working-day arithmetic over the national calendar and local closures.
//! - [`clock`]: the service clock ([`Clock`], [`Now`]): the only place the system time is read,
//!   which a test may move; China's local dates.
//! - [`text`]: [`text_enum!`], the closed sets stored in text columns and shown in the API.
//!
//! Values are parsed once, at the edge ("parse, don't validate"): a `RegionCode` in hand is valid.

pub mod access;
pub mod calendar;
pub mod certificate_id;
pub mod clock;
pub mod codes;
pub mod credit;
pub mod error;
pub mod extract;
pub mod identity;
pub mod json;
pub mod printable;
pub mod region;
pub mod text;

pub use access::{AccountKind, Power, Principal, Role, RoleBinding};
pub use calendar::{Calendar, TimeLimit, TimeUnit};
pub use certificate_id::CertificateId;
pub use clock::{Clock, Now};
pub use codes::{BasicCode, CaseNumber, ImplementationCode, ImplementingLevel, MaterialCode};
pub use credit::CreditCode;
pub use error::{Error, ErrorBody, Result, page_limit, parse_param};
pub use extract::{Path, Query};
pub use identity::{IdCardNumber, IdType, PhoneNumber};
pub use json::Json;
pub use printable::Printable;
pub use region::RegionCode;
