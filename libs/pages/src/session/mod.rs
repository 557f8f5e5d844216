//! Who is signed in: [`Sessions`] loads the session a cookie names, refreshes its tokens when
//! they are due, and checks what fresh tokens say of their holder; [`store`] is the table the
//! sessions are kept in.

pub mod store;

use std::sync::Arc;

use chrono::{DateTime, Duration as Span, Utc};

use tongban_auth::Verifier;
use tongban_kernel::{AccountKind, Clock};
use tongban_vault::Vault;
use tongban_vault::store::Column;

use crate::api::{self, Api};
pub use store::{Grant, Session};

/// Why a sign-in started no session.
#[derive(Debug)]
pub enum SignInRefused {
    /// No user name or no password.
    Missing,
    /// Too many wrong passwords: identity locked the account for a while.
    Locked,
    /// The name or the password is wrong (identity says no more than that).
    Wrong,
    /// An account of a kind the site does not serve (staff in the online hall, an applicant
    /// in the console).
    WrongAccount,
    /// Identity or the site's database failed.
    Failed(crate::error::PageError),
}

/// Identity's grant type for signing in with a texted code.
pub const SMS_CODE_GRANT: &str = "urn:tongban:params:oauth:grant-type:sms_code";

/// A site's sessions: where they are kept, how long they live, whom they are for.
pub struct Sessions {
    /// The site's own database (its schema first on the `search_path`).
    pub pool: sqlx::PgPool,
    /// Seals the tokens a session holds.
    pub vault: Vault,
    /// Identity's token endpoint (refresh), and its `accounts/me` (the display name); shared
    /// with the site's pages.
    pub api: Arc<Api>,
    /// Checks a fresh access token against identity's keys before a session believes it.
    pub verifier: Arc<Verifier>,
    pub clock: Clock,
    /// Minutes without a request after which a session ends (a hall PC left unattended).
    pub idle_minutes: i64,
    /// Hours after which a session ends however busy it is.
    pub session_hours: i64,
    /// Where the site keeps its sessions' tokens sealed; each site its own, for the sealed
    /// values are bound to where they are kept.
    pub column: &'static Column,
    /// The kinds of account the site serves: staff in the console, citizens and enterprises
    /// in the online hall; any other is refused a session.
    pub accepts: &'static [AccountKind],
}

/// What a site says of its sessions, for [`Sessions::open`].
pub struct SiteSessions {
    /// The component's name: its schema, where its `sessions` table is.
    pub name: &'static str,
    /// Connections of the site's own pool, at most (never more than `database.max_connections`):
    /// a session's lookup is one short query.
    pub max_connections: u32,
    pub idle_minutes: i64,
    pub session_hours: i64,
    pub column: &'static Column,
    pub accepts: &'static [AccountKind],
    /// The services the site's pages call: no others (see [`Api`]).
    pub calls: &'static [crate::api::Service],
}

/// Connections of a site's pool: its own `[site] max_connections`, never more than
/// `database.max_connections`, at least one.
pub fn pool_size(database: &tongban_runtime::config::DatabaseSettings, site_most: u32) -> u32 {
    database.max_connections.min(site_most).max(1)
}

impl Sessions {
    /// Connects the site's own pool (migrated with `migrator` unless the settings say not to),
    /// with the services' client, the platform's token verifier, vault and clock.
    pub async fn open(
        settings: &tongban_runtime::Settings,
        site: SiteSessions,
        migrator: sqlx::migrate::Migrator,
    ) -> anyhow::Result<Self> {
        use tongban_runtime::db;
        let mut database = settings.database.clone();
        database.max_connections = pool_size(&settings.database, site.max_connections);
        let pool = db::connect(&database, site.name).await?;
        if settings.database.migrate {
            db::migrate(&pool, site.name, vec![migrator]).await?;
        }
        Ok(Self {
            pool,
            vault: settings.secrets.vault()?,
            api: Arc::new(Api::new(settings, site.calls)?),
            verifier: Arc::new(Verifier::for_platform(settings)),
            clock: settings.clock.clone(),
            idle_minutes: site.idle_minutes,
            session_hours: site.session_hours,
            column: site.column,
            accepts: site.accepts,
        })
    }

