//! Walking a chain, lane by lane: every entry's hash recomputed from its contents and the entry
//! before, the numbers without gaps, and each lane's head agreeing with its last entry. The
//! first entry that does not match is named (lane and number), with what is wrong with it.

use std::fmt;

use chrono::{DateTime, Utc};
use sqlx::PgPool;

use crate::{Entry, GENESIS};

/// Entries read per query.
const BATCH: i64 = 10_000;

/// What is wrong at the first entry that does not match.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Broken {
    /// The entry's contents (or its own hash) were changed after it was appended.
    Changed {
        seq: i64,
        at: DateTime<Utc>,
        action: String,
    },
    /// The entry does not follow the one before: an entry before it was changed and re-hashed,
    /// or entries were inserted.
    Relinked { seq: i64 },
    /// Entries are missing before this one (deleted).
    Missing { expected: i64, found: i64 },
    /// The head names an entry the chain does not hold (the last entries deleted), or a hash
    /// that is not the last entry's.
    Head { head_seq: i64, last_seq: i64 },
}

impl fmt::Display for Broken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Changed { seq, at, action } => write!(
                f,
                "entry {seq} ({action}, {at}) does not match its hash: it was changed after it was written"
            ),
            Self::Relinked { seq } => write!(
                f,
                "entry {seq} does not follow the entry before it: an earlier entry was changed and re-hashed, or entries were inserted"
            ),
            Self::Missing { expected, found } => write!(
                f,
                "entries {expected} to {} are missing (deleted); the chain goes on at {found}",
                found - 1
            ),
            Self::Head { head_seq, last_seq } => write!(
                f,
                "the chain's head names entry {head_seq}, but the chain ends at entry {last_seq} with another hash: entries at its end were deleted or changed"
            ),
        }
    }
}

/// What a walk found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Walk {
    /// Entries checked (up to the first broken one).
    pub entries: i64,
    /// Each lane's head: (lane, number, hash).
    pub heads: Vec<(i16, i64, Vec<u8>)>,
    /// The lane and what is wrong at its first entry that does not match.
    pub broken: Option<(i16, Broken)>,
}

impl Walk {
    /// The entries the heads name, all lanes together.
    pub fn head_entries(&self) -> i64 {
        self.heads.iter().map(|(_, seq, _)| seq).sum()
    }
}

/// The first thing wrong with `entry`, which should follow `seq` with hash `previous`.
fn check(entry: &Entry, seq: i64, previous: &[u8]) -> Option<Broken> {
    if entry.seq != seq + 1 {
        return Some(Broken::Missing {
            expected: seq + 1,
            found: entry.seq,
        });
    }
    if entry.expected_hash().as_slice() != entry.hash {
        return Some(Broken::Changed {
            seq: entry.seq,
            at: entry.at,
            action: entry.action.clone(),
        });
    }
    if entry.previous != previous {
        return Some(Broken::Relinked { seq: entry.seq });
    }
    None
}

/// Walks one lane; the entries that match, and what is wrong at the first that does not.
async fn walk_lane(
    pool: &PgPool,
    lane: i16,
    head: (i64, &[u8]),
    progress: &impl Fn(i64),
    before: i64,
) -> Result<(i64, Option<Broken>), sqlx::Error> {
    let (mut seq, mut previous) = (0i64, GENESIS.to_vec());
    loop {
        let batch: Vec<Entry> = sqlx::query_as(
            "select lane, seq, at, actor, action, subject, detail, previous, hash from audit_chain
             where lane = $1 and seq > $2 order by seq limit $3",
        )
        .bind(lane)
        .bind(seq)
        .bind(BATCH)
        .fetch_all(pool)
        .await?;
        if batch.is_empty() {
            break;
        }
        for entry in &batch {
            if let Some(broken) = check(entry, seq, &previous) {
                return Ok((seq, Some(broken)));
            }
            seq = entry.seq;
            previous.clone_from(&entry.hash);
        }
        progress(before + seq);
    }
    let (head_seq, head_hash) = head;
    let broken = (seq != head_seq || previous != head_hash).then_some(Broken::Head {
        head_seq,
        last_seq: seq,
    });
    Ok((seq, broken))
}

/// Walks the chain of the service whose schema `pool` searches, lane by lane, reporting
/// progress (entries checked so far) after each batch.
pub async fn verify(pool: &PgPool, progress: impl Fn(i64)) -> Result<Walk, sqlx::Error> {
    let heads: Vec<(i16, i64, Vec<u8>)> =
        sqlx::query_as("select lane, seq, hash from audit_head order by lane")
            .fetch_all(pool)
            .await?;
    let mut entries = 0;
    for (lane, head_seq, head_hash) in &heads {
        let (checked, broken) =
            walk_lane(pool, *lane, (*head_seq, head_hash), &progress, entries).await?;
        entries += checked;
        if let Some(broken) = broken {
            let lane = *lane;
            return Ok(Walk {
                entries,
                heads,
                broken: Some((lane, broken)),
            });
        }
    }
    Ok(Walk {
        entries,
        heads,
        broken: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::entry_hash;

    fn chain(n: i64) -> Vec<Entry> {
        let mut previous = GENESIS.to_vec();
        (1..=n)
            .map(|seq| {
                let at = DateTime::from_timestamp_micros(1_765_000_000_000_000 + seq).unwrap();
                let detail = format!("{{\"n\":{seq}}}");
                let hash = entry_hash(
                    0,
                    &previous,
                    seq,
                    at.timestamp_micros(),
                    None,
                    "a",
                    "s",
                    &detail,
                );
                Entry {
                    lane: 0,
                    seq,
                    at,
                    actor: None,
                    action: "a".into(),
                    subject: "s".into(),
                    detail,
                    previous: std::mem::replace(&mut previous, hash.to_vec()),
                    hash: hash.to_vec(),
                }
            })
            .collect()
    }

    fn first_broken(entries: &[Entry]) -> Option<Broken> {
        let (mut seq, mut previous) = (0, GENESIS.to_vec());
        for entry in entries {
            if let Some(broken) = check(entry, seq, &previous) {
                return Some(broken);
            }
            seq = entry.seq;
            previous.clone_from(&entry.hash);
        }
        None
    }

    #[test]
    fn a_whole_chain_verifies_and_each_kind_of_tampering_is_named_where_it_is() {
        let entries = chain(5);
        assert_eq!(first_broken(&entries), None);

        let mut changed = entries.clone();
        changed[2].detail = "{\"n\":30}".into();
        assert!(matches!(
            first_broken(&changed),
            Some(Broken::Changed { seq: 3, .. })
        ));

        let mut rehashed = changed.clone();
        rehashed[2].hash = rehashed[2].expected_hash().to_vec();
        assert_eq!(first_broken(&rehashed), Some(Broken::Relinked { seq: 4 }));

        let mut deleted = entries.clone();
        deleted.remove(1);
        assert_eq!(
            first_broken(&deleted),
            Some(Broken::Missing {
                expected: 2,
                found: 3
            })
        );
    }
}
