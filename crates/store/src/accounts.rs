//! Accounts and the operator's token.

use centralita_domain::{AccountId, Millis, TokenId};

use crate::users::{NewUser, User, insert_token, insert_user};
use crate::{Store, StoreError, new_uuid, now_ms, parse_id};

/// One company.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    /// Its id.
    pub id: AccountId,
    /// Its name, as the operator typed it.
    pub name: String,
    /// When it was created.
    pub created_at: Millis,
}

#[derive(sqlx::FromRow)]
struct AccountRow {
    id: String,
    name: String,
    created_ms: i64,
}

impl TryFrom<AccountRow> for Account {
    type Error = StoreError;

    fn try_from(row: AccountRow) -> Result<Self, StoreError> {
        Ok(Self {
            id: parse_id("accounts.id", &row.id)?,
            name: row.name,
            created_at: Millis(row.created_ms),
        })
    }
}

impl Store {
    /// The hash of the operator token, if one was ever generated.
    pub async fn operator_token_hash(&self) -> Result<Option<String>, StoreError> {
        let hash = sqlx::query_scalar("SELECT token_hash FROM operator WHERE singleton = 1")
            .fetch_optional(&self.pool)
            .await?;
        Ok(hash)
    }

    /// Replaces the hash of the operator token.
    pub async fn set_operator_token_hash(&self, hash: &str) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO operator (singleton, token_hash, created_ms) VALUES (1, ?, ?)
             ON CONFLICT (singleton) DO UPDATE SET token_hash = excluded.token_hash,
                                                   created_ms = excluded.created_ms",
        )
        .bind(hash)
        .bind(now_ms())
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Creates an account, its first admin and an API token for that admin, all or nothing.
    pub async fn create_account(
        &self,
        name: &str,
        admin: &NewUser,
        token_hash: &str,
    ) -> Result<(Account, User, TokenId), StoreError> {
        let mut tx = self.write().await?;
        let account = Account {
            id: AccountId::from_uuid(new_uuid()),
            name: name.to_owned(),
            created_at: Millis(now_ms()),
        };
        sqlx::query("INSERT INTO accounts (id, name, created_ms) VALUES (?, ?, ?)")
            .bind(account.id.to_string())
            .bind(&account.name)
            .bind(account.created_at.0)
            .execute(&mut *tx)
            .await?;
        let user = insert_user(&mut tx, account.id, admin).await?;
        let token =
            insert_token(&mut tx, user.id, token_hash, Some("created with the account")).await?;
        tx.commit().await?;
        Ok((account, user, token.id))
    }

    /// Every account, oldest first.
    pub async fn list_accounts(&self) -> Result<Vec<Account>, StoreError> {
        let rows: Vec<AccountRow> =
            sqlx::query_as("SELECT id, name, created_ms FROM accounts ORDER BY created_ms, id")
                .fetch_all(&self.pool)
                .await?;
        rows.into_iter().map(Account::try_from).collect()
    }

    /// One account.
    pub async fn get_account(&self, id: AccountId) -> Result<Account, StoreError> {
        let row: Option<AccountRow> =
            sqlx::query_as("SELECT id, name, created_ms FROM accounts WHERE id = ?")
                .bind(id.to_string())
                .fetch_optional(&self.pool)
                .await?;
        row.ok_or(StoreError::NotFound)?.try_into()
    }
}
