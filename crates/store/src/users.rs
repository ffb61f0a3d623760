//! Users, their credentials, their presence switch, and their API tokens.

use centralita_domain::{
    AccountId, Email, FieldError, Millis, NumberId, RefTarget, Role, SipUsername, TokenId, UserId,
};
use sqlx::{Sqlite, Transaction};

use crate::{Store, StoreError, new_uuid, now_ms, parse_id, parse_opt_id};

/// Who is looking: admins see the whole account, agents what concerns them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Viewer {
    /// An admin of the account.
    Admin,
    /// An agent: sees the numbers assigned to them and those numbers' calls.
    Agent(UserId),
}

impl Viewer {
    /// The agent's id, or `None` for an admin (binds as SQL NULL: "no restriction").
    pub(crate) fn agent(self) -> Option<String> {
        match self {
            Self::Admin => None,
            Self::Agent(id) => Some(id.to_string()),
        }
    }
}

/// A user to create. Secrets arrive already hashed: the store never sees a password.
#[derive(Debug, Clone)]
pub struct NewUser {
    /// Display name.
    pub name: String,
    /// Sign-in address, unique in the account.
    pub email: Email,
    /// Admin or agent.
    pub role: Role,
    /// argon2id PHC string.
    pub password_hash: String,
    /// SIP username, unique on the platform.
    pub sip_username: SipUsername,
    /// Hex MD5(username:realm:password).
    pub sip_ha1_md5: String,
    /// Hex SHA-256(username:realm:password).
    pub sip_ha1_sha256: String,
}

/// Changes to a user; `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct UserUpdate {
    /// New display name.
    pub name: Option<String>,
    /// New sign-in address.
    pub email: Option<Email>,
    /// New role.
    pub role: Option<Role>,
    /// New argon2id PHC string.
    pub password_hash: Option<String>,
    /// New SIP username and HA1 values (they change together: HA1 includes the username).
    pub sip: Option<(SipUsername, String, String)>,
    /// New caller ID for their outbound calls (`Some(None)` clears it); it must be one of the
    /// numbers assigned to them.
    pub default_number: Option<Option<NumberId>>,
}

/// A user as the rest of the system sees them (no secrets).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    /// Their id.
    pub id: UserId,
    /// Their account.
    pub account_id: AccountId,
    /// Display name.
    pub name: String,
    /// Sign-in address.
    pub email: Email,
    /// Admin or agent.
    pub role: Role,
    /// SIP username.
    pub sip_username: SipUsername,
    /// The switch the user sets; online also needs a registered device.
    pub online_switch: bool,
    /// When they last answered a call (for "longest idle").
    pub last_answered_at: Option<Millis>,
    /// When they were added (breaks "longest idle" ties).
    pub created_at: Millis,
    /// The number their outbound calls show, if they chose one.
    pub default_number_id: Option<NumberId>,
}

/// A user's stored secrets, for checking a password or a SIP digest.
#[derive(Debug, Clone)]
pub struct UserSecrets {
    /// argon2id PHC string.
    pub password_hash: String,
    /// Hex MD5 HA1.
    pub sip_ha1_md5: String,
    /// Hex SHA-256 HA1.
    pub sip_ha1_sha256: String,
}

/// An API token's public part.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Token {
    /// Its id.
    pub id: TokenId,
    /// Whose it is.
    pub user_id: UserId,
    /// What it is for, as its creator said.
    pub label: Option<String>,
    /// When it was made.
    pub created_at: Millis,
}

/// `SELECT <every column of User> FROM users <tail>`, as a static string.
macro_rules! select_users {
    ($tail:literal) => {
        concat!(
            "SELECT id, account_id, name, email, role, sip_username, online_switch, ",
            "last_answered_ms, created_ms, default_number_id FROM users ",
            $tail
        )
    };
}

#[derive(sqlx::FromRow)]
struct UserRow {
    id: String,
    account_id: String,
    name: String,
    email: String,
    role: String,
    sip_username: String,
    online_switch: bool,
    last_answered_ms: Option<i64>,
    created_ms: i64,
    default_number_id: Option<String>,
}

impl TryFrom<UserRow> for User {
    type Error = StoreError;

    fn try_from(row: UserRow) -> Result<Self, StoreError> {
        Ok(Self {
            id: parse_id("users.id", &row.id)?,
            account_id: parse_id("users.account_id", &row.account_id)?,
            name: row.name,
            email: Email::from_stored(row.email),
            role: Role::from_name(&row.role)
                .ok_or_else(|| StoreError::Corrupt(format!("users.role holds {:?}", row.role)))?,
            sip_username: SipUsername::from_stored(row.sip_username),
            online_switch: row.online_switch,
            last_answered_at: row.last_answered_ms.map(Millis),
            created_at: Millis(row.created_ms),
            default_number_id: parse_opt_id(
                "users.default_number_id",
                row.default_number_id.as_deref(),
            )?,
        })
    }
}

