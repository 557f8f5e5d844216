//! Why an event was not applied: the one error every handler, field reader and decoder
//! returns.

/// Why an event was not applied.
#[derive(Debug, thiserror::Error)]
pub enum HandleError {
    /// It can never be applied (it contradicts the contract): dead-letter it.
    #[error("{0}")]
    Permanent(String),
    /// It may apply later (a dependency is down): retry without moving on.
    #[error(transparent)]
    Transient(#[from] anyhow::Error),
}

impl From<sqlx::Error> for HandleError {
    fn from(err: sqlx::Error) -> Self {
        Self::Transient(err.into())
    }
}

/// A service's own error while applying an event (its database failed, a row it expected was
/// not there yet): retried, with its cause kept.
impl From<tongban_kernel::Error> for HandleError {
    fn from(err: tongban_kernel::Error) -> Self {
        Self::Transient(err.into())
    }
}
