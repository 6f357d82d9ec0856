//! Go's flag semantics and the launch plan's refusals.
use super::*;

fn go(args: &[&str]) -> Vec<String> {
    let raw = std::iter::once("hecd-kv").chain(args.iter().copied()).map(String::from);
    go_style_args(raw.collect(), &Args::command())
}

fn parsed(args: &[&str]) -> Args {
    let cmd = Args::command();
    let m = cmd.try_get_matches_from(go(args)).expect("parses");
    Args::from_arg_matches(&m).expect("fits")
}

#[test]
fn every_go_spelling_of_a_flag_is_one_flag_and_the_last_wins() {
    let a = parsed(&["-name", "a", "--name=b", "-name=c", "--name", "d"]);
    assert_eq!(a.name, "d");
    let a = parsed(&["--name", "-x", "-data-dir", "--y"]);
    assert_eq!(a.name, "-x");
    assert_eq!(a.data_dir.as_deref(), Some(std::path::Path::new("--y")));
}

#[test]
fn booleans_take_a_value_only_after_an_equals_sign() {
    assert_eq!(parsed(&["--enable-v2"]).enable_v2, Some(true));
    assert_eq!(parsed(&["-enable-v2=false"]).enable_v2, Some(false));
    assert_eq!(parsed(&["--enable-v2=0", "-enable-v2=T"]).enable_v2, Some(true));
    let a = parsed(&["--enable-v2", "true"]);
    assert_eq!(a.not_flags, ["true"]);
}

#[test]
fn the_first_non_flag_ends_the_flags() {
    let a = parsed(&["--name", "a", "extra", "--name", "b"]);
    assert_eq!(a.name, "a");
    assert_eq!(a.not_flags, ["extra", "--name", "b"]);
    let a = parsed(&["--", "--name", "b"]);
    assert_eq!(a.not_flags, ["--name", "b"]);
    assert_eq!(go(&["-h"]), ["hecd-kv", "-h"]);
}

fn plan_of(args: &[&str]) -> Result<Launch, FlagError> {
    Launch::plan(&parsed(args))
}

#[track_caller]
fn refused(args: &[&str], want: &str) {
    match plan_of(args) {
        Err(FlagError::Invalid(m)) => assert!(m.contains(want), "{m:?} should say {want:?}"),
        other => panic!("{args:?} must be refused ({want}): {other:?}"),
    }
}

#[test]
fn every_unworkable_combination_is_refused_with_a_reason() {
    refused(
        &[
            "--listen-client-urls",
            "http://127.0.0.1:1,https://127.0.0.1:2",
            "--cert-file",
            "c",
            "--key-file",
            "k",
        ],
        "mixing http:// and https://",
    );
    refused(&["--listen-client-urls", "https://127.0.0.1:1"], "need --cert-file and --key-file");
    refused(&["--listen-client-urls", "https://127.0.0.1:1", "--cert-file", "c"], "--key-file");
    refused(&["--listen-peer-urls", "https://127.0.0.1:1"], "need --peer-cert-file");
    refused(&["--initial-advertise-peer-urls", "https://127.0.0.1:1"], "need --peer-cert-file");
    refused(&["--listen-client-urls", "unix:///tmp/s"], "unsupported listen URL");
    refused(&["--listen-client-urls", "http://127.0.0.1"], "has no port");
    refused(&["--listen-client-urls", "http://127.0.0.1:99999"], "bad port");
    refused(&["--listen-client-urls", "http://example.com:1"], "needs an IP address");
    refused(&["--listen-peer-urls", "http://127.0.0.1"], "has no port");
    refused(&["--initial-cluster", "a=http://127.0.0.1:1,b"], "is not name=url");
}

#[test]
fn a_cluster_state_that_is_neither_new_nor_existing_is_a_usage_error() {
    let cmd = Args::command();
    let err = cmd.try_get_matches_from(go(&["--initial-cluster-state", "exisitng"])).unwrap_err();
    assert_eq!(err.kind(), clap::error::ErrorKind::InvalidValue);
    assert_eq!(
        parsed(&["--initial-cluster-state", "existing"]).initial_cluster_state,
        ClusterState::Existing
    );
    assert!(plan_of(&["--initial-cluster-state=existing"]).unwrap().config.join_existing);
    assert!(!plan_of(&[]).unwrap().config.join_existing);
}

#[test]
fn the_plan_follows_etcds_defaults_and_old_spellings() {
    let l = plan_of(&[]).unwrap();
    let want: Vec<std::net::SocketAddr> =
        vec!["127.0.0.1:2379".parse().unwrap(), "127.0.0.1:4001".parse().unwrap()];
    assert_eq!(l.listen, want);
    assert_eq!(l.scheme, "http");
    assert!(l.listen_peer.is_empty());
    assert_eq!(l.config.data_dir.as_deref(), Some(std::path::Path::new("default.etcd")));
    assert_eq!(l.config.advertise_peer_urls, ["http://localhost:2380"]);
    // etcd 0.4: -addr is advertised and, without -bind-addr, listened on.
    let l = plan_of(&["-addr", "127.0.0.1:7001", "-peer-addr", "127.0.0.1:7002", "-name", "n"])
        .unwrap();
    assert_eq!(l.listen, vec!["127.0.0.1:7001".parse::<std::net::SocketAddr>().unwrap()]);
    assert_eq!(l.advertise.as_deref(), Some(&["http://127.0.0.1:7001".to_owned()][..]));
    assert_eq!(l.config.advertise_peer_urls, ["http://127.0.0.1:7002"]);
    assert_eq!(l.config.data_dir.as_deref(), Some(std::path::Path::new("n.etcd")));
    // An advertised port 0 means "what was bound"; localhost binds 127.0.0.1.
    let l = plan_of(&[
        "--listen-client-urls",
        "http://localhost:0",
        "--advertise-client-urls",
        "http://localhost:0",
    ])
    .unwrap();
    assert_eq!(l.listen, vec!["127.0.0.1:0".parse::<std::net::SocketAddr>().unwrap()]);
    assert_eq!(l.advertise, None);
    let l = plan_of(&[
        "--listen-client-urls",
        "https://127.0.0.1:1",
        "--cert-file",
        "c",
        "--key-file",
        "k",
        "--client-cert-auth",
        "--trusted-ca-file",
        "ca",
    ])
    .unwrap();
    assert_eq!(l.scheme, "https");
    let tls = l.config.client_tls.expect("client TLS");
    assert!(tls.client_cert_auth);
    assert_eq!(tls.trusted_ca_file.as_deref(), Some(std::path::Path::new("ca")));
    let l = plan_of(&["--initial-cluster", "a=http://127.0.0.1:1,b=http://127.0.0.1:2"]).unwrap();
    assert_eq!(l.config.initial_cluster.len(), 2);
}
