//! TLS: the client talks HTTPS with a client certificate to a server that requires one, and is
//! refused without one or with a certificate from another CA.

use hecd_client::{Client, GetOptions, SetOptions, TlsOptions};
use hecd_testkit::kv::{Kind, KvServer};
use hecd_testkit::pki::TestPki;

fn client(url: &str, tls: TlsOptions) -> Client {
    Client::builder().endpoints([url]).rounds(5).tls(tls).build().expect("client builds")
}

pub fn client_certificate_auth(kind: Kind) {
    let dir = hecd_testkit::tempdir();
    let pki = TestPki::generate(dir.path()).expect("pki");
    let Some(kv) = KvServer::start_tls(kind, &pki) else { return };
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    rt.block_on(async {
        let good = client(
            &kv.url,
            TlsOptions {
                ca_file: Some(pki.ca.clone()),
                cert_file: Some(pki.client_cert.clone()),
                key_file: Some(pki.client_key.clone()),
            },
        );
        good.set("/tls/k", "v", SetOptions::default()).await.expect("authenticated write");
        let got = good.get("/tls/k", GetOptions::default()).await.unwrap();
        assert_eq!(got.response.node.unwrap().value.as_deref(), Some("v"));

        let anonymous =
            client(&kv.url, TlsOptions { ca_file: Some(pki.ca.clone()), ..Default::default() });
        let e = anonymous.get("/tls/k", GetOptions::default()).await.unwrap_err();
        assert!(
            matches!(e, hecd_client::Error::Unavailable { .. }),
            "refused without a client certificate: {e}"
        );

        let rogue = client(
            &kv.url,
            TlsOptions {
                ca_file: Some(pki.ca.clone()),
                cert_file: Some(pki.rogue_cert.clone()),
                key_file: Some(pki.rogue_key.clone()),
            },
        );
        assert!(
            rogue.get("/tls/k", GetOptions::default()).await.is_err(),
            "refused with another CA's certificate"
        );

        let untrusting = client(
            &kv.url,
            TlsOptions {
                ca_file: Some(pki.rogue_cert.clone()),
                cert_file: Some(pki.client_cert.clone()),
                key_file: Some(pki.client_key.clone()),
            },
        );
        assert!(
            untrusting.get("/tls/k", GetOptions::default()).await.is_err(),
            "server certificate not trusted"
        );
    });
}

#[test]
fn bad_tls_files_are_clear_errors() {
    let dir = hecd_testkit::tempdir();
    let missing = dir.path().join("nope.pem");
    let e = Client::builder()
        .endpoints(["https://127.0.0.1:1"])
        .tls(TlsOptions { ca_file: Some(missing.clone()), ..Default::default() })
        .build()
        .unwrap_err();
    assert!(e.to_string().contains("nope.pem"), "{e}");
    let empty = dir.path().join("empty.pem");
    std::fs::write(&empty, "").unwrap();
    let e = Client::builder()
        .endpoints(["https://127.0.0.1:1"])
        .tls(TlsOptions { ca_file: Some(empty), ..Default::default() })
        .build()
        .unwrap_err();
    assert!(e.to_string().contains("no certificate"), "{e}");
    let e = Client::builder()
        .endpoints(["https://127.0.0.1:1"])
        .tls(TlsOptions { cert_file: Some(missing), ..Default::default() })
        .build()
        .unwrap_err();
    assert!(e.to_string().contains("needs its key"), "{e}");
}

#[test]
fn pem_files_are_read_once_here_with_the_file_named_in_every_error() {
    use hecd_client::pem;
    let dir = hecd_testkit::tempdir();
    let pki = TestPki::generate(dir.path()).expect("pki");
    assert_eq!(pem::certs(&pki.server_cert).expect("a certificate").len(), 1);
    pem::private_key(&pki.server_key).expect("a key");
    assert_eq!(pem::roots(&pki.ca).expect("a CA").len(), 1);
    // A key file holds no certificate, a certificate file no key, a missing file nothing.
    let e = pem::certs(&pki.server_key).unwrap_err();
    assert_eq!(e.path, pki.server_key.display().to_string());
    assert!(e.reason.contains("no certificate"), "{e}");
    assert!(pem::private_key(&pki.ca).is_err());
    let missing = dir.path().join("missing.pem");
    let e = pem::roots(&missing).unwrap_err();
    assert_eq!(e.path, missing.display().to_string());
}
