//! Numbers, their settings document and who is assigned to them.

use centralita_domain::{
    AccountId, E164, Millis, NumberId, NumberSettings, RefTarget, Reference, UserId, parse_document,
};
use sqlx::{Sqlite, Transaction};

use crate::{Store, StoreError, Viewer, new_uuid, now_ms, parse_id};

/// A phone number owned by an account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Number {
    /// Its id.
    pub id: NumberId,
    /// Its owner.
    pub account_id: AccountId,
    /// The number.
    pub e164: E164,
    /// What the admins call it.
    pub name: String,
    /// When it was added.
    pub created_at: Millis,
}

/// What the SIP edge needs to route a call to a number.
#[derive(Debug, Clone)]
pub struct NumberRoute {
    /// The number.
    pub number: Number,
    /// Its settings at the time of the call.
    pub settings: NumberSettings,
}

#[derive(sqlx::FromRow)]
struct NumberRow {
    id: String,
    account_id: String,
    e164: String,
    name: String,
    created_ms: i64,
}

impl TryFrom<NumberRow> for Number {
    type Error = StoreError;

    fn try_from(row: NumberRow) -> Result<Self, StoreError> {
        Ok(Self {
            id: parse_id("numbers.id", &row.id)?,
            account_id: parse_id("numbers.account_id", &row.account_id)?,
            e164: E164::parse(&row.e164)
                .map_err(|e| StoreError::Corrupt(format!("numbers.e164 {:?}: {e}", row.e164)))?,
            name: row.name,
            created_at: Millis(row.created_ms),
        })
    }
}

/// The stored form of a settings document: the document without `assigned_user_ids`.
fn settings_to_stored(settings: &NumberSettings) -> Result<String, StoreError> {
    let mut value =
        serde_json::to_value(settings).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    if let Some(object) = value.as_object_mut() {
        object.remove("assigned_user_ids");
    }
    Ok(value.to_string())
}

/// Reads a stored document back through the same rules a PUT goes through.
fn settings_from_stored(stored: &str, assigned: Vec<UserId>) -> Result<NumberSettings, StoreError> {
    let corrupt = |e: &dyn std::fmt::Display| StoreError::Corrupt(format!("numbers.settings: {e}"));
    let mut value: serde_json::Value = serde_json::from_str(stored).map_err(|e| corrupt(&e))?;
    let object = value.as_object_mut().ok_or_else(|| corrupt(&"not an object"))?;
    object.insert(
        "assigned_user_ids".into(),
        serde_json::to_value(assigned).map_err(|e| corrupt(&e))?,
    );
    parse_document(value.to_string().as_bytes()).map_err(|e| corrupt(&e))
}

impl Store {
    /// Adds a number to an account, assigned to all its users, with the default settings.
    /// 409 when any account already has it.
    pub async fn create_number(
        &self,
        account: AccountId,
        e164: &E164,
        name: &str,
    ) -> Result<Number, StoreError> {
        let mut tx = self.write().await?;
        let number = Number {
            id: NumberId::from_uuid(new_uuid()),
            account_id: account,
            e164: e164.clone(),
            name: name.to_owned(),
            created_at: Millis(now_ms()),
        };
        let settings = NumberSettings::new_number_default(Vec::new());
        sqlx::query("INSERT INTO numbers (id, account_id, e164, name, settings, created_ms) VALUES (?, ?, ?, ?, ?, ?)")
            .bind(number.id.to_string())
            .bind(account.to_string())
            .bind(e164.as_str())
            .bind(name)
            .bind(settings_to_stored(&settings)?)
            .bind(number.created_at.0)
            .execute(&mut *tx)
            .await
            .map_err(|e| StoreError::unique(e, "e164", "this number already belongs to an account"))?;
        sqlx::query(
            "INSERT INTO number_users (number_id, user_id, position)
             SELECT ?, id, ROW_NUMBER() OVER (ORDER BY created_ms, id) - 1 FROM users WHERE account_id = ?",
        )
        .bind(number.id.to_string())
        .bind(account.to_string())
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(number)
    }

