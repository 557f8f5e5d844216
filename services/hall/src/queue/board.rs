//! What the hall's display board (叫号屏) shows: each window's ticket in hand, the latest
//! calls, and how many wait in each group. Public: numbers and windows, nobody's name.

use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::PgPool;
use utoipa::ToSchema;
use uuid::Uuid;

use tongban_kernel::{Error, Now, RegionCode};

use super::state::Status;
use super::store;
use crate::centre;

#[derive(Debug, Serialize, ToSchema)]
pub struct Board {
    pub centre: String,
    pub windows: Vec<WindowNow>,
    /// Newest first.
    pub recent: Vec<Call>,
    pub waiting: Vec<GroupWaiting>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct WindowNow {
    pub window_id: Uuid,
    pub name: String,
    pub group: String,
    /// The ticket called to it or being served there.
    pub number: Option<String>,
    pub status: Option<Status>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Call {
    pub number: String,
    pub window: String,
    pub called_at: DateTime<Utc>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct GroupWaiting {
    pub group_id: Uuid,
    pub letter: String,
    pub name: String,
    pub waiting: i64,
}

/// How many past calls the board lists.
const RECENT: i64 = 10;

pub async fn board(pool: &PgPool, region: &RegionCode, now: Now) -> Result<Board, Error> {
    let mut conn = pool.acquire().await?;
    let centre = centre::store::get(&mut conn, region.as_str()).await?;
    let recent = store::recent_calls(&mut conn, region.as_str(), now.today, RECENT).await?;
    let counts = store::waiting_counts(&mut conn, region.as_str(), now.today).await?;
    let group_name = |id: Uuid| {
        centre
            .groups
            .iter()
            .find(|g| g.id == id)
            .map(|g| g.name.clone())
            .unwrap_or_default()
    };
    let window_name = |id: Option<Uuid>| {
        centre
            .windows
            .iter()
            .find(|w| Some(w.id) == id)
            .map(|w| w.name.clone())
            .unwrap_or_default()
    };
    let in_hand = store::in_hand(&mut conn, region.as_str()).await?;
    let windows = centre
        .windows
        .iter()
        .filter(|w| w.active)
        .map(|window| {
            let held = in_hand.iter().find(|t| t.window_id == Some(window.id));
            WindowNow {
                window_id: window.id,
                name: window.name.clone(),
                group: group_name(window.group_id),
                number: held.map(|t| t.number.clone()),
                status: held.map(|t| t.status),
            }
        })
        .collect();
    Ok(Board {
        windows,
        recent: recent
            .into_iter()
            .filter_map(|t| {
                Some(Call {
                    window: window_name(t.window_id),
                    number: t.number,
                    called_at: t.called_at?,
                })
            })
            .collect(),
        waiting: centre
            .groups
            .iter()
            .filter(|g| g.active)
            .map(|g| GroupWaiting {
                group_id: g.id,
                letter: g.letter.clone(),
                name: g.name.clone(),
                waiting: counts
                    .iter()
                    .find(|(id, _)| *id == g.id)
                    .map_or(0, |(_, n)| *n),
            })
            .collect(),
        centre: centre.name,
    })
}
