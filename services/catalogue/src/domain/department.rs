//! A department: who implements items in a region.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use tongban_kernel::{CreditCode, RegionCode};

/// A department as the API shows it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Department {
    pub id: Uuid,
    pub region_code: RegionCode,
    pub name: String,
    pub credit_code: CreditCode,
    pub created_at: chrono::DateTime<chrono::Utc>,
}
