//! The catalogue as the online hall reads it: the parts of the catalogue's public answers the
//! pages show (items, bundles, departments, regions), and the local code lists' words, kept
//! for a few minutes (they change with a catalogue release, not per visitor).
//!
//! The types take only what a page shows, so a field the catalogue adds never breaks a page.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use serde::Deserialize;
use uuid::Uuid;

use tongban_pages::api::{Api, Failure, Service};
use tongban_pages::i18n::Lang;

/// How long the code lists' words are kept before they are asked for again.
const LISTS_FOR: Duration = Duration::from_secs(300);

/// A time limit (`{"value": 20, "unit": "working_days"}`).
#[derive(Debug, Clone, Deserialize)]
pub struct TimeLimit {
    pub value: u32,
    /// working_days or calendar_days.
    pub unit: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct DepartmentRef {
    pub id: Uuid,
    pub name: String,
}

/// A search result: enough to choose.
#[derive(Debug, Clone, Deserialize)]
pub struct ItemSummary {
    pub code: String,
    pub name: String,
    pub item_type: String,
    pub department: DepartmentRef,
    pub region_code: String,
    /// immediate (即办件) or promised (承诺件).
    pub kind: String,
    pub promised_time_limit: TimeLimit,
    pub visits_required: u8,
    pub online_depth: String,
    pub tongban_scope: String,
    /// With a region: own, tongban_scope or agreement.
    pub available_as: Option<String>,
    pub agreement_mode: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Fee {
    pub charged: bool,
    pub amount_fen: Option<u64>,
    pub basis: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Postal {
    pub results: bool,
    pub materials: bool,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Tongban {
    pub scope: String,
    #[serde(default)]
    pub covered_regions: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Step {
    pub name: String,
    pub time_limit: TimeLimit,
}

#[derive(Debug, Clone, Deserialize)]
pub struct ResultSpec {
    pub name: String,
    pub e_certificate: bool,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Material {
    pub name: String,
    /// certificate, form or other.
    pub kind: String,
    /// applicant or government (issued by a government body: an e-certificate candidate).
    pub source: String,
    /// required, deferrable (容缺后补) or optional.
    pub necessity: String,
    pub originals: u8,
    pub copies: u8,
    pub certificate_type: Option<String>,
    pub notes: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Venue {
    pub address: String,
    pub opening_hours: String,
    pub consultation_phone: String,
    pub complaint_phone: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Spec {
    pub kind: String,
    pub legal_time_limit: TimeLimit,
    pub promised_time_limit: TimeLimit,
    pub acceptance_conditions: String,
    pub fee: Fee,
    pub visits_required: u8,
    pub online_depth: String,
    pub postal: Postal,
    pub tongban: Tongban,
    pub steps: Vec<Step>,
    pub results: Vec<ResultSpec>,
    pub materials: Vec<Material>,
    pub venue: Option<Venue>,
    pub real_name_level: u8,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Basic {
    pub item_type: String,
    pub legal_basis: String,
    pub supervising_department: String,
}

/// An item's version in force: its service guide's data.
#[derive(Debug, Clone, Deserialize)]
pub struct Item {
    pub code: String,
    pub name: String,
    pub basic: Basic,
    pub department: DepartmentRef,
    pub region_code: String,
    /// published; a withdrawn item's guide says it is no longer offered.
    pub status: String,
    pub version: i32,
    pub spec: Spec,
}

/// An item a bundle pins.
#[derive(Debug, Clone, Deserialize)]
pub struct Member {
    pub implementation_code: String,
    pub name: String,
    pub region_code: String,
}

/// A material of a bundle, asked for once for all its items.
#[derive(Debug, Clone, Deserialize)]
pub struct CombinedMaterial {
    pub name: String,
    pub source: String,
    pub necessity: String,
    pub originals: u8,
    pub copies: u8,
    pub certificate_type: Option<String>,
    #[serde(default)]
    pub used_by: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct BundleSpec {
    pub name: String,
    pub description: String,
}

/// A life event (一件事): several items of several departments, applied for once.
#[derive(Debug, Clone, Deserialize)]
pub struct Bundle {
    pub id: Uuid,
    pub region_code: String,
    pub spec: BundleSpec,
    #[serde(default)]
    pub members: Vec<Member>,
    #[serde(default)]
    pub materials: Vec<CombinedMaterial>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Department {
    pub id: Uuid,
    pub name: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Region {
    pub code: String,
    pub name: String,
    /// province, city, county, town.
    pub level: String,
}

/// A local code and its words (`online_depth` `accept` → 受理 / accepted online).
#[derive(Debug, Clone, Deserialize)]
struct Code {
    list: String,
    code: String,
    name: String,
    name_en: String,
}

/// The code lists' words, in both languages.
#[derive(Default)]
pub struct Lists {
    kept: Mutex<Option<(Instant, std::sync::Arc<Vec<Code>>)>>,
}

/// The words of the code lists, as fetched once for a page.
pub struct Words {
    codes: std::sync::Arc<Vec<Code>>,
    lang: Lang,
}

impl Words {
    /// The word for `code` of `list`, or the code when the list lacks it (a list grows
    /// without a release of the hall).
    pub fn of(&self, list: &str, code: &str) -> String {
        self.codes
            .iter()
            .find(|c| c.list == list && c.code == code)
            .map_or_else(
                || code.to_owned(),
                |c| match self.lang {
                    Lang::Zh => c.name.clone(),
                    Lang::En if c.name_en.is_empty() => c.name.clone(),
                    Lang::En => c.name_en.clone(),
                },
            )
    }
}

impl Lists {
    /// The words in `lang`; asked of the catalogue when not kept or kept too long. When the
    /// catalogue cannot answer, the codes stand for themselves (the page still shows).
    pub async fn words(&self, api: &Api, lang: Lang) -> Words {
        let kept = self
            .kept
            .lock()
            .ok()
            .and_then(|kept| kept.clone())
            .filter(|(at, _)| at.elapsed() < LISTS_FOR)
            .map(|(_, codes)| codes);
        let codes = match kept {
            Some(codes) => codes,
            None => match api
                .public_get::<Vec<Code>>(Service::Catalogue, "/v1/code-lists")
                .await
            {
                Ok(codes) => {
                    let codes = std::sync::Arc::new(codes);
                    if let Ok(mut kept) = self.kept.lock() {
                        *kept = Some((Instant::now(), codes.clone()));
                    }
                    codes
                }
                Err(failure) => {
                    log(&failure);
                    std::sync::Arc::default()
                }
            },
        };
        Words { codes, lang }
    }
}

fn log(failure: &Failure) {
    tracing::warn!(?failure, "the catalogue's code lists are out of reach");
}
