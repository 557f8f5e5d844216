//! Satisfaction statistics (好差评统计) for supervisors: per region (one level down), hall,
//! department, item, clerk or month, the count of each level, the rating rate (rated cases /
//! concluded cases), the bad-rating rate and the remediation on-time rate. Reads ratings,
//! remediations and cases; writes nothing.
//!
//! - [`rules`]: grouping keys, rates, a group summed (pure).
//! - [`store`]: the counting queries.
//! - [`view`]: the API's types.
//! - [`statistics`]: the use case; [`http`]: `GET /v1/ratings/statistics`.

pub mod http;
pub mod rules;
pub mod statistics;
pub mod store;
pub mod view;
