//! Keeps `agreements` from the crossregion service's events: which items other regions may
//! collect cases for, from when until when (跨域通办).

use sqlx::PgConnection;

use tongban_bus::{Delivered, HandleError, On, field};
use tongban_events::crossregion::v1::{AgreementConcluded, AgreementTerminated};

pub struct Agreements;

impl On<AgreementConcluded> for Agreements {
    async fn on(
        &self,
        tx: &mut PgConnection,
        agreement: AgreementConcluded,
        _: &Delivered,
    ) -> Result<(), HandleError> {
        let id = field::uuid("agreement_id", &agreement.agreement_id)?;
        let from = field::optional_date("effective_from", &agreement.effective_from)?
            .ok_or_else(|| HandleError::Permanent("an agreement without effective_from".into()))?;
        let until = field::optional_date("effective_until", &agreement.effective_until)?;
        let inserted = sqlx::query(
            "insert into agreements (id, mode, collecting_regions, effective_from, effective_until)
             values ($1, $2, $3, $4, $5) on conflict (id) do nothing",
        )
        .bind(id)
        .bind(&agreement.mode)
        .bind(&agreement.collecting_regions)
        .bind(from)
        .bind(until)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if inserted == 1 {
            let codes: Vec<&str> = agreement
                .items
                .iter()
                .map(|i| i.implementation_code.as_str())
                .collect();
            sqlx::query(
                "insert into agreement_items (agreement_id, implementation_code)
                 select $1, unnest($2::text[])",
            )
            .bind(id)
            .bind(&codes)
            .execute(&mut *tx)
            .await?;
        }
        Ok(())
    }
}

impl On<AgreementTerminated> for Agreements {
    async fn on(
        &self,
        tx: &mut PgConnection,
        ended: AgreementTerminated,
        _: &Delivered,
    ) -> Result<(), HandleError> {
        let until = field::optional_date("effective_until", &ended.effective_until)?;
        sqlx::query("update agreements set effective_until = $2 where id = $1")
            .bind(field::uuid("agreement_id", &ended.agreement_id)?)
            .bind(until)
            .execute(&mut *tx)
            .await?;
        Ok(())
    }
}
