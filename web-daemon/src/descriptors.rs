//! File descriptors: the soft `RLIMIT_NOFILE` is raised to the hard limit at start, and HTTP may
//! hold at most the configured `max_connections`, never more than the limit minus
//! [`FD_RESERVE`]. The reserve keeps descriptors for what must keep working while HTTP is
//! saturated: the Unix socket and its admin channel (its own accept loop, outside actix), the
//! database pool (each connection holds the db, WAL and shm files), provider HTTPS connections,
//! imports and logs.

/// Descriptors kept out of the HTTP connection budget.
pub const FD_RESERVE: u64 = 128;
/// Fewest HTTP connections per worker, whatever the limit.
pub const MIN_CONNECTIONS_PER_WORKER: usize = 8;

/// Raises the soft open-file limit to the hard limit; returns the soft limit now in force.
pub fn raise_open_file_limit() -> std::io::Result<u64> {
    let mut lim = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
    // SAFETY: getrlimit/setrlimit only read/write the struct we pass.
    if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) } != 0 {
        return Err(std::io::Error::last_os_error());
    }
    if lim.rlim_cur < lim.rlim_max {
        let raised = libc::rlimit { rlim_cur: lim.rlim_max, rlim_max: lim.rlim_max };
        // SAFETY: as above.
        if unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &raised) } == 0 {
            return Ok(raised.rlim_cur);
        }
        tracing::warn!(error = %std::io::Error::last_os_error(), "cannot raise the open-file limit");
    }
    Ok(lim.rlim_cur)
}

/// HTTP connections each of `workers` may hold: `configured` in total, capped by the
/// descriptors left after [`FD_RESERVE`].
pub fn connections_per_worker(configured: usize, open_file_limit: u64, workers: usize) -> usize {
    let budget = usize::try_from(open_file_limit.saturating_sub(FD_RESERVE)).unwrap_or(usize::MAX);
    (configured.min(budget) / workers.max(1)).max(MIN_CONNECTIONS_PER_WORKER)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_budget_keeps_the_reserve() {
        assert_eq!(connections_per_worker(1024, 1_048_576, 2), 512);
        assert_eq!(connections_per_worker(1024, 256, 2), 64);
        assert_eq!(connections_per_worker(1024, 100, 2), MIN_CONNECTIONS_PER_WORKER);
        assert!(raise_open_file_limit().is_ok_and(|n| n > 0));
    }
}
