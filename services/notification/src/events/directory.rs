//! The projections recipients and messages need: the staff's role bindings and the accounts'
//! languages (identity), and the items' names (catalogue).

use sqlx::PgConnection;

use tongban_bus::{Delivered, HandleError, On, field};
use tongban_events::catalogue::v1::ItemPublished;
use tongban_events::identity::v1::{PreferencesChanged, RoleGranted, RoleRevoked};
use tongban_kernel::RegionCode;

pub struct RoleBindings;

impl On<RoleGranted> for RoleBindings {
    async fn on(
        &self,
        tx: &mut PgConnection,
        granted: RoleGranted,
        _: &Delivered,
    ) -> Result<(), HandleError> {
        let region: RegionCode = granted
            .region_code
            .parse()
            .map_err(|_| field::malformed("region_code", &granted.region_code))?;
        sqlx::query(
            "insert into role_bindings (binding_id, account_id, role, region_code, region_prefix,
                 department_id)
             values ($1, $2, $3, $4, $5, $6)
             on conflict (binding_id) do nothing",
        )
        .bind(field::uuid("binding_id", &granted.binding_id)?)
        .bind(field::uuid("account_id", &granted.account_id)?)
        .bind(&granted.role)
        .bind(region.as_str())
        .bind(region.prefix())
        .bind(field::optional_uuid(
            "department_id",
            &granted.department_id,
        )?)
        .execute(&mut *tx)
        .await?;
        Ok(())
    }
}

impl On<RoleRevoked> for RoleBindings {
    async fn on(
        &self,
        tx: &mut PgConnection,
        revoked: RoleRevoked,
        _: &Delivered,
    ) -> Result<(), HandleError> {
        sqlx::query("delete from role_bindings where binding_id = $1")
            .bind(field::uuid("binding_id", &revoked.binding_id)?)
            .execute(&mut *tx)
            .await?;
        Ok(())
    }
}

/// The languages accounts chose (identity's PreferencesChanged).
pub struct Preferences;

impl On<PreferencesChanged> for Preferences {
    async fn on(
        &self,
        tx: &mut PgConnection,
        changed: PreferencesChanged,
        _: &Delivered,
    ) -> Result<(), HandleError> {
        if !crate::domain::LOCALES.contains(&changed.locale.as_str()) {
            return Err(field::malformed("locale", &changed.locale));
        }
        sqlx::query(
            "insert into preferences (account_id, locale) values ($1, $2)
             on conflict (account_id) do update set locale = excluded.locale",
        )
        .bind(field::uuid("account_id", &changed.account_id)?)
        .bind(&changed.locale)
        .execute(&mut *tx)
        .await?;
        Ok(())
    }
}

pub struct ItemNames;

impl On<ItemPublished> for ItemNames {
    async fn on(
        &self,
        tx: &mut PgConnection,
        item: ItemPublished,
        _: &Delivered,
    ) -> Result<(), HandleError> {
        // A name only moves forward with the version: a replayed older one changes nothing.
        sqlx::query(
            "insert into items (implementation_code, name, version) values ($1, $2, $3)
             on conflict (implementation_code) do update
             set name = excluded.name, version = excluded.version
             where items.version < excluded.version",
        )
        .bind(&item.implementation_code)
        .bind(&item.name)
        .bind(item.version as i32)
        .execute(&mut *tx)
        .await?;
        Ok(())
    }
}
