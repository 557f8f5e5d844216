//! The `[notification]` section of the settings: what only this service reads. Defaults are stated
//! here (and repeated, with a comment each, in `deploy/tongban.example.toml`); the file and
//! `TONGBAN__NOTIFICATION__<KEY>` variables override them.

use secrecy::SecretString;
use serde::Deserialize;

use tongban_runtime::config::{IDENTITY_CLIENT_ID, Section};

#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct NotificationSettings {
    /// An event older than this makes no message (it still updates what the service keeps):
    /// a first start reading every topic from the beginning does not message anyone about the
    /// past.
    pub max_event_age_hours: u32,
    /// How often senders look for due messages when idle (milliseconds).
    pub sender_poll_ms: u64,
    /// The first retry of a failed send waits this long, each next one twice as long (capped
    /// at an hour) (milliseconds).
    pub retry_base_ms: u64,
    /// Attempts before a message that keeps failing is given up (failed_permanent).
    pub max_attempts: i32,
    /// How long one send (an HTTP call, an SMTP session) may take (milliseconds).
    pub send_timeout_ms: u64,
    /// The notification service's service account, with which it reads recipients' contact
    /// details from identity. `tongban up` makes one when the secret is empty; in a cluster,
    /// `tongban admin create-service` makes it and the secret comes from a secret store
    /// (`TONGBAN__NOTIFICATION__CLIENT_SECRET`).
    pub client_id: String,
    pub client_secret: SecretString,
    /// The HTTP SMS gateway texts are POSTed to; empty: no texts are sent (they wait, queued).
    pub sms_endpoint: String,
    /// The gateway's API key: sent as a bearer token, and the key its delivery receipts are
    /// signed with.
    pub sms_api_key: SecretString,
    /// Where the gateway posts delivery receipts: this platform's
    /// `/api/notification/v1/receipts/sms` as the gateway reaches it.
    pub sms_callback_url: String,
    /// The signature every text starts with (【通办】), as carriers require.
    pub sms_sign: String,
    /// The SMTP server e-mail goes through; empty: no e-mail is sent.
    pub smtp_host: String,
    pub smtp_port: u16,
    /// none (plain, e.g. a relay on the same network), starttls, or tls (implicit TLS).
    pub smtp_tls: String,
    /// Credentials, when the server asks for them (the password from a secret store).
    pub smtp_username: String,
    pub smtp_password: SecretString,
    /// The sender every e-mail comes from, e.g. `通办 <noreply@gov.example.cn>`.
    pub mail_from: String,
    /// Non-urgent texts wait out these hours, China time (from 22 to 8: the night). Equal:
    /// none.
    pub quiet_hours_from: u32,
    pub quiet_hours_until: u32,
    /// Non-urgent texts and e-mails one recipient gets per channel within an hour; more wait.
    pub hourly_limit: u32,
    /// Sends per second on each channel, per sender (each replica of the service runs one):
    /// the carrier's or the relay's limit divided by the replicas. 0: no cap.
    pub sms_per_second: u32,
    pub email_per_second: u32,
    pub webhook_per_second: u32,
    /// Networks (CIDR, or single addresses) outside the public internet that webhooks may
    /// still reach: a partner on a private network. Empty: public addresses only; loopback,
    /// private, link-local and metadata addresses are refused at registration and at sending.
    pub outbound_allow: Vec<String>,
    /// Client ids of the service accounts that may have one-time codes texted (identity's).
    pub code_senders: Vec<String>,
}

impl Section for NotificationSettings {
    const NAME: &'static str = "notification";
}

impl Default for NotificationSettings {
    fn default() -> Self {
        Self {
            max_event_age_hours: 72,
            sender_poll_ms: 500,
            retry_base_ms: 5_000,
            max_attempts: 8,
            send_timeout_ms: 10_000,
            client_id: "tongban-notification".to_owned(),
            client_secret: SecretString::from(""),
            sms_endpoint: String::new(),
            sms_api_key: SecretString::from(""),
            sms_callback_url: String::new(),
            sms_sign: "通办".to_owned(),
            smtp_host: String::new(),
            smtp_port: 25,
            smtp_tls: "starttls".to_owned(),
            smtp_username: String::new(),
            smtp_password: SecretString::from(""),
            mail_from: "通办 <noreply@tongban.invalid>".to_owned(),
            quiet_hours_from: 22,
            quiet_hours_until: 8,
            hourly_limit: 5,
            sms_per_second: 100,
            email_per_second: 50,
            webhook_per_second: 0,
            outbound_allow: Vec::new(),
            code_senders: vec![IDENTITY_CLIENT_ID.to_owned()],
        }
    }
}
