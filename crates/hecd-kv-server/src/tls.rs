//! TLS for the client listeners: the server certificate (`--cert-file`, `--key-file`) and, with
//! `--client-cert-auth`, client certificates verified against `--trusted-ca-file`, as etcd does.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustls::server::WebPkiClientVerifier;
use rustls::{RootCertStore, ServerConfig};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use tokio_rustls::TlsAcceptor;

use crate::{Error, Result};

/// The PEM files of a TLS listener.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsFiles {
    /// The server certificate chain.
    pub cert_file: PathBuf,
    /// Its private key.
    pub key_file: PathBuf,
    /// CAs whose client certificates are accepted.
    pub trusted_ca_file: Option<PathBuf>,
    /// Refuse clients without a certificate signed by `trusted_ca_file`.
    pub client_cert_auth: bool,
}

fn tls_error(path: &Path, reason: impl std::fmt::Display) -> Error {
    Error::Tls { path: path.display().to_string(), reason: reason.to_string() }
}

fn certs(path: &Path) -> Result<Vec<CertificateDer<'static>>> {
    let certs = CertificateDer::pem_file_iter(path)
        .map_err(|e| tls_error(path, e))?
        .collect::<std::result::Result<Vec<_>, _>>()
        .map_err(|e| tls_error(path, e))?;
    if certs.is_empty() {
        return Err(tls_error(path, "no certificate found in the file"));
    }
    Ok(certs)
}

/// A TLS acceptor built from [`TlsFiles`].
#[derive(Clone)]
pub struct ServerTls(TlsAcceptor);

impl std::fmt::Debug for ServerTls {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ServerTls")
    }
}

impl ServerTls {
    /// Runs the TLS handshake on an accepted connection.
    ///
    /// # Errors
    /// The handshake's I/O or TLS error.
    pub async fn accept<S>(&self, stream: S) -> std::io::Result<tokio_rustls::server::TlsStream<S>>
    where
        S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
    {
        self.0.accept(stream).await
    }
}

/// Builds the acceptor for `files`.
///
/// # Errors
/// [`Error::Tls`] naming the file that cannot be read or used.
pub fn acceptor(files: &TlsFiles) -> Result<ServerTls> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = ServerConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| tls_error(&files.cert_file, e))?;
    let builder = match &files.trusted_ca_file {
        Some(ca) => {
            let mut roots = RootCertStore::empty();
            for cert in certs(ca)? {
                roots.add(cert).map_err(|e| tls_error(ca, e))?;
            }
            let verifier = WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider);
            let verifier =
                if files.client_cert_auth { verifier } else { verifier.allow_unauthenticated() };
            builder.with_client_cert_verifier(verifier.build().map_err(|e| tls_error(ca, e))?)
        }
        None if files.client_cert_auth => {
            return Err(tls_error(&files.cert_file, "--client-cert-auth needs --trusted-ca-file"));
        }
        None => builder.with_no_client_auth(),
    };
    let key =
        PrivateKeyDer::from_pem_file(&files.key_file).map_err(|e| tls_error(&files.key_file, e))?;
    let mut config = builder
        .with_single_cert(certs(&files.cert_file)?, key)
        .map_err(|e| tls_error(&files.cert_file, e))?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(ServerTls(TlsAcceptor::from(Arc::new(config))))
}
