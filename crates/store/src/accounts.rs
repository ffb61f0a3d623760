//! Accounts and the operator's token.

use centralita_domain::{AccountId, Country, FieldError, Millis, NumberId, TokenId};

use crate::users::{NewUser, User, insert_token, insert_user};
use crate::{Store, StoreError, new_uuid, now_ms, parse_id, parse_opt_id};

/// One company.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    /// Its id.
    pub id: AccountId,
    /// Its name, as the operator typed it.
    pub name: String,
    /// When it was created.
    pub created_at: Millis,
    /// Where it is: how its people dial national numbers, and its default destinations.
    pub country: Country,
    /// Country prefixes (digits) that its forwarded, transferred and outbound calls may reach;
    /// `None` is its own country's calling code.
    pub allowed_prefixes: Option<Vec<String>>,
    /// Its limit on concurrent external legs; `None` is the server's.
    pub max_outbound_legs: Option<u32>,
    /// The caller ID of outbound calls for users who chose none.
    pub default_number_id: Option<NumberId>,
}

impl Account {
    /// The country prefixes its external legs may reach, its own country's by default.
    pub fn destinations(&self) -> Vec<String> {
        match &self.allowed_prefixes {
            Some(prefixes) => prefixes.clone(),
            None => vec![self.country.calling_code().to_string()],
        }
    }
}

/// Changes to an account's outbound policy; `None` leaves a field as it is, `Some(None)` goes
/// back to the default.
#[derive(Debug, Clone, Default)]
pub struct AccountUpdate {
    /// New name.
    pub name: Option<String>,
    /// New country.
    pub country: Option<Country>,
    /// New allowed prefixes.
    pub allowed_prefixes: Option<Option<Vec<String>>>,
    /// New limit on concurrent external legs.
    pub max_outbound_legs: Option<Option<u32>>,
    /// New default caller ID (a number of the account).
    pub default_number: Option<Option<NumberId>>,
}

/// `SELECT <every column of Account> FROM accounts <tail>`, as a static string.
macro_rules! select_accounts {
    ($tail:literal) => {
        concat!(
            "SELECT id, name, created_ms, country, allowed_prefixes, max_outbound_legs, ",
            "default_number_id FROM accounts ",
            $tail
        )
    };
}

#[derive(sqlx::FromRow)]
struct AccountRow {
    id: String,
    name: String,
    created_ms: i64,
    country: String,
    allowed_prefixes: Option<String>,
    max_outbound_legs: Option<i64>,
    default_number_id: Option<String>,
}

impl TryFrom<AccountRow> for Account {
    type Error = StoreError;

    fn try_from(row: AccountRow) -> Result<Self, StoreError> {
        let corrupt = |what: &str| StoreError::Corrupt(format!("accounts.{what} of {}", row.id));
        Ok(Self {
            id: parse_id("accounts.id", &row.id)?,
            country: Country::parse(&row.country).map_err(|_| corrupt("country"))?,
            allowed_prefixes: row
                .allowed_prefixes
                .as_deref()
                .map(serde_json::from_str)
                .transpose()
                .map_err(|_| corrupt("allowed_prefixes"))?,
            max_outbound_legs: row
                .max_outbound_legs
                .map(u32::try_from)
                .transpose()
                .map_err(|_| corrupt("max_outbound_legs"))?,
            default_number_id: parse_opt_id(
                "accounts.default_number_id",
                row.default_number_id.as_deref(),
            )?,
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
        country: Country,
        admin: &NewUser,
        token_hash: &str,
    ) -> Result<(Account, User, TokenId), StoreError> {
        let mut tx = self.write().await?;
        let account = Account {
            id: AccountId::from_uuid(new_uuid()),
            name: name.to_owned(),
            created_at: Millis(now_ms()),
            country,
            allowed_prefixes: None,
            max_outbound_legs: None,
            default_number_id: None,
        };
        sqlx::query("INSERT INTO accounts (id, name, created_ms, country) VALUES (?, ?, ?, ?)")
            .bind(account.id.to_string())
            .bind(&account.name)
            .bind(account.created_at.0)
            .bind(country.as_str())
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
        let rows: Vec<AccountRow> = sqlx::query_as(select_accounts!("ORDER BY created_ms, id"))
            .fetch_all(&self.pool)
            .await?;
        rows.into_iter().map(Account::try_from).collect()
    }

    /// One account.
    pub async fn get_account(&self, id: AccountId) -> Result<Account, StoreError> {
        let row: Option<AccountRow> = sqlx::query_as(select_accounts!("WHERE id = ?"))
            .bind(id.to_string())
            .fetch_optional(&self.pool)
            .await?;
        row.ok_or(StoreError::NotFound)?.try_into()
    }

    /// Changes an account's name or outbound policy. A default number must be one of the
    /// account's (another account's is refused like an unknown one).
    pub async fn update_account(
        &self,
        id: AccountId,
        update: &AccountUpdate,
    ) -> Result<Account, StoreError> {
        let mut tx = self.write().await?;
        if let Some(Some(number)) = update.default_number {
            let ours: Option<i64> =
                sqlx::query_scalar("SELECT 1 FROM numbers WHERE id = ? AND account_id = ?")
                    .bind(number.to_string())
                    .bind(id.to_string())
                    .fetch_optional(&mut *tx)
                    .await?;
            if ours.is_none() {
                let error = FieldError::new("default_number_id", "is not a number of this account");
                return Err(error.into());
            }
        }
        let unchanged = |given: bool| i64::from(!given);
        let prefixes = update
            .allowed_prefixes
            .as_ref()
            .and_then(|p| p.as_ref())
            .map(|p| serde_json::to_string(p).unwrap_or_default());
        let done = sqlx::query(
            "UPDATE accounts SET name = COALESCE(?, name), country = COALESCE(?, country),
                 allowed_prefixes = CASE WHEN ? THEN allowed_prefixes ELSE ? END,
                 max_outbound_legs = CASE WHEN ? THEN max_outbound_legs ELSE ? END,
                 default_number_id = CASE WHEN ? THEN default_number_id ELSE ? END
             WHERE id = ?",
        )
        .bind(update.name.as_deref())
        .bind(update.country.as_ref().map(Country::as_str))
        .bind(unchanged(update.allowed_prefixes.is_some()))
        .bind(prefixes)
        .bind(unchanged(update.max_outbound_legs.is_some()))
        .bind(update.max_outbound_legs.flatten().map(i64::from))
        .bind(unchanged(update.default_number.is_some()))
        .bind(update.default_number.flatten().map(|n| n.to_string()))
        .bind(id.to_string())
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        tx.commit().await?;
        self.get_account(id).await
    }
}
