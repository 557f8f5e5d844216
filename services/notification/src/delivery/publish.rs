//! The message events (`tongban.notification.v1`): what each says about its message, and the
//! outbox write.

use sqlx::PgConnection;
use uuid::Uuid;

use tongban_bus::outbox::{self, Subject};
use tongban_events::Event;
use tongban_events::notification::v1 as events;

/// What every message event says about the message.
pub struct Reference<'a> {
    pub id: Uuid,
    pub event_id: Uuid,
    pub event_type: &'a str,
    pub case_id: Option<Uuid>,
    pub recipient_id: Uuid,
    pub channel: &'a str,
    pub template: &'a str,
}

impl Reference<'_> {
    pub fn event(&self) -> events::MessageRef {
        events::MessageRef {
            message_id: self.id.to_string(),
            event_id: self.event_id.to_string(),
            event_type: self.event_type.to_owned(),
            case_id: self.case_id.map(|c| c.to_string()).unwrap_or_default(),
            recipient_id: self.recipient_id.to_string(),
            channel: self.channel.to_owned(),
            template: self.template.to_owned(),
        }
    }
}

/// Writes a message event to the outbox, keyed by the message.
pub async fn publish<E: Event>(
    tx: &mut PgConnection,
    message_id: Uuid,
    event: &E,
) -> Result<(), sqlx::Error> {
    let key = message_id.to_string();
    outbox::enqueue(
        tx,
        &Subject {
            key: &key,
            subject: None,
            regions: Vec::new(),
        },
        event,
    )
    .await?;
    Ok(())
}
