//! `database_url`: which database pacerd uses (SQLite file or PostgreSQL server).

use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use pacer_shared::Secret;

use super::{ConfigError, value_err};
use crate::store::sql::{PgTarget, PgTls, TlsRequest};

/// The SQLite file under `$PACER_HOME` when `database_url` is `sqlite:` (the default).
pub const DEFAULT_SQLITE_FILE: &str = "pacer.db";

/// How long connecting to PostgreSQL may take when the URL sets no `connect_timeout`.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// The database pacerd stores everything in. `Debug` and `Display` never show a password.
#[derive(Clone)]
pub enum DatabaseUrl {
    /// `sqlite:` (`$PACER_HOME/pacer.db`) or `sqlite:/absolute/path.db`.
    Sqlite(PathBuf),
    /// `postgres://user@host:port/db` (or `postgresql://`).
    Postgres(Box<PostgresUrl>),
}

/// A parsed PostgreSQL URL, its password filled in from `*_PASSWORD_FILE` when it had none.
#[derive(Clone)]
pub struct PostgresUrl {
    target: PgTarget,
    redacted: String,
}

impl PostgresUrl {
    /// The connection settings (the store's pool and its invalidation listener connect with
    /// them).
    pub fn config(&self) -> &tokio_postgres::Config {
        &self.target.config
    }

    /// The settings and the transport (TLS when the URL says `sslmode=require`: see
    /// [`crate::store::sql::PgTls`]).
    pub fn target(&self) -> &PgTarget {
        &self.target
    }

    /// One new blocking connection.
    pub fn connect(&self) -> Result<postgres::Client, postgres::Error> {
        self.target.connect_blocking()
    }

    /// The URL with any password replaced by `***`, for logs and messages.
    pub fn redacted(&self) -> &str {
        &self.redacted
    }
}

impl DatabaseUrl {
    /// Parses `text` (default `sqlite:`); `password` (from `PACER_DATABASE_PASSWORD_FILE` or
    /// `database_password_file`) goes to a PostgreSQL URL that has none. Errors never repeat
    /// the URL (it may hold a password).
    pub fn parse(text: Option<&str>, home: &Path, password: Option<Secret>) -> Result<Self, ConfigError> {
        let text = text.map(str::trim).filter(|t| !t.is_empty()).unwrap_or("sqlite:");
        let scheme = text.split_once(':').map(|(s, _)| s.to_ascii_lowercase());
        match scheme.as_deref() {
            Some("sqlite") => {
                if password.is_some() {
                    return Err(value_err("database_password_file", "is only used with a postgres:// database_url"));
                }
                let rest = &text["sqlite:".len()..];
                let rest = rest.strip_prefix("//").unwrap_or(rest);
                if rest.is_empty() {
                    return Ok(Self::Sqlite(home.join(DEFAULT_SQLITE_FILE)));
                }
                let path = PathBuf::from(rest);
                if !path.is_absolute() {
                    return Err(value_err(
                        "database_url",
                        "a sqlite: path must be absolute (or empty for $PACER_HOME)",
                    ));
                }
                Ok(Self::Sqlite(path))
            }
            Some("postgres" | "postgresql") => {
                let (rest, tls) = TlsRequest::split(text).map_err(|e| value_err("database_url", e))?;
                let tls = tls.tls().map_err(|e| value_err("database_url", e))?;
                let mut config: tokio_postgres::Config = rest.parse().map_err(|e: tokio_postgres::Error| {
                    value_err("database_url", crate::store::sql::postgres_message(&e))
                })?;
                match (config.get_password().is_some(), password) {
                    (true, Some(_)) => {
                        return Err(value_err(
                            "database_url",
                            "has a password and a password file is set too: give it in one place",
                        ));
                    }
                    (false, Some(p)) => {
                        config.password(p.expose());
                    }
                    _ => {}
                }
                if config.get_connect_timeout().is_none() {
                    config.connect_timeout(DEFAULT_CONNECT_TIMEOUT);
                }
                // A server that answers "no TLS" is then refused, not used in the clear.
                if matches!(tls, PgTls::Verified(_)) {
                    config.ssl_mode(tokio_postgres::config::SslMode::Require);
                }
                let target = PgTarget { config, tls };
                Ok(Self::Postgres(Box::new(PostgresUrl { target, redacted: redact(text) })))
            }
            Some(other) if !other.is_empty() && other.chars().all(|c| c.is_ascii_alphanumeric() || c == '+') => {
                Err(value_err("database_url", format!("unknown scheme '{other}:' (use sqlite: or postgres://…)")))
            }
            _ => Err(value_err("database_url", "is not a URL like sqlite: or postgres://user@host:5432/db")),
        }
    }
}

