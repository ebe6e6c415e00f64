//! Command-line flags and environment, read once into a typed [`Config`].
//!
//! Precedence: flags over environment over defaults. Parsing is by hand to keep the binary and
//! its start-up tiny; every function here is pure apart from reading the API key file, so the
//! rules are unit-tested below.

use std::ffi::OsString;
use std::fmt;
use std::path::{Path, PathBuf};

use pacer_shared::{Secret, paths};

/// Usage text printed by `--help`.
pub const USAGE: &str = "\
pacer-mcp: stdio MCP server that relays to the pacerd daemon

Usage: pacer-mcp [--api-key-file PATH] [--home DIR] [--socket PATH]
       pacer-mcp --version | --help

Options:
  --api-key-file PATH  read the API key from PATH (whitespace trimmed)
  --home DIR           pacer home directory (default: $XDG_DATA_HOME/pacer)
  --socket PATH        daemon socket (default: <home>/run/pacerd.sock)
  --version            print the version and exit
  --help               print this help and exit

Environment:
  PACER_API_KEY        API key (or PACER_API_KEY_FILE: a file holding it)
  PACER_HOME           pacer home directory
  PACER_DAEMON_BIN     pacerd binary to autostart (default: next to pacer-mcp, else on PATH)
  PACER_LOG            log filter for stderr (default: warn)
";

/// What the command line asks for.
#[derive(Debug)]
pub enum Command {
    /// Serve MCP on stdio.
    Run(Box<Config>),
    /// Print [`USAGE`].
    Help,
    /// Print the version.
    Version,
}

/// Everything `pacer-mcp` needs to run.
#[derive(Debug)]
pub struct Config {
    /// The API key, or why there is none (reported on every request instead of exiting).
    pub api_key: Result<Secret, KeyProblem>,
    /// `PACER_HOME`.
    pub home: PathBuf,
    /// The daemon's socket.
    pub socket: PathBuf,
    /// The `pacerd` binary used for autostart.
    pub daemon_bin: PathBuf,
    /// `tracing` filter directive for stderr.
    pub log_filter: String,
}

/// Why no API key is available.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyProblem {
    /// Neither flag nor environment named one (or it was empty).
    Missing,
    /// The key file could not be read.
    Unreadable { path: PathBuf, error: String },
    /// The key file was empty.
    EmptyFile { path: PathBuf },
}

impl fmt::Display for KeyProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Missing => f.write_str(
                "PACER_API_KEY is not set: create a key with 'pacerd keys create' and set \
                 PACER_API_KEY (or pass --api-key-file PATH) in the MCP client's configuration \
                 for pacer-mcp",
            ),
            Self::Unreadable { path, error } => write!(
                f,
                "cannot read the API key file {}: {error}; fix the path given with \
                 --api-key-file or PACER_API_KEY_FILE",
                path.display()
            ),
            Self::EmptyFile { path } => {
                write!(f, "the API key file {} is empty; put the key from 'pacerd keys create' in it", path.display())
            }
        }
    }
}

/// A command-line mistake: printed as one line, exit status 2.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ArgError {
    /// A flag this program does not know.
    #[error("unknown flag '{0}' (see --help)")]
    Unknown(String),
    /// A flag given without its value.
    #[error("flag '{0}' needs a value (see --help)")]
    MissingValue(&'static str),
    /// A positional argument; none are accepted.
    #[error("unexpected argument '{0}' (see --help)")]
    Positional(String),
    /// An argument that is not valid UTF-8 where text is needed.
    #[error("argument is not valid UTF-8: {0:?}")]
    NotUtf8(OsString),
}

/// Flags as given, before environment and defaults are applied.
#[derive(Debug, Default, PartialEq, Eq)]
struct Flags {
    api_key_file: Option<PathBuf>,
    home: Option<PathBuf>,
    socket: Option<PathBuf>,
}