    /// The numbers a viewer may see: all of the account for an admin, the assigned ones for
    /// an agent.
    pub async fn list_numbers(
        &self,
        account: AccountId,
        viewer: Viewer,
    ) -> Result<Vec<Number>, StoreError> {
        let rows: Vec<NumberRow> = sqlx::query_as(
            "SELECT id, account_id, e164, name, created_ms FROM numbers n
             WHERE account_id = ?1
               AND (?2 IS NULL OR EXISTS (SELECT 1 FROM number_users u WHERE u.number_id = n.id AND u.user_id = ?2))
             ORDER BY created_ms, id",
        )
        .bind(account.to_string())
        .bind(viewer.agent())
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter().map(Number::try_from).collect()
    }

    /// The number an agent's outbound calls show: their own choice, else the account's
    /// default, else the first (by number) of those assigned to them, as long as it is still
    /// assigned to them. `None` when no number is assigned to them.
    pub async fn caller_id(
        &self,
        account: AccountId,
        user: UserId,
    ) -> Result<Option<Number>, StoreError> {
        let row: Option<NumberRow> = sqlx::query_as(
            "SELECT n.id, n.account_id, n.e164, n.name, n.created_ms
             FROM numbers n JOIN number_users nu ON nu.number_id = n.id AND nu.user_id = ?2
             JOIN users u ON u.id = ?2 JOIN accounts a ON a.id = ?1
             WHERE n.account_id = ?1
             ORDER BY n.id = u.default_number_id DESC, n.id = a.default_number_id DESC, n.e164
             LIMIT 1",
        )
        .bind(account.to_string())
        .bind(user.to_string())
        .fetch_optional(&self.pool)
        .await?;
        row.map(Number::try_from).transpose()
    }

    /// One number, if the viewer may see it.
    pub async fn get_number(
        &self,
        account: AccountId,
        id: NumberId,
        viewer: Viewer,
    ) -> Result<Number, StoreError> {
        let row: Option<NumberRow> = sqlx::query_as(
            "SELECT id, account_id, e164, name, created_ms FROM numbers n
             WHERE id = ?3 AND account_id = ?1
               AND (?2 IS NULL OR EXISTS (SELECT 1 FROM number_users u WHERE u.number_id = n.id AND u.user_id = ?2))",
        )
        .bind(account.to_string())
        .bind(viewer.agent())
        .bind(id.to_string())
        .fetch_optional(&self.pool)
        .await?;
        row.ok_or(StoreError::NotFound)?.try_into()
    }

    /// Renames a number.
    pub async fn rename_number(
        &self,
        account: AccountId,
        id: NumberId,
        name: &str,
    ) -> Result<Number, StoreError> {
        let done = sqlx::query("UPDATE numbers SET name = ? WHERE id = ? AND account_id = ?")
            .bind(name)
            .bind(id.to_string())
            .bind(account.to_string())
            .execute(&self.pool)
            .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        self.get_number(account, id, Viewer::Admin).await
    }

