//! What every page shares ([`AppState`]): the console's database, the vault that seals the
//! sessions' tokens, the services' client, the token verifier, the clock, the settings; and
//! the one place a session is loaded and its tokens refreshed.

use std::sync::Arc;

use chrono::Duration as Span;

use tongban_auth::Verifier;
use tongban_kernel::{AccountKind, Clock, RegionCode};
use tongban_runtime::regions::RegionDirectory;
use tongban_vault::Vault;

use crate::api::{self, Api};
use crate::config::ConsoleSettings;
use crate::session::store::{self, Grant, Session};

/// What every page shares.
#[derive(Clone)]
pub struct AppState(Arc<Inner>);

pub struct Inner {
    pub pool: sqlx::PgPool,
    pub vault: Vault,
    pub api: Api,
    pub verifier: Arc<Verifier>,
    pub clock: Clock,
    pub config: ConsoleSettings,
    /// Region names, asked of the catalogue and remembered.
    pub regions: RegionDirectory,
}

impl std::ops::Deref for AppState {
    type Target = Inner;
    fn deref(&self) -> &Inner {
        &self.0
    }
}

impl AppState {
    pub fn new(inner: Inner) -> Self {
        Self(Arc::new(inner))
    }

    pub fn idle_since(&self) -> chrono::DateTime<chrono::Utc> {
        self.clock.now() - Span::minutes(self.config.idle_minutes)
    }

    pub fn started_since(&self) -> chrono::DateTime<chrono::Utc> {
        self.clock.now() - Span::hours(self.config.session_hours)
    }

    /// The name of region `code` (赫山区), or the code when the catalogue cannot say.
    pub async fn region_name(&self, code: &RegionCode) -> String {
        match self.regions.named_lineage(code, "region").await {
            Ok(lineage) => lineage
                .last()
                .map_or_else(|| code.to_string(), |r| r.name.clone()),
            Err(_) => code.to_string(),
        }
    }

    /// [`AppState::region_name`] of a code as a service gave it.
    pub async fn region_named(&self, code: &str) -> String {
        match code.parse::<RegionCode>() {
            Ok(code) => self.region_name(&code).await,
            Err(_) => code.to_owned(),
        }
    }

    /// The live session the cookie's `value` names, its access token fresh; `None` when there
    /// is none (never was, idle too long, or identity ended the sign-in).
    pub async fn session(&self, value: &str) -> anyhow::Result<Option<Session>> {
        let id_hash = store::hash(value);
        let Some(row) = store::find(
            &self.pool,
            &id_hash,
            self.idle_since(),
            self.started_since(),
            false,
        )
        .await?
        else {
            return Ok(None);
        };
        let now = self.clock.now();
        let row = if row.access_expires_at - now < store::REFRESH_AHEAD {
            match self.refresh(&id_hash, false).await? {
                Some(row) => row,
                None => return Ok(None),
            }
        } else {
            row
        };
        let held = store::open(&self.vault, &id_hash, &row.sealed_tokens)?;
        let mut session = Session {
            id_hash: row.id_hash,
            account_id: row.account_id,
            name: row.display_name,
            roles: row.roles.0,
            password_change_required: row.password_change_required,
            csrf: row.csrf,
            access_token: zeroize::Zeroizing::new(held.access),
            access_expires_at: row.access_expires_at,
            last_seen_at: row.last_seen_at,
        };
        store::touch(&self.pool, &mut session, now).await?;
        Ok(Some(session))
    }

    /// Refreshes session `id_hash`'s tokens under a row lock (a second request waiting on the
    /// lock finds them fresh and does not spend the refresh token again), when they are due or
    /// when `force`d (a changed password, new roles); ends the session when identity refuses
    /// (the sign-in ended: password changed elsewhere, account disabled).
    pub async fn refresh(&self, id_hash: &str, force: bool) -> anyhow::Result<Option<store::Row>> {
        let mut tx = self.pool.begin().await?;
        let Some(row) = store::find(
            &mut *tx,
            id_hash,
            self.idle_since(),
            self.started_since(),
            true,
        )
        .await?
        else {
            return Ok(None);
        };
        let now = self.clock.now();
        if !force && row.access_expires_at - now >= store::REFRESH_AHEAD {
            tx.commit().await?;
            return Ok(Some(row));
        }
        let held = store::open(&self.vault, id_hash, &row.sealed_tokens)?;
        let tokens = match self
            .api
            .token(&[
                ("grant_type", "refresh_token"),
                ("refresh_token", held.refresh.as_str()),
            ])
            .await
        {
            Ok(tokens) => tokens,
            Err(api::Failure::Refused(refusal)) => {
                tracing::info!(code = refusal.code, "identity ended a console sign-in");
                sqlx::query("delete from sessions where id_hash = $1")
                    .bind(id_hash)
                    .execute(&mut *tx)
                    .await?;
                tx.commit().await?;
                return Ok(None);
            }
            Err(api::Failure::Unavailable(detail)) => anyhow::bail!(detail),
        };
        let grant = self.grant(tokens, Some(row.display_name.clone())).await?;
        store::replace(&mut *tx, &self.vault, id_hash, now, &grant).await?;
        tx.commit().await?;
        store::find(
            &self.pool,
            id_hash,
            self.idle_since(),
            self.started_since(),
            false,
        )
        .await
        .map_err(Into::into)
    }

    /// What fresh `tokens` say of their holder (verified against identity's keys); the
    /// display name from identity when not already known.
    pub async fn grant(
        &self,
        tokens: api::Tokens,
        display_name: Option<String>,
    ) -> anyhow::Result<Grant> {
        let claims = self.verifier.verify(&tokens.access_token).await?;
        // Staff only: an applicant has the online hall, a service account no pages.
        anyhow::ensure!(
            claims.kind == AccountKind::Staff,
            "a {:?} account cannot hold a console session",
            claims.kind
        );
        let display_name = match display_name {
            Some(name) => name,
            None => {
                #[derive(serde::Deserialize)]
                struct Me {
                    display_name: String,
                }
                let me: Me = self
                    .api
                    .get(
                        &tokens.access_token,
                        api::Service::Identity,
                        "/v1/accounts/me",
                    )
                    .await
                    .map_err(|f| anyhow::anyhow!("{f:?}"))?;
                me.display_name
            }
        };
        Ok(Grant {
            account_id: claims.sub,
            display_name,
            roles: claims.roles,
            password_change_required: claims.pwd,
            tokens,
        })
    }
}