/// Parses `args` (without the program name) and resolves the configuration.
///
/// `env` looks up an environment variable; `current_exe` is used to find a `pacerd` installed
/// next to this binary.
pub fn load(
    args: impl IntoIterator<Item = OsString>,
    env: impl Fn(&str) -> Option<OsString>,
    current_exe: Option<&Path>,
) -> Result<Command, ArgError> {
    let flags = match parse_flags(args)? {
        Parsed::Flags(flags) => flags,
        Parsed::Help => return Ok(Command::Help),
        Parsed::Version => return Ok(Command::Version),
    };
    // Empty variables count as unset: desktop client configs often carry "" placeholders.
    let var = |name: &str| env(name).filter(|v| !v.is_empty());

    let home = flags.home.or_else(|| var("PACER_HOME").map(PathBuf::from)).unwrap_or_else(|| {
        let xdg = var("XDG_DATA_HOME");
        let user_home = var("HOME");
        paths::default_home(xdg.as_deref().and_then(|s| s.to_str()), user_home.as_deref().and_then(|s| s.to_str()))
    });
    let socket = flags.socket.unwrap_or_else(|| paths::socket_path(&home));
    let api_key = match (flags.api_key_file, var("PACER_API_KEY")) {
        (Some(path), _) => read_key_file(path),
        (None, Some(key)) => key_from_text(&key.to_string_lossy()).ok_or(KeyProblem::Missing),
        (None, None) => match var("PACER_API_KEY_FILE") {
            Some(path) => read_key_file(PathBuf::from(path)),
            None => Err(KeyProblem::Missing),
        },
    };
    let daemon_bin = var("PACER_DAEMON_BIN").map(PathBuf::from).unwrap_or_else(|| default_daemon_bin(current_exe));
    let log_filter = var("PACER_LOG").map(|s| s.to_string_lossy().into_owned()).unwrap_or_else(|| "warn".to_owned());
    Ok(Command::Run(Box::new(Config { api_key, home, socket, daemon_bin, log_filter })))
}

/// `pacerd` beside the running executable when it exists, else `pacerd` looked up on `PATH`.
fn default_daemon_bin(current_exe: Option<&Path>) -> PathBuf {
    current_exe
        .and_then(Path::parent)
        .map(|dir| dir.join("pacerd"))
        .filter(|candidate| candidate.is_file())
        .unwrap_or_else(|| PathBuf::from("pacerd"))
}

/// Trims the key; `None` when nothing is left.
fn key_from_text(text: &str) -> Option<Secret> {
    let key = text.trim();
    (!key.is_empty()).then(|| Secret::new(key.to_owned()))
}

fn read_key_file(path: PathBuf) -> Result<Secret, KeyProblem> {
    match std::fs::read_to_string(&path) {
        Ok(text) => key_from_text(&text).ok_or(KeyProblem::EmptyFile { path }),
        Err(e) => Err(KeyProblem::Unreadable { path, error: e.to_string() }),
    }
}

enum Parsed {
    Flags(Flags),
    Help,
    Version,
}

