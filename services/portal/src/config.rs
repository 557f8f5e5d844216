//! The `[portal]` section of the settings: what only the online hall reads. Defaults are
//! stated here (and repeated, with a comment each, in `deploy/tongban.example.toml`); the file
//! and `TONGBAN__PORTAL__<KEY>` variables override them.

use serde::Deserialize;

use tongban_runtime::config::Section;

#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct PortalSettings {
    /// Minutes without a request after which a sign-in ends (a phone left on a table).
    pub idle_minutes: i64,
    /// Hours after which a sign-in ends however busy it is.
    pub session_hours: i64,
    /// Mark the cookies `Secure`: on wherever the hall is reached over HTTPS (every cluster);
    /// off on one machine reached as `http://127.0.0.1`.
    pub secure_cookies: bool,
    /// Connections of the hall's own pool, at most (never more than
    /// `database.max_connections`): a session's lookup is one short query.
    pub max_connections: u32,
    /// The province whose online hall this is: the region picker starts from its cities.
    pub province: String,
}

impl Section for PortalSettings {
    const NAME: &'static str = "portal";
}

impl Default for PortalSettings {
    fn default() -> Self {
        Self {
            idle_minutes: 30,
            session_hours: 12,
            secure_cookies: false,
            max_connections: 4,
            // The demo's province (湖南省); every deployment sets its own.
            province: "430000000000".to_owned(),
        }
    }
}
