//! CloudEvents Kafka protocol binding, binary mode: attributes travel as `ce_*` headers and the
//! payload is the bare protobuf message.

use chrono::{DateTime, Utc};
use rdkafka::Message;
use rdkafka::message::{BorrowedMessage, Header, Headers, OwnedHeaders};
use uuid::Uuid;

pub const SPEC_VERSION: &str = "1.0";
pub const CONTENT_TYPE: &str = "application/protobuf";
/// Extension attribute: the region codes an event concerns, comma-separated.
pub const REGIONS: &str = "ce_regions";

/// What the producer knows about one event besides its payload.
#[derive(Debug, Clone)]
pub struct Attributes {
    pub id: Uuid,
    pub source: String,
    pub ce_type: String,
    pub time: DateTime<Utc>,
    pub subject: Option<String>,
    pub regions: Vec<String>,
    /// `traceparent` and `tracestate`, as captured where the event was raised.
    pub trace: Vec<(String, String)>,
}

impl Attributes {
    pub fn to_headers(&self) -> OwnedHeaders {
        let id = self.id.to_string();
        let time = self
            .time
            .to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
        let regions = self.regions.join(",");
        let mut headers = OwnedHeaders::new()
            .insert(Header {
                key: "ce_specversion",
                value: Some(SPEC_VERSION),
            })
            .insert(Header {
                key: "ce_id",
                value: Some(&id),
            })
            .insert(Header {
                key: "ce_source",
                value: Some(&self.source),
            })
            .insert(Header {
                key: "ce_type",
                value: Some(&self.ce_type),
            })
            .insert(Header {
                key: "ce_time",
                value: Some(&time),
            })
            .insert(Header {
                key: "content-type",
                value: Some(CONTENT_TYPE),
            })
            .insert(Header {
                key: REGIONS,
                value: Some(&regions),
            });
        if let Some(subject) = &self.subject {
            headers = headers.insert(Header {
                key: "ce_subject",
                value: Some(subject),
            });
        }
        for (key, value) in &self.trace {
            headers = headers.insert(Header {
                key,
                value: Some(value),
            });
        }
        headers
    }
}

/// An event as a consumer receives it.
#[derive(Debug, Clone)]
pub struct Delivered {
    pub attributes: Attributes,
    pub key: Option<String>,
    pub payload: Vec<u8>,
    pub topic: String,
    pub partition: i32,
    pub offset: i64,
}

impl Delivered {
    /// The instant the event states (`at`, one of its timestamp fields), or the moment it was
    /// published when it states none.
    pub fn instant(&self, at: Option<prost_types::Timestamp>) -> DateTime<Utc> {
        at.as_ref()
            .and_then(tongban_events::datetime)
            .unwrap_or(self.attributes.time)
    }

    /// Decodes the payload as `E`; a payload that does not decode can never be processed.
    pub fn decode<E: tongban_events::Event>(&self) -> Result<E, crate::error::HandleError> {
        E::decode(self.payload.as_slice()).map_err(|err| {
            crate::error::HandleError::Permanent(format!(
                "payload is not a valid {}: {err}",
                E::TYPE
            ))
        })
    }
}

/// Every header of a message with a UTF-8 value.
pub fn header_pairs(message: &BorrowedMessage<'_>) -> Vec<(String, String)> {
    let Some(headers) = message.headers() else {
        return Vec::new();
    };
    headers
        .iter()
        .filter_map(|h| {
            let value = std::str::from_utf8(h.value?).ok()?;
            Some((h.key.to_owned(), value.to_owned()))
        })
        .collect()
}

/// Parses a message into a [`Delivered`] or says why it is not a valid event of the contract.
pub fn parse(message: &BorrowedMessage<'_>) -> Result<Delivered, String> {
    let headers = header_pairs(message);
    let get = |key: &str| {
        headers
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    };
    let required = |key: &str| get(key).ok_or_else(|| format!("missing header {key}"));

    let spec = required("ce_specversion")?;
    if spec != SPEC_VERSION {
        return Err(format!("unsupported ce_specversion {spec}"));
    }
    let id = required("ce_id")?;
    let id = Uuid::parse_str(id).map_err(|_| format!("ce_id {id} is not a UUID"))?;
    let ce_type = required("ce_type")?;
    if !tongban_events::KNOWN_TYPES.contains(&ce_type) {
        return Err(format!("unknown event type {ce_type}"));
    }
    let time = required("ce_time")?;
    let time = DateTime::parse_from_rfc3339(time)
        .map_err(|_| format!("ce_time {time} is not RFC 3339"))?
        .with_timezone(&Utc);
    let trace = headers
        .iter()
        .filter(|(k, _)| k == "traceparent" || k == "tracestate")
        .cloned()
        .collect();
    Ok(Delivered {
        attributes: Attributes {
            id,
            source: required("ce_source")?.to_owned(),
            ce_type: ce_type.to_owned(),
            time,
            subject: get("ce_subject").map(str::to_owned),
            regions: get(REGIONS)
                .map(|r| {
                    r.split(',')
                        .filter(|s| !s.is_empty())
                        .map(str::to_owned)
                        .collect()
                })
                .unwrap_or_default(),
            trace,
        },
        key: message
            .key()
            .and_then(|k| std::str::from_utf8(k).ok())
            .map(str::to_owned),
        payload: message.payload().unwrap_or_default().to_vec(),
        topic: message.topic().to_owned(),
        partition: message.partition(),
        offset: message.offset(),
    })
}
