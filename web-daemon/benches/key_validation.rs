//! API-key validation throughput: prefix lookup + SHA-256 + constant-time compare through the
//! Store with a pooled connection, against a baseline that only hashes and compares in memory.
//!
//! Run: `cargo bench -p pacerd --bench key_validation`. Prints ops/s, p50/p99 and the ratio.

use std::time::{Duration, Instant};

use pacer_shared::Tier;
use pacerd::auth::api_key;
use pacerd::store::{Store, api_keys, tenants, users};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

const KEYS: usize = 1_000;
const ITERATIONS: usize = 50_000;

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

fn report(name: &str, mut samples: Vec<Duration>, total: Duration) -> f64 {
    samples.sort();
    let ops = samples.len() as f64 / total.as_secs_f64();
    println!(
        "{name:<28} {ops:>12.0} ops/s   p50 {:>8.2} µs   p99 {:>8.2} µs",
        percentile(&samples, 0.50).as_secs_f64() * 1e6,
        percentile(&samples, 0.99).as_secs_f64() * 1e6
    );
    ops
}

fn main() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = Store::open(&dir.path().join("bench.db")).expect("open");
    store.migrate().expect("migrate");
    let conn = store.conn().expect("conn");
    let tenant = tenants::get_or_create(&conn, "bench").expect("tenant");
    let user = users::create(&conn, &tenant.id, "bench@example.com", None).expect("user");
    let mut secrets = Vec::with_capacity(KEYS);
    for i in 0..KEYS {
        let k = api_key::generate();
        api_keys::insert(
            &conn,
            &api_keys::NewKey {
                tenant: &tenant.id,
                user: &user.info.id,
                name: &format!("k{i}"),
                description: None,
                tier: Tier::Free,
                key_prefix: &k.prefix,
                key_hash: &k.hash,
            },
        )
        .expect("insert");
        secrets.push(k.secret.expose().to_string());
    }
    drop(conn);

    // Baseline: hash + constant-time compare against an in-memory hash.
    let hashes: Vec<[u8; 32]> = secrets.iter().map(|s| Sha256::digest(s.as_bytes()).into()).collect();
    let mut samples = Vec::with_capacity(ITERATIONS);
    let start = Instant::now();
    for i in 0..ITERATIONS {
        let t = Instant::now();
        let h: [u8; 32] = Sha256::digest(secrets[i % KEYS].as_bytes()).into();
        assert!(bool::from(h.ct_eq(&hashes[i % KEYS])));
        samples.push(t.elapsed());
    }
    let base = report("baseline hash+compare", samples, start.elapsed());

    // Through the store: pooled connection, prefix index lookup, hash, compare.
    let conn = store.conn().expect("conn");
    let mut samples = Vec::with_capacity(ITERATIONS);
    let start = Instant::now();
    for i in 0..ITERATIONS {
        let t = Instant::now();
        let p = api_key::validate_with(&conn, &secrets[i % KEYS]).expect("valid");
        assert_eq!(p.tenant_id, tenant.id);
        samples.push(t.elapsed());
    }
    let store_ops = report("store validate (pooled)", samples, start.elapsed());

    // Async path as the daemon runs it: spawn_blocking + pool checkout per validation.
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("rt");
    let n = ITERATIONS / 5;
    let mut samples = Vec::with_capacity(n);
    let start = Instant::now();
    rt.block_on(async {
        for i in 0..n {
            let t = Instant::now();
            let key = pacer_shared::Secret::new(secrets[i % KEYS].clone());
            api_key::validate(&store, &key).await.expect("valid");
            samples.push(t.elapsed());
        }
    });
    let async_ops = report("async validate (daemon path)", samples, start.elapsed());
    println!("ratio store/baseline: {:.3}   async/baseline: {:.3}", store_ops / base, async_ops / base);
}
