//! Certificate identifiers after GB/T 36904 ([`CertificateId`]): every certificate sealed since
//! national cryptography came in is named `1.2.156.3005.2.{type code}.{issuer}.{serial}.001.{check}`
//! besides its UUID, and is looked up by either.
//!
//! - The type code comes from the code list `certificate_types`, by the result's name; a name
//!   not on the list is identified under the list's fallback type (其他证照). A province adds
//!   its types with `PUT /v1/certificate-types/{type_code}` (a provincial catalogue admin).
//! - The serial is the certificate's UUID in base 36 (25 characters of `0-9A-Z`): unique
//!   without a counter every department's approvals would queue on.

use axum::extract::State;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sqlx::{PgConnection, PgPool};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use tongban_auth::Authenticated;
use tongban_kernel::certificate_id::{InvalidCertificateId, is_type_code};
use tongban_kernel::region::RegionLevel;
use tongban_kernel::{
    CertificateId, CreditCode, Error, ErrorBody, Json, Path, Power, Principal, Result,
};

use crate::AppState;

/// The version of a certificate as first issued.
const FIRST_VERSION: u16 = 1;

/// The serial of certificate `id`: its 128 bits in base 36, upper case.
pub fn serial(id: Uuid) -> String {
    tongban_kernel::certificate_id::base36(id.as_u128())
}

/// The identifier of certificate `id` named `name`, issued by `issuer`: its type code looked up
/// in the code list (the fallback type for a name not on it).
pub async fn identify(
    tx: &mut PgConnection,
    name: &str,
    issuer: &str,
    id: Uuid,
) -> Result<CertificateId> {
    let type_code: Option<String> = sqlx::query_scalar(
        "select type_code from certificate_types where name = $1 or fallback
         order by fallback limit 1",
    )
    .bind(name)
    .fetch_optional(&mut *tx)
    .await?;
    let type_code = type_code.ok_or_else(|| {
        Error::internal("the certificate type list has no fallback type (其他证照)")
    })?;
    let issuer: CreditCode = issuer.parse().map_err(|_| {
        Error::internal(format!(
            "the issuing department's credit code {issuer} is not valid"
        ))
    })?;
    CertificateId::new(&type_code, issuer, &serial(id), FIRST_VERSION)
        .map_err(|e| Error::internal(format!("certificate identifier: {e}")))
}

/// How a certificate is named in a path: its UUID or its GB/T 36904 identifier.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Named {
    Id(Uuid),
    Identifier(CertificateId),
}

impl Named {
    /// Reads `text` as a UUID or an identifier; 422 naming `field` and what is wrong with an
    /// identifier (a wrong check character: the one expected).
    pub fn parse(field: &str, text: &str) -> Result<Self> {
        let text = text.trim();
        if let Ok(id) = Uuid::parse_str(text) {
            return Ok(Self::Id(id));
        }
        text.parse::<CertificateId>()
            .map(Self::Identifier)
            .map_err(|e: InvalidCertificateId| {
                Error::unprocessable(
                    field,
                    format!("neither a certificate's UUID nor its identifier (GB/T 36904): {e}"),
                )
            })
    }

    /// The certificate's UUID, if one was issued under this name.
    pub async fn resolve(&self, conn: &mut PgConnection) -> Result<Option<Uuid>> {
        match self {
            Self::Id(id) => Ok(Some(*id)),
            Self::Identifier(identifier) => Ok(sqlx::query_scalar(
                "select id from certificates where identifier = $1",
            )
            .bind(identifier.to_string())
            .fetch_optional(conn)
            .await?),
        }
    }
}

/// The UUID of the certificate named `text` in path parameter `id`; 404 when none was issued
/// under an identifier.
pub async fn resolve(pool: &PgPool, text: &str) -> Result<Uuid> {
    let named = Named::parse("id", text)?;
    let mut conn = pool.acquire().await?;
    named
        .resolve(&mut conn)
        .await?
        .ok_or_else(|| Error::NotFound(format!("certificate {}", text.trim())))
}

