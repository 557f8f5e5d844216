//! The province's basic catalogue (基本目录): main items, sub-items and business handling items.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use tongban_kernel::region::RegionLevel;
use tongban_kernel::{BasicCode, Error, RegionCode};

use super::item::{CodeLists, check_aliases, text};

/// 新办, 变更, 延续, 注销.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum HandlingKind {
    New,
    Change,
    Renewal,
    Cancellation,
}

/// A business handling item (业务办理项) of a basic item.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HandlingItem {
    /// 1-99, unique within the basic item.
    pub number: u8,
    pub kind: HandlingKind,
    pub name: String,
}

/// A basic catalogue item, as created, replaced and shown.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BasicItem {
    pub code: BasicCode,
    /// The province that keeps it (12-digit code of a province).
    pub province_code: RegionCode,
    /// The main item (主项) of a sub-item (子项).
    #[serde(default)]
    pub parent_code: Option<BasicCode>,
    pub name: String,
    #[serde(default)]
    pub aliases: Vec<String>,
    /// A code of the `item_type` list (行政许可 ...).
    pub item_type: String,
    /// 设定依据: the statutes the item rests on.
    pub legal_basis: String,
    /// The province department that supervises the item (主管部门).
    pub supervising_department: String,
    #[serde(default)]
    pub handling_items: Vec<HandlingItem>,
}

impl BasicItem {
    pub fn check(&self, lists: &CodeLists) -> Result<(), Error> {
        if self.province_code.level() != RegionLevel::Province {
            return Err(Error::unprocessable(
                "province_code",
                "the basic catalogue is kept by a province",
            ));
        }
        if self.parent_code.as_ref() == Some(&self.code) {
            return Err(Error::unprocessable(
                "parent_code",
                "an item cannot be its own main item",
            ));
        }
        text("name", &self.name, 100)?;
        check_aliases("aliases", &self.aliases)?;
        if !lists.has("item_type", &self.item_type) {
            return Err(Error::unprocessable(
                "item_type",
                format!(
                    "{:?} is not in the item_type code list ({})",
                    self.item_type,
                    lists.codes("item_type")
                ),
            ));
        }
        text("legal_basis", &self.legal_basis, 2000)?;
        text("supervising_department", &self.supervising_department, 100)?;
        if self.handling_items.len() > 10 {
            return Err(Error::bad_request("handling_items", "at most 10"));
        }
        for (n, handling) in self.handling_items.iter().enumerate() {
            if !(1..=99).contains(&handling.number)
                || self.handling_items[..n]
                    .iter()
                    .any(|h| h.number == handling.number)
            {
                return Err(Error::bad_request(
                    format!("handling_items[{n}].number"),
                    "must be 1 to 99 and unique",
                ));
            }
            text(format!("handling_items[{n}].name"), &handling.name, 100)?;
        }
        Ok(())
    }
}
