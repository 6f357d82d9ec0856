//! TLS for `https://` endpoints: a CA bundle to trust (else the system's roots) and an optional
//! client certificate for servers that require client-certificate authentication.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustls::{ClientConfig, RootCertStore};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::CertificateDer;

use crate::{Error, Result};

/// Where the client's TLS material lives (PEM files).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TlsOptions {
    /// CA certificates to trust; the system's roots when `None`.
    pub ca_file: Option<PathBuf>,
    /// The client certificate chain, for client-certificate authentication.
    pub cert_file: Option<PathBuf>,
    /// The client certificate's private key.
    pub key_file: Option<PathBuf>,
}

impl TlsOptions {
    /// Whether any TLS option is set.
    pub fn is_set(&self) -> bool {
        self.ca_file.is_some() || self.cert_file.is_some() || self.key_file.is_some()
    }
}

fn tls_error(path: &Path, reason: impl std::fmt::Display) -> Error {
    Error::Tls { path: path.display().to_string(), reason: reason.to_string() }
}

/// Reading PEM files: the one place the workspace does it (`hecd-kv-server`'s listeners and
/// peer client use it too).
pub mod pem {
    use std::path::Path;

    use rustls::RootCertStore;
    use rustls_pki_types::pem::PemObject;
    use rustls_pki_types::{CertificateDer, PrivateKeyDer};

    /// A PEM file that cannot be read or used.
    #[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
    #[error("{path}: {reason}")]
    pub struct PemError {
        /// The file.
        pub path: String,
        /// What is wrong with it.
        pub reason: String,
    }

    fn error(path: &Path, reason: impl std::fmt::Display) -> PemError {
        PemError { path: path.display().to_string(), reason: reason.to_string() }
    }

    /// Every certificate of a PEM file (at least one).
    ///
    /// # Errors
    /// The file cannot be read, holds a malformed block, or no certificate.
    pub fn certs(path: &Path) -> Result<Vec<CertificateDer<'static>>, PemError> {
        let certs = CertificateDer::pem_file_iter(path)
            .map_err(|e| error(path, e))?
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| error(path, e))?;
        if certs.is_empty() {
            return Err(error(path, "no certificate found in the file"));
        }
        Ok(certs)
    }

    /// The private key of a PEM file.
    ///
    /// # Errors
    /// The file cannot be read or holds no usable key.
    pub fn private_key(path: &Path) -> Result<PrivateKeyDer<'static>, PemError> {
        PrivateKeyDer::from_pem_file(path).map_err(|e| error(path, e))
    }

    /// A root store holding every certificate of a CA file.
    ///
    /// # Errors
    /// As [`certs`], or a certificate rustls refuses as a trust anchor.
    pub fn roots(ca: &Path) -> Result<RootCertStore, PemError> {
        let mut roots = RootCertStore::empty();
        for cert in certs(ca)? {
            roots.add(cert).map_err(|e| error(ca, e))?;
        }
        Ok(roots)
    }
}

impl From<pem::PemError> for Error {
    fn from(e: pem::PemError) -> Self {
        Error::Tls { path: e.path, reason: e.reason }
    }
}

/// Builds the rustls configuration.
pub(crate) fn client_config(opts: &TlsOptions) -> Result<ClientConfig> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| Error::Tls { path: String::new(), reason: e.to_string() })?;
    let mut roots = RootCertStore::empty();
    match &opts.ca_file {
        Some(ca) => roots = pem::roots(ca)?,
        None => {
            let found = rustls_native_certs_load();
            for cert in found {
                // Unusable system certificates are skipped, as browsers and curl do.
                let _ = roots.add(cert);
            }
        }
    }
    let builder = builder.with_root_certificates(roots);
    match (&opts.cert_file, &opts.key_file) {
        (Some(cert), Some(key)) => {
            let chain = pem::certs(cert)?;
            let key_der = pem::private_key(key)?;
            builder.with_client_auth_cert(chain, key_der).map_err(|e| tls_error(cert, e))
        }
        (None, None) => Ok(builder.with_no_client_auth()),
        (Some(cert), None) => Err(tls_error(cert, "a client certificate needs its key file too")),
        (None, Some(key)) => Err(tls_error(key, "a client key needs its certificate file too")),
    }
}

fn rustls_native_certs_load() -> Vec<CertificateDer<'static>> {
    let mut found = Vec::new();
    for dir in ["/etc/ssl/certs/ca-certificates.crt", "/etc/pki/tls/certs/ca-bundle.crt"] {
        if let Ok(iter) = CertificateDer::pem_file_iter(dir) {
            found.extend(iter.flatten());
            if !found.is_empty() {
                break;
            }
        }
    }
    found
}
