//! Group commit for usage rows.
//!
//! Every authenticated tool call records a usage row before it answers (an acknowledged call
//! always left its row: the crash test checks it). Written one by one, that is a write per call
//! (on PostgreSQL three round trips: `BEGIN`, `INSERT`, `COMMIT`). The writer instead queues
//! each row with a reply channel; one task takes everything queued (up to [`MAX_BATCH`]), writes
//! it with [`usage::record_batch`] (one statement for a batch of one key's rows) and answers
//! every caller. While it writes, the next batch gathers: under load many calls share one
//! write, and a lone call costs the one statement it did before.

use std::sync::OnceLock;

use tokio::sync::{mpsc, oneshot};

use super::usage::{self, UsageRow};
use super::{Store, StoreError};

/// Most rows written by one batch.
const MAX_BATCH: usize = 256;
/// Rows waiting for a batch before callers wait to queue (backpressure).
const QUEUE: usize = 4096;

type Reply = oneshot::Sender<Result<(), String>>;

/// Queues usage rows for the batch task (started on first use, on the caller's runtime).
#[derive(Debug, Default)]
pub struct UsageWriter {
    queue: OnceLock<mpsc::Sender<(UsageRow, Reply)>>,
}

impl UsageWriter {
    /// Records `row` with the next batch; returns once that batch is written (or failed).
    pub async fn record(&self, store: &Store, row: UsageRow) -> Result<(), StoreError> {
        let queue = self.queue.get_or_init(|| {
            let (tx, rx) = mpsc::channel(QUEUE);
            tokio::spawn(run(store.clone(), rx));
            tx
        });
        let (reply, answer) = oneshot::channel();
        queue.send((row, reply)).await.map_err(|_| StoreError::Join("the usage writer stopped".into()))?;
        match answer.await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(e)) => Err(StoreError::Join(e)),
            Err(_) => Err(StoreError::Join("the usage writer stopped".into())),
        }
    }
}

/// The batch task: ends when every sender is gone.
async fn run(store: Store, mut rx: mpsc::Receiver<(UsageRow, Reply)>) {
    let mut batch = Vec::with_capacity(MAX_BATCH);
    while rx.recv_many(&mut batch, MAX_BATCH).await > 0 {
        let (rows, replies): (Vec<UsageRow>, Vec<Reply>) = batch.drain(..).unzip();
        let written = store.call(move |c| usage::record_batch(c, &rows)).await.map_err(|e| e.to_string());
        for reply in replies {
            let _ = reply.send(written.clone());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::usage::UsageOwner;
    use crate::store::{api_keys, tenants, users};
    use pacer_shared::{TenantId, Tier, UserId};

    /// A store with one tenant, one user and two keys.
    fn store_with_keys(dir: &tempfile::TempDir) -> (Store, TenantId, UserId, [String; 2]) {
        let store = Store::open(&dir.path().join("pacer.db")).expect("open");
        store.migrate().expect("migrate");
        let conn = store.conn().expect("conn");
        let tenant = tenants::get_or_create(&conn, "club").expect("tenant").id;
        let user = users::create(&conn, &tenant, "ann@example.com", None).expect("user").info.id;
        let key = |prefix: &str, hash: u8| {
            let new = api_keys::NewKey {
                tenant: &tenant,
                user: &user,
                name: prefix,
                description: None,
                tier: Tier::Free,
                key_prefix: prefix,
                key_hash: &[hash; 32],
            };
            api_keys::insert(&conn, &new).expect("key").id
        };
        let keys = [key("pk_live_aaaaaa", 1), key("pk_live_bbbbbb", 2)];
        drop(conn);
        (store, tenant, user, keys)
    }

    fn row(tenant: &TenantId, key: &str, touch: bool, i: usize) -> UsageRow {
        UsageRow {
            tenant: tenant.clone(),
            owner: UsageOwner::Key { id: key.to_owned(), touch },
            operation: format!("tool_{i}"),
            status: "ok",
            duration_ms: i as u64,
        }
    }

    #[test]
    fn a_batch_spanning_several_inserts_keeps_every_row_and_stamps_only_touched_keys() {
        let dir = tempfile::tempdir().expect("tempdir");
        let (store, tenant, user, [a, b]) = store_with_keys(&dir);
        let conn = store.conn().expect("conn");
        let mut rows: Vec<UsageRow> = (0..130).map(|i| row(&tenant, &a, i == 0, i)).collect();
        rows.push(row(&tenant, &b, false, 999));
        usage::record_batch(&conn, &rows).expect("batch");
        let of_a = usage::list_for_key(&conn, &tenant, &a).expect("a");
        assert_eq!(of_a.len(), 130);
        assert_eq!(of_a[129], ("tool_129".to_owned(), "ok".to_owned()), "order kept");
        assert_eq!(usage::list_for_key(&conn, &tenant, &b).expect("b").len(), 1);
        let keys = api_keys::list_for_user(&conn, &tenant, &user).expect("keys");
        let stamped = |id: &str| keys.iter().find(|k| k.id == id).expect("listed").last_used_at.is_some();
        assert!(stamped(&a) && !stamped(&b), "only the touched key is stamped");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn concurrent_callers_each_return_after_their_row_is_written() {
        let dir = tempfile::tempdir().expect("tempdir");
        let (store, tenant, _, [a, _]) = store_with_keys(&dir);
        let writer = std::sync::Arc::new(UsageWriter::default());
        let calls: Vec<_> = (0..300)
            .map(|i| {
                let (writer, store, row) = (writer.clone(), store.clone(), row(&tenant, &a, false, i));
                tokio::spawn(async move { writer.record(&store, row).await })
            })
            .collect();
        for call in calls {
            call.await.expect("joined").expect("recorded");
        }
        let conn = store.conn().expect("conn");
        assert_eq!(usage::list_for_key(&conn, &tenant, &a).expect("rows").len(), 300);
    }
}
