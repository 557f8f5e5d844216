//! How many PostgreSQL connections one process of a component holds at most, from the same
//! settings and constants the component opens its pools with. A cluster's worst case is the sum
//! over its components of their most replicas times this (the manifest test,
//! `tests/deploy`, holds both overlays to what their database allows).
//!
//! A component's connections:
//! - its pool: `database.max_connections`, or a page site's smaller pool
//!   (`[console] max_connections`, `[portal] max_connections`);
//! - beside the pool: the outbox relay's lock connection (detached from the pool while its
//!   replica leads), and acceptance's case-number counter and reads pools;
//! - held out of the pool's reach for as long as the process runs: the leading relay's
//!   `LISTEN`, and the hall's board feed. What is left of the pool serves requests and events.

use tongban_runtime::Settings;

/// One process's connections at most, and how much of its pool is left for its work.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Connections {
    /// The component's main pool.
    pub pool: u32,
    /// Pools and connections opened beside it.
    pub beside: u32,
    /// Taken from the pool for the process's whole life (listeners).
    pub held: u32,
}

impl Connections {
    /// The most the process holds at once.
    pub fn most(&self) -> u32 {
        self.pool + self.beside
    }

    /// What of the pool is left for requests and events.
    pub fn for_work(&self) -> u32 {
        self.pool.saturating_sub(self.held)
    }
}

/// `tongban migrate` (the Kubernetes Job): one connection, schema after schema.
pub const MIGRATION: u32 = 1;

/// The connections of one process running `component` (one of [`crate::COMPONENTS`]) with
/// `settings`.
pub fn of(component: &str, settings: &Settings) -> anyhow::Result<Connections> {
    use tongban_pages::session::pool_size;
    let site = |most| Connections {
        pool: pool_size(&settings.database, most),
        ..Connections::default()
    };
    let service = Connections {
        pool: settings.database.max_connections,
        beside: tongban_bus::relay::CONNECTIONS_BESIDE_POOL,
        held: tongban_bus::relay::CONNECTIONS_HELD_FROM_POOL,
    };
    Ok(match component {
        "gateway" => Connections::default(),
        "console" => site(
            settings
                .section::<tongban_console::config::ConsoleSettings>()?
                .max_connections,
        ),
        "portal" => site(
            settings
                .section::<tongban_portal::config::PortalSettings>()?
                .max_connections,
        ),
        "acceptance" => Connections {
            beside: service.beside
                + tongban_acceptance::db::numbers::CONNECTIONS
                + tongban_acceptance::db::reads::CONNECTIONS,
            ..service
        },
        "hall" => Connections {
            held: service.held + tongban_hall::queue::feed::CONNECTIONS_HELD_FROM_POOL,
            ..service
        },
        "identity" | "catalogue" | "approval" | "notification" | "crossregion" | "insight" => {
            service
        }
        other => anyhow::bail!("unknown component {other}"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_component_is_counted_and_the_pages_keep_to_their_own_pools() {
        let mut settings = Settings::load_with(None, Default::default()).unwrap();
        settings.database.max_connections = 10;
        for component in crate::COMPONENTS {
            let connections = of(component, &settings).unwrap();
            match component {
                "gateway" => assert_eq!(connections.most(), 0),
                "console" | "portal" => assert_eq!(connections.most(), 4, "{component}"),
                "acceptance" => assert_eq!(connections.most(), 10 + 1 + 2 + 4),
                _ => assert_eq!(connections.most(), 11, "{component}"),
            }
        }
        assert_eq!(of("hall", &settings).unwrap().for_work(), 8);
        // A site's pool is never larger than the services'.
        settings.database.max_connections = 2;
        assert_eq!(of("console", &settings).unwrap().most(), 2);
        assert!(of("nothing", &settings).is_err());
    }
}
