//! Tokens and jurisdiction, shared by the identity service (which signs), the gateway and every
//! service (which verify): one implementation, so a token means the same thing everywhere.
//!
//! # Layout
//! - [`jwt`]: compact JWS with EdDSA (Ed25519) only — signing, verification, claims, JWKS.
//!   Accepting exactly one algorithm by construction rules out `alg` confusion (`none`, HS256
//!   with the public key as secret).
//! - [`verifier`]: a key set cached from a source (identity's JWKS over HTTP, or its own
//!   database) and refreshed when a token names an unknown key — so a rotated-in key is
//!   picked up without a restart, and no request calls identity.
//! - [`extract`]: axum extractors for the caller ([`Authenticated`], [`MaybeAuthenticated`]).

pub mod extract;
pub mod jwt;
pub mod verifier;

pub use extract::{Authenticated, MaybeAuthenticated};
pub use jwt::{Claims, Jwk, Jwks, SigningKey, TokenError};
pub use verifier::{Cutoff, HttpJwks, KeySource, Verifier};