/// `text` with the password of its user info and any `password=` query parameter replaced.
fn redact(text: &str) -> String {
    let (before_query, query) = match text.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (text, None),
    };
    let mut out = match before_query.split_once("://") {
        Some((scheme, rest)) => {
            let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
            let authority = match authority.rsplit_once('@') {
                Some((userinfo, hosts)) => match userinfo.split_once(':') {
                    Some((user, _)) => format!("{user}:***@{hosts}"),
                    None => authority.to_string(),
                },
                None => authority.to_string(),
            };
            format!("{scheme}://{authority}{path}")
        }
        None => before_query.to_string(),
    };
    if let Some(query) = query {
        let params: Vec<String> = query
            .split('&')
            .map(|p| match p.split_once('=') {
                Some((k, _)) if k.eq_ignore_ascii_case("password") => format!("{k}=***"),
                _ => p.to_string(),
            })
            .collect();
        out.push('?');
        out.push_str(&params.join("&"));
    }
    out
}

impl fmt::Display for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Sqlite(path) => write!(f, "sqlite:{}", path.display()),
            Self::Postgres(pg) => f.write_str(&pg.redacted),
        }
    }
}

impl fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DatabaseUrl({self})")
    }
}

impl fmt::Debug for PostgresUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PostgresUrl({})", self.redacted)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str, password: Option<&str>) -> Result<DatabaseUrl, ConfigError> {
        DatabaseUrl::parse(Some(text), Path::new("/home/p"), password.map(|p| Secret::new(p.to_string())))
    }

    #[test]
    fn sqlite_default_and_path() {
        let d = DatabaseUrl::parse(None, Path::new("/home/p"), None).unwrap();
        assert!(matches!(d, DatabaseUrl::Sqlite(ref p) if p == Path::new("/home/p/pacer.db")));
        assert!(matches!(parse("sqlite:", None).unwrap(), DatabaseUrl::Sqlite(ref p) if p.ends_with("pacer.db")));
        assert!(
            matches!(parse("sqlite:/srv/x.db", None).unwrap(), DatabaseUrl::Sqlite(ref p) if p == Path::new("/srv/x.db"))
        );
        assert!(parse("sqlite:x.db", None).unwrap_err().to_string().contains("absolute"));
    }

    #[test]
    fn postgres_password_from_url_or_file_never_shown() {
        let DatabaseUrl::Postgres(pg) = parse("postgres://pacer:hunter2@127.0.0.1:5433/db", None).unwrap() else {
            panic!("postgres")
        };
        assert_eq!(pg.config().get_password(), Some(&b"hunter2"[..]));
        assert_eq!(pg.config().get_ports(), &[5433]);
        assert_eq!(pg.redacted(), "postgres://pacer:***@127.0.0.1:5433/db");
        assert_eq!(pg.config().get_connect_timeout(), Some(&DEFAULT_CONNECT_TIMEOUT));
        let d = parse("postgresql://pacer@h/db?password=hunter2&connect_timeout=3", None).unwrap();
        assert!(!format!("{d:?} {d}").contains("hunter2"), "{d:?}");
        let DatabaseUrl::Postgres(pg) = parse("postgres://pacer@h/db", Some("fromfile")).unwrap() else {
            panic!("postgres")
        };
        assert_eq!(pg.config().get_password(), Some(&b"fromfile"[..]));
        assert!(!format!("{pg:?}").contains("fromfile"));
        let err = parse("postgres://pacer:a@h/db", Some("b")).unwrap_err().to_string();
        assert!(err.contains("one place"), "{err}");
    }

    #[test]
    fn unknown_scheme_is_one_line_without_the_url() {
        let err = parse("mysql://root:hunter2@h/db", None).unwrap_err().to_string();
        assert!(err.contains("unknown scheme 'mysql:'") && !err.contains("hunter2") && !err.contains('\n'), "{err}");
        let err = parse("not a url", None).unwrap_err().to_string();
        assert!(err.contains("database_url"), "{err}");
        let err = parse("postgres://h:notaport/db", None).unwrap_err().to_string();
        assert!(err.contains("database_url"), "{err}");
    }
}
