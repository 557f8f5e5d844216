//! Tamper-evident audit chains: every staff action that matters is appended to its service's
//! chain in the same transaction as the action, and each entry's SM3 hash covers the hash of the
//! entry before it. Changing, deleting or inserting an entry breaks the chain from that entry
//! on; `tongban audit verify` walks it and names the first entry that does not match
//! ([`verify`]). Rewriting the whole chain after a change would need the heads the province
//! keeps: they are signed with the platform's SM2 key and published on `tongban.audit.v1`
//! ([`head`]).
//!
//! A service's chain runs in [`LANES`] lanes, each a hash chain of its own: appending locks the
//! lane's head until the transaction commits (so a lane's entries are numbered without gaps, in
//! commit order), and one lock for every staff action of a province would queue them all on
//! one commit at a time. A transaction's lane is its connection's (the backend's process id
//! modulo the lanes), so it holds one lane however many entries it appends, and two
//! transactions never wait on each other's lanes in opposite orders.
//!
//! Each service keeps its chain in its own schema: `audit_chain` (the entries, by lane and
//! number) and `audit_head` (per lane the last number and hash).
//!
//! An entry's hash is SM3 over, in order: `"tongban.audit.v1" 0x00 ‖ lane (u16, big-endian) ‖
//! previous hash (32) ‖ seq (u64, big-endian) ‖ at (microseconds since the Unix epoch, i64,
//! big-endian) ‖ actor (0x00, or 0x01 and the 16 bytes of the UUID) ‖ action ‖ subject ‖
//! detail`, each text as its UTF-8 length (u32, big-endian) and bytes. A lane's first entry's
//! previous hash is 32 zero bytes. `detail` is kept as the exact JSON text hashed.

use chrono::{DateTime, Utc};
use serde_json::Value;
use sqlx::PgConnection;
use uuid::Uuid;

pub mod head;
pub mod verify;

pub use verify::{Broken, Walk, verify};

/// The hash before a lane's first entry.
pub const GENESIS: [u8; 32] = [0; 32];

/// The lanes of a service's chain (the migration makes their heads).
pub const LANES: i16 = 16;

/// One staff action, as it is appended.
#[derive(Debug, Clone)]
pub struct Action<'a> {
    /// Who did it (the staff member's account); none for the platform itself.
    pub actor: Option<Uuid>,
    /// What was done, in the service's words (`accepted`, `role_granted`, `certificate_issued`).
    pub action: &'a str,
    /// What it was done to: a case number, an account, a certificate.
    pub subject: &'a str,
    pub detail: &'a Value,
    pub at: DateTime<Utc>,
}

/// An entry as the chain keeps it.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Entry {
    pub lane: i16,
    pub seq: i64,
    pub at: DateTime<Utc>,
    pub actor: Option<Uuid>,
    pub action: String,
    pub subject: String,
    /// The JSON text that was hashed.
    pub detail: String,
    pub previous: Vec<u8>,
    pub hash: Vec<u8>,
}

/// `at` as the database keeps it: whole microseconds.
fn microseconds(at: DateTime<Utc>) -> i64 {
    at.timestamp_micros()
}

/// The hash of the entry numbered `seq` of `lane` after `previous` (the layout is the
/// module's).
#[allow(clippy::too_many_arguments)]
pub fn entry_hash(
    lane: i16,
    previous: &[u8],
    seq: i64,
    at_micros: i64,
    actor: Option<Uuid>,
    action: &str,
    subject: &str,
    detail: &str,
) -> [u8; 32] {
    use sm3::Digest as _;
    let mut hash = sm3::Sm3::new();
    hash.update(b"tongban.audit.v1\0");
    hash.update((lane as u16).to_be_bytes());
    hash.update(previous);
    hash.update(seq.to_be_bytes());
    hash.update(at_micros.to_be_bytes());
    match actor {
        Some(actor) => {
            hash.update([1]);
            hash.update(actor.as_bytes());
        }
        None => hash.update([0]),
    }
    for text in [action, subject, detail] {
        hash.update((text.len() as u32).to_be_bytes());
        hash.update(text.as_bytes());
    }
    hash.finalize().into()
}

