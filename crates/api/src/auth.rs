//! Who is calling: the `Authorization: Bearer` token turned into a [`Caller`].
//!
//! Tokens are looked up by their SHA-256; the operator token is compared in constant time.
//! Authorisation is the handler's job, in a fixed order: first find the object *in the
//! caller's account* (404 otherwise, so another account's ids reveal nothing), then check the
//! role (403).

use axum::extract::FromRequestParts;
use axum::http::header;
use axum::http::request::Parts;
use centralita_domain::{AccountId, Role, UserId};
use centralita_store::Viewer;
use subtle::ConstantTimeEq;

use crate::{ApiError, AppState, secrets};

/// A user of an account, authenticated by one of their API tokens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Member {
    /// The user.
    pub id: UserId,
    /// Their account: every query of the request is scoped to it.
    pub account: AccountId,
    /// What they may do.
    pub role: Role,
}

impl Member {
    /// Refuses agents.
    pub fn require_admin(&self) -> Result<(), ApiError> {
        match self.role {
            Role::Admin => Ok(()),
            Role::Agent => Err(ApiError::Forbidden("only an admin of the account can do this")),
        }
    }

    /// Refuses anyone but an admin or the user `id` themselves.
    pub fn require_admin_or_self(&self, id: UserId) -> Result<(), ApiError> {
        if self.id == id { Ok(()) } else { self.require_admin() }
    }

    /// How the store should filter what this member sees.
    pub fn viewer(&self) -> Viewer {
        match self.role {
            Role::Admin => Viewer::Admin,
            Role::Agent => Viewer::Agent(self.id),
        }
    }
}

/// The platform operator, who creates accounts.
#[derive(Debug, Clone, Copy)]
pub struct Operator;

fn bearer(parts: &Parts) -> Result<&str, ApiError> {
    let value = parts
        .headers
        .get(header::AUTHORIZATION)
        .ok_or(ApiError::Unauthorized("an Authorization: Bearer token is required"))?;
    let value = value
        .to_str()
        .map_err(|_| ApiError::Unauthorized("the Authorization header is not readable"))?;
    let (scheme, token) = value
        .split_once(' ')
        .ok_or(ApiError::Unauthorized("the Authorization header must be 'Bearer TOKEN'"))?;
    if !scheme.eq_ignore_ascii_case("bearer") || token.trim().is_empty() {
        return Err(ApiError::Unauthorized("the Authorization header must be 'Bearer TOKEN'"));
    }
    Ok(token.trim())
}

fn is_operator(state: &AppState, token: &str) -> bool {
    let hash = secrets::token_hash(token);
    bool::from(hash.as_bytes().ct_eq(state.operator_token_hash().as_bytes()))
}

impl FromRequestParts<AppState> for Member {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let token = bearer(parts)?;
        if is_operator(state, token) {
            return Err(ApiError::Forbidden(
                "the operator token manages accounts; use a token of a user of the account",
            ));
        }
        let found = state.store().user_by_token_hash(&secrets::token_hash(token)).await?;
        let (user, _token_id) = found.ok_or(ApiError::Unauthorized("unknown or revoked token"))?;
        Ok(Self { id: user.id, account: user.account_id, role: user.role })
    }
}

impl FromRequestParts<AppState> for Operator {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let token = bearer(parts)?;
        if is_operator(state, token) {
            return Ok(Self);
        }
        // A valid user token is authenticated, just not allowed here.
        match state.store().user_by_token_hash(&secrets::token_hash(token)).await? {
            Some(_) => Err(ApiError::Forbidden("only the operator token can do this")),
            None => Err(ApiError::Unauthorized("unknown or revoked token")),
        }
    }
}