#[derive(sqlx::FromRow)]
struct TokenRow {
    id: String,
    user_id: String,
    label: Option<String>,
    created_ms: i64,
}

impl TryFrom<TokenRow> for Token {
    type Error = StoreError;

    fn try_from(row: TokenRow) -> Result<Self, StoreError> {
        Ok(Self {
            id: parse_id("api_tokens.id", &row.id)?,
            user_id: parse_id("api_tokens.user_id", &row.user_id)?,
            label: row.label,
            created_at: Millis(row.created_ms),
        })
    }
}

fn unique_user_error(err: sqlx::Error) -> StoreError {
    let message = match &err {
        sqlx::Error::Database(db) => db.message().to_owned(),
        _ => String::new(),
    };
    if message.contains("sip_username") {
        StoreError::unique(err, "sip_username", "this SIP username is already taken")
    } else {
        StoreError::unique(err, "email", "a user with this email already exists in the account")
    }
}

/// Inserts a user and assigns them to every number of the account (product.md: a newly added
/// user is assigned to all numbers).
pub(crate) async fn insert_user(
    tx: &mut Transaction<'static, Sqlite>,
    account: AccountId,
    new: &NewUser,
) -> Result<User, StoreError> {
    let user = User {
        id: UserId::from_uuid(new_uuid()),
        account_id: account,
        name: new.name.clone(),
        email: new.email.clone(),
        role: new.role,
        sip_username: new.sip_username.clone(),
        online_switch: false,
        last_answered_at: None,
        created_at: Millis(now_ms()),
        default_number_id: None,
    };
    sqlx::query(
        "INSERT INTO users (id, account_id, name, email, role, password_hash, sip_username,
                            sip_ha1_md5, sip_ha1_sha256, created_ms)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(user.id.to_string())
    .bind(account.to_string())
    .bind(&user.name)
    .bind(user.email.as_str())
    .bind(user.role.as_str())
    .bind(&new.password_hash)
    .bind(user.sip_username.as_str())
    .bind(&new.sip_ha1_md5)
    .bind(&new.sip_ha1_sha256)
    .bind(user.created_at.0)
    .execute(&mut **tx)
    .await
    .map_err(unique_user_error)?;
    sqlx::query(
        "INSERT INTO number_users (number_id, user_id, position)
         SELECT n.id, ?, COALESCE((SELECT MAX(position) + 1 FROM number_users WHERE number_id = n.id), 0)
         FROM numbers n WHERE n.account_id = ?",
    )
    .bind(user.id.to_string())
    .bind(account.to_string())
    .execute(&mut **tx)
    .await?;
    Ok(user)
}

/// Inserts an API token for a user.
pub(crate) async fn insert_token(
    tx: &mut Transaction<'static, Sqlite>,
    user: UserId,
    token_hash: &str,
    label: Option<&str>,
) -> Result<Token, StoreError> {
    let token = Token {
        id: TokenId::from_uuid(new_uuid()),
        user_id: user,
        label: label.map(str::to_owned),
        created_at: Millis(now_ms()),
    };
    sqlx::query("INSERT INTO api_tokens (id, user_id, token_hash, label, created_ms) VALUES (?, ?, ?, ?, ?)")
        .bind(token.id.to_string())
        .bind(user.to_string())
        .bind(token_hash)
        .bind(&token.label)
        .bind(token.created_at.0)
        .execute(&mut **tx)
        .await?;
    Ok(token)
}

impl Store {
    /// Creates a user in an account, assigned to all its numbers.
    pub async fn create_user(&self, account: AccountId, new: &NewUser) -> Result<User, StoreError> {
        let mut tx = self.write().await?;
        let user = insert_user(&mut tx, account, new).await?;
        tx.commit().await?;
        Ok(user)
    }

    /// One user of an account.
    pub async fn get_user(&self, account: AccountId, id: UserId) -> Result<User, StoreError> {
        let row: Option<UserRow> = sqlx::query_as(select_users!("WHERE id = ? AND account_id = ?"))
            .bind(id.to_string())
            .bind(account.to_string())
            .fetch_optional(&self.pool)
            .await?;
        row.ok_or(StoreError::NotFound)?.try_into()
    }

    /// Every user of an account, in creation order.
    pub async fn list_users(&self, account: AccountId) -> Result<Vec<User>, StoreError> {
        let rows: Vec<UserRow> =
            sqlx::query_as(select_users!("WHERE account_id = ? ORDER BY created_ms, id"))
                .bind(account.to_string())
                .fetch_all(&self.pool)
                .await?;
        rows.into_iter().map(User::try_from).collect()
    }

