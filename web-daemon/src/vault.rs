//! Token vault: provider tokens at rest are sealed with XChaCha20-Poly1305 under the daemon's
//! master key, with a random 24-byte nonce per write and the AAD `tenant_id|user_id|provider`, so a
//! row copied to another tenant, user or provider fails to open.
//!
//! A tenant's own OAuth application secret (`tenant_oauth_apps`) is sealed the same way with the
//! AAD `tenant_id|oauth_app|provider` ([`TokenAad::oauth_app`]). User ids are UUIDs, so the
//! `oauth_app` segment never names a user and the two kinds of AAD cannot collide.
//!
//! A provider's authorization code held while a connect link awaits confirmation
//! (`pending_confirmations`) is sealed with the AAD `tenant_id|confirm:user_id|provider`
//! ([`TokenAad::confirmation_code`]): bound to the link's tenant, user and provider, and never
//! mistaken for a token row (no user id starts with `confirm:`).
//!
//! The master key comes from `PACER_MASTER_KEY` (base64 of 32 bytes) or from `PACER_HOME/master.key`
//! (base64 text, mode 0600), which is generated on first run.

use std::fmt;
use std::fs::{self, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};
use chacha20poly1305::aead::{Aead, Generate, KeyInit, Payload};
use chacha20poly1305::{Key, XChaCha20Poly1305, XNonce};
use pacer_shared::{ProviderId, Secret, TenantId, UserId};

/// File name of the generated master key inside `PACER_HOME`.
pub const MASTER_KEY_FILE: &str = "master.key";

/// The middle AAD segment of a tenant's OAuth application secret (see [`TokenAad::oauth_app`]).
pub const OAUTH_APP_AAD_SEGMENT: &str = "oauth_app";

/// The prefix of the middle AAD segment of a held provider authorization code (see
/// [`TokenAad::confirmation_code`]).
pub const CONFIRMATION_AAD_PREFIX: &str = "confirm:";

/// Length of the nonce stored beside every ciphertext.
pub const NONCE_LEN: usize = 24;

/// Vault failures. Messages never contain key material or plaintext.
#[derive(Debug, thiserror::Error)]
pub enum VaultError {
    /// `PACER_MASTER_KEY` is not base64 of exactly 32 bytes.
    #[error("PACER_MASTER_KEY must be base64 of exactly 32 bytes ({0})")]
    InvalidMasterKey(String),
    /// `master.key` does not hold base64 of exactly 32 bytes.
    #[error("master key file {path} must hold base64 of exactly 32 bytes ({reason})")]
    InvalidKeyFile {
        /// The key file.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
    /// `master.key` is readable or writable by group or others.
    #[error(
        "master key file {path} has mode {mode:04o}; it must not be accessible by group or others \
         (fix with: chmod 600 {path})"
    )]
    InsecureKeyFile {
        /// The key file.
        path: PathBuf,
        /// Its permission bits.
        mode: u32,
    },
    /// Reading or writing the key file failed.
    #[error("master key file {path}: {source}")]
    KeyFile {
        /// The file or directory involved.
        path: PathBuf,
        /// The I/O error.
        source: io::Error,
    },
    /// The operating system's random number generator failed.
    #[error("system random number generator failed")]
    Random,
    /// Encryption failed.
    #[error("token encryption failed")]
    Encrypt,
    /// The ciphertext is corrupt, was sealed under another key, or belongs to another
    /// tenant, user or provider.
    #[error("token decryption failed (wrong master key, or the row belongs to another tenant, user or provider)")]
    Decrypt,
}

/// What a sealed token is bound to. Its bytes (`tenant_id|user_id|provider`) are the AAD.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TokenAad {
    /// Owning tenant.
    pub tenant_id: TenantId,
    /// Owning user.
    pub user_id: UserId,
    /// The provider.
    pub provider: ProviderId,
}

impl TokenAad {
    /// Builds the AAD for a (tenant, user, provider) row.
    pub fn new(tenant_id: TenantId, user_id: UserId, provider: ProviderId) -> Self {
        Self { tenant_id, user_id, provider }
    }

    /// Builds the AAD for a tenant's OAuth application secret: `tenant_id|oauth_app|provider`.
    pub fn oauth_app(tenant_id: TenantId, provider: ProviderId) -> Self {
        Self::new(tenant_id, UserId::new(OAUTH_APP_AAD_SEGMENT), provider)
    }

