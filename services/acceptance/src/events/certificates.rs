//! Keeps `certificates` from approval's e-certificate events (一证通办).

use chrono::{DateTime, NaiveDate};
use futures::future::BoxFuture;
use sqlx::PgConnection;

use tongban_bus::{Delivered, HandleError, Handler};
use tongban_events::Event;
use tongban_events::approval::v1::{CertificateIssued, CertificateRevoked};

pub struct Certificates;

fn malformed(what: &str, value: &str) -> HandleError {
    HandleError::Permanent(format!("{what} {value:?} is malformed"))
}

impl Handler for Certificates {
    fn handles(&self, ce_type: &str) -> bool {
        ce_type == CertificateIssued::TYPE || ce_type == CertificateRevoked::TYPE
    }

    fn handle<'a>(
        &'a self,
        tx: &'a mut PgConnection,
        event: &'a Delivered,
    ) -> BoxFuture<'a, Result<(), HandleError>> {
        Box::pin(async move {
            if event.attributes.ce_type == CertificateRevoked::TYPE {
                let revoked: CertificateRevoked = event.decode()?;
                let id = uuid::Uuid::parse_str(&revoked.certificate_id)
                    .map_err(|_| malformed("certificate_id", &revoked.certificate_id))?;
                sqlx::query("update certificates set revoked_at = coalesce(revoked_at, $2) where certificate_id = $1")
                    .bind(id)
                    .bind(event.attributes.time)
                    .execute(&mut *tx)
                    .await?;
                return Ok(());
            }
            let issued: CertificateIssued = event.decode()?;
            let id = uuid::Uuid::parse_str(&issued.certificate_id)
                .map_err(|_| malformed("certificate_id", &issued.certificate_id))?;
            let holder = match issued.holder_account_id.as_str() {
                "" => None,
                raw => Some(
                    uuid::Uuid::parse_str(raw).map_err(|_| malformed("holder_account_id", raw))?,
                ),
            };
            let valid_until = match issued.valid_until.as_str() {
                "" => None,
                raw => Some(
                    raw.parse::<NaiveDate>()
                        .map_err(|_| malformed("valid_until", raw))?,
                ),
            };
            if issued.certificate_type.trim().is_empty() {
                return Err(malformed("certificate_type", &issued.certificate_type));
            }
            let issued_at = issued
                .issued_at
                .and_then(|t| DateTime::from_timestamp(t.seconds, t.nanos as u32))
                .unwrap_or(event.attributes.time);
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
        })
    }
}
