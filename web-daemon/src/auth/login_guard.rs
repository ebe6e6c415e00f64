//! Guards around password checks: a cap on concurrent Argon2 runs and per-account backoff.
//!
//! - **Concurrency.** Each Argon2id verification takes ~19 MiB and a core for tens of
//!   milliseconds; unbounded, a burst of logins exhausts memory and starves every other route.
//!   At most [`PASSWORD_PERMITS`] run at once ([`LoginGuard::try_permit`]); a login that finds
//!   them all taken is answered at once with 503 and `Retry-After: `[`BUSY_RETRY_AFTER_SECS`]
//!   rather than queued.
//! - **Per-account backoff.** After [`FREE_FAILURES`] consecutive failures for one email
//!   (known or not: the answer must not tell which), that email is locked for
//!   [`FIRST_LOCK_SECS`], doubling with each further failure up to [`MAX_LOCK_SECS`]; while
//!   locked, logins for it are refused (429, `Retry-After`) without checking the password. A
//!   success resets the count; failures older than [`FAILURE_WINDOW_SECS`] are forgotten. At most
//!   [`MAX_TRACKED_ACCOUNTS`] emails are tracked (in memory; stale entries go first).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// Password checks that may run at once.
pub const PASSWORD_PERMITS: usize = 2;
/// `Retry-After` when every permit is taken.
pub const BUSY_RETRY_AFTER_SECS: u64 = 1;
/// Consecutive failures allowed before an email is locked.
pub const FREE_FAILURES: u32 = 5;
/// The first lock; each further failure doubles it.
pub const FIRST_LOCK_SECS: i64 = 30;
/// The longest lock.
pub const MAX_LOCK_SECS: i64 = 900;
/// Failures older than this no longer count.
pub const FAILURE_WINDOW_SECS: i64 = 3600;
/// Most emails tracked at once.
pub const MAX_TRACKED_ACCOUNTS: usize = 10_000;

#[derive(Debug, Clone, Copy)]
struct Failures {
    count: u32,
    last: i64,
    locked_until: i64,
}

/// The password-check semaphore and the per-email failure book.
#[derive(Debug)]
pub struct LoginGuard {
    permits: Arc<Semaphore>,
    failures: Mutex<HashMap<String, Failures>>,
}

impl Default for LoginGuard {
    fn default() -> Self {
        Self { permits: Arc::new(Semaphore::new(PASSWORD_PERMITS)), failures: Mutex::default() }
    }
}

fn key(email: &str) -> String {
    email.trim().to_lowercase()
}

impl LoginGuard {
    /// A permit to run one password check, or `None` when all are taken (answer 503).
    pub fn try_permit(&self) -> Option<OwnedSemaphorePermit> {
        self.permits.clone().try_acquire_owned().ok()
    }

    /// Seconds `email` stays locked, if it is.
    pub fn locked_for(&self, email: &str, now: i64) -> Option<u64> {
        let book = self.failures.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        book.get(&key(email)).filter(|f| f.locked_until > now).map(|f| (f.locked_until - now) as u64)
    }

    /// Records a failed password check; returns the lock it started, in seconds, if any.
    pub fn record_failure(&self, email: &str, now: i64) -> Option<u64> {
        let mut book = self.failures.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if book.len() >= MAX_TRACKED_ACCOUNTS {
            book.retain(|_, f| f.locked_until > now && now - f.last < FAILURE_WINDOW_SECS);
            while book.len() >= MAX_TRACKED_ACCOUNTS {
                let Some(oldest) = book.iter().min_by_key(|(_, f)| f.last).map(|(k, _)| k.clone()) else { break };
                book.remove(&oldest);
            }
        }
        let entry = book.entry(key(email)).or_insert(Failures { count: 0, last: now, locked_until: 0 });
        if now - entry.last >= FAILURE_WINDOW_SECS {
            entry.count = 0;
        }
        entry.count = entry.count.saturating_add(1);
        entry.last = now;
        let over = entry.count.checked_sub(FREE_FAILURES)?;
        let lock = FIRST_LOCK_SECS.saturating_mul(1i64 << over.min(16)).min(MAX_LOCK_SECS);
        entry.locked_until = now + lock;
        Some(lock as u64)
    }

    /// Forgets `email`'s failures (after a successful login).
    pub fn record_success(&self, email: &str) {
        self.failures.lock().unwrap_or_else(std::sync::PoisonError::into_inner).remove(&key(email));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locks_after_the_free_failures_and_doubles() {
        let g = LoginGuard::default();
        for _ in 1..FREE_FAILURES {
            assert_eq!(g.record_failure("Ada@Example.com", 100), None);
            assert_eq!(g.locked_for("ada@example.com", 100), None);
        }
        assert_eq!(g.record_failure("ada@example.com ", 100), Some(FIRST_LOCK_SECS as u64));
        assert_eq!(g.locked_for("ada@example.com", 100), Some(FIRST_LOCK_SECS as u64));
        assert_eq!(g.locked_for("bob@example.com", 100), None, "per account");
        assert_eq!(g.locked_for("ada@example.com", 100 + FIRST_LOCK_SECS), None, "expires");
        assert_eq!(g.record_failure("ada@example.com", 200), Some(2 * FIRST_LOCK_SECS as u64));
        for _ in 0..40 {
            g.record_failure("ada@example.com", 300);
        }
        assert_eq!(g.locked_for("ada@example.com", 300), Some(MAX_LOCK_SECS as u64));
        g.record_success("ada@example.com");
        assert_eq!(g.locked_for("ada@example.com", 300), None);
    }

    #[test]
    fn old_failures_are_forgotten_and_the_book_is_bounded() {
        let g = LoginGuard::default();
        for _ in 1..FREE_FAILURES {
            g.record_failure("ada@example.com", 0);
        }
        assert_eq!(g.record_failure("ada@example.com", FAILURE_WINDOW_SECS), None, "the window passed");
        for i in 0..(MAX_TRACKED_ACCOUNTS + 5) {
            g.record_failure(&format!("u{i}@example.com"), i as i64);
        }
        assert!(g.failures.lock().map(|b| b.len()).unwrap_or(0) <= MAX_TRACKED_ACCOUNTS);
    }

    #[test]
    fn permits_are_capped() {
        let g = LoginGuard::default();
        let held: Vec<_> = (0..PASSWORD_PERMITS).filter_map(|_| g.try_permit()).collect();
        assert_eq!(held.len(), PASSWORD_PERMITS);
        assert!(g.try_permit().is_none());
        drop(held);
        assert!(g.try_permit().is_some());
    }
}
