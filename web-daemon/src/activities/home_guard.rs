//! [`HomeGuard`]: which local files pacer may read on a client's behalf.
//!
//! `upload_activity` (path) and `pacerd import` read files on this machine. Comparing paths is
//! not enough: a hard link outside the home reaches `jwt.key` under another name, and so can a
//! second mount of the same file system. The guard therefore compares what was actually opened:
//! its (device, inode) must not be any file's in pacer's home, it must have exactly one link
//! (`nlink == 1`: a hard link's other names cannot be seen, so any file with more than one is
//! refused), and its real path must lie outside the home. Callers answer every refusal with one
//! message, so the answer does not tell "exists" from "missing" or "forbidden".

use std::collections::HashSet;
use std::fs::File;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

/// Most entries of the home the guard records (the home holds pacer's own few files).
const MAX_HOME_ENTRIES: usize = 100_000;
/// Deepest folder level of the home the guard descends into.
const MAX_HOME_DEPTH: usize = 16;

/// The identities of pacer's home's files; see the module docs.
#[derive(Debug)]
pub struct HomeGuard {
    home: Option<PathBuf>,
    inodes: HashSet<(u64, u64)>,
}

impl HomeGuard {
    /// Records (device, inode) of every entry under `home` (symlinks are not followed).
    /// Blocking: run it off the async runtime.
    pub fn new(home: &Path) -> Self {
        let mut inodes = HashSet::new();
        let mut stack = vec![(home.to_path_buf(), 0usize)];
        while let Some((dir, depth)) = stack.pop() {
            if let Ok(meta) = std::fs::symlink_metadata(&dir) {
                inodes.insert((meta.dev(), meta.ino()));
            }
            let Ok(entries) = std::fs::read_dir(&dir) else { continue };
            for entry in entries.flatten() {
                if inodes.len() >= MAX_HOME_ENTRIES {
                    break;
                }
                let Ok(meta) = entry.metadata() else { continue };
                inodes.insert((meta.dev(), meta.ino()));
                if meta.is_dir() && depth < MAX_HOME_DEPTH {
                    stack.push((entry.path(), depth + 1));
                }
            }
        }
        Self { home: home.canonicalize().ok(), inodes }
    }

    /// True when the opened `file` is a regular file with one link, not one of the home's files,
    /// and its real path is outside the home.
    pub fn admits(&self, file: &File) -> bool {
        let Ok(meta) = file.metadata() else { return false };
        if !meta.is_file() || meta.nlink() != 1 || self.inodes.contains(&(meta.dev(), meta.ino())) {
            return false;
        }
        match (opened_path(file), &self.home) {
            (Some(real), Some(home)) => !real.starts_with(home),
            (None, _) => false,
            (Some(_), None) => true,
        }
    }
}

/// The real path of an open file (Linux: `/proc/self/fd/N`).
pub fn opened_path(file: &File) -> Option<PathBuf> {
    use std::os::unix::io::AsRawFd;
    std::fs::read_link(format!("/proc/self/fd/{}", file.as_raw_fd())).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn open(p: &Path) -> File {
        File::open(p).expect("open")
    }

    #[test]
    fn refuses_home_files_under_any_name_and_hard_links() {
        let home = tempfile::tempdir().expect("home");
        let outside = tempfile::tempdir_in(home.path().parent().expect("parent")).expect("outside");
        let key = home.path().join("jwt.key");
        std::fs::write(&key, b"secret").expect("key");
        let guard = HomeGuard::new(home.path());
        assert!(!guard.admits(&open(&key)), "a home file");

        let run = outside.path().join("run.gpx");
        std::fs::write(&run, b"<gpx>").expect("run");
        assert!(guard.admits(&open(&run)), "an ordinary file outside");

        let linked = outside.path().join("linked.gpx");
        std::fs::hard_link(&key, &linked).expect("hard link");
        assert!(!guard.admits(&open(&linked)), "a hard link to a home file");
        let twin = outside.path().join("twin.gpx");
        std::fs::hard_link(&run, &twin).expect("hard link");
        assert!(!guard.admits(&open(&run)) && !guard.admits(&open(&twin)), "any file with two links");
    }
}