fn parse_flags(args: impl IntoIterator<Item = OsString>) -> Result<Parsed, ArgError> {
    let mut flags = Flags::default();
    let mut args = args.into_iter();
    while let Some(arg) = args.next() {
        let text = arg.to_str().ok_or_else(|| ArgError::NotUtf8(arg.clone()))?;
        // `--flag=value` or `--flag value`.
        let (name, inline) = match text.split_once('=') {
            Some((name, value)) if name.starts_with("--") => (name, Some(OsString::from(value))),
            _ => (text, None),
        };
        let slot = match name {
            "--help" | "-h" => return Ok(Parsed::Help),
            "--version" | "-V" => return Ok(Parsed::Version),
            "--api-key-file" => (&mut flags.api_key_file, "--api-key-file"),
            "--home" => (&mut flags.home, "--home"),
            "--socket" => (&mut flags.socket, "--socket"),
            other if other.starts_with('-') => return Err(ArgError::Unknown(other.to_owned())),
            other => return Err(ArgError::Positional(other.to_owned())),
        };
        let value = inline.or_else(|| args.next()).filter(|v| !v.is_empty());
        *slot.0 = Some(PathBuf::from(value.ok_or(ArgError::MissingValue(slot.1))?));
    }
    Ok(Parsed::Flags(flags))
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn run(args: &[&str], env: &[(&str, &str)]) -> Result<Command, ArgError> {
        let env: HashMap<String, OsString> = env.iter().map(|(k, v)| (k.to_string(), OsString::from(v))).collect();
        load(args.iter().map(OsString::from), |k| env.get(k).cloned(), None)
    }

    fn config(args: &[&str], env: &[(&str, &str)]) -> Config {
        match run(args, env) {
            Ok(Command::Run(config)) => *config,
            other => panic!("expected a config, got {other:?}"),
        }
    }

    #[test]
    fn defaults_follow_xdg_and_key_env() {
        let c = config(&[], &[("XDG_DATA_HOME", "/x"), ("PACER_API_KEY", "  pk_1 \n")]);
        assert_eq!(c.home, PathBuf::from("/x/pacer"));
        assert_eq!(c.socket, PathBuf::from("/x/pacer/run/pacerd.sock"));
        assert_eq!(c.api_key.map(|k| k.expose().to_owned()), Ok("pk_1".to_owned()));
        assert_eq!(c.daemon_bin, PathBuf::from("pacerd"));
        assert_eq!(c.log_filter, "warn");
    }

    #[test]
    fn flags_override_env() {
        let dir = tempfile::tempdir().unwrap();
        let key_file = dir.path().join("key");
        std::fs::write(&key_file, "pk_file\n").unwrap();
        let key_arg = format!("--api-key-file={}", key_file.display());
        let c = config(
            &["--home", "/h", "--socket", "/s.sock", &key_arg],
            &[("PACER_HOME", "/env"), ("PACER_API_KEY", "pk_env"), ("PACER_DAEMON_BIN", "/bin/d")],
        );
        assert_eq!(c.home, PathBuf::from("/h"));
        assert_eq!(c.socket, PathBuf::from("/s.sock"));
        assert_eq!(c.api_key.unwrap().expose(), "pk_file");
        assert_eq!(c.daemon_bin, PathBuf::from("/bin/d"));
    }

    #[test]
    fn key_problems_are_kept_not_fatal() {
        assert_eq!(config(&[], &[("PACER_API_KEY", " ")]).api_key.unwrap_err(), KeyProblem::Missing);
        let c = config(&["--api-key-file", "/nonexistent/key"], &[]);
        assert!(matches!(c.api_key, Err(KeyProblem::Unreadable { .. })));
        assert!(c.api_key.unwrap_err().to_string().contains("/nonexistent/key"));
        assert!(KeyProblem::Missing.to_string().contains("PACER_API_KEY"));
    }

    #[test]
    fn bad_flags_are_errors() {
        assert_eq!(run(&["--nope"], &[]).unwrap_err(), ArgError::Unknown("--nope".into()));
        assert_eq!(run(&["--home"], &[]).unwrap_err(), ArgError::MissingValue("--home"));
        assert_eq!(run(&["--home="], &[]).unwrap_err(), ArgError::MissingValue("--home"));
        assert_eq!(run(&["serve"], &[]).unwrap_err(), ArgError::Positional("serve".into()));
        assert!(matches!(run(&["--version"], &[]), Ok(Command::Version)));
        assert!(matches!(run(&["--home", "/h", "--help"], &[]), Ok(Command::Help)));
    }

    #[test]
    fn daemon_bin_next_to_executable_wins_when_present() {
        let dir = tempfile::tempdir().unwrap();
        let exe = dir.path().join("pacer-mcp");
        assert_eq!(default_daemon_bin(Some(&exe)), PathBuf::from("pacerd"));
        std::fs::write(dir.path().join("pacerd"), "").unwrap();
        assert_eq!(default_daemon_bin(Some(&exe)), dir.path().join("pacerd"));
    }
}
