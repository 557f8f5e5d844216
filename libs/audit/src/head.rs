//! Publishing a chain's head: at least once per interval each service writes its chain's last
//! number and hash, signed with the platform's SM2 key, to the outbox for `tongban.audit.v1`
//! (`ChainHead`). The province keeps them: a chain rewritten after a change (every hash after it
//! recomputed) no longer ends in a head it was given.
//!
//! The platform's key is derived from the key-encryption key ([`platform_key`]): every replica
//! of every service signs with the same key, nothing more is stored, and rotating the KEK
//! rotates it (the heads name their key).

use std::time::Duration;

use chrono::{DateTime, Utc};
use sqlx::PgPool;

use tongban_bus::outbox::{self, Subject};
use tongban_events::audit::v1::{ChainHead, LaneHead};
use tongban_runtime::config::{ConfigError, Section};
use tongban_runtime::{CancellationToken, Settings};
use tongban_vault::Vault;
use tongban_vault::sm2::{Sm2Key, Sm2Public};

/// What the platform's audit key is derived for.
const KEY_LABEL: &str = "tongban.audit.chain-heads";

/// The platform's SM2 key for chain heads, derived from the current KEK.
pub fn platform_key(vault: &Vault) -> Sm2Key {
    // A derived scalar that is no key (zero, or not below the order) has a chance of about
    // 2^-128; the next label is tried then.
    let mut n = 0u32;
    loop {
        let label = if n == 0 {
            KEY_LABEL.to_owned()
        } else {
            format!("{KEY_LABEL}/{n}")
        };
        if let Some(key) = Sm2Key::from_bytes(vault.derived(&label).as_ref()) {
            return key;
        }
        n += 1;
    }
}

/// The bytes a head's signature covers (as `proto/tongban/audit/v1/events.proto` says).
pub fn signed_bytes(service: &str, lanes: &[LaneHead], published_at: DateTime<Utc>) -> Vec<u8> {
    let mut bytes = b"tongban.audit.head.v1\0".to_vec();
    bytes.extend((service.len() as u32).to_be_bytes());
    bytes.extend(service.as_bytes());
    bytes.extend((lanes.len() as u32).to_be_bytes());
    for lane in lanes {
        bytes.extend((lane.lane as u16).to_be_bytes());
        bytes.extend(lane.seq.to_be_bytes());
        bytes.extend(&lane.hash);
    }
    bytes.extend(published_at.timestamp_micros().to_be_bytes());
    bytes
}

/// The head of `service`'s chain (its lanes' heads), signed with `key` at `now`.
pub fn signed(key: &Sm2Key, service: &str, lanes: Vec<LaneHead>, now: DateTime<Utc>) -> ChainHead {
    let now = DateTime::from_timestamp_micros(now.timestamp_micros()).unwrap_or(now);
    let public = key.public();
    ChainHead {
        service: service.to_owned(),
        signature: key.sign(&signed_bytes(service, &lanes, now)),
        lanes,
        published_at: Some(tongban_events::timestamp(now)),
        key_id: public.key_id(),
        public_key: public.to_sec1(),
    }
}

/// Whether `head` is signed by its key over what it says.
pub fn verify(head: &ChainHead) -> bool {
    let Some(published_at) = head
        .published_at
        .as_ref()
        .and_then(tongban_events::datetime)
    else {
        return false;
    };
    let Some(key) = Sm2Public::from_sec1(&head.public_key) else {
        return false;
    };
    let bytes = signed_bytes(&head.service, &head.lanes, published_at);
    key.verify(&bytes, &head.signature).is_ok()
}