/// One certificate type of the code list.
#[derive(Debug, Clone, Serialize, ToSchema, sqlx::FromRow)]
pub struct CertificateType {
    /// The defining authority's credit code and a 3-digit number.
    pub type_code: String,
    /// The result's name the type is chosen by (营业执照 ...).
    pub name: String,
    /// The type of results whose name is not on the list.
    pub fallback: bool,
    pub added_at: DateTime<Utc>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewCertificateType {
    /// The result's name, as the catalogue's items name their results (1-100 characters).
    pub name: String,
}

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_types))
        .routes(routes!(put_type))
}

/// The certificate type code list (public).
#[utoipa::path(get, path = "/v1/certificate-types", tag = "certificates",
    responses((status = 200, body = Vec<CertificateType>)))]
async fn list_types(State(state): State<AppState>) -> Result<Json<Vec<CertificateType>>> {
    Ok(Json(
        sqlx::query_as(
            "select type_code, name, fallback, added_at from certificate_types order by type_code",
        )
        .fetch_all(&state.pool)
        .await?,
    ))
}

/// Whether `principal` keeps a province's catalogue (whole, not one department's).
fn keeps_a_provinces_catalogue(principal: &Principal) -> bool {
    principal.roles.iter().any(|binding| {
        binding.role.powers().contains(&Power::EditCatalogue)
            && binding.department.is_none()
            && binding.region.level() == RegionLevel::Province
    })
}

/// Adds a certificate type to the code list, or renames one (a provincial catalogue admin).
/// Certificates already issued keep their identifiers.
#[utoipa::path(put, path = "/v1/certificate-types/{type_code}", tag = "certificates",
    params(("type_code" = String, Path, description = "the defining authority's credit code and 3 digits")),
    request_body = NewCertificateType,
    responses((status = 200, body = CertificateType), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
async fn put_type(
    State(state): State<AppState>,
    Authenticated(principal): Authenticated,
    Path(type_code): Path<String>,
    Json(input): Json<NewCertificateType>,
) -> Result<Json<CertificateType>> {
    if !keeps_a_provinces_catalogue(&principal) {
        return Err(Error::Forbidden(
            "the certificate type list is kept by a province's catalogue admin".into(),
        ));
    }
    let type_code = type_code.trim().to_ascii_uppercase();
    if !is_type_code(&type_code) {
        return Err(Error::unprocessable(
            "type_code",
            "a type code is the defining authority's 18-character credit code (check character right) and 3 digits",
        ));
    }
    let name = input.name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(Error::unprocessable("name", "1-100 characters"));
    }
    let saved = sqlx::query_as(
        "insert into certificate_types (type_code, name, added_at) values ($1, $2, $3)
         on conflict (type_code) do update set name = excluded.name
         returning type_code, name, fallback, added_at",
    )
    .bind(&type_code)
    .bind(name)
    .bind(state.now().at)
    .fetch_one(&state.pool)
    .await
    .map_err(|e| {
        Error::conflict_on(
            e,
            &[(
                "certificate_types_name_key",
                "type_name_taken",
                "another type code has this name",
            )],
        )
    })?;
    Ok(Json(saved))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_serial_is_the_uuid_in_base_36() {
        assert_eq!(serial(Uuid::nil()), "0");
        assert_eq!(serial(Uuid::from_u128(35)), "Z");
        assert_eq!(serial(Uuid::from_u128(36)), "10");
        let widest = serial(Uuid::max());
        assert_eq!(widest, "F5LXX1ZZ5PNORYNQGLHZMSP33");
        assert!(widest.len() <= 32);
        let id = Uuid::now_v7();
        assert_eq!(u128::from_str_radix(&serial(id), 36).unwrap(), id.as_u128());
    }

    #[test]
    fn a_wrong_check_character_is_named() {
        let text = "1.2.156.3005.2.11100000000013338W011.11430000006122244L.20230000403.001.U";
        assert!(matches!(Named::parse("id", text), Ok(Named::Identifier(_))));
        let Err(Error::Unprocessable { field, message }) =
            Named::parse("id", &text.replace(".U", ".V"))
        else {
            panic!("a wrong check character is refused");
        };
        assert_eq!(field, "id");
        assert!(message.contains("U is expected"), "{message}");
        assert!(matches!(
            Named::parse("id", " 0193a4f2-0000-7000-8000-000000000001 "),
            Ok(Named::Id(_))
        ));
    }
}