impl Entry {
    /// What this entry's hash should be, from its contents and its previous hash.
    pub fn expected_hash(&self) -> [u8; 32] {
        entry_hash(
            self.lane,
            &self.previous,
            self.seq,
            microseconds(self.at),
            self.actor,
            &self.action,
            &self.subject,
            &self.detail,
        )
    }
}

/// Appends `action` to the service's chain in the caller's transaction, in the connection's
/// lane; its (lane, number). Locks the lane's head until the transaction ends.
pub async fn append(tx: &mut PgConnection, action: Action<'_>) -> Result<(i16, i64), sqlx::Error> {
    let (lane, seq, previous): (i16, i64, Vec<u8>) = sqlx::query_as(&format!(
        "select lane, seq, hash from audit_head where lane = pg_backend_pid() % {LANES}
         for update"
    ))
    .fetch_one(&mut *tx)
    .await?;
    let seq = seq + 1;
    let at_micros = microseconds(action.at);
    let at = DateTime::from_timestamp_micros(at_micros).unwrap_or(action.at);
    let detail = action.detail.to_string();
    let hash = entry_hash(
        lane,
        &previous,
        seq,
        at_micros,
        action.actor,
        action.action,
        action.subject,
        &detail,
    );
    sqlx::query(
        "with appended as (
             insert into audit_chain (lane, seq, at, actor, action, subject, detail, previous, hash)
             values ($1, $2, $3, $4, $5, $6, $7, $8, $9))
         update audit_head set seq = $2, hash = $9 where lane = $1",
    )
    .bind(lane)
    .bind(seq)
    .bind(at)
    .bind(action.actor)
    .bind(action.action)
    .bind(action.subject)
    .bind(&detail)
    .bind(&previous)
    .bind(hash.as_slice())
    .execute(&mut *tx)
    .await?;
    Ok((lane, seq))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_part_of_an_entry_changes_its_hash() {
        let actor = Some(Uuid::from_u128(7));
        let base = entry_hash(0, &GENESIS, 1, 1_000, actor, "accepted", "N1", "{}");
        assert_eq!(
            base,
            entry_hash(0, &GENESIS, 1, 1_000, actor, "accepted", "N1", "{}")
        );
        let changed = [
            entry_hash(1, &GENESIS, 1, 1_000, actor, "accepted", "N1", "{}"),
            entry_hash(0, &[1; 32], 1, 1_000, actor, "accepted", "N1", "{}"),
            entry_hash(0, &GENESIS, 2, 1_000, actor, "accepted", "N1", "{}"),
            entry_hash(0, &GENESIS, 1, 1_001, actor, "accepted", "N1", "{}"),
            entry_hash(0, &GENESIS, 1, 1_000, None, "accepted", "N1", "{}"),
            entry_hash(0, &GENESIS, 1, 1_000, actor, "refused", "N1", "{}"),
            entry_hash(0, &GENESIS, 1, 1_000, actor, "accepted", "N2", "{}"),
            entry_hash(0, &GENESIS, 1, 1_000, actor, "accepted", "N1", "{ }"),
            // the lengths keep the texts apart: "ab" + "c" is not "a" + "bc"
            entry_hash(0, &GENESIS, 1, 1_000, actor, "accepte", "dN1", "{}"),
        ];
        for (i, hash) in changed.iter().enumerate() {
            assert_ne!(*hash, base, "change {i}");
        }
    }

    #[test]
    fn an_entry_knows_its_hash() {
        let at = DateTime::from_timestamp_micros(1_765_000_000_123_456).unwrap();
        let hash = entry_hash(3, &GENESIS, 1, 1_765_000_000_123_456, None, "a", "s", "{}");
        let entry = Entry {
            lane: 3,
            seq: 1,
            at,
            actor: None,
            action: "a".into(),
            subject: "s".into(),
            detail: "{}".into(),
            previous: GENESIS.to_vec(),
            hash: hash.to_vec(),
        };
        assert_eq!(entry.expected_hash(), hash);
    }
}
