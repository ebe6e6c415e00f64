//! Session JWTs (HS256). The signing secret comes from config or is generated once into
//! `$PACER_HOME/jwt.key` (mode 0600).

use std::path::Path;

use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation, decode, encode};
use pacer_shared::{Secret, TenantId, Tier, UserId};
use serde::{Deserialize, Serialize};

use super::{AuthError, Principal};

/// Lifetime of an issued token.
pub const TTL_SECS: i64 = 3600;

/// Claims carried by pacer's JWTs.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Claims {
    /// User id.
    pub sub: String,
    /// Tenant id.
    pub tid: String,
    pub exp: i64,
    pub iat: i64,
    /// Not before (seconds): pacer sets it to `iat`; a token used earlier is refused.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nbf: Option<i64>,
    pub jti: String,
}

/// Signing and verification keys, and the tokens verified lately.
pub struct JwtKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    /// SHA-256 of a token that verified → (principal, nbf, exp). The same bytes verify the same
    /// way under the same key, so a hit only re-checks the time window: a session's every request
    /// after the first skips the HMAC and both JSON parses.
    verified: std::sync::Mutex<std::collections::HashMap<[u8; 32], (Principal, i64, i64)>>,
}

/// Most verified tokens remembered (beyond, the expired go first, else all).
const VERIFIED_CACHE: usize = 10_000;

impl std::fmt::Debug for JwtKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("JwtKeys(***)")
    }
}

impl JwtKeys {
    /// Keys from a secret.
    pub fn from_secret(secret: &[u8]) -> Self {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.leeway = 0;
        validation.validate_nbf = true;
        validation.set_required_spec_claims(&["exp", "sub"]);
        Self {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            validation,
            verified: Default::default(),
        }
    }

    /// The configured secret, or `home/jwt.key` (created with 64 random bytes when missing).
    pub fn load_or_create(home: &Path, configured: Option<&Secret>) -> std::io::Result<Self> {
        if let Some(s) = configured {
            if s.expose().len() < 32 {
                return Err(std::io::Error::other(
                    "PACER_JWT_SECRET must be at least 32 bytes (a short HS256 secret can be brute-forced)",
                ));
            }
            return Ok(Self::from_secret(s.expose().as_bytes()));
        }
        let bytes = crate::secrets_file::load_or_create(&home.join("jwt.key"), 64)?;
        Ok(Self::from_secret(&bytes))
    }

    /// Issues a token for (tenant, user).
    pub fn issue(&self, tenant: &TenantId, user: &UserId) -> Result<Secret, AuthError> {
        let now = chrono::Utc::now().timestamp();
        let claims = Claims {
            sub: user.to_string(),
            tid: tenant.to_string(),
            iat: now,
            nbf: Some(now),
            exp: now + TTL_SECS,
            jti: uuid::Uuid::new_v4().to_string(),
        };
        encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .map(Secret::new)
            .map_err(|e| AuthError::Internal(format!("cannot sign token: {e}")))
    }

    /// Verifies signature and expiry; returns the principal (no key, free tier).
    pub fn verify(&self, token: &str) -> Result<Principal, AuthError> {
        use sha2::{Digest, Sha256};
        let now = chrono::Utc::now().timestamp();
        let hash: [u8; 32] = Sha256::digest(token.as_bytes()).into();
        let remembered = self.verified_lock().get(&hash).cloned();
        if let Some((principal, nbf, exp)) = remembered {
            return match (now < nbf, now >= exp) {
                (true, _) => Err(AuthError::Unauthorized("token not valid yet".into())),
                (_, true) => Err(AuthError::Unauthorized("token expired".into())),
                _ => Ok(principal),
            };
        }
        let data = decode::<Claims>(token, &self.decoding, &self.validation).map_err(|e| {
            let why = match e.kind() {
                jsonwebtoken::errors::ErrorKind::ExpiredSignature => "token expired",
                jsonwebtoken::errors::ErrorKind::ImmatureSignature => "token not valid yet",
                _ => "invalid token",
            };
            AuthError::Unauthorized(why.into())
        })?;
        let principal = Principal {
            tenant_id: TenantId::new(data.claims.tid),
            user_id: UserId::new(data.claims.sub),
            key_id: None,
            tier: Tier::Free,
            grant: None,
        };
        let window = (data.claims.nbf.unwrap_or(i64::MIN), data.claims.exp);
        let mut verified = self.verified_lock();
        if verified.len() >= VERIFIED_CACHE {
            verified.retain(|_, (_, _, exp)| *exp > now);
            if verified.len() >= VERIFIED_CACHE {
                verified.clear();
            }
        }
        verified.insert(hash, (principal.clone(), window.0, window.1));
        Ok(principal)
    }

    fn verified_lock(&self) -> std::sync::MutexGuard<'_, std::collections::HashMap<[u8; 32], (Principal, i64, i64)>> {
        self.verified.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn issue_verify_and_reject_tampering() {
        let keys = JwtKeys::from_secret(b"0123456789abcdef0123456789abcdef");
        let tok = keys.issue(&TenantId::new("t1"), &UserId::new("u1")).unwrap();
        let p = keys.verify(tok.expose()).unwrap();
        assert_eq!(p.tenant_id.as_str(), "t1");
        assert_eq!(p.user_id.as_str(), "u1");
        let other = JwtKeys::from_secret(b"another-secret-another-secret-xx");
        assert!(matches!(other.verify(tok.expose()), Err(AuthError::Unauthorized(_))));
        assert!(keys.verify("not.a.jwt").is_err());
    }

    #[test]
    fn a_token_before_its_nbf_is_refused() {
        let secret = b"0123456789abcdef0123456789abcdef";
        let keys = JwtKeys::from_secret(secret);
        let now = chrono::Utc::now().timestamp();
        let claims =
            |nbf| Claims { sub: "u1".into(), tid: "t1".into(), exp: now + 3600, iat: now, nbf, jti: "j".into() };
        let sign =
            |c: &Claims| encode(&Header::new(Algorithm::HS256), c, &EncodingKey::from_secret(secret)).expect("sign");
        let err = keys.verify(&sign(&claims(Some(now + 600)))).expect_err("immature");
        assert!(err.to_string().contains("not valid yet"), "{err}");
        assert!(keys.verify(&sign(&claims(Some(now - 1)))).is_ok());
        assert!(keys.verify(&sign(&claims(None))).is_ok(), "tokens issued before nbf existed stay valid");
    }

    #[test]
    fn a_remembered_token_still_expires_and_other_bytes_are_verified_afresh() {
        let secret = b"0123456789abcdef0123456789abcdef";
        let keys = JwtKeys::from_secret(secret);
        let now = chrono::Utc::now().timestamp();
        let claims = Claims { sub: "u1".into(), tid: "t1".into(), exp: now + 2, iat: now, nbf: None, jti: "j".into() };
        let token = encode(&Header::new(Algorithm::HS256), &claims, &EncodingKey::from_secret(secret)).expect("sign");
        assert_eq!(keys.verify(&token).expect("valid").user_id.as_str(), "u1");
        assert_eq!(keys.verify(&token).expect("remembered").user_id.as_str(), "u1");
        let mut tampered = token.clone();
        tampered.pop();
        assert!(keys.verify(&tampered).is_err(), "a different token is not the remembered one");
        std::thread::sleep(std::time::Duration::from_millis(2_100));
        let err = keys.verify(&token).expect_err("expired while remembered");
        assert!(err.to_string().contains("expired"), "{err}");
    }
}
