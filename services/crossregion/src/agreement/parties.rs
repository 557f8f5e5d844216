//! Who an agreement involves (each collecting region, each item's region) and which of them a
//! catalogue administrator signs or terminates for.

use tongban_kernel::{Error, Power, Principal, RegionCode};

use super::view::Item;

/// The regions involved: the collecting ones and the items' own, each once, sorted.
pub fn regions_of(collecting: &[String], items: &[Item]) -> Vec<String> {
    let mut regions: Vec<String> = collecting
        .iter()
        .cloned()
        .chain(items.iter().map(|i| i.region_code.clone()))
        .collect();
    regions.sort();
    regions.dedup();
    regions
}

/// The regions of `involved` that `principal` administers the catalogue of.
pub fn covered(principal: &Principal, involved: &[String]) -> Result<Vec<String>, Error> {
    let mut mine = Vec::new();
    for region in involved {
        let code: RegionCode = region
            .parse()
            .map_err(|_| Error::internal(format!("stored region {region} is malformed")))?;
        if principal.can(Power::EditCatalogue, &code) {
            mine.push(region.clone());
        }
    }
    Ok(mine)
}
