//! TLS for the client listeners: the server certificate (`--cert-file`, `--key-file`) and, with
//! `--client-cert-auth`, client certificates verified against `--trusted-ca-file`, as etcd does.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustls::server::WebPkiClientVerifier;
use rustls::{RootCertStore, ServerConfig};
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

/// The certificates of a PEM file (at least one), read by `hecd_client::pem`.
pub(crate) fn certs(path: &Path) -> Result<Vec<CertificateDer<'static>>> {
    hecd_client::pem::certs(path).map_err(pem_error)
}

/// The private key of a PEM file.
pub(crate) fn private_key(path: &Path) -> Result<PrivateKeyDer<'static>> {
    hecd_client::pem::private_key(path).map_err(pem_error)
}

/// A root store holding every certificate of a CA file.
pub(crate) fn roots(ca: &Path) -> Result<RootCertStore> {
    hecd_client::pem::roots(ca).map_err(pem_error)
}

fn pem_error(e: hecd_client::pem::PemError) -> Error {
    Error::Tls { path: e.path, reason: e.reason }
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
            let verifier =
                WebPkiClientVerifier::builder_with_provider(Arc::new(roots(ca)?), provider);
            let verifier =
                if files.client_cert_auth { verifier } else { verifier.allow_unauthenticated() };
            builder.with_client_cert_verifier(verifier.build().map_err(|e| tls_error(ca, e))?)
        }
        None if files.client_cert_auth => {
            return Err(tls_error(&files.cert_file, "--client-cert-auth needs --trusted-ca-file"));
        }
        None => builder.with_no_client_auth(),
    };
    let key = private_key(&files.key_file)?;
    let mut config = builder
        .with_single_cert(certs(&files.cert_file)?, key)
        .map_err(|e| tls_error(&files.cert_file, e))?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(ServerTls(TlsAcceptor::from(Arc::new(config))))
}

/// The subject Common Names of a client's certificate chain as the client sent it, leaf
/// first (etcd looks each up as a v2 user, in this order). Certificates without a readable
/// Common Name are skipped.
pub(crate) fn chain_common_names(chain: &[CertificateDer<'_>]) -> Vec<String> {
    chain.iter().filter_map(|c| subject_common_name(c.as_ref())).collect()
}

/// One DER element: its tag, its contents and what follows it.
fn der(input: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let (&tag, rest) = input.split_first()?;
    let (&first, rest) = rest.split_first()?;
    let (len, rest) = if first < 0x80 {
        (usize::from(first), rest)
    } else {
        let n = usize::from(first & 0x7f);
        if n == 0 || n > 4 || rest.len() < n {
            return None;
        }
        let len = rest[..n].iter().fold(0usize, |acc, b| (acc << 8) | usize::from(*b));
        (len, &rest[n..])
    };
    (rest.len() >= len).then(|| (tag, &rest[..len], &rest[len..]))
}

/// The subject's Common Name of a DER certificate, as Go's `Subject.CommonName` reads it (the
/// last CN attribute of the subject).
pub(crate) fn subject_common_name(cert: &[u8]) -> Option<String> {
    const SEQUENCE: u8 = 0x30;
    const SET: u8 = 0x31;
    const CN: [u8; 3] = [0x55, 0x04, 0x03];
    let (SEQUENCE, cert, _) = der(cert)? else { return None };
    let (SEQUENCE, mut tbs, _) = der(cert)? else { return None };
    // [0] version (optional), serial, signature algorithm, issuer, validity, subject.
    if tbs.first() == Some(&0xa0) {
        tbs = der(tbs)?.2;
    }
    for _ in 0..4 {
        tbs = der(tbs)?.2;
    }
    let (SEQUENCE, mut rdns, _) = der(tbs)? else { return None };
    let mut cn = None;
    while !rdns.is_empty() {
        let (tag, mut set, rest) = der(rdns)?;
        rdns = rest;
        if tag != SET {
            continue;
        }
        while !set.is_empty() {
            let (tag, atv, rest) = der(set)?;
            set = rest;
            if tag != SEQUENCE {
                continue;
            }
            let (oid_tag, oid, value) = der(atv)?;
            if oid_tag == 0x06 && oid == CN {
                let (vtag, v, _) = der(value)?;
                cn = match vtag {
                    // UTF8String, PrintableString, IA5String, T61String.
                    0x0c | 0x13 | 0x16 | 0x14 => String::from_utf8(v.to_vec()).ok(),
                    // BMPString: UTF-16 big-endian.
                    0x1e if v.len() % 2 == 0 => {
                        let units = v.chunks(2).map(|c| u16::from_be_bytes([c[0], c[1]]));
                        char::decode_utf16(units).collect::<Result<String, _>>().ok()
                    }
                    _ => None,
                };
            }
        }
    }
    cn
}

#[cfg(test)]
mod tests;
