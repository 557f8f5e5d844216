//! Keeps `certificates` from approval's e-certificate events (一证通办).

use sqlx::PgConnection;

use tongban_bus::{Delivered, HandleError, On, field};
use tongban_events::approval::v1::{CertificateIssued, CertificateRevoked};

pub struct Certificates;

impl On<CertificateIssued> for Certificates {
    async fn on(
        &self,
        tx: &mut PgConnection,
        issued: CertificateIssued,
        event: &Delivered,
    ) -> Result<(), HandleError> {
        let id = field::uuid("certificate_id", &issued.certificate_id)?;
        let holder = field::optional_uuid("holder_account_id", &issued.holder_account_id)?;
        let valid_until = field::optional_date("valid_until", &issued.valid_until)?;
        if issued.certificate_type.trim().is_empty() {
            return Err(field::malformed(
                "certificate_type",
                &issued.certificate_type,
            ));
        }
        let issued_at = event.instant(issued.issued_at);
        sqlx::query(
            "insert into certificates (certificate_id, certificate_type, holder_account_id,
                 issuer_credit_code, valid_until, issued_at)
             values ($1, $2, $3, $4, $5, $6)
             on conflict (certificate_id) do nothing",
        )
        .bind(id)
        .bind(issued.certificate_type.trim())
        .bind(holder)
        .bind(&issued.issuer_credit_code)
        .bind(valid_until)
        .bind(issued_at)
        .execute(&mut *tx)
        .await?;
        Ok(())
    }
}

impl On<CertificateRevoked> for Certificates {
    async fn on(
        &self,
        tx: &mut PgConnection,
        revoked: CertificateRevoked,
        event: &Delivered,
    ) -> Result<(), HandleError> {
        let id = field::uuid("certificate_id", &revoked.certificate_id)?;
        sqlx::query(
            "update certificates set revoked_at = coalesce(revoked_at, $2) where certificate_id = $1",
        )
        .bind(id)
        .bind(event.attributes.time)
        .execute(&mut *tx)
        .await?;
        Ok(())
    }
}
