//! Tokens at rest: sealed on disk and bound to their (tenant, user).

use pacer_shared::ProviderId;
use pacerd::provider::{OAuthConnect, ProviderError, TokenSet};

use super::{Harness, add_user};
use crate::fixture::{contains, raw_db_bytes};

#[test]
fn tokens_at_rest_are_sealed_and_bound_to_their_user() {
    let h = Harness::start();
    h.run(async {
        // A second generation of tokens, known in plaintext: refreshed by hand and stored.
        let rotated = h.client.refresh(&h.initial.refresh_token).await.expect("refresh");
        assert_ne!(rotated.refresh_token, h.initial.refresh_token);
        let rotated = TokenSet { athlete_id: h.initial.athlete_id, ..rotated };
        h.service.store_tokens(ProviderId::Strava, &h.owner.tenant, &h.owner.user, &rotated).await.expect("store");
        assert_eq!(h.athlete().await, Ok(h.athlete_id));

        let wal = std::fs::metadata(h.db_dir.path().join("pacer.db-wal")).expect("WAL file");
        assert!(wal.len() > 0, "the WAL is part of what is scanned");
        let bytes = raw_db_bytes(h.db_dir.path());
        assert!(contains(&bytes, b"ada@example.com"), "read the real database files");
        for (what, secret) in [
            ("first access token", &h.initial.access_token),
            ("first refresh token", &h.initial.refresh_token),
            ("access token", &rotated.access_token),
            ("refresh token", &rotated.refresh_token),
        ] {
            assert!(!contains(&bytes, secret.expose().as_bytes()), "{what} in plaintext on disk");
        }

        // Copy the owner's row to another user of the same tenant and to a user of another tenant.
        let mate = add_user(&h.store, "acme", "bob@example.com");
        let stranger = add_user(&h.store, "umbrella", "eve@example.com");
        {
            let pooled = h.store.conn().expect("conn");
            let conn = pooled.sqlite().expect("the tamper test runs on SQLite");
            conn.execute_batch("CREATE TEMP TABLE stolen AS SELECT * FROM provider_tokens WHERE 0").expect("temp");
            for target in [&mate, &stranger] {
                conn.execute(
                    "INSERT INTO stolen SELECT * FROM provider_tokens WHERE tenant_id = ?1 AND user_id = ?2",
                    [h.owner.tenant.as_str(), h.owner.user.as_str()],
                )
                .expect("copy");
                conn.execute(
                    "UPDATE stolen SET tenant_id = ?1, user_id = ?2",
                    [target.tenant.as_str(), target.user.as_str()],
                )
                .expect("retarget");
                conn.execute_batch("INSERT INTO provider_tokens SELECT * FROM stolen; DELETE FROM stolen;")
                    .expect("insert copy");
            }
            let rows: i64 = conn.query_row("SELECT COUNT(*) FROM provider_tokens", [], |r| r.get(0)).expect("count");
            assert_eq!(rows, 3);
        }
        let calls = h.counter("api_calls").await;
        for (who, account) in [("same tenant", &mate), ("other tenant", &stranger)] {
            let err = h.athlete_as(account).await.expect_err("copied row must not open");
            assert_eq!(err, ProviderError::NotConnected, "{who}");
        }
        assert_eq!(h.counter("api_calls").await, calls, "the copied token was never sent");
        assert_eq!(h.athlete().await, Ok(h.athlete_id), "the owner still works");
        assert_eq!(h.counter("refresh_count").await, 1, "only the manual refresh");
    });
}
