//! What every page shares ([`AppState`]): the console's sessions (its database, the vault that
//! seals their tokens, the token verifier), the services' client, the clock, the settings and
//! the site the guard sees; and region names.

use std::sync::Arc;

use tongban_kernel::{Clock, RegionCode};
use tongban_pages::api::Api;
use tongban_pages::guard::{PageSite, Site};
use tongban_pages::i18n::Words;
use tongban_pages::session::Sessions;
use tongban_runtime::regions::RegionDirectory;

use crate::config::ConsoleSettings;

/// What every page shares.
#[derive(Clone)]
pub struct AppState(Arc<Inner>);

pub struct Inner {
    /// Loading, refreshing, starting and ending sessions (the page kit's).
    pub sessions: Sessions,
    /// The same client the sessions use, for the pages' own calls.
    pub api: Arc<Api>,
    pub clock: Clock,
    pub config: ConsoleSettings,
    /// The console's path and cookies, as the guard and the sign-in pages set them.
    pub site: Site,
    /// Region names, asked of the catalogue and remembered.
    pub regions: RegionDirectory,
}

impl std::ops::Deref for AppState {
    type Target = Inner;
    fn deref(&self) -> &Inner {
        &self.0
    }
}

impl PageSite for AppState {
    fn site(&self) -> &Site {
        &self.site
    }

    fn sessions(&self) -> &Sessions {
        &self.sessions
    }

    fn words(&self) -> &'static Words {
        crate::i18n::words()
    }
}

impl AppState {
    pub fn new(inner: Inner) -> Self {
        Self(Arc::new(inner))
    }

    /// The name of region `code` (赫山区), or the code when the catalogue cannot say.
    pub async fn region_name(&self, code: &RegionCode) -> String {
        self.regions.name_of(code.as_str()).await
    }

    /// [`AppState::region_name`] of a code as a service gave it.
    pub async fn region_named(&self, code: &str) -> String {
        self.regions.name_of(code).await
    }
}
