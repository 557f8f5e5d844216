//! Domain primitives every Tongban crate shares.
//!
//! # Layout
//! - [`error`]: the one error type of the HTTP APIs and its stable JSON body
//!   `{ "code": "...", "message": "...", "field": "..." }`.
//! - [`json`]: a JSON extractor whose rejections use that body and name the field.
//! - [`region`]: [`RegionCode`], the 12-digit NBS statistical division code (GB/T 2260 prefix).
//! - [`credit`]: [`CreditCode`], the 18-character unified social credit code (GB 32100).
//!
//! Values are parsed once, at the edge ("parse, don't validate"): a `RegionCode` in hand is valid.

pub mod credit;
pub mod error;
pub mod json;
pub mod region;

pub use credit::CreditCode;
pub use error::{Error, ErrorBody, Result};
pub use json::Json;
pub use region::RegionCode;
