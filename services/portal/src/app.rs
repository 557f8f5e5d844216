//! What every page shares ([`AppState`]): the sessions, the services' client, the catalogue's
//! words and regions as kept for the pages, the clock and the settings.

use std::sync::Arc;

use tongban_kernel::Clock;
use tongban_pages::api::Api;
use tongban_pages::guard::{PageSite, Site};
use tongban_pages::i18n::Words;
use tongban_pages::session::Sessions;
use tongban_runtime::regions::RegionDirectory;

use crate::catalogue::Lists;
use crate::config::PortalSettings;
use crate::regions::Regions;

/// What every page shares.
#[derive(Clone)]
pub struct AppState(Arc<Inner>);

pub struct Inner {
    pub site: Site,
    pub sessions: Sessions,
    pub api: Arc<Api>,
    pub clock: Clock,
    pub config: PortalSettings,
    /// Region names, asked of the catalogue and remembered.
    pub names: RegionDirectory,
    /// The region picker's lineages and divisions.
    pub regions: Regions,
    /// The code lists' words.
    pub lists: Lists,
    /// The largest request the platform takes (`http.body_limit_bytes`): a material's file
    /// must fit in it.
    pub upload_limit: usize,
}

impl std::ops::Deref for AppState {
    type Target = Inner;
    fn deref(&self) -> &Inner {
        &self.0
    }
}

impl AppState {
    pub fn new(inner: Inner) -> Self {
        Self(Arc::new(inner))
    }

    /// The name of a region a service gave by its code (赫山区), or the code when the
    /// catalogue cannot say.
    pub async fn region_named(&self, code: &str) -> String {
        self.names.name_of(code).await
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
