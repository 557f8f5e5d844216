//! E-mail over SMTP.

use std::time::Duration;

use futures::future::BoxFuture;

use super::channel::{Channel, Outcome, Outgoing};

/// E-mail over SMTP (lettre): plain text, from the configured sender, with the message id as
/// its Message-ID. The server's acceptance is `sent` (mail has no delivery receipt here).
pub struct Email {
    transport: lettre::AsyncSmtpTransport<lettre::Tokio1Executor>,
    from: lettre::message::Mailbox,
}

impl Email {
    pub fn new(
        settings: &crate::config::NotificationSettings,
        timeout: Duration,
    ) -> anyhow::Result<Self> {
        use lettre::AsyncSmtpTransport;
        use lettre::transport::smtp::authentication::Credentials;
        use secrecy::ExposeSecret;
        type Smtp = AsyncSmtpTransport<lettre::Tokio1Executor>;
        let host = settings.smtp_host.as_str();
        let mut builder = match settings.smtp_tls.as_str() {
            "tls" => Smtp::relay(host)?,
            "starttls" => Smtp::starttls_relay(host)?,
            "none" => Smtp::builder_dangerous(host),
            other => anyhow::bail!("notification.smtp_tls: {other:?} is not none, starttls or tls"),
        }
        .port(settings.smtp_port)
        .timeout(Some(timeout));
        if !settings.smtp_username.is_empty() {
            builder = builder.credentials(Credentials::new(
                settings.smtp_username.clone(),
                settings.smtp_password.expose_secret().to_owned(),
            ));
        }
        Ok(Self {
            transport: builder.build(),
            from: settings
                .mail_from
                .parse()
                .map_err(|e| anyhow::anyhow!("notification.mail_from: {e}"))?,
        })
    }
}

impl Channel for Email {
    fn name(&self) -> &'static str {
        "email"
    }

    fn send<'a>(&'a self, message: &'a Outgoing) -> BoxFuture<'a, Outcome> {
        use lettre::AsyncTransport;
        Box::pin(async move {
            let Ok(to) = message.address.parse::<lettre::message::Mailbox>() else {
                return Outcome::Permanent(format!("{} is not an e-mail address", message.address));
            };
            let mail = lettre::Message::builder()
                .from(self.from.clone())
                .to(to)
                .subject(&message.subject)
                .message_id(Some(format!("<{}@tongban>", message.id)))
                .header(lettre::message::header::ContentType::TEXT_PLAIN)
                .body(message.body.clone());
            let mail = match mail {
                Ok(mail) => mail,
                Err(err) => return Outcome::Permanent(format!("not a valid e-mail: {err}")),
            };
            match self.transport.send(mail).await {
                Ok(_) => Outcome::Sent { delivered: false },
                Err(err) if err.is_permanent() => Outcome::Permanent(err.to_string()),
                Err(err) => Outcome::Temporary(err.to_string()),
            }
        })
    }
}
