//! Token vault: seal+open round trips per second (XChaCha20-Poly1305, random nonce, AAD
//! `tenant|user|provider`) against the bare AEAD with a fixed nonce as the baseline.
//!
//! Run: `cargo bench -p pacerd --bench vault`.

use std::time::Instant;

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use pacer_shared::{TenantId, UserId};
use pacerd::vault::{TokenAad, TokenVault};

const ROUNDS: usize = 200_000;

fn main() {
    let plaintext = br#"{"access_token":"0123456789abcdef0123456789abcdef01234567","refresh_token":"fedcba9876543210fedcba9876543210fedcba98"}"#;
    let key = [7u8; 32];

    let cipher = XChaCha20Poly1305::new((&key).into());
    let nonce = XNonce::default();
    let aad = b"tenant|user|strava";
    let start = Instant::now();
    for _ in 0..ROUNDS {
        let ct = cipher.encrypt(&nonce, Payload { msg: plaintext, aad }).expect("encrypt");
        let pt = cipher.decrypt(&nonce, Payload { msg: &ct, aad }).expect("decrypt");
        assert_eq!(pt.len(), plaintext.len());
    }
    let base = ROUNDS as f64 / start.elapsed().as_secs_f64();

    let vault = TokenVault::from_key(key);
    let aad = TokenAad::new(TenantId::new("tenant"), UserId::new("user"), pacer_shared::ProviderId::Strava);
    let start = Instant::now();
    for _ in 0..ROUNDS {
        let sealed = vault.seal(&aad, plaintext).expect("seal");
        let pt = vault.open(&aad, &sealed).expect("open");
        assert_eq!(pt.len(), plaintext.len());
    }
    let ours = ROUNDS as f64 / start.elapsed().as_secs_f64();

    println!("baseline AEAD fixed nonce   {base:>12.0} round trips/s");
    println!("TokenVault seal+open        {ours:>12.0} round trips/s");
    println!("ratio vault/baseline: {:.3}", ours / base);
}
