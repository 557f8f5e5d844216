//! The `[identity]` section of the settings: what only this service reads. Defaults are stated
//! here (and repeated, with a comment each, in `deploy/tongban.example.toml`); the file and
//! `TONGBAN__IDENTITY__<KEY>` variables override them.

use secrecy::SecretString;
use serde::Deserialize;

use tongban_runtime::config::{Section, TokenSettings};

#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct IdentitySettings {
    /// `issuer`, `audience` and `jwks_url`: what every verifier reads too.
    #[serde(flatten)]
    pub tokens: TokenSettings,
    pub access_token_ttl_secs: i64,
    pub refresh_token_ttl_secs: i64,
    /// A new signing key is made when the active one is this old; the old one keeps verifying
    /// until the tokens it signed have expired.
    pub key_rotation_days: i64,
    /// Failed logins in a row that lock an account.
    pub lockout_threshold: i32,
    /// The first lock lasts this long; each further lock doubles it, up to `lockout_max_secs`.
    pub lockout_base_secs: i64,
    pub lockout_max_secs: i64,
    /// A first identity administrator created on start when none exists (all three must be
    /// set; the password from a secret, e.g. `TONGBAN__IDENTITY__BOOTSTRAP_ADMIN_PASSWORD`).
    pub bootstrap_admin_username: String,
    pub bootstrap_admin_password: SecretString,
    /// The region the first administrator's powers cover (usually the province).
    pub bootstrap_admin_region: String,
    /// Client ids of the service accounts that may read accounts' contact details (the
    /// notification service's).
    pub contact_readers: Vec<String>,
    /// One-time codes texted for phone verification and sign-in by text: how long one is
    /// valid, how soon another may be asked for the same number, how many a number (or an
    /// account) may be sent within an hour, and how many wrong tries spend one.
    pub code_ttl_secs: i64,
    pub code_resend_secs: i64,
    pub codes_per_hour: i64,
    pub code_attempts: i32,
    /// The national identity check that confirms a citizen's name and resident ID number
    /// online (basic real-name, level 2): its URL (empty: no online verification; asking for
    /// it is a 503), the credential it wants as a bearer token (from a secret, e.g.
    /// `TONGBAN__IDENTITY__REAL_NAME_CHECK_CREDENTIAL`), and how long to wait for its answer.
    pub real_name_check_url: String,
    pub real_name_check_credential: SecretString,
    pub real_name_check_timeout_secs: u64,
    /// Checks one account may have made within a day (a match ends them): a stolen ID number
    /// cannot be tried against name after name.
    pub real_name_checks_per_day: i64,
}

impl Section for IdentitySettings {
    const NAME: &'static str = "identity";
}

impl Default for IdentitySettings {
    fn default() -> Self {
        Self {
            tokens: TokenSettings::default(),
            access_token_ttl_secs: 900,
            refresh_token_ttl_secs: (30 * 24 * 3600),
            key_rotation_days: 30,
            lockout_threshold: 5,
            lockout_base_secs: 60,
            lockout_max_secs: 3600,
            bootstrap_admin_username: String::new(),
            bootstrap_admin_password: SecretString::from(""),
            bootstrap_admin_region: String::new(),
            contact_readers: vec!["tongban-notification".to_owned()],
            code_ttl_secs: 300,
            code_resend_secs: 60,
            codes_per_hour: 5,
            code_attempts: 5,
            real_name_check_url: String::new(),
            real_name_check_credential: SecretString::from(""),
            real_name_check_timeout_secs: 10,
            real_name_checks_per_day: 5,
        }
    }
}
