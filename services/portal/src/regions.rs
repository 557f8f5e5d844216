//! The region picker's data (province → city → county → town): a region's lineage and its
//! divisions, asked of the catalogue and kept (divisions change once a year, with the NBS
//! data), and its departments, kept a few minutes; so a visitor's search costs the catalogue
//! one query, not four.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use tongban_pages::api::{Api, Failure, Service};

use crate::catalogue::{Department, Region};

/// Lists kept at most; past it the cache starts again (a crawler walking every town must not
/// grow the hall's memory without end).
const KEPT_AT_MOST: usize = 4_096;

/// Lineages, divisions and departments, by region code.
pub struct Regions {
    children: Kept<Region>,
    lineages: Kept<Region>,
    departments: Kept<Department>,
}

impl Default for Regions {
    fn default() -> Self {
        Self {
            // Divisions change once a year: kept until the hall restarts.
            children: Kept::new(None),
            lineages: Kept::new(None),
            // A new department shows within five minutes.
            departments: Kept::new(Some(Duration::from_secs(300))),
        }
    }
}

/// Lists the catalogue gave, by region code, each kept for `ttl` (none: for good).
struct Kept<T> {
    lists: Mutex<HashMap<String, (Instant, Vec<T>)>>,
    ttl: Option<Duration>,
}

impl<T: Clone + serde::de::DeserializeOwned> Kept<T> {
    fn new(ttl: Option<Duration>) -> Self {
        Self {
            lists: Mutex::new(HashMap::new()),
            ttl,
        }
    }

    /// The list kept for `code`, or the catalogue's answer at `path`, kept.
    async fn get(&self, api: &Api, code: &str, path: &str) -> Result<Vec<T>, Failure> {
        let fresh = |at: &Instant| self.ttl.is_none_or(|ttl| at.elapsed() < ttl);
        let kept = self.lists.lock().ok().and_then(|lists| {
            lists
                .get(code)
                .filter(|(at, _)| fresh(at))
                .map(|(_, list)| list.clone())
        });
        if let Some(list) = kept {
            return Ok(list);
        }
        let list: Vec<T> = api.public_get(Service::Catalogue, path).await?;
        if let Ok(mut lists) = self.lists.lock() {
            if lists.len() >= KEPT_AT_MOST {
                lists.clear();
            }
            lists.insert(code.to_owned(), (Instant::now(), list.clone()));
        }
        Ok(list)
    }
}

/// Where the picker stands: the chosen region's lineage (province first, the region last;
/// empty for the whole province) and the divisions to narrow to.
pub struct Picked {
    pub lineage: Vec<Region>,
    pub children: Vec<Region>,
}

impl Picked {
    /// The chosen region, if any.
    pub fn region(&self) -> Option<&Region> {
        self.lineage.last()
    }
}

impl Regions {
    /// The divisions of `code`.
    pub async fn children(&self, api: &Api, code: &str) -> Result<Vec<Region>, Failure> {
        let path = format!("/v1/regions/{code}/children");
        self.children.get(api, code, &path).await
    }

    /// The departments of region `code` (to narrow a search by, or to browse).
    pub async fn departments(&self, api: &Api, code: &str) -> Result<Vec<Department>, Failure> {
        let path = format!("/v1/departments?region_code={code}&limit=200");
        self.departments.get(api, code, &path).await
    }

    /// `code` and the regions above it, the province first.
    pub async fn lineage(&self, api: &Api, code: &str) -> Result<Vec<Region>, Failure> {
        let path = format!("/v1/regions/{code}/ancestors");
        self.lineages.get(api, code, &path).await
    }

    /// The picker at `region` (within `province`), or at the province when none is chosen or
    /// the one chosen lies outside it.
    pub async fn pick(
        &self,
        api: &Api,
        province: &str,
        region: Option<&str>,
    ) -> Result<Picked, Failure> {
        let lineage = match region {
            Some(code) if code != province => {
                let lineage = self.lineage(api, code).await?;
                if lineage.first().is_some_and(|p| p.code == province) {
                    lineage
                } else {
                    Vec::new()
                }
            }
            _ => Vec::new(),
        };
        let at = lineage.last().map_or(province, |r| r.code.as_str());
        // A town has no divisions the halls serve by.
        let children = if lineage.last().is_some_and(|r| r.level == "town") {
            Vec::new()
        } else {
            self.children(api, at).await?
        };
        Ok(Picked { lineage, children })
    }
}
