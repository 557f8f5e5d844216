//! Readiness: a service is ready when everything it needs answers.

use std::sync::Arc;
use std::time::Duration;

use futures::future::BoxFuture;
use sqlx::PgPool;

/// How long one check may take before the dependency counts as down.
const CHECK_TIMEOUT: Duration = Duration::from_secs(2);

/// One dependency a service needs to serve traffic.
pub trait ReadinessCheck: Send + Sync {
    fn name(&self) -> &str;
    fn check(&self) -> BoxFuture<'_, Result<(), String>>;
}

/// The database answers a trivial query.
pub struct DatabaseCheck(pub PgPool);

impl ReadinessCheck for DatabaseCheck {
    fn name(&self) -> &str {
        "database"
    }
    fn check(&self) -> BoxFuture<'_, Result<(), String>> {
        Box::pin(async move {
            sqlx::query("select 1")
                .execute(&self.0)
                .await
                .map(|_| ())
                .map_err(|e| e.to_string())
        })
    }
}

/// The checks of one service, run concurrently.
#[derive(Clone, Default)]
pub struct Readiness(Vec<Arc<dyn ReadinessCheck>>);

/// The outcome of one check, as `/readyz` reports it.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct CheckOutcome {
    pub name: String,
    pub ok: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

impl Readiness {
    pub fn with(mut self, check: impl ReadinessCheck + 'static) -> Self {
        self.0.push(Arc::new(check));
        self
    }

    pub async fn run(&self) -> Vec<CheckOutcome> {
        futures::future::join_all(self.0.iter().map(|check| async move {
            let result = tokio::time::timeout(CHECK_TIMEOUT, check.check())
                .await
                .unwrap_or_else(|_| Err("timed out".to_owned()));
            CheckOutcome {
                name: check.name().to_owned(),
                ok: result.is_ok(),
                error: result.err(),
            }
        }))
        .await
    }
}