    /// Changes a user. Demoting or deleting the last admin is refused: an account without an
    /// admin could never be configured again.
    pub async fn update_user(
        &self,
        account: AccountId,
        id: UserId,
        update: &UserUpdate,
    ) -> Result<User, StoreError> {
        let mut tx = self.write().await?;
        let current = get_user_in(&mut tx, account, id).await?;
        if current.role == Role::Admin && update.role == Some(Role::Agent) {
            ensure_other_admin(
                &mut tx,
                account,
                id,
                "the last admin of an account cannot become an agent",
            )
            .await?;
        }
        let (sip_username, ha1_md5, ha1_sha256) = match &update.sip {
            Some((name, md5, sha)) => (Some(name.as_str()), Some(md5.as_str()), Some(sha.as_str())),
            None => (None, None, None),
        };
        sqlx::query(
            "UPDATE users SET name = COALESCE(?, name), email = COALESCE(?, email),
                              role = COALESCE(?, role), password_hash = COALESCE(?, password_hash),
                              sip_username = COALESCE(?, sip_username),
                              sip_ha1_md5 = COALESCE(?, sip_ha1_md5),
                              sip_ha1_sha256 = COALESCE(?, sip_ha1_sha256)
             WHERE id = ? AND account_id = ?",
        )
        .bind(update.name.as_deref())
        .bind(update.email.as_ref().map(Email::as_str))
        .bind(update.role.map(Role::as_str))
        .bind(update.password_hash.as_deref())
        .bind(sip_username)
        .bind(ha1_md5)
        .bind(ha1_sha256)
        .bind(id.to_string())
        .bind(account.to_string())
        .execute(&mut *tx)
        .await
        .map_err(unique_user_error)?;
        if let Some(number) = update.default_number {
            if let Some(number) = number {
                let assigned: Option<i64> = sqlx::query_scalar(
                    "SELECT 1 FROM number_users WHERE number_id = ? AND user_id = ?",
                )
                .bind(number.to_string())
                .bind(id.to_string())
                .fetch_optional(&mut *tx)
                .await?;
                if assigned.is_none() {
                    return Err(FieldError::new(
                        "default_number_id",
                        "is not one of the numbers assigned to this user",
                    )
                    .into());
                }
            }
            sqlx::query("UPDATE users SET default_number_id = ? WHERE id = ?")
                .bind(number.map(|n| n.to_string()))
                .bind(id.to_string())
                .execute(&mut *tx)
                .await?;
        }
        let user = get_user_in(&mut tx, account, id).await?;
        tx.commit().await?;
        Ok(user)
    }