    /// Sessions idle since this instant have ended.
    pub fn idle_since(&self) -> DateTime<Utc> {
        self.clock.now() - Span::minutes(self.idle_minutes)
    }

    /// Sessions started before this instant have ended.
    pub fn started_since(&self) -> DateTime<Utc> {
        self.clock.now() - Span::hours(self.session_hours)
    }

    /// Starts a session for `grant`; returns the cookie's value and the session.
    pub async fn start(&self, grant: Grant) -> anyhow::Result<(String, Session)> {
        store::create(
            &self.pool,
            &self.vault,
            self.column,
            self.clock.now(),
            grant,
        )
        .await
    }

    /// Ends session `id_hash`; returns its refresh token, to end the sign-in at identity too.
    pub async fn end(&self, id_hash: &str) -> sqlx::Result<Option<String>> {
        store::delete(&self.pool, &self.vault, self.column, id_hash).await
    }

    /// Signs `username` in with `password` at identity and starts a session: the cookie's
    /// value and the session, or why not, in terms a sign-in form can say.
    pub async fn sign_in(
        &self,
        username: &str,
        password: &str,
    ) -> Result<(String, Session), SignInRefused> {
        if username.trim().is_empty() || password.is_empty() {
            return Err(SignInRefused::Missing);
        }
        self.sign_in_with(&[
            ("grant_type", "password"),
            ("username", username.trim()),
            ("password", password),
        ])
        .await
    }

    /// Signs the citizen whose proved mobile number is `phone` in with the `code` identity
    /// texted to it (identity's sms_code grant), and starts a session.
    pub async fn sign_in_by_code(
        &self,
        phone: &str,
        code: &str,
    ) -> Result<(String, Session), SignInRefused> {
        if phone.trim().is_empty() || code.trim().is_empty() {
            return Err(SignInRefused::Missing);
        }
        self.sign_in_with(&[
            ("grant_type", SMS_CODE_GRANT),
            ("phone", phone.trim()),
            ("code", code.trim()),
        ])
        .await
    }

    /// Asks identity's token endpoint with `form` and starts a session with what it grants.
    async fn sign_in_with(
        &self,
        form: &[(&str, &str)],
    ) -> Result<(String, Session), SignInRefused> {
        let tokens = match self.api.token(form).await {
            Ok(tokens) => tokens,
            Err(api::Failure::Refused(refusal)) if refusal.status.as_u16() == 429 => {
                return Err(SignInRefused::Locked);
            }
            Err(api::Failure::Refused(_)) => return Err(SignInRefused::Wrong),
            Err(failure) => return Err(SignInRefused::Failed(failure.into())),
        };
        let refresh = tokens.refresh_token.clone();
        let grant = match self.grant(tokens, None).await {
            Ok(grant) => grant,
            Err(err) => {
                tracing::info!(error = %format!("{err:#}"), site = self.column.schema, "a sign-in refused");
                if let Some(refresh) = refresh {
                    self.api.revoke(&refresh).await;
                }
                return Err(SignInRefused::WrongAccount);
            }
        };
        self.start(grant)
            .await
            .map_err(|err| SignInRefused::Failed(err.into()))
    }

    /// Ends `session` here and its sign-in at identity.
    pub async fn sign_out(&self, session: &Session) -> sqlx::Result<()> {
        if let Some(refresh) = self.end(&session.id_hash).await? {
            self.api.revoke(&refresh).await;
        }
        Ok(())
    }

    /// Deletes the sessions that have ended; returns how many.
    pub async fn sweep(&self) -> sqlx::Result<u64> {
        store::sweep(&self.pool, self.idle_since(), self.started_since()).await
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
        let held = store::open(&self.vault, self.column, &id_hash, &row.sealed_tokens)?;
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
        let held = store::open(&self.vault, self.column, id_hash, &row.sealed_tokens)?;
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
                tracing::info!(
                    code = refusal.code,
                    site = self.column.schema,
                    "identity ended a sign-in"
                );
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
        store::replace(&mut *tx, &self.vault, self.column, id_hash, now, &grant).await?;
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
        // Only the kinds the site serves: the console is staff's, the online hall applicants';
        // a service account has no pages.
        anyhow::ensure!(
            self.accepts.contains(&claims.kind),
            "a {:?} account cannot hold a session in {}",
            claims.kind,
            self.column.schema
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
