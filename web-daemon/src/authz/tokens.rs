//! Authorization codes and tokens: minting, PKCE, the two grants, revocation, validation.
//!
//! Every code and token is `<kind prefix>` + 43 random base62 characters (≈ 256 bits), e.g.
//! `pacer_at_…`. Stored as (lookup prefix = kind prefix + 8 random characters, SHA-256 of the
//! whole value); a presented value is looked up by its prefix and its hash compared in constant
//! time, as API keys are. Rules:
//! - a code works once, for [`CODE_TTL_SECS`](super::CODE_TTL_SECS); it is spent by any
//!   presentation, successful or not; presenting a redeemed code again revokes the grant it created;
//! - PKCE S256 only; the verifier is 43–128 unreserved characters;
//! - `redirect_uri` and `resource` must equal the ones of the authorization request (the resource
//!   must be pacer's MCP URL), and the client must be the one the code was issued to;
//! - a refresh token is exchanged once: the answer carries a new one; presenting a rotated one
//!   again revokes the whole grant (every token of the family);
//! - an access token is accepted only for pacer's MCP URL, before it expires, while its grant is
//!   not revoked.

use crate::store::Conn;
use oauth2::{PkceCodeChallenge, PkceCodeVerifier};
use pacer_shared::{Secret, TenantId};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use super::{GrantRef, OAuthFailure, Scopes, same_resource};
use crate::auth::api_key::random_base62;
use crate::auth::{AuthError, Principal};
use crate::store::authz::{self, Binding, TokenKind};
use crate::store::{Store, now_epoch, users};

/// Random characters after the kind prefix.
const RANDOM_LEN: usize = 43;
/// Random characters kept in the lookup prefix.
const LOOKUP_CHARS: usize = 8;
/// Authorization codes.
pub const CODE_PREFIX: &str = "pacer_ac_";
/// Access tokens.
pub const ACCESS_PREFIX: &str = "pacer_at_";
/// Refresh tokens.
pub const REFRESH_PREFIX: &str = "pacer_rt_";

/// A freshly minted code or token: the secret (handed out once) and what gets stored.
pub struct Minted {
    pub secret: Secret,
    pub prefix: String,
    pub hash: [u8; 32],
}

/// Mints a value with `kind` (one of the prefixes above).
pub fn mint(kind: &str) -> Minted {
    let value = format!("{kind}{}", random_base62(RANDOM_LEN));
    let prefix = value[..kind.len() + LOOKUP_CHARS].to_owned();
    let hash = Sha256::digest(value.as_bytes()).into();
    Minted { secret: Secret::new(value), prefix, hash }
}

/// The lookup prefix of a well-formed value of `kind`, or `None`.
pub fn lookup_prefix<'a>(kind: &str, value: &'a str) -> Option<&'a str> {
    let random = value.strip_prefix(kind)?;
    (random.len() == RANDOM_LEN && random.bytes().all(|b| b.is_ascii_alphanumeric()))
        .then(|| &value[..kind.len() + LOOKUP_CHARS])
}

/// Constant-time comparison of the presented value with a stored hash.
fn hash_matches(value: &str, stored: &[u8]) -> bool {
    let presented: [u8; 32] = Sha256::digest(value.as_bytes()).into();
    bool::from(presented.as_slice().ct_eq(stored))
}

/// Checks a PKCE S256 verifier against the stored challenge (RFC 7636 §4.6).
pub fn pkce_s256_matches(verifier: &str, challenge: &str) -> bool {
    let well_formed = (43..=128).contains(&verifier.len())
        && verifier.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~'));
    if !well_formed {
        return false;
    }
    let computed = PkceCodeChallenge::from_code_verifier_sha256(&PkceCodeVerifier::new(verifier.to_owned()));
    bool::from(computed.as_str().as_bytes().ct_eq(challenge.as_bytes()))
}

/// Whether a `code_challenge` is a well-formed S256 challenge (43 base64url characters).
pub fn is_s256_challenge(challenge: &str) -> bool {
    challenge.len() == 43 && challenge.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_'))
}

/// Token lifetimes (from `[mcp_auth]`).
#[derive(Debug, Clone, Copy)]
pub struct Lifetimes {
    pub access_secs: i64,
    pub refresh_secs: i64,
}

