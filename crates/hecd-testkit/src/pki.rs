//! A throw-away PKI for TLS tests: a CA, a server certificate for `127.0.0.1`/`localhost` and a
//! client certificate, written as PEM files into a directory the test owns.

use std::net::{IpAddr, Ipv4Addr};
use std::path::{Path, PathBuf};

use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, KeyPair, SanType,
};

/// The PEM files of a generated PKI.
#[derive(Debug, Clone)]
pub struct TestPki {
    /// The CA certificate (trust anchor for both sides).
    pub ca: PathBuf,
    /// The server certificate (SANs `127.0.0.1`, `localhost`).
    pub server_cert: PathBuf,
    /// The server's key.
    pub server_key: PathBuf,
    /// A client certificate signed by the CA.
    pub client_cert: PathBuf,
    /// The client's key.
    pub client_key: PathBuf,
    /// A client certificate signed by another CA, which the server must refuse.
    pub rogue_cert: PathBuf,
    /// The rogue client's key.
    pub rogue_key: PathBuf,
}

fn ca(name: &str) -> Result<(rcgen::Certificate, KeyPair), rcgen::Error> {
    let mut params = CertificateParams::new(Vec::<String>::new())?;
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.distinguished_name.push(DnType::CommonName, name);
    let key = KeyPair::generate()?;
    let cert = params.self_signed(&key)?;
    Ok((cert, key))
}

fn leaf(
    cn: &str,
    server: bool,
    issuer: &rcgen::Certificate,
    issuer_key: &KeyPair,
) -> Result<(String, String), rcgen::Error> {
    let mut params = CertificateParams::new(vec!["localhost".to_string()])?;
    params.subject_alt_names.push(SanType::IpAddress(IpAddr::V4(Ipv4Addr::LOCALHOST)));
    params.distinguished_name.push(DnType::CommonName, cn);
    params.extended_key_usages = if server {
        vec![ExtendedKeyUsagePurpose::ServerAuth, ExtendedKeyUsagePurpose::ClientAuth]
    } else {
        vec![ExtendedKeyUsagePurpose::ClientAuth]
    };
    let key = KeyPair::generate()?;
    let cert = params.signed_by(&key, issuer, issuer_key)?;
    Ok((cert.pem(), key.serialize_pem()))
}

impl TestPki {
    /// Generates the PKI into `dir`.
    ///
    /// # Errors
    /// Generation or write failures, as text.
    pub fn generate(dir: &Path) -> Result<TestPki, String> {
        let e = |err: rcgen::Error| err.to_string();
        let (ca_cert, ca_key) = ca("hecd test CA").map_err(e)?;
        let (server_pem, server_key) =
            leaf("hecd test server", true, &ca_cert, &ca_key).map_err(e)?;
        let (client_pem, client_key) =
            leaf("hecd test client", false, &ca_cert, &ca_key).map_err(e)?;
        let (rogue_ca, rogue_ca_key) = ca("rogue CA").map_err(e)?;
        let (rogue_pem, rogue_key) =
            leaf("rogue client", false, &rogue_ca, &rogue_ca_key).map_err(e)?;
        let write = |name: &str, text: &str| -> Result<PathBuf, String> {
            let p = dir.join(name);
            std::fs::write(&p, text).map_err(|err| format!("{}: {err}", p.display()))?;
            Ok(p)
        };
        Ok(TestPki {
            ca: write("ca.pem", &ca_cert.pem())?,
            server_cert: write("server.pem", &server_pem)?,
            server_key: write("server-key.pem", &server_key)?,
            client_cert: write("client.pem", &client_pem)?,
            client_key: write("client-key.pem", &client_key)?,
            rogue_cert: write("rogue.pem", &rogue_pem)?,
            rogue_key: write("rogue-key.pem", &rogue_key)?,
        })
    }
}