    /// Deletes a user, their tokens and their assignments. Refused for the last admin and for a
    /// user an IVR option names (removing them would silently change who that option rings).
    pub async fn delete_user(&self, account: AccountId, id: UserId) -> Result<(), StoreError> {
        let mut tx = self.write().await?;
        let user = get_user_in(&mut tx, account, id).await?;
        if user.role == Role::Admin {
            ensure_other_admin(
                &mut tx,
                account,
                id,
                "the last admin of an account cannot be deleted",
            )
            .await?;
        }
        for ivr in crate::ivrs::load_all(&mut tx, account).await? {
            if ivr.document.references().iter().any(|r| r.target == RefTarget::User(id)) {
                return Err(StoreError::InUse(format!(
                    "the user is named in IVR {:?} ({}); change that IVR first",
                    ivr.document.name, ivr.id
                )));
            }
        }
        sqlx::query("DELETE FROM users WHERE id = ? AND account_id = ?")
            .bind(id.to_string())
            .bind(account.to_string())
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Sets the user's own online switch.
    pub async fn set_online_switch(
        &self,
        account: AccountId,
        id: UserId,
        online: bool,
    ) -> Result<User, StoreError> {
        let done =
            sqlx::query("UPDATE users SET online_switch = ? WHERE id = ? AND account_id = ?")
                .bind(online)
                .bind(id.to_string())
                .bind(account.to_string())
                .execute(&self.pool)
                .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        self.get_user(account, id).await
    }

    /// Records that a user answered a call at `at` (for "longest idle").
    pub async fn set_last_answered(&self, id: UserId, at: Millis) -> Result<(), StoreError> {
        sqlx::query("UPDATE users SET last_answered_ms = MAX(COALESCE(last_answered_ms, 0), ?) WHERE id = ?")
            .bind(at.0)
            .bind(id.to_string())
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// The secrets of one user of an account.
    pub async fn user_secrets(
        &self,
        account: AccountId,
        id: UserId,
    ) -> Result<UserSecrets, StoreError> {
        let row: Option<(String, String, String)> = sqlx::query_as(
            "SELECT password_hash, sip_ha1_md5, sip_ha1_sha256 FROM users WHERE id = ? AND account_id = ?",
        )
        .bind(id.to_string())
        .bind(account.to_string())
        .fetch_optional(&self.pool)
        .await?;
        let (password_hash, sip_ha1_md5, sip_ha1_sha256) = row.ok_or(StoreError::NotFound)?;
        Ok(UserSecrets { password_hash, sip_ha1_md5, sip_ha1_sha256 })
    }

    /// The user who registers with a SIP username, with their secrets (for the registrar).
    pub async fn user_by_sip_username(
        &self,
        username: &str,
    ) -> Result<Option<(User, UserSecrets)>, StoreError> {
        let row: Option<UserRow> = sqlx::query_as(select_users!("WHERE sip_username = ?"))
            .bind(username)
            .fetch_optional(&self.pool)
            .await?;
        let Some(row) = row else { return Ok(None) };
        let user = User::try_from(row)?;
        let secrets = self.user_secrets(user.account_id, user.id).await?;
        Ok(Some((user, secrets)))
    }

    /// Every user, in any account, who signs in with this email, with their password hash.
    pub async fn users_by_email(&self, email: &Email) -> Result<Vec<(User, String)>, StoreError> {
        let rows: Vec<UserRow> =
            sqlx::query_as(select_users!("WHERE email = ? ORDER BY created_ms"))
                .bind(email.as_str())
                .fetch_all(&self.pool)
                .await?;
        let mut out = Vec::with_capacity(rows.len());
        for row in rows {
            let user = User::try_from(row)?;
            let secrets = self.user_secrets(user.account_id, user.id).await?;
            out.push((user, secrets.password_hash));
        }
        Ok(out)
    }

    /// Creates an API token for a user of the account.
    pub async fn create_token(
        &self,
        account: AccountId,
        user: UserId,
        token_hash: &str,
        label: Option<&str>,
    ) -> Result<Token, StoreError> {
        let mut tx = self.write().await?;
        get_user_in(&mut tx, account, user).await?;
        let token = insert_token(&mut tx, user, token_hash, label).await?;
        tx.commit().await?;
        Ok(token)
    }

    /// The user a token hash belongs to, and the token's id.
    pub async fn user_by_token_hash(
        &self,
        token_hash: &str,
    ) -> Result<Option<(User, TokenId)>, StoreError> {
        let row: Option<(String, String)> =
            sqlx::query_as("SELECT t.id, t.user_id FROM api_tokens t WHERE t.token_hash = ?")
                .bind(token_hash)
                .fetch_optional(&self.pool)
                .await?;
        let Some((token_id, user_id)) = row else { return Ok(None) };
        let user_row: Option<UserRow> = sqlx::query_as(select_users!("WHERE id = ?"))
            .bind(&user_id)
            .fetch_optional(&self.pool)
            .await?;
        let Some(user_row) = user_row else { return Ok(None) };
        Ok(Some((User::try_from(user_row)?, parse_id("api_tokens.id", &token_id)?)))
    }

    /// The tokens of a user of the account (never their secrets).
    pub async fn list_tokens(
        &self,
        account: AccountId,
        user: UserId,
    ) -> Result<Vec<Token>, StoreError> {
        self.get_user(account, user).await?;
        let rows: Vec<TokenRow> = sqlx::query_as(
            "SELECT id, user_id, label, created_ms FROM api_tokens WHERE user_id = ? ORDER BY created_ms, id",
        )
        .bind(user.to_string())
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter().map(Token::try_from).collect()
    }

    /// Revokes a token of a user of the account.
    pub async fn delete_token(
        &self,
        account: AccountId,
        user: UserId,
        token: TokenId,
    ) -> Result<(), StoreError> {
        let done = sqlx::query(
            "DELETE FROM api_tokens WHERE id = ? AND user_id IN (SELECT id FROM users WHERE id = ? AND account_id = ?)",
        )
        .bind(token.to_string())
        .bind(user.to_string())
        .bind(account.to_string())
        .execute(&self.pool)
        .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }
}

pub(crate) async fn get_user_in(
    tx: &mut Transaction<'static, Sqlite>,
    account: AccountId,
    id: UserId,
) -> Result<User, StoreError> {
    let row: Option<UserRow> = sqlx::query_as(select_users!("WHERE id = ? AND account_id = ?"))
        .bind(id.to_string())
        .bind(account.to_string())
        .fetch_optional(&mut **tx)
        .await?;
    row.ok_or(StoreError::NotFound)?.try_into()
}

async fn ensure_other_admin(
    tx: &mut Transaction<'static, Sqlite>,
    account: AccountId,
    id: UserId,
    message: &str,
) -> Result<(), StoreError> {
    let others: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM users WHERE account_id = ? AND role = 'admin' AND id <> ?",
    )
    .bind(account.to_string())
    .bind(id.to_string())
    .fetch_one(&mut **tx)
    .await?;
    if others == 0 { Err(StoreError::InUse(message.to_owned())) } else { Ok(()) }
}
