//! v2 auth against the reference: the same requests go to Debian's etcd and to `hecd-kv`,
//! before and after a restart of each, and their answers must agree (auth bodies exactly,
//! `/v2/keys` answers by status and error code, since the two count indices from different
//! starting points).

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

use hecd_testkit::kv::{Kind, KvServer};

/// `Authorization` values: base64 of `root:rootpw`, `alice:pw`, `alice:bad`, `alice:pw2`.
const ROOT: Option<&str> = Some("Basic cm9vdDpyb290cHc=");
const ALICE: Option<&str> = Some("Basic YWxpY2U6cHc=");
const ALICE_BAD: Option<&str> = Some("Basic YWxpY2U6YmFk");
const ALICE_NEW: Option<&str> = Some("Basic YWxpY2U6cHcy");

/// How much of an answer must agree.
#[derive(Clone, Copy)]
enum Compare {
    /// Status and body.
    Full,
    /// Status and `errorCode` (bodies carry indices).
    Status,
}

/// One request: method, path, `Authorization`, body, comparison.
type Step = (&'static str, &'static str, Option<&'static str>, &'static str, Compare);

const BEFORE_RESTART: &[Step] = &[
    ("PUT", "/v2/keys/r/a", None, "value=1", Compare::Status),
    ("GET", "/v2/auth/enable", None, "", Compare::Full),
    ("PUT", "/v2/auth/enable", None, "", Compare::Full),
    ("PUT", "/v2/auth/users/root", None, r#"{"user":"root","password":"rootpw"}"#, Compare::Full),
    (
        "PUT",
        "/v2/auth/roles/rw",
        None,
        r#"{"role":"rw","permissions":{"kv":{"read":["/r/*"],"write":["/w/*"]}}}"#,
        Compare::Full,
    ),
    ("PUT", "/v2/auth/users/alice", None, r#"{"user":"alice","password":"pw"}"#, Compare::Full),
    ("PUT", "/v2/auth/users/alice", None, r#"{"user":"alice","grant":["rw"]}"#, Compare::Full),
    ("PUT", "/v2/auth/enable", None, "", Compare::Full),
    ("GET", "/v2/auth/users", None, "", Compare::Full),
    ("GET", "/v2/auth/users", ROOT, "", Compare::Full),
    ("GET", "/v2/auth/roles", ROOT, "", Compare::Full),
    ("GET", "/v2/keys/r/a", None, "", Compare::Status),
    (
        "PUT",
        "/v2/auth/roles/guest",
        ROOT,
        r#"{"role":"guest","revoke":{"kv":{"write":["/*"]}}}"#,
        Compare::Full,
    ),
    ("GET", "/v2/keys/r/a", None, "", Compare::Status),
    ("PUT", "/v2/keys/r/a", None, "value=2", Compare::Status),
    ("GET", "/v2/keys/r/a", ALICE, "", Compare::Status),
    ("PUT", "/v2/keys/r/a", ALICE, "value=2", Compare::Status),
    ("PUT", "/v2/keys/w/a", ALICE, "value=2", Compare::Status),
    ("GET", "/v2/keys/r/a", ALICE_BAD, "", Compare::Full),
    ("GET", "/v2/keys/r?recursive=true", ALICE, "", Compare::Status),
    ("GET", "/v2/keys/r/?recursive=true", ALICE, "", Compare::Status),
];

const AFTER_RESTART: &[Step] = &[
    ("GET", "/v2/auth/enable", None, "", Compare::Full),
    ("GET", "/v2/auth/users/alice", ROOT, "", Compare::Full),
    ("GET", "/v2/keys/r/a", ALICE, "", Compare::Status),
    ("GET", "/v2/keys/r/a", ALICE_BAD, "", Compare::Full),
    ("PUT", "/v2/auth/users/alice", ROOT, r#"{"user":"alice","password":"pw2"}"#, Compare::Full),
    ("GET", "/v2/keys/r/a", ALICE, "", Compare::Full),
    ("GET", "/v2/keys/r/a", ALICE_NEW, "", Compare::Status),
    ("PUT", "/v2/auth/users/alice", ROOT, r#"{"user":"alice","revoke":["rw"]}"#, Compare::Full),
    ("GET", "/v2/keys/r/a", ALICE_NEW, "", Compare::Full),
    ("DELETE", "/v2/auth/users/root", ROOT, "", Compare::Full),
    ("DELETE", "/v2/auth/enable", ALICE_NEW, "", Compare::Full),
    ("DELETE", "/v2/auth/enable", ROOT, "", Compare::Full),
    ("GET", "/v2/keys/r/a", None, "", Compare::Status),
];

/// One request with an optional `Authorization` header; status and body.
pub(crate) fn send(
    addr: SocketAddr,
    method: &str,
    path: &str,
    auth: Option<&str>,
    body: &str,
) -> (u16, String) {
    let mut s = TcpStream::connect_timeout(&addr, Duration::from_secs(2)).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(10))).expect("timeout");
    let ctype = if path.starts_with("/v2/keys") {
        "application/x-www-form-urlencoded"
    } else {
        "application/json"
    };
    let auth = auth.map(|a| format!("Authorization: {a}\r\n")).unwrap_or_default();
    let req = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n{auth}Content-Type: {ctype}\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    s.write_all(req.as_bytes()).expect("write");
    let mut raw = String::new();
    s.read_to_string(&mut raw).expect("read");
    let (head, rest) = raw.split_once("\r\n\r\n").expect("complete answer");
    let status = head.split(' ').nth(1).and_then(|s| s.parse().ok()).expect("status");
    (status, rest.to_owned())
}

/// What must agree of an answer.
fn comparable((status, body): (u16, String), how: Compare) -> String {
    match how {
        Compare::Full => format!("{status} {body}"),
        Compare::Status => {
            let code = body.split("\"errorCode\":").nth(1).and_then(|s| s.split(',').next());
            format!("{status} errorCode={code:?}")
        }
    }
}

fn run(kv: &KvServer, steps: &[Step]) -> Vec<String> {
    steps
        .iter()
        .map(|&(m, p, a, b, how)| {
            format!("{m} {p} => {}", comparable(send(kv.addr, m, p, a, b), how))
        })
        .collect()
}

/// Runs the steps on both servers and checks that every answer agrees.
#[track_caller]
fn check(etcd: &KvServer, hecd: &KvServer, steps: &[Step]) {
    let (want, got) = (run(etcd, steps), run(hecd, steps));
    for (w, g) in want.iter().zip(&got) {
        assert_eq!(g, w, "hecd-kv differs from etcd");
    }
}

#[test]
fn auth_matches_etcd_and_survives_restarts() {
    let Some(mut etcd) = KvServer::start(Kind::Etcd) else { return };
    let Some(mut hecd) = KvServer::start(Kind::HecdKv) else { return };
    check(&etcd, &hecd, BEFORE_RESTART);
    for kv in [&mut etcd, &mut hecd] {
        kv.stop("TERM");
        kv.restart();
    }
    check(&etcd, &hecd, AFTER_RESTART);
}

/// Runs `etcdctl` (v2 API) against `kv`; success and combined output.
fn etcdctl(kv: &KvServer, args: &[&str], stdin: &str) -> (bool, String) {
    let mut child = std::process::Command::new("/usr/bin/etcdctl")
        .env("ETCDCTL_API", "2")
        .args(["--endpoints", &kv.url])
        .args(args)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("etcdctl runs");
    child.stdin.take().expect("stdin").write_all(stdin.as_bytes()).expect("stdin written");
    let out = child.wait_with_output().expect("etcdctl exits");
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    (out.status.success(), text)
}

/// One `etcdctl` call that must succeed (or fail) with output containing `want`.
#[track_caller]
fn check_etcdctl(kv: &KvServer, args: &[&str], stdin: &str, ok: bool, want: &str) {
    let (success, text) = etcdctl(kv, args, stdin);
    assert_eq!(success, ok, "etcdctl {args:?}: {text}");
    assert!(text.contains(want), "etcdctl {args:?}: want {want:?} in {text:?}");
}

#[test]
fn etcdctl_v2_manages_auth() {
    if !hecd_testkit::require_program("/usr/bin/etcdctl") {
        return;
    }
    let Some(kv) = KvServer::start(Kind::HecdKv) else { return };
    let root = ["--username", "root:rootpw"];
    check_etcdctl(&kv, &["user", "add", "root:rootpw"], "", true, "User root created");
    check_etcdctl(&kv, &["role", "add", "rw"], "", true, "Role rw created");
    check_etcdctl(&kv, &["role", "grant", "rw", "--path", "/r/*", "--read"], "", true, "updated");
    check_etcdctl(&kv, &["role", "grant", "rw", "--path", "/w/*", "--readwrite"], "", true, "");
    check_etcdctl(&kv, &["user", "add", "alice:pw"], "", true, "User alice created");
    check_etcdctl(&kv, &["user", "grant", "alice", "--roles", "rw"], "", true, "updated");
    check_etcdctl(&kv, &["user", "get", "alice"], "", true, "Roles:  rw");
    check_etcdctl(&kv, &["set", "/r/a", "1"], "", true, "1");
    check_etcdctl(&kv, &["auth", "enable"], "", true, "Authentication Enabled");
    check_etcdctl(&kv, &["--username", "alice:pw", "get", "/r/a"], "", true, "1");
    check_etcdctl(&kv, &["--username", "alice:pw", "set", "/r/a", "2"], "", false, "110");
    check_etcdctl(&kv, &["--username", "alice:pw", "set", "/w/b", "2"], "", true, "2");
    check_etcdctl(&kv, &["user", "list"], "", false, "Insufficient credentials");
    let passwd = [&root[..], &["user", "passwd", "alice"]].concat();
    check_etcdctl(&kv, &passwd, "pw3\npw3\n", true, "Password updated");
    check_etcdctl(&kv, &["--username", "alice:pw", "get", "/r/a"], "", false, "110");
    check_etcdctl(&kv, &["--username", "alice:pw3", "get", "/r/a"], "", true, "1");
    let revoke = [&root[..], &["role", "revoke", "rw", "--path", "/r/*", "--read"]].concat();
    check_etcdctl(&kv, &revoke, "", true, "Role rw updated");
    check_etcdctl(&kv, &["--username", "alice:pw3", "get", "/r/a"], "", false, "110");
    check_etcdctl(&kv, &[&root[..], &["auth", "disable"]].concat(), "", true, "Disabled");
    check_etcdctl(&kv, &["get", "/r/a"], "", true, "1");
}
