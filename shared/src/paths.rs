//! Well-known paths inside `PACER_HOME`, agreed by both processes.

use std::path::{Path, PathBuf};

/// `$PACER_HOME/run`: the socket directory (mode 0700).
pub fn run_dir(home: &Path) -> PathBuf {
    home.join("run")
}

/// `$PACER_HOME/run/pacerd.sock`: the daemon's Unix socket (mode 0600).
pub fn socket_path(home: &Path) -> PathBuf {
    run_dir(home).join("pacerd.sock")
}

/// The default `PACER_HOME` when neither flag nor env names one: `$XDG_DATA_HOME/pacer`, else
/// `$HOME/.local/share/pacer`, else `./pacer`.
pub fn default_home(xdg_data_home: Option<&str>, home: Option<&str>) -> PathBuf {
    match (xdg_data_home.filter(|s| !s.is_empty()), home.filter(|s| !s.is_empty())) {
        (Some(x), _) => Path::new(x).join("pacer"),
        (None, Some(h)) => Path::new(h).join(".local/share/pacer"),
        (None, None) => PathBuf::from("pacer"),
    }
}
