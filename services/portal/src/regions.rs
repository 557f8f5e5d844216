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
#[derive(Default)]
pub struct Regions {
    children: Mutex<HashMap<String, Vec<Region>>>,
    lineages: Mutex<HashMap<String, Vec<Region>>>,
    departments: Mutex<HashMap<String, (Instant, Vec<Department>)>>,
}

/// How long a region's departments are kept: a new department shows within this.
const DEPARTMENTS_FOR: Duration = Duration::from_secs(300);

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
        kept(&self.children, api, code, &path).await
    }

    /// The departments of region `code` (to narrow a search by, or to browse).
    pub async fn departments(&self, api: &Api, code: &str) -> Result<Vec<Department>, Failure> {
        let kept = self.departments.lock().ok().and_then(|d| {
            d.get(code)
                .filter(|(at, _)| at.elapsed() < DEPARTMENTS_FOR)
                .map(|(_, found)| found.clone())
        });
        if let Some(found) = kept {
            return Ok(found);
        }
        let path = format!("/v1/departments?region_code={code}&limit=200");
        let found: Vec<Department> = api.public_get(Service::Catalogue, &path).await?;
        if let Ok(mut kept) = self.departments.lock() {
            if kept.len() >= KEPT_AT_MOST {
                kept.clear();
            }
            kept.insert(code.to_owned(), (Instant::now(), found.clone()));
        }
        Ok(found)
    }

    /// `code` and the regions above it, the province first.
    pub async fn lineage(&self, api: &Api, code: &str) -> Result<Vec<Region>, Failure> {
        let path = format!("/v1/regions/{code}/ancestors");
        kept(&self.lineages, api, code, &path).await
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

async fn kept(
    cache: &Mutex<HashMap<String, Vec<Region>>>,
    api: &Api,
    code: &str,
    path: &str,
) -> Result<Vec<Region>, Failure> {
    if let Some(found) = cache.lock().ok().and_then(|c| c.get(code).cloned()) {
        return Ok(found);
    }
    let found: Vec<Region> = api.public_get(Service::Catalogue, path).await?;
    if let Ok(mut cache) = cache.lock() {
        if cache.len() >= KEPT_AT_MOST {
            cache.clear();
        }
        cache.insert(code.to_owned(), found.clone());
    }
    Ok(found)
}