    /// Builds the AAD for a provider authorization code awaiting the confirmation of `user_id`'s
    /// connect link: `tenant_id|confirm:user_id|provider`.
    pub fn confirmation_code(tenant_id: TenantId, user_id: &UserId, provider: ProviderId) -> Self {
        Self::new(tenant_id, UserId::new(format!("{CONFIRMATION_AAD_PREFIX}{user_id}")), provider)
    }

    /// The authenticated bytes: `tenant_id|user_id|provider`.
    pub fn to_bytes(&self) -> Vec<u8> {
        format!("{}|{}|{}", self.tenant_id, self.user_id, self.provider).into_bytes()
    }
}

/// A sealed value as stored: the nonce and the ciphertext (which ends with the 16-byte tag).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sealed {
    /// 24 random bytes, fresh for every seal.
    pub nonce: Vec<u8>,
    /// Ciphertext followed by the Poly1305 tag.
    pub ciphertext: Vec<u8>,
}

/// Seals and opens provider tokens with the master key. `Debug` never prints the key.
pub struct TokenVault {
    cipher: XChaCha20Poly1305,
}

impl fmt::Debug for TokenVault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TokenVault { key: *** }")
    }
}

impl TokenVault {
    /// A vault using `key` as the master key.
    pub fn from_key(key: [u8; 32]) -> Self {
        Self { cipher: XChaCha20Poly1305::new(&Key::from(key)) }
    }

    /// Loads the master key: `configured` (the value of `PACER_MASTER_KEY`, base64 of 32 bytes)
    /// wins; otherwise `home/master.key` is read, or generated with mode 0600 if missing. An
    /// existing key file accessible by group or others is refused.
    pub fn load_or_create(home: &Path, configured: Option<&Secret>) -> Result<Self, VaultError> {
        if let Some(secret) = configured {
            let key = decode_key(secret.expose()).map_err(VaultError::InvalidMasterKey)?;
            return Ok(Self::from_key(key));
        }
        let path = home.join(MASTER_KEY_FILE);
        // Two attempts: if another process creates the file between our read and our create,
        // the second pass reads what it wrote.
        for _ in 0..2 {
            match read_key_file(&path) {
                Ok(key) => return Ok(Self::from_key(key)),
                Err(ReadError::Missing) => {}
                Err(ReadError::Vault(e)) => return Err(e),
            }
            match create_key_file(home, &path) {
                Ok(key) => return Ok(Self::from_key(key)),
                Err(CreateError::Exists) => {}
                Err(CreateError::Vault(e)) => return Err(e),
            }
        }
        Err(VaultError::KeyFile { path, source: io::Error::other("created concurrently but unreadable") })
    }

    /// Encrypts `plaintext` bound to `aad` with a fresh random nonce.
    pub fn seal(&self, aad: &TokenAad, plaintext: &[u8]) -> Result<Sealed, VaultError> {
        let nonce = XNonce::try_generate().map_err(|_| VaultError::Random)?;
        let aad = aad.to_bytes();
        let ciphertext =
            self.cipher.encrypt(&nonce, Payload { msg: plaintext, aad: &aad }).map_err(|_| VaultError::Encrypt)?;
        Ok(Sealed { nonce: nonce.to_vec(), ciphertext })
    }

    /// Decrypts `sealed`; fails with [`VaultError::Decrypt`] unless it was sealed by this key
    /// with the same `aad` and left untouched.
    pub fn open(&self, aad: &TokenAad, sealed: &Sealed) -> Result<Vec<u8>, VaultError> {
        let nonce = XNonce::try_from(sealed.nonce.as_slice()).map_err(|_| VaultError::Decrypt)?;
        let aad = aad.to_bytes();
        self.cipher.decrypt(&nonce, Payload { msg: &sealed.ciphertext, aad: &aad }).map_err(|_| VaultError::Decrypt)
    }
}

/// Decodes base64 (standard or URL-safe, padded or not) of exactly 32 bytes.
fn decode_key(text: &str) -> Result<[u8; 32], String> {
    let text = text.trim();
    let bytes = [STANDARD, URL_SAFE, STANDARD_NO_PAD, URL_SAFE_NO_PAD]
        .iter()
        .find_map(|engine| engine.decode(text).ok())
        .ok_or_else(|| "not valid base64".to_owned())?;
    <[u8; 32]>::try_from(bytes.as_slice()).map_err(|_| format!("decodes to {} bytes", bytes.len()))
}

