//! The `[console]` section of the settings: what only the staff console reads. Defaults are
//! stated here (and repeated, with a comment each, in `deploy/tongban.example.toml`); the file
//! and `TONGBAN__CONSOLE__<KEY>` variables override them.

use serde::Deserialize;

use tongban_runtime::config::Section;

#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct ConsoleSettings {
    /// Minutes without a request after which a session ends (a hall PC left unattended).
    pub idle_minutes: i64,
    /// Minutes before that end at which the page warns and offers to stay signed in.
    pub idle_warning_minutes: i64,
    /// Hours after which a session ends however busy it is (a working day and a margin).
    pub session_hours: i64,
    /// Mark the session cookie `Secure`: on wherever the console is reached over HTTPS (every
    /// cluster); off on one machine reached as `http://127.0.0.1`.
    pub secure_cookies: bool,
    /// Connections of the console's own pool, at most (never more than
    /// `database.max_connections`): a session's lookup is one short query, so a few serve a
    /// hall's staff, and the rest of the database's connections stay with the services.
    pub max_connections: u32,
}

impl Section for ConsoleSettings {
    const NAME: &'static str = "console";
}

impl Default for ConsoleSettings {
    fn default() -> Self {
        Self {
            idle_minutes: 30,
            idle_warning_minutes: 2,
            session_hours: 12,
            secure_cookies: false,
            max_connections: 4,
        }
    }
}
