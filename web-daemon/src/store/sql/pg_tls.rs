//! How pacer reaches PostgreSQL: in the clear (loopback, a private network, a local TLS proxy)
//! or over TLS with the server's certificate verified.
//!
//! `database_url` decides, with libpq's parameter names: `sslmode=require` (or `verify-ca`,
//! `verify-full`) means TLS, always verified against the system's CA store plus, when given,
//! `sslrootcert=/path/ca.pem` (a managed service's CA bundle), for the host name or IP address
//! the URL connects to. pacer never accepts an unverified certificate, so `require` behaves as
//! libpq's `verify-full`. Without `sslmode`, or with `disable`, `allow` or `prefer`, the
//! connection is in the clear (an unverified "prefer" would only look safe).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;
use tokio_postgres_rustls::MakeRustlsConnect;

/// How to connect: settings and transport together.
#[derive(Clone)]
pub struct PgTarget {
    pub config: tokio_postgres::Config,
    pub tls: PgTls,
}

/// The transport security of a [`PgTarget`].
#[derive(Clone)]
pub enum PgTls {
    /// In the clear.
    Plain,
    /// TLS, the server's certificate verified.
    Verified(MakeRustlsConnect),
}

impl std::fmt::Debug for PgTls {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            PgTls::Plain => "Plain",
            PgTls::Verified(_) => "Verified",
        })
    }
}

/// What the URL asked for, taken out of it before `tokio_postgres` parses the rest.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct TlsRequest {
    /// `sslmode` is `require`, `verify-ca` or `verify-full`.
    pub required: bool,
    /// `sslrootcert`.
    pub root_cert: Option<PathBuf>,
}

impl TlsRequest {
    /// Splits `sslmode` and `sslrootcert` off `url`'s query; returns the URL without them.
    pub fn split(url: &str) -> Result<(String, Self), String> {
        let Some((base, query)) = url.split_once('?') else { return Ok((url.to_owned(), Self::default())) };
        let mut request = Self::default();
        let mut rest = Vec::new();
        for pair in query.split('&').filter(|p| !p.is_empty()) {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            match key {
                "sslmode" => {
                    request.required = match value {
                        "disable" | "allow" | "prefer" => false,
                        "require" | "verify-ca" | "verify-full" => true,
                        other => {
                            return Err(format!(
                                "sslmode '{other}' is not one of disable, prefer, require, verify-full"
                            ));
                        }
                    }
                }
                "sslrootcert" => {
                    let path = percent_decode(value);
                    if !Path::new(&path).is_absolute() {
                        return Err("sslrootcert must be an absolute path".to_owned());
                    }
                    request.root_cert = Some(PathBuf::from(path));
                }
                _ => rest.push(pair),
            }
        }
        if request.root_cert.is_some() && !request.required {
            return Err("sslrootcert is only used with sslmode=require (or verify-full)".to_owned());
        }
        let url = if rest.is_empty() { base.to_owned() } else { format!("{base}?{}", rest.join("&")) };
        Ok((url, request))
    }

    /// The transport this request asks for (reads the CA file and the system's CA store).
    pub fn tls(&self) -> Result<PgTls, String> {
        if !self.required {
            return Ok(PgTls::Plain);
        }
        let mut roots = rustls::RootCertStore::empty();
        // The system's store; certificates it cannot parse are skipped (as browsers do).
        let native = rustls_native_certs::load_native_certs();
        roots.add_parsable_certificates(native.certs);
        if let Some(path) = &self.root_cert {
            let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(path)
                .map_err(|e| format!("sslrootcert {}: {e}", path.display()))?
                .collect::<Result<_, _>>()
                .map_err(|e| format!("sslrootcert {}: {e}", path.display()))?;
            if certs.is_empty() {
                return Err(format!("sslrootcert {}: no PEM certificate in it", path.display()));
            }
            for cert in certs {
                roots.add(cert).map_err(|e| format!("sslrootcert {}: {e}", path.display()))?;
            }
        }
        if roots.is_empty() {
            return Err("sslmode=require: no CA certificates (none in the system store; give sslrootcert)".to_owned());
        }
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let config = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| format!("TLS settings: {e}"))?
            .with_root_certificates(roots)
            .with_no_client_auth();
        Ok(PgTls::Verified(MakeRustlsConnect::new(config)))
    }
}

/// `%XX` escapes of a URL query value decoded (a path with spaces, say); a `+` stays a `+` (a
/// connection URI is not a form).
fn percent_decode(value: &str) -> String {
    url::form_urlencoded::parse(format!("v={}", value.replace('+', "%2B")).as_bytes())
        .next()
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default()
}

impl PgTarget {
    /// One new blocking connection.
    pub fn connect_blocking(&self) -> Result<postgres::Client, postgres::Error> {
        let config = postgres::Config::from(self.config.clone());
        match &self.tls {
            PgTls::Plain => config.connect(postgres::NoTls),
            PgTls::Verified(tls) => config.connect(tls.clone()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sslmode_and_sslrootcert_are_taken_out_of_the_url() {
        let (url, r) =
            TlsRequest::split("postgres://u@h/db?sslmode=require&sslrootcert=%2Fetc%2Fca.pem&application_name=p")
                .expect("split");
        assert_eq!(url, "postgres://u@h/db?application_name=p");
        assert_eq!(r, TlsRequest { required: true, root_cert: Some(PathBuf::from("/etc/ca.pem")) });
        let (url, r) = TlsRequest::split("postgres://u@h/db?sslmode=prefer").expect("split");
        assert_eq!((url.as_str(), r.required), ("postgres://u@h/db", false));
        assert_eq!(TlsRequest::split("postgres://u@h/db").expect("plain").1, TlsRequest::default());
        let (_, r) = TlsRequest::split("postgres://u@h/db?sslmode=require&sslrootcert=/ca+1%20b.pem").expect("split");
        assert_eq!(r.root_cert, Some(PathBuf::from("/ca+1 b.pem")));
        assert!(TlsRequest::split("postgres://u@h/db?sslmode=sometimes").is_err());
        assert!(TlsRequest::split("postgres://u@h/db?sslrootcert=/ca.pem").is_err(), "a CA without TLS");
        assert!(TlsRequest::split("postgres://u@h/db?sslmode=require&sslrootcert=ca.pem").is_err(), "relative");
    }

    #[test]
    fn a_missing_or_empty_ca_file_is_a_clear_error() {
        let dir = tempfile::tempdir().expect("tempdir");
        let missing = TlsRequest { required: true, root_cert: Some(dir.path().join("nope.pem")) };
        assert!(missing.tls().expect_err("error").contains("nope.pem"));
        let empty = dir.path().join("empty.pem");
        std::fs::write(&empty, "not a certificate\n").expect("write");
        let empty = TlsRequest { required: true, root_cert: Some(empty) };
        assert!(empty.tls().expect_err("error").contains("no PEM certificate"));
        assert!(matches!(TlsRequest::default().tls(), Ok(PgTls::Plain)));
    }
}