/// A token endpoint answer (RFC 6749 §5.1).
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct TokenAnswer {
    /// Opaque bearer token for `POST /mcp` and `GET /mcp/ws`.
    pub access_token: String,
    /// Always `Bearer`.
    pub token_type: &'static str,
    /// Seconds until the access token expires.
    pub expires_in: i64,
    /// A new refresh token (the one presented, if any, is now spent).
    pub refresh_token: String,
    /// Space-separated granted scopes.
    pub scope: String,
}

/// Stores a fresh access + refresh pair for `grant_id`.
fn issue_pair(
    conn: &Conn,
    tenant: &TenantId,
    grant_id: &str,
    scopes: &str,
    life: Lifetimes,
) -> Result<TokenAnswer, OAuthFailure> {
    let now = now_epoch();
    let access = mint(ACCESS_PREFIX);
    let refresh = mint(REFRESH_PREFIX);
    authz::insert_token(
        conn,
        &access.prefix,
        &access.hash,
        TokenKind::Access,
        tenant,
        grant_id,
        now + life.access_secs,
    )?;
    authz::insert_token(
        conn,
        &refresh.prefix,
        &refresh.hash,
        TokenKind::Refresh,
        tenant,
        grant_id,
        now + life.refresh_secs,
    )?;
    Ok(TokenAnswer {
        access_token: access.secret.expose().to_owned(),
        token_type: "Bearer",
        expires_in: life.access_secs,
        refresh_token: refresh.secret.expose().to_owned(),
        scope: scopes.to_owned(),
    })
}

/// The authorization-code grant's inputs (client already authenticated by the caller).
pub struct CodeExchange {
    pub code: String,
    pub client_id: String,
    pub redirect_uri: Option<String>,
    pub code_verifier: Option<String>,
    pub resource: Option<String>,
}

/// Redeems an authorization code (see the module docs for every refusal).
pub async fn exchange_code(
    store: &Store,
    x: CodeExchange,
    expected_resource: String,
    life: Lifetimes,
) -> Result<TokenAnswer, OAuthFailure> {
    serialized(store, x, expected_resource, life, exchange_code_in).await
}

/// A grant step's work: the request, the expected resource, the token lifetimes.
type GrantStep<X> = fn(&Conn, &X, &str, Lifetimes) -> Result<TokenAnswer, OAuthFailure>;

/// Runs `step` in one IMMEDIATE transaction, committed whatever it answered (a refusal may have
/// written: a replayed code revokes its grant): two concurrent presentations of one code or
/// refresh token serialize here.
async fn serialized<X: Send + 'static>(
    store: &Store,
    x: X,
    expected_resource: String,
    life: Lifetimes,
    step: GrantStep<X>,
) -> Result<TokenAnswer, OAuthFailure> {
    store
        .call(move |c| {
            let tx = c.transaction_immediate()?;
            let out = step(&tx, &x, &expected_resource, life);
            tx.commit()?;
            Ok(out)
        })
        .await
        .map_err(OAuthFailure::from)?
}

fn exchange_code_in(
    conn: &Conn,
    x: &CodeExchange,
    expected_resource: &str,
    life: Lifetimes,
) -> Result<TokenAnswer, OAuthFailure> {
    let bad = || OAuthFailure::grant("the authorization code is invalid, expired or was already used");
    let prefix = lookup_prefix(CODE_PREFIX, &x.code).ok_or_else(bad)?;
    let row = authz::code(conn, prefix)?.ok_or_else(bad)?;
    if !hash_matches(&x.code, &row.hash) {
        return Err(bad());
    }
    if row.used {
        if let Some(grant) = &row.grant_id {
            authz::revoke_grant(conn, &row.binding.tenant_id, grant)?;
            tracing::warn!(client = %crate::untrusted::Untrusted(&row.binding.client_id), "authorization code replayed; its grant is revoked");
        }
        return Err(bad());
    }
    authz::spend_code(conn, &row.prefix, None)?;
    if row.expires_at < now_epoch() {
        return Err(bad());
    }
    if row.binding.client_id != x.client_id {
        return Err(OAuthFailure::grant("the authorization code was issued to another client"));
    }
    if x.redirect_uri.as_deref() != Some(row.redirect_uri.as_str()) {
        return Err(OAuthFailure::grant("redirect_uri does not match the one of the authorization request"));
    }
    let verifier =
        x.code_verifier.as_deref().ok_or_else(|| OAuthFailure::request("code_verifier is required (PKCE)"))?;
    if !pkce_s256_matches(verifier, &row.code_challenge) {
        return Err(OAuthFailure::grant("code_verifier does not match the code_challenge"));
    }
    check_resource(x.resource.as_deref(), &row.binding.resource, expected_resource)?;
    let grant_id = authz::insert_grant(conn, &row.binding)?;
    authz::spend_code(conn, &row.prefix, Some(&grant_id))?;
    authz::purge_expired(conn, now_epoch())?;
    issue_pair(conn, &row.binding.tenant_id, &grant_id, &row.binding.scopes, life)
}