enum ReadError {
    Missing,
    Vault(VaultError),
}

fn read_key_file(path: &Path) -> Result<[u8; 32], ReadError> {
    let key_file_err = |source| ReadError::Vault(VaultError::KeyFile { path: path.to_owned(), source });
    let meta = match fs::metadata(path) {
        Ok(meta) => meta,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Err(ReadError::Missing),
        Err(e) => return Err(key_file_err(e)),
    };
    let mode = meta.permissions().mode() & 0o777;
    if mode & 0o077 != 0 {
        return Err(ReadError::Vault(VaultError::InsecureKeyFile { path: path.to_owned(), mode }));
    }
    let text = fs::read_to_string(path).map_err(key_file_err)?;
    decode_key(&text).map_err(|reason| ReadError::Vault(VaultError::InvalidKeyFile { path: path.to_owned(), reason }))
}

enum CreateError {
    Exists,
    Vault(VaultError),
}

/// Writes a new random key to a private temporary file, then hard-links it into place so the
/// key file appears complete or not at all and an existing one is never replaced.
fn create_key_file(home: &Path, path: &Path) -> Result<[u8; 32], CreateError> {
    let io_err = |p: &Path| {
        let p = p.to_owned();
        move |source| CreateError::Vault(VaultError::KeyFile { path: p, source })
    };
    fs::DirBuilder::new().recursive(true).mode(0o700).create(home).map_err(io_err(home))?;
    let key: [u8; 32] = Key::try_generate().map_err(|_| CreateError::Vault(VaultError::Random))?.into();
    let tmp = home.join(format!(".{MASTER_KEY_FILE}.{}.tmp", uuid::Uuid::new_v4().simple()));
    let written = OpenOptions::new().write(true).create_new(true).mode(0o600).open(&tmp).and_then(|mut file| {
        file.write_all(format!("{}\n", STANDARD.encode(key)).as_bytes())?;
        file.sync_all()
    });
    let linked = written.and_then(|()| fs::hard_link(&tmp, path));
    let _ = fs::remove_file(&tmp);
    match linked {
        Ok(()) => Ok(key),
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => Err(CreateError::Exists),
        Err(e) => Err(io_err(path)(e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn aad(tenant: &str, user: &str) -> TokenAad {
        TokenAad::new(TenantId::new(tenant), UserId::new(user), ProviderId::Strava)
    }

    #[test]
    fn round_trip() {
        let vault = TokenVault::from_key([7; 32]);
        let sealed = vault.seal(&aad("t1", "u1"), b"secret tokens").expect("seal");
        assert_eq!(sealed.nonce.len(), NONCE_LEN);
        assert_ne!(sealed.ciphertext, b"secret tokens");
        assert_eq!(vault.open(&aad("t1", "u1"), &sealed).expect("open"), b"secret tokens");
    }

    #[test]
    fn wrong_aad_fails() {
        let vault = TokenVault::from_key([7; 32]);
        let sealed = vault.seal(&aad("t1", "u1"), b"x").expect("seal");
        for other in [aad("t1", "u2"), aad("t2", "u1")] {
            assert!(matches!(vault.open(&other, &sealed), Err(VaultError::Decrypt)));
        }
        let other_key = TokenVault::from_key([8; 32]);
        assert!(matches!(other_key.open(&aad("t1", "u1"), &sealed), Err(VaultError::Decrypt)));
    }

    #[test]
    fn oauth_app_aad_is_bound_to_tenant_and_provider() {
        let vault = TokenVault::from_key([7; 32]);
        let app = |tenant: &str| TokenAad::oauth_app(TenantId::new(tenant), ProviderId::Strava);
        assert_eq!(app("t1").to_bytes(), b"t1|oauth_app|strava");
        let sealed = vault.seal(&app("t1"), b"client secret").expect("seal");
        assert_eq!(vault.open(&app("t1"), &sealed).expect("open"), b"client secret");
        for other in [app("t2"), aad("t1", "u1")] {
            assert!(matches!(vault.open(&other, &sealed), Err(VaultError::Decrypt)));
        }
    }

    #[test]
    fn tampering_fails() {
        let vault = TokenVault::from_key([7; 32]);
        let sealed = vault.seal(&aad("t", "u"), b"payload").expect("seal");
        let mut bad = sealed.clone();
        bad.ciphertext[0] ^= 1;
        assert!(matches!(vault.open(&aad("t", "u"), &bad), Err(VaultError::Decrypt)));
        let mut bad = sealed.clone();
        bad.nonce[3] ^= 1;
        assert!(matches!(vault.open(&aad("t", "u"), &bad), Err(VaultError::Decrypt)));
        let mut bad = sealed;
        bad.nonce.truncate(12);
        assert!(matches!(vault.open(&aad("t", "u"), &bad), Err(VaultError::Decrypt)));
    }

    #[test]
    fn nonce_differs_per_seal() {
        let vault = TokenVault::from_key([7; 32]);
        let a = vault.seal(&aad("t", "u"), b"same").expect("seal");
        let b = vault.seal(&aad("t", "u"), b"same").expect("seal");
        assert_ne!(a.nonce, b.nonce);
        assert_ne!(a.ciphertext, b.ciphertext);
    }

    #[test]
    fn debug_hides_key() {
        let debug = format!("{:?}", TokenVault::from_key([0x41; 32]));
        assert_eq!(debug, "TokenVault { key: *** }");
    }

    #[test]
    fn load_or_create_persists_key_with_0600() {
        let dir = tempfile::tempdir().expect("tempdir");
        let home = dir.path().join("home");
        let first = TokenVault::load_or_create(&home, None).expect("create");
        let path = home.join(MASTER_KEY_FILE);
        assert_eq!(fs::metadata(&path).expect("key file").permissions().mode() & 0o777, 0o600);
        let sealed = first.seal(&aad("t", "u"), b"persisted").expect("seal");
        let second = TokenVault::load_or_create(&home, None).expect("reload");
        assert_eq!(second.open(&aad("t", "u"), &sealed).expect("open"), b"persisted");
        let leftovers = fs::read_dir(&home).expect("read dir").count();
        assert_eq!(leftovers, 1, "only master.key remains");
    }

    #[test]
    fn group_readable_key_file_is_refused() {
        let dir = tempfile::tempdir().expect("tempdir");
        TokenVault::load_or_create(dir.path(), None).expect("create");
        let path = dir.path().join(MASTER_KEY_FILE);
        fs::set_permissions(&path, fs::Permissions::from_mode(0o640)).expect("chmod");
        let err = TokenVault::load_or_create(dir.path(), None).expect_err("insecure");
        assert!(matches!(err, VaultError::InsecureKeyFile { mode: 0o640, .. }), "{err}");
        assert!(err.to_string().contains("chmod 600"));
    }

    #[test]
    fn configured_key_wins_and_bad_keys_error() {
        let dir = tempfile::tempdir().expect("tempdir");
        let key = Secret::new(STANDARD.encode([9u8; 32]));
        let vault = TokenVault::load_or_create(dir.path(), Some(&key)).expect("configured");
        let sealed = vault.seal(&aad("t", "u"), b"k").expect("seal");
        assert_eq!(TokenVault::from_key([9; 32]).open(&aad("t", "u"), &sealed).expect("open"), b"k");
        assert!(!dir.path().join(MASTER_KEY_FILE).exists(), "no key file when configured");

        for bad in ["not base64!!", &STANDARD.encode([1u8; 16]), ""] {
            let err = TokenVault::load_or_create(dir.path(), Some(&Secret::new(bad.to_owned()))).expect_err("bad key");
            assert!(matches!(err, VaultError::InvalidMasterKey(_)), "{err}");
            assert!(err.to_string().starts_with("PACER_MASTER_KEY must be base64 of exactly 32 bytes"));
        }
    }

    #[test]
    fn corrupt_key_file_errors() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join(MASTER_KEY_FILE);
        OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&path)
            .and_then(|mut f| f.write_all(b"c2hvcnQ=\n"))
            .expect("write");
        let err = TokenVault::load_or_create(dir.path(), None).expect_err("corrupt");
        assert!(matches!(err, VaultError::InvalidKeyFile { .. }), "{err}");
    }
}
