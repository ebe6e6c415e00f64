//! Password hashing with Argon2id (PHC strings in the database).

use argon2::Argon2;
use argon2::password_hash::{PasswordHasher, PasswordVerifier, phc::PasswordHash};
use pacer_shared::Secret;

/// Shortest accepted password.
pub const MIN_LEN: usize = 8;

/// Hashes a password; errors when it is too short.
pub fn hash(password: &Secret) -> Result<String, String> {
    if password.expose().chars().count() < MIN_LEN {
        return Err(format!("password must be at least {MIN_LEN} characters"));
    }
    Argon2::default()
        .hash_password(password.expose().as_bytes())
        .map(|h| h.to_string())
        .map_err(|e| format!("password hashing failed: {e}"))
}

/// Verifies a password against a stored PHC string (constant time inside argon2).
pub fn verify(password: &Secret, phc: &str) -> bool {
    PasswordHash::new(phc)
        .is_ok_and(|parsed| Argon2::default().verify_password(password.expose().as_bytes(), &parsed).is_ok())
}

/// A dummy verification so unknown emails cost the same time as wrong passwords.
pub fn burn_time() {
    static DUMMY: std::sync::OnceLock<Option<String>> = std::sync::OnceLock::new();
    if let Some(phc) = DUMMY.get_or_init(|| hash(&Secret::new("dummy-password".into())).ok()) {
        let _ = verify(&Secret::new("not-the-password".into()), phc);
    }
}