    /// Releases a number. Its call history stays, without the link to the number.
    pub async fn delete_number(&self, account: AccountId, id: NumberId) -> Result<(), StoreError> {
        let done = sqlx::query("DELETE FROM numbers WHERE id = ? AND account_id = ?")
            .bind(id.to_string())
            .bind(account.to_string())
            .execute(&self.pool)
            .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    /// A number's settings document.
    pub async fn get_settings(
        &self,
        account: AccountId,
        id: NumberId,
    ) -> Result<NumberSettings, StoreError> {
        let mut tx = self.pool.begin().await?;
        let settings = settings_in(&mut tx, account, id).await?;
        tx.commit().await?;
        Ok(settings)
    }

    /// Replaces a number's settings document. Every id in it must exist in the same account;
    /// otherwise nothing changes and the error names the field.
    pub async fn put_settings(
        &self,
        account: AccountId,
        id: NumberId,
        settings: &NumberSettings,
    ) -> Result<NumberSettings, StoreError> {
        let mut tx = self.write().await?;
        let exists: Option<i64> =
            sqlx::query_scalar("SELECT 1 FROM numbers WHERE id = ? AND account_id = ?")
                .bind(id.to_string())
                .bind(account.to_string())
                .fetch_optional(&mut *tx)
                .await?;
        if exists.is_none() {
            return Err(StoreError::NotFound);
        }
        check_references(&mut tx, account, &settings.references()).await?;
        sqlx::query("UPDATE numbers SET settings = ? WHERE id = ?")
            .bind(settings_to_stored(settings)?)
            .bind(id.to_string())
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM number_users WHERE number_id = ?")
            .bind(id.to_string())
            .execute(&mut *tx)
            .await?;
        for (position, user) in settings.assigned_user_ids.iter().enumerate() {
            sqlx::query("INSERT INTO number_users (number_id, user_id, position) VALUES (?, ?, ?)")
                .bind(id.to_string())
                .bind(user.to_string())
                .bind(position as i64)
                .execute(&mut *tx)
                .await?;
        }
        let stored = settings_in(&mut tx, account, id).await?;
        tx.commit().await?;
        Ok(stored)
    }

    /// The number a call to `e164` is for, with its settings, on any account.
    pub async fn route_for(&self, e164: &E164) -> Result<Option<NumberRoute>, StoreError> {
        let mut tx = self.pool.begin().await?;
        let row: Option<NumberRow> = sqlx::query_as(
            "SELECT id, account_id, e164, name, created_ms FROM numbers WHERE e164 = ?",
        )
        .bind(e164.as_str())
        .fetch_optional(&mut *tx)
        .await?;
        let Some(row) = row else { return Ok(None) };
        let number = Number::try_from(row)?;
        let settings = settings_in(&mut tx, number.account_id, number.id).await?;
        tx.commit().await?;
        Ok(Some(NumberRoute { number, settings }))
    }
}

/// Reads one number's settings inside a transaction.
pub(crate) async fn settings_in(
    tx: &mut Transaction<'static, Sqlite>,
    account: AccountId,
    id: NumberId,
) -> Result<NumberSettings, StoreError> {
    let stored: Option<String> =
        sqlx::query_scalar("SELECT settings FROM numbers WHERE id = ? AND account_id = ?")
            .bind(id.to_string())
            .bind(account.to_string())
            .fetch_optional(&mut **tx)
            .await?;
    let stored = stored.ok_or(StoreError::NotFound)?;
    let users: Vec<String> = sqlx::query_scalar(
        "SELECT user_id FROM number_users WHERE number_id = ? ORDER BY position",
    )
    .bind(id.to_string())
    .fetch_all(&mut **tx)
    .await?;
    let users = users
        .iter()
        .map(|u| parse_id("number_users.user_id", u))
        .collect::<Result<Vec<UserId>, _>>()?;
    settings_from_stored(&stored, users)
}

/// Every number's settings in an account, for "is this audio/IVR in use?" checks.
pub(crate) async fn all_settings_in(
    tx: &mut Transaction<'static, Sqlite>,
    account: AccountId,
) -> Result<Vec<(Number, NumberSettings)>, StoreError> {
    let rows: Vec<NumberRow> = sqlx::query_as(
        "SELECT id, account_id, e164, name, created_ms FROM numbers WHERE account_id = ? ORDER BY created_ms",
    )
    .bind(account.to_string())
    .fetch_all(&mut **tx)
    .await?;
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        let number = Number::try_from(row)?;
        let settings = settings_in(tx, account, number.id).await?;
        out.push((number, settings));
    }
    Ok(out)
}

/// Checks that every reference names an object of the account; the first that does not is a
/// 422 on its field.
pub(crate) async fn check_references(
    tx: &mut Transaction<'static, Sqlite>,
    account: AccountId,
    references: &[Reference],
) -> Result<(), StoreError> {
    for reference in references {
        let (sql, id, what) = match reference.target {
            RefTarget::Audio(id) => (
                "SELECT 1 FROM audio WHERE id = ? AND account_id = ?",
                id.to_string(),
                "audio message",
            ),
            RefTarget::Ivr(id) => {
                ("SELECT 1 FROM ivrs WHERE id = ? AND account_id = ?", id.to_string(), "IVR")
            }
            RefTarget::User(id) => {
                ("SELECT 1 FROM users WHERE id = ? AND account_id = ?", id.to_string(), "user")
            }
        };
        let found: Option<i64> = sqlx::query_scalar(sql)
            .bind(&id)
            .bind(account.to_string())
            .fetch_optional(&mut **tx)
            .await?;
        if found.is_none() {
            return Err(StoreError::Invalid(centralita_domain::FieldError::new(
                reference.field.clone(),
                format!("no {what} with id {id} in this account"),
            )));
        }
    }
    Ok(())
}