/// Publishes the head of `service`'s chain if none was published in the last `every`; whether
/// it did. Replicas agree: the first to mark lane 0's row published publishes, the others find
/// it marked. The lanes' heads are read in one statement: what was committed then.
pub async fn publish_due(
    pool: &PgPool,
    key: &Sm2Key,
    service: &str,
    every: Duration,
    now: DateTime<Utc>,
) -> Result<bool, sqlx::Error> {
    let since = now - chrono::Duration::from_std(every).unwrap_or(chrono::Duration::MAX);
    let mut tx = pool.begin().await?;
    let due: Option<i16> = sqlx::query_scalar(
        "update audit_head set published_at = $1
         where lane = 0 and (published_at is null or published_at <= $2) returning lane",
    )
    .bind(now)
    .bind(since)
    .fetch_optional(&mut *tx)
    .await?;
    if due.is_none() {
        return Ok(false);
    }
    let lanes: Vec<(i16, i64, Vec<u8>)> =
        sqlx::query_as("select lane, seq, hash from audit_head order by lane")
            .fetch_all(&mut *tx)
            .await?;
    let lanes = lanes
        .into_iter()
        .map(|(lane, seq, hash)| LaneHead {
            lane: lane as u32,
            seq,
            hash,
        })
        .collect();
    let head = signed(key, service, lanes, now);
    let about = Subject {
        key: service,
        subject: None,
        regions: Vec::new(),
    };
    outbox::enqueue(&mut tx, &about, &head).await?;
    tx.commit().await?;
    Ok(true)
}

/// The `[audit]` section of the settings, shared by the services that keep a chain.
#[derive(Debug, Clone, serde::Deserialize)]
#[serde(default)]
pub struct AuditSettings {
    /// How often each service publishes its chain's head on `tongban.audit.v1` (seconds).
    pub head_every_secs: u64,
}

impl Default for AuditSettings {
    fn default() -> Self {
        Self {
            head_every_secs: 60,
        }
    }
}

impl Section for AuditSettings {
    const NAME: &'static str = "audit";
}

/// Starts publishing `service`'s chain head (from `pool`, signed with the key derived from
/// `vault`) every `[audit] head_every_secs`, until `shutdown`.
pub fn keep_publishing(
    settings: &Settings,
    pool: PgPool,
    vault: &Vault,
    service: &'static str,
    shutdown: CancellationToken,
) -> Result<(), ConfigError> {
    let every = Duration::from_secs(settings.section::<AuditSettings>()?.head_every_secs.max(1));
    let (key, clock) = (platform_key(vault), settings.clock.clone());
    // Checked ten times an interval, so a head is at most a tenth late.
    let tick = (every / 10).max(Duration::from_millis(100));
    tokio::spawn(async move {
        loop {
            if let Err(error) = publish_due(&pool, &key, service, every, clock.now()).await {
                tracing::warn!(%error, service, "publishing the audit chain's head failed; it is tried again");
            }
            tokio::select! {
                () = shutdown.cancelled() => return,
                () = tokio::time::sleep(tick) => {}
            }
        }
    });
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_signed_head_verifies_and_any_change_does_not() {
        let vault = Vault::new(&[3; 16], &[]);
        let key = platform_key(&vault);
        assert_eq!(
            key.public(),
            platform_key(&Vault::new(&[3; 16], &[])).public(),
            "every replica derives the same key"
        );
        let now = DateTime::from_timestamp_micros(1_765_000_000_123_456).unwrap();
        let lane = |lane: u32, seq: i64| LaneHead {
            lane,
            seq,
            hash: vec![lane as u8; 32],
        };
        let head = signed(&key, "approval", vec![lane(0, 42), lane(1, 7)], now);
        assert!(verify(&head));
        let mut changed = head.clone();
        changed.lanes[1].seq = 6;
        assert!(!verify(&changed));
        let mut changed = head.clone();
        changed.lanes[0].hash[0] ^= 1;
        assert!(!verify(&changed));
        let mut changed = head.clone();
        changed.lanes.pop();
        assert!(!verify(&changed));
        let mut changed = head;
        changed.service = "identity".into();
        assert!(!verify(&changed));
    }
}