/// `resource` is required and must be pacer's MCP URL, the one the grant is bound to.
fn check_resource(presented: Option<&str>, bound: &str, expected: &str) -> Result<(), OAuthFailure> {
    let presented = presented
        .ok_or_else(|| OAuthFailure::new("invalid_target", format!("resource is required: use {expected}")))?;
    if !same_resource(presented, expected) || !same_resource(bound, expected) {
        return Err(OAuthFailure::new(
            "invalid_target",
            format!("this server issues tokens only for the resource {expected}"),
        ));
    }
    Ok(())
}

/// The refresh grant's inputs (client already authenticated by the caller).
pub struct RefreshExchange {
    pub refresh_token: String,
    pub client_id: String,
    pub scope: Option<String>,
    pub resource: Option<String>,
}

/// Rotates a refresh token (see the module docs).
pub async fn refresh(
    store: &Store,
    x: RefreshExchange,
    expected_resource: String,
    life: Lifetimes,
) -> Result<TokenAnswer, OAuthFailure> {
    serialized(store, x, expected_resource, life, refresh_in).await
}

fn refresh_in(
    conn: &Conn,
    x: &RefreshExchange,
    expected_resource: &str,
    life: Lifetimes,
) -> Result<TokenAnswer, OAuthFailure> {
    let bad = || OAuthFailure::grant("the refresh token is invalid, expired or revoked");
    let prefix = lookup_prefix(REFRESH_PREFIX, &x.refresh_token).ok_or_else(bad)?;
    let row = authz::token(conn, prefix)?.ok_or_else(bad)?;
    if !hash_matches(&x.refresh_token, &row.hash) || row.kind != TokenKind::Refresh || row.grant_revoked {
        return Err(bad());
    }
    if row.binding.client_id != x.client_id {
        return Err(OAuthFailure::grant("the refresh token was issued to another client"));
    }
    let tenant = row.binding.tenant_id.clone();
    if row.used_at.is_some() || !authz::mark_refresh_used(conn, &tenant, &row.prefix, now_epoch())? {
        authz::revoke_grant(conn, &tenant, &row.grant_id)?;
        tracing::warn!(grant = %row.grant_id, "rotated refresh token presented again; the grant is revoked");
        return Err(OAuthFailure::grant(
            "the refresh token was already used; every token of this authorization is now revoked",
        ));
    }
    if row.expires_at < now_epoch() {
        return Err(bad());
    }
    if let Some(r) = x.resource.as_deref() {
        check_resource(Some(r), &row.binding.resource, expected_resource)?;
    } else {
        check_resource(Some(&row.binding.resource), &row.binding.resource, expected_resource)?;
    }
    let granted = Scopes::parse(&row.binding.scopes).map_err(OAuthFailure::server)?;
    let scopes = match x.scope.as_deref() {
        None => granted,
        Some(asked) => {
            let asked = Scopes::parse(asked).map_err(|e| OAuthFailure::new("invalid_scope", e))?;
            if !granted.covers(asked) {
                return Err(OAuthFailure::new("invalid_scope", "a refresh cannot widen the granted scopes"));
            }
            asked
        }
    };
    issue_pair(conn, &tenant, &row.grant_id, &scopes.to_string(), life)
}

