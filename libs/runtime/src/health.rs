//! Readiness: a service is ready when everything it needs answers.

use std::sync::Arc;
use std::time::Duration;

use futures::future::BoxFuture;
use sqlx::PgPool;

/// How long one check may take before the dependency counts as down: well inside a probe's
/// own timeout (2 s in k8s/), so the probe gets a 503 that says which dependency, not silence.
/// (A query waits for a pooled connection up to `database.acquire_timeout_ms` otherwise.)
const CHECK_TIMEOUT: Duration = Duration::from_secs(1);

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

/// Not ready from the moment the process is told to stop: load balancers take it out of
/// rotation while it finishes what it has.
pub struct Draining(pub tokio_util::sync::CancellationToken);

impl ReadinessCheck for Draining {
    fn name(&self) -> &str {
        "shutdown"
    }
    fn check(&self) -> BoxFuture<'_, Result<(), String>> {
        Box::pin(async move {
            if self.0.is_cancelled() {
                Err("shutting down".to_owned())
            } else {
                Ok(())
            }
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

#[cfg(test)]
mod tests {
    use super::*;

    struct Fixed(&'static str, Option<&'static str>);

    impl ReadinessCheck for Fixed {
        fn name(&self) -> &str {
            self.0
        }
        fn check(&self) -> BoxFuture<'_, Result<(), String>> {
            Box::pin(async move {
                match self.1 {
                    None => Ok(()),
                    Some("hang") => std::future::pending().await,
                    Some(error) => Err(error.to_owned()),
                }
            })
        }
    }

    #[tokio::test(start_paused = true)]
    async fn every_check_is_reported_and_a_hanging_one_times_out() {
        let readiness = Readiness::default()
            .with(Fixed("database", None))
            .with(Fixed("broker", Some("connection refused")))
            .with(Fixed("stuck", Some("hang")));

        let outcomes = readiness.run().await;

        let summary: Vec<_> = outcomes
            .iter()
            .map(|o| (o.name.as_str(), o.ok, o.error.as_deref()))
            .collect();
        assert_eq!(
            summary,
            [
                ("database", true, None),
                ("broker", false, Some("connection refused")),
                ("stuck", false, Some("timed out")),
            ]
        );
    }
}
