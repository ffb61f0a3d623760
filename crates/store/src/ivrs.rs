//! IVR configurations, and the rule that sub-menus never form a cycle.

use std::collections::{HashMap, HashSet};

use centralita_domain::{AccountId, FieldError, IvrDocument, IvrId, Millis, parse_document};
use sqlx::{Sqlite, Transaction};

use crate::numbers::{all_settings_in, check_references};
use crate::{Store, StoreError, new_uuid, now_ms, parse_id};

/// A stored IVR.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ivr {
    /// Its id.
    pub id: IvrId,
    /// The configuration.
    pub document: IvrDocument,
    /// When it was created.
    pub created_at: Millis,
    /// When it last changed.
    pub updated_at: Millis,
}

#[derive(sqlx::FromRow)]
struct IvrRow {
    id: String,
    document: String,
    created_ms: i64,
    updated_ms: i64,
}

impl TryFrom<IvrRow> for Ivr {
    type Error = StoreError;

    fn try_from(row: IvrRow) -> Result<Self, StoreError> {
        Ok(Self {
            id: parse_id("ivrs.id", &row.id)?,
            document: parse_document(row.document.as_bytes())
                .map_err(|e| StoreError::Corrupt(format!("ivrs.document: {e}")))?,
            created_at: Millis(row.created_ms),
            updated_at: Millis(row.updated_ms),
        })
    }
}

fn to_stored(document: &IvrDocument) -> Result<String, StoreError> {
    serde_json::to_string(document).map_err(|e| StoreError::Corrupt(e.to_string()))
}

impl Store {
    /// Creates an IVR after checking every id it names.
    pub async fn create_ivr(
        &self,
        account: AccountId,
        document: &IvrDocument,
    ) -> Result<Ivr, StoreError> {
        let mut tx = self.write().await?;
        let id = IvrId::from_uuid(new_uuid());
        check_references(&mut tx, account, &document.references()).await?;
        // A new IVR cannot be in a cycle: nothing leads to it yet, except itself.
        check_no_cycle(&mut tx, account, id, document).await?;
        let now = now_ms();
        sqlx::query("INSERT INTO ivrs (id, account_id, document, created_ms, updated_ms) VALUES (?, ?, ?, ?, ?)")
            .bind(id.to_string())
            .bind(account.to_string())
            .bind(to_stored(document)?)
            .bind(now)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(Ivr { id, document: document.clone(), created_at: Millis(now), updated_at: Millis(now) })
    }

    /// Replaces an IVR's configuration.
    pub async fn put_ivr(
        &self,
        account: AccountId,
        id: IvrId,
        document: &IvrDocument,
    ) -> Result<Ivr, StoreError> {
        let mut tx = self.write().await?;
        let current = get_in(&mut tx, account, id).await?;
        check_references(&mut tx, account, &document.references()).await?;
        check_no_cycle(&mut tx, account, id, document).await?;
        let now = now_ms();
        sqlx::query("UPDATE ivrs SET document = ?, updated_ms = ? WHERE id = ?")
            .bind(to_stored(document)?)
            .bind(now)
            .bind(id.to_string())
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(Ivr {
            id,
            document: document.clone(),
            created_at: current.created_at,
            updated_at: Millis(now),
        })
    }

    /// One IVR of an account.
    pub async fn get_ivr(&self, account: AccountId, id: IvrId) -> Result<Ivr, StoreError> {
        let mut tx = self.pool.begin().await?;
        let ivr = get_in(&mut tx, account, id).await?;
        tx.commit().await?;
        Ok(ivr)
    }

    /// Every IVR of an account, oldest first.
    pub async fn list_ivrs(&self, account: AccountId) -> Result<Vec<Ivr>, StoreError> {
        let mut tx = self.pool.begin().await?;
        let ivrs = load_all(&mut tx, account).await?;
        tx.commit().await?;
        Ok(ivrs)
    }

    /// Deletes an IVR that no number and no other IVR uses.
    pub async fn delete_ivr(&self, account: AccountId, id: IvrId) -> Result<(), StoreError> {
        let mut tx = self.write().await?;
        get_in(&mut tx, account, id).await?;
        for (number, settings) in all_settings_in(&mut tx, account).await? {
            if settings.ivr_id == Some(id) {
                return Err(StoreError::InUse(format!(
                    "the IVR is used by number {} ({})",
                    number.e164, number.name
                )));
            }
        }
        for other in load_all(&mut tx, account).await? {
            if other.id != id && other.document.sub_menus().any(|m| m == id) {
                return Err(StoreError::InUse(format!(
                    "the IVR is a sub-menu of IVR {:?} ({})",
                    other.document.name, other.id
                )));
            }
        }
        sqlx::query("DELETE FROM ivrs WHERE id = ?").bind(id.to_string()).execute(&mut *tx).await?;
        tx.commit().await?;
        Ok(())
    }
}

async fn get_in(
    tx: &mut Transaction<'static, Sqlite>,
    account: AccountId,
    id: IvrId,
) -> Result<Ivr, StoreError> {
    let row: Option<IvrRow> = sqlx::query_as(
        "SELECT id, document, created_ms, updated_ms FROM ivrs WHERE id = ? AND account_id = ?",
    )
    .bind(id.to_string())
    .bind(account.to_string())
    .fetch_optional(&mut **tx)
    .await?;
    row.ok_or(StoreError::NotFound)?.try_into()
}

/// Every IVR of an account, inside a transaction.
pub(crate) async fn load_all(
    tx: &mut Transaction<'static, Sqlite>,
    account: AccountId,
) -> Result<Vec<Ivr>, StoreError> {
    let rows: Vec<IvrRow> = sqlx::query_as(
        "SELECT id, document, created_ms, updated_ms FROM ivrs WHERE account_id = ? ORDER BY created_ms, id",
    )
    .bind(account.to_string())
    .fetch_all(&mut **tx)
    .await?;
    rows.into_iter().map(Ivr::try_from).collect()
}

/// Refuses `document` for IVR `id` if following sub-menus from it can come back to `id`: a
/// caller could otherwise be sent round the same menus for ever.
async fn check_no_cycle(
    tx: &mut Transaction<'static, Sqlite>,
    account: AccountId,
    id: IvrId,
    document: &IvrDocument,
) -> Result<(), StoreError> {
    let mut menus: HashMap<IvrId, Vec<IvrId>> = load_all(tx, account)
        .await?
        .into_iter()
        .map(|ivr| (ivr.id, ivr.document.sub_menus().collect()))
        .collect();
    menus.insert(id, document.sub_menus().collect());
    for start in document.sub_menus() {
        let mut seen = HashSet::new();
        let mut stack = vec![start];
        while let Some(menu) = stack.pop() {
            if menu == id {
                let field =
                    document.field_leading_to(start).unwrap_or_else(|| "options".to_owned());
                return Err(FieldError::new(
                    field,
                    "this sub-menu leads back to this IVR; menus cannot form a cycle",
                )
                .into());
            }
            if seen.insert(menu) {
                stack.extend(menus.get(&menu).into_iter().flatten().copied());
            }
        }
    }
    Ok(())
}