/// RFC 7009 revocation by `client_id`: a refresh token revokes its whole grant, an access
/// token itself. Unknown tokens and tokens of other clients are ignored (the endpoint answers
/// 200 either way).
pub async fn revoke(store: &Store, token: String, client_id: String) -> Result<(), OAuthFailure> {
    store
        .call(move |c| {
            let prefix = lookup_prefix(REFRESH_PREFIX, &token).or_else(|| lookup_prefix(ACCESS_PREFIX, &token));
            let Some(prefix) = prefix else { return Ok(()) };
            let Some(row) = authz::token(c, prefix)? else { return Ok(()) };
            if !hash_matches(&token, &row.hash) || row.binding.client_id != client_id {
                return Ok(());
            }
            match row.kind {
                TokenKind::Refresh => {
                    authz::revoke_grant(c, &row.binding.tenant_id, &row.grant_id)?;
                }
                TokenKind::Access => authz::delete_token(c, &row.binding.tenant_id, &row.prefix)?,
            }
            Ok(())
        })
        .await
        .map_err(OAuthFailure::from)
}

/// Whether `value` looks like one of pacer's access tokens (so a Bearer JWT is not tried).
pub fn is_access_token(value: &str) -> bool {
    value.starts_with(ACCESS_PREFIX)
}

/// Validates an access token for `resource`: the caller's principal, with the grant and the
/// user's tier. Unknown, expired, revoked or other-audience → `Unauthorized`.
pub async fn validate_access(store: &Store, token: &Secret, resource: String) -> Result<Principal, AuthError> {
    let token = token.clone();
    store
        .call(move |c| {
            let invalid = || AuthError::Unauthorized("invalid or expired access token".into());
            let Some(prefix) = lookup_prefix(ACCESS_PREFIX, token.expose()) else { return Ok(Err(invalid())) };
            let Some(row) = authz::token(c, prefix)? else { return Ok(Err(invalid())) };
            if !hash_matches(token.expose(), &row.hash)
                || row.kind != TokenKind::Access
                || row.grant_revoked
                || row.expires_at < now_epoch()
            {
                return Ok(Err(invalid()));
            }
            if !same_resource(&row.binding.resource, &resource) {
                return Ok(Err(AuthError::Unauthorized("the access token was issued for another resource".into())));
            }
            let Binding { tenant_id, user_id, client_id, scopes, .. } = row.binding;
            let Some(tier) = users::max_tier(c, &tenant_id, &user_id)? else { return Ok(Err(invalid())) };
            let scopes = Scopes::parse(&scopes).unwrap_or_default();
            Ok(Ok(Principal {
                tenant_id,
                user_id,
                key_id: None,
                tier,
                grant: Some(GrantRef { id: row.grant_id, client_id, scopes }),
            }))
        })
        .await?
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minted_values_have_their_prefix() {
        let m = mint(ACCESS_PREFIX);
        assert_eq!(lookup_prefix(ACCESS_PREFIX, m.secret.expose()), Some(m.prefix.as_str()));
        assert_eq!(lookup_prefix(REFRESH_PREFIX, m.secret.expose()), None);
        assert!(hash_matches(m.secret.expose(), &m.hash));
        assert_eq!(lookup_prefix(ACCESS_PREFIX, "pacer_at_short"), None);
    }

    #[test]
    fn pkce_s256_matches_an_independent_computation() {
        // BASE64URL(SHA-256(verifier)) computed with Python's hashlib.
        let verifier = "dBjftJeZ4CVP-mJ92K9PFrB0x0Lm6Lk7Qb7y6eA4gkQ";
        let challenge = "GHkHz6iiEzBSfHLNCPzCs50fPEEEEnFezQIbWNdjZgg";
        assert!(pkce_s256_matches(verifier, challenge));
        assert!(!pkce_s256_matches("dBjftJeZ4CVP-mJ92K9PFrB0x0Lm6Lk7Qb7y6eA4gkX", challenge));
        assert!(!pkce_s256_matches("short", challenge));
        assert!(is_s256_challenge(challenge));
        assert!(!is_s256_challenge("plain-verifier"));
    }
}
