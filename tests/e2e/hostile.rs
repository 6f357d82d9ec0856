//! Hostile and unusual clients, side by side with Debian's etcd: request framings that two
//! parsers could read differently (the root of request smuggling), CORS, command lines that
//! repeat flags or shadow `ETCD_*` variables, and the order of the lists etcd returns.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::Command;
use std::time::Duration;

use hecd_testkit::kv::{Kind, KvServer};
use hecd_testkit::{http, http_full, Proc};

/// Sends `req` as is and reads until the server closes the connection (every request here
/// either says `Connection: close` or is one the server must close on).
fn raw(addr: SocketAddr, req: &str) -> String {
    let mut s = TcpStream::connect_timeout(&addr, Duration::from_secs(2)).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(10))).expect("timeout");
    s.write_all(req.as_bytes()).expect("write");
    let mut out = Vec::new();
    s.read_to_end(&mut out).expect("the server closes the connection");
    String::from_utf8_lossy(&out).into_owned()
}

fn status_of(answer: &str) -> u16 {
    answer.split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap_or(0)
}

/// A PUT of `value=a` on `/v2/keys/<key>` with these framing headers and this body.
fn put(key: &str, framing: &str, body: &str) -> String {
    format!(
        "PUT /v2/keys/{key} HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\
         Content-Type: application/x-www-form-urlencoded\r\n{framing}\r\n{body}"
    )
}

/// Framings etcd and hecd-kv answer alike: (key, headers, body, status).
const SAME_AS_ETCD: &[(&str, &str, &str, u16)] = &[
    ("gzip", "Transfer-Encoding: gzip, chunked\r\n", "7\r\nvalue=a\r\n0\r\n\r\n", 501),
    (
        "twice",
        "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n",
        "7\r\nvalue=a\r\n0\r\n\r\n",
        501,
    ),
    ("cc", "Transfer-Encoding: chunked, chunked\r\n", "7\r\nvalue=a\r\n0\r\n\r\n", 501),
    ("chunked", "Transfer-Encoding: Chunked\r\n", "7;ext=1\r\nvalue=a\r\n0\r\n\r\n", 201),
    (
        "te-cl",
        "Transfer-Encoding: chunked\r\nContent-Length: 3\r\n",
        "7\r\nvalue=a\r\n0\r\n\r\n",
        201,
    ),
    ("cl-cl", "Content-Length: 7\r\nContent-Length: 7\r\n", "value=a", 201),
    ("cl-diff", "Content-Length: 7\r\nContent-Length: 8\r\n", "value=a", 400),
    ("cl-list", "Content-Length: 7, 7\r\n", "value=a", 400),
    ("cl-plus", "Content-Length: +7\r\n", "value=a", 400),
    ("cl-space", "Content-Length : 7\r\n", "value=a", 400),
];

#[test]
fn request_framing_is_refused_as_etcd_refuses_it() {
    let Some(etcd) = KvServer::start(Kind::Etcd) else { return };
    let Some(hecd) = KvServer::start(Kind::HecdKv) else { return };
    for kv in [&etcd, &hecd] {
        for (key, framing, body, want) in SAME_AS_ETCD {
            let answer = raw(kv.addr, &put(key, framing, body));
            assert_eq!(status_of(&answer), *want, "{key} on {}: {answer}", kv.url);
            if *want == 501 {
                assert!(answer.ends_with("\r\n\r\nUnsupported transfer encoding"), "{answer}");
                let (st, _) = http(kv.addr, "GET", &format!("/v2/keys/{key}"), "").expect("get");
                assert_eq!(st, 404, "{key} was written on {}", kv.url);
            }
        }
    }
}

#[test]
fn a_body_hidden_behind_an_unknown_coding_is_never_read_as_a_request() {
    let Some(etcd) = KvServer::start(Kind::Etcd) else { return };
    let Some(hecd) = KvServer::start(Kind::HecdKv) else { return };
    // A front end that ignores `gzip, chunked` would see two requests; one that honours the
    // last coding sees one with an empty body. Either way the second must never run.
    let smuggle = "PUT /v2/keys/outer HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: gzip, chunked\r\n\
                   Content-Type: application/x-www-form-urlencoded\r\n\r\n0\r\n\r\n\
                   PUT /v2/keys/inner?value=x HTTP/1.1\r\nHost: t\r\nContent-Length: 0\r\n\r\n";
    for kv in [&etcd, &hecd] {
        let answer = raw(kv.addr, smuggle);
        assert_eq!(status_of(&answer), 501, "{answer}");
        assert_eq!(answer.matches("HTTP/1.1 ").count(), 1, "one answer only: {answer}");
        assert!(answer.to_ascii_lowercase().contains("connection: close"), "{answer}");
        for key in ["outer", "inner"] {
            let (st, _) = http(kv.addr, "GET", &format!("/v2/keys/{key}"), "").expect("get");
            assert_eq!(st, 404, "{key} was written on {}", kv.url);
        }
    }
}

#[test]
fn framings_hyper_refuses_where_go_guesses_are_refused_and_closed() {
    // etcd answers these 501 (a lone unknown coding), or reads them (obsolete line folding;
    // Transfer-Encoding on HTTP/1.0, which Go ignores): hecd-kv refuses them all with 400 and
    // closes the connection, so nothing after them is read as a request (docs/compat.md).
    let Some(hecd) = KvServer::start(Kind::HecdKv) else { return };
    let cases = [
        put("identity", "Transfer-Encoding: identity\r\nContent-Length: 7\r\n", "value=a"),
        put("gz", "Transfer-Encoding: gzip\r\n", "value=a"),
        put("fold", "X-Folded: a\r\n b\r\nContent-Length: 7\r\n", "value=a"),
        put("h10", "Transfer-Encoding: chunked\r\nContent-Length: 7\r\n", "value=a")
            .replacen("HTTP/1.1", "HTTP/1.0", 1),
    ];
    for req in &cases {
        let answer = raw(hecd.addr, &format!("{req}GET /v2/keys/x HTTP/1.1\r\nHost: t\r\n\r\n"));
        assert_eq!(status_of(&answer), 400, "{req}: {answer}");
        assert_eq!(answer.matches("HTTP/1.1 ").count(), 1, "one answer only: {answer}");
    }
    for key in ["identity", "gz", "fold", "h10"] {
        let (st, _) = http(hecd.addr, "GET", &format!("/v2/keys/{key}"), "").expect("get");
        assert_eq!(st, 404, "{key} was written");
    }
}

const CORS_HEADERS: [&str; 3] =
    ["access-control-allow-methods", "access-control-allow-origin", "access-control-allow-headers"];

/// Status and CORS headers of one request with an optional `Origin`.
fn cors_answer(addr: SocketAddr, method: &str, path: &str, origin: Option<&str>) -> String {
    let origin = origin.map(|o| format!("Origin: {o}\r\n")).unwrap_or_default();
    let answer = raw(
        addr,
        &format!("{method} {path} HTTP/1.1\r\nHost: t\r\nConnection: close\r\n{origin}\r\n"),
    );
    let head = answer.split("\r\n\r\n").next().unwrap_or("").to_owned();
    let mut out = vec![format!("{method} {path} {:?} => {}", origin.trim(), status_of(&head))];
    for line in head.lines().skip(1) {
        if let Some((n, v)) = line.split_once(':') {
            if CORS_HEADERS.contains(&n.trim().to_ascii_lowercase().as_str()) {
                out.push(format!("{}: {}", n.trim().to_ascii_lowercase(), v.trim()));
            }
        }
    }
    // Go writes headers sorted by name, hyper in insertion order: the order means nothing.
    out[1..].sort();
    out.join("\n")
}

const CORS_REQUESTS: &[(&str, &str)] = &[
    ("OPTIONS", "/v2/keys/a"),
    ("OPTIONS", "/v2/keys/a/../b"),
    ("OPTIONS", "/v2/members"),
    ("OPTIONS", "/v2/machines"),
    ("OPTIONS", "/v2/stats/self"),
    ("OPTIONS", "/v2/auth/users"),
    ("OPTIONS", "/version"),
    ("OPTIONS", "/nowhere"),
    ("OPTIONS", "*"),
    ("GET", "/v2/keys/"),
    ("GET", "/v2/keys/missing"),
    ("GET", "/v2/members"),
    ("DELETE", "/v2/machines"),
    ("GET", "/nowhere"),
];

fn cors_run(kv: &KvServer, origins: &[Option<&str>]) -> Vec<String> {
    let mut out = Vec::new();
    for (m, p) in CORS_REQUESTS {
        for o in origins {
            out.push(cors_answer(kv.addr, m, p, *o));
        }
    }
    out
}

#[test]
fn cors_headers_and_preflight_match_etcd() {
    let origins = [None, Some("http://a.example:8080"), Some("http://b.example:8080")];
    for flags in [&[][..], &["--cors", "http://a.example:8080,http://c.example:1"][..]] {
        let Some(etcd) = KvServer::start_with(Kind::Etcd, flags) else { return };
        let Some(hecd) = KvServer::start_with(Kind::HecdKv, flags) else { return };
        let (want, got) = (cors_run(&etcd, &origins), cors_run(&hecd, &origins));
        for (w, g) in want.iter().zip(&got) {
            assert_eq!(g, w, "hecd-kv differs from etcd with {flags:?}");
        }
        if flags.is_empty() {
            assert!(want[0].contains("access-control-allow-origin: *"), "{}", want[0]);
        } else {
            assert!(want.iter().any(|w| w.contains("origin: http://a.example:8080")));
        }
    }
}

/// Runs `kind` with `args` (and `env`) expecting it to exit at once with `text` in its
/// output; exit code and output.
fn refused(kind: Kind, args: &[&str], env: &[(&str, &str)], text: &str) -> (Option<i32>, String) {
    let dir = hecd_testkit::tempdir();
    let mut cmd = Command::new(kind.binary());
    cmd.args(args).arg("--data-dir").arg(dir.path().join("data"));
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut p = Proc::spawn(&format!("{kind:?}"), cmd).expect("binary runs");
    let st = p.wait_exit(Duration::from_secs(20)).expect("exits at once");
    // The output pipes drain on their own threads: wait for the line, not for a time.
    let log = p.wait_for_log(text, Duration::from_secs(10)).unwrap_or_else(|e| e);
    (st.code(), log)
}

/// Flags, environment, exit code, a text of the output.
type BadStart =
    (&'static [&'static str], &'static [(&'static str, &'static str)], i32, &'static str);

#[test]
fn bad_command_lines_are_refused_as_etcd_refuses_them() {
    for kind in Kind::ALL {
        if !kind.binary().exists() {
            assert!(std::env::var_os("CI").is_none(), "{kind:?} missing in CI");
            return;
        }
    }
    let cases: &[BadStart] = &[
        (&["--name", "x"], &[("ETCD_NAME", "y")], 1, "conflicting environment variable"),
        (&["-name=x"], &[("ETCD_NAME", "")], 1, "\"ETCD_NAME\" is shadowed"),
        (&["--enable-v2", "true"], &[], 1, "'true' is not a valid flag"),
        // Empty variables are ignored (an empty number would not parse): the command line
        // gets as far as its stray argument.
        (
            &["extra"],
            &[("ETCD_SNAPSHOT_COUNT", ""), ("ETCD_NAME", "")],
            1,
            "'extra' is not a valid flag",
        ),
        (&["--cors", "http://a.example"], &[], 2, "host:port"),
    ];
    for (args, env, code, text) in cases {
        for kind in Kind::ALL {
            let (got, log) = refused(kind, args, env, text);
            assert_eq!(got, Some(*code), "{kind:?} {args:?} {env:?}: {log}");
            assert!(log.contains(text), "{kind:?} {args:?}: want {text:?} in {log}");
        }
    }
}

/// Client URLs on free ports, deliberately out of order (`:9…` sorts after `:1…`).
fn unordered_urls() -> (String, Vec<String>) {
    let ports = hecd_testkit::free_ports(2);
    let mut urls: Vec<String> = ports.iter().map(|p| format!("http://127.0.0.1:{p}")).collect();
    urls.sort();
    urls.reverse();
    let flag = urls.join(",");
    urls.sort();
    (flag, urls)
}

#[test]
fn repeated_flags_take_their_last_value_and_lists_are_sorted_as_in_etcd() {
    for kind in Kind::ALL {
        let (advertise, sorted) = unordered_urls();
        // The testkit's own --advertise-client-urls comes first: the later ones win, in every
        // Go spelling.
        let extra = [
            "-advertise-client-urls=http://127.0.0.1:1",
            "--advertise-client-urls",
            advertise.as_str(),
            "-enable-v2=false",
            "--enable-v2=T",
        ];
        let Some(kv) = KvServer::start_with(kind, &extra) else { return };
        let (st, machines) = http(kv.addr, "GET", "/v2/machines", "").expect("machines");
        assert_eq!((st, machines.as_str()), (200, sorted.join(", ").as_str()), "{kind:?}");
        let members = http_full(kv.addr, "GET", "/v2/members", "").expect("members");
        let want = format!("\"clientURLs\":[\"{}\"]", sorted.join("\",\""));
        assert!(members.body.contains(&want), "{kind:?}: {}", members.body);
    }
}

/// Requests whose answers must carry the same headers as etcd's (errors above all), and
/// whether their bodies must agree too (those without ids or indices).
const HEADER_CHECKS: &[(&str, &str, &str, bool)] = &[
    ("GET", "/v2/members", "", false),
    ("PATCH", "/v2/members", "", true),
    ("DELETE", "/v2/members", "", true),
    ("PUT", "/v2/members", "", true),
    ("DELETE", "/v2/members/zzz", "", true),
    ("DELETE", "/v2/members/1234", "", true),
    ("PUT", "/v2/members/1234", r#"{"peerURLs":["http://127.0.0.1:1"]}"#, true),
    ("PUT", "/v2/members/1234", "{", true),
    ("PUT", "/v2/members/1234", "a=b", true),
    ("PUT", "/v2/members/01234", r#"{"peerURLs":["http://127.0.0.1:1"]}"#, true),
    ("DELETE", "/v2/members/+1234", "", true),
    ("GET", "/v2/members/leader", "", false),
    ("GET", "/v2/members/abc", "", true),
    ("POST", "/v2/members", r#"{"peerURLs":["http://a"]}"#, true),
    ("POST", "/v2/members", r#"{"peerURLs":[]}"#, true),
    ("POST", "/v2/members", "{}", true),
    ("PUT", "/v2/members/1234", r#"{"peerURLs":null}"#, true),
    ("GET", "/v2/machines", "", false),
    ("HEAD", "/v2/machines", "", true),
    ("POST", "/v2/machines", "", true),
    ("GET", "/v2/stats/leader", "", false),
    ("HEAD", "/v2/stats/self", "", true),
    ("POST", "/v2/stats/store", "", true),
    ("GET", "/version", "", true),
    ("HEAD", "/version", "", true),
    ("POST", "/version", "", true),
    ("HEAD", "/health", "", true),
    ("POST", "/metrics", "", false),
    ("PATCH", "/v2/keys/a", "", true),
    ("GET", "/v2/keys/a?wait=zz", "", true),
    ("GET", "/v2/keys/missing", "", false),
    ("GET", "/v2/auth/enable", "", true),
    ("POST", "/v2/auth/enable", "", true),
    ("GET", "/v2/auth/users/nobody", "", true),
    ("PUT", "/v2/auth/users/x", "{", true),
    (
        "PUT",
        "/v2/auth/roles/%3Cr%3E",
        r#"{"role":"<r>","permissions":{"kv":{"read":["/a&b"]}}}"#,
        true,
    ),
    ("GET", "/v2/auth/roles/%3Cr%3E", "", true),
    ("POST", "/v2/members", r#"{"peerURLs":["<a>&"]}"#, true),
    ("GET", "/nowhere", "", true),
];

/// Headers whose values differ by nature between two servers.
const VOLATILE: [&str; 5] =
    ["date", "x-etcd-cluster-id", "x-etcd-index", "x-raft-index", "x-raft-term"];

/// Status, headers (volatile ones by name only) and, when asked, the body.
fn answer_shape(addr: SocketAddr, method: &str, path: &str, body: &str, exact: bool) -> String {
    let ctype = if body.starts_with('{') {
        "application/json"
    } else {
        "application/x-www-form-urlencoded"
    };
    let answer = raw(
        addr,
        &format!(
            "{method} {path} HTTP/1.1\r\nHost: t\r\nConnection: close\r\nContent-Type: {ctype}\r\n\
             Content-Length: {}\r\n\r\n{body}",
            body.len()
        ),
    );
    let (head, rest) = answer.split_once("\r\n\r\n").unwrap_or((&answer, ""));
    let mut headers: Vec<String> = head
        .lines()
        .skip(1)
        .filter_map(|l| l.split_once(':'))
        // Framing (a length or chunks) is hyper's choice and Go's, not the API's.
        .filter(|(n, _)| {
            !["content-length", "transfer-encoding"]
                .contains(&n.trim().to_ascii_lowercase().as_str())
        })
        .map(|(n, v)| {
            let n = n.trim().to_ascii_lowercase();
            if VOLATILE.contains(&n.as_str()) {
                n
            } else {
                format!("{n}: {}", v.trim())
            }
        })
        .collect();
    headers.sort();
    let answer_body = if exact { rest } else { "" };
    let status = status_of(head);
    format!("{method} {path} {body:?} => {status}\n{}\n{answer_body}", headers.join("\n"))
}

#[test]
fn every_answer_carries_the_headers_etcd_sends() {
    let Some(etcd) = KvServer::start(Kind::Etcd) else { return };
    let Some(hecd) = KvServer::start(Kind::HecdKv) else { return };
    for (m, p, b, exact) in HEADER_CHECKS {
        let want = answer_shape(etcd.addr, m, p, b, *exact);
        let got = answer_shape(hecd.addr, m, p, b, *exact);
        assert_eq!(got, want, "hecd-kv differs from etcd");
    }
}

/// One HTTPS request with the PKI's client certificate (and basic auth when given), through
/// curl; status and body.
fn curl_tls(
    kv: &KvServer,
    pki: &hecd_testkit::pki::TestPki,
    (method, path, user, body): (&str, &str, Option<&str>, &str),
) -> (u16, String) {
    let mut cmd = Command::new("curl");
    cmd.args(["-sS", "-X", method, "-w", "\n%{http_code}", "--cacert"])
        .arg(&pki.ca)
        .arg("--cert")
        .arg(&pki.client_cert)
        .arg("--key")
        .arg(&pki.client_key);
    if let Some(u) = user {
        cmd.args(["-u", u]);
    }
    if !body.is_empty() {
        let ctype = if path.starts_with("/v2/keys") {
            "application/x-www-form-urlencoded"
        } else {
            "application/json"
        };
        cmd.args(["-H", &format!("Content-Type: {ctype}"), "--data-binary", body]);
    }
    let out = cmd.arg(format!("{}{path}", kv.url)).output().expect("curl runs");
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let (body, status) = text.rsplit_once('\n').unwrap_or(("", ""));
    (status.trim().parse().unwrap_or(0), body.to_owned())
}

/// The client certificate's Common Name, made a v2 user (`hecd test client`).
const CERT_USER: &str = "/v2/auth/users/hecd%20test%20client";
const ROOT_PW: Option<&str> = Some("root:rootpw");

/// (method, path, basic auth, body, status): the certificate alone authenticates its user.
const CERT_AUTH_STEPS: &[(&str, &str, Option<&str>, &str, u16)] = &[
    ("PUT", "/v2/auth/users/root", None, r#"{"user":"root","password":"rootpw"}"#, 201),
    (
        "PUT",
        "/v2/auth/roles/rw",
        None,
        r#"{"role":"rw","permissions":{"kv":{"read":["/r/*"],"write":["/r/*"]}}}"#,
        201,
    ),
    ("PUT", CERT_USER, None, r#"{"user":"hecd test client","password":"pw"}"#, 201),
    ("PUT", CERT_USER, None, r#"{"user":"hecd test client","grant":["rw"]}"#, 200),
    ("PUT", "/v2/keys/r/a", None, "value=1", 201),
    ("PUT", "/v2/keys/o", None, "value=1", 201),
    ("PUT", "/v2/auth/enable", None, "", 200),
    (
        "PUT",
        "/v2/auth/roles/guest",
        ROOT_PW,
        r#"{"role":"guest","revoke":{"kv":{"read":["/*"],"write":["/*"]}}}"#,
        200,
    ),
    ("GET", "/v2/keys/r/a", None, "", 200),
    ("PUT", "/v2/keys/r/b", None, "value=2", 201),
    ("GET", "/v2/keys/o", None, "", 401),
    ("GET", "/v2/keys/r/a", Some("hecd test client:bad"), "", 401),
    ("GET", "/v2/keys/o", ROOT_PW, "", 200),
    ("GET", "/v2/auth/users", None, "", 401),
    ("PUT", CERT_USER, ROOT_PW, r#"{"user":"hecd test client","grant":["root"]}"#, 200),
    ("GET", "/v2/auth/users", None, "", 200),
    ("GET", "/v2/keys/o", None, "", 200),
    ("DELETE", "/v2/auth/enable", None, "", 200),
];

#[test]
fn client_certificate_common_name_authenticates_as_in_etcd() {
    if !std::path::Path::new("/usr/bin/curl").exists() {
        assert!(std::env::var_os("CI").is_none(), "curl is missing in CI");
        eprintln!("SKIPPING: /usr/bin/curl is missing");
        return;
    }
    let dir = hecd_testkit::tempdir();
    let pki = hecd_testkit::pki::TestPki::generate(dir.path()).expect("PKI");
    for kind in Kind::ALL {
        let Some(kv) = KvServer::start_tls(kind, &pki) else { return };
        for &(m, p, u, b, want) in CERT_AUTH_STEPS {
            let (status, body) = curl_tls(&kv, &pki, (m, p, u, b));
            assert_eq!(status, want, "{kind:?} {m} {p} as {u:?}: {body}");
        }
    }
}

/// (method, path, form body): keys and values with bytes that are not UTF-8.
const RAW_BYTES_STEPS: &[(&str, &str, &str)] = &[
    ("PUT", "/v2/keys/b/k%FF", "value=ff"),
    ("PUT", "/v2/keys/b/k%FE", "value=fe"),
    ("PUT", "/v2/keys/b/k%EF%BF%BD", "value=replacement"),
    ("GET", "/v2/keys/b/k%FF", ""),
    ("GET", "/v2/keys/b/k%FE", ""),
    ("GET", "/v2/keys/b/k%EF%BF%BD", ""),
    ("PUT", "/v2/keys/b/v", "value=%C3%28%F0%9F%98x"),
    ("PUT", "/v2/keys/b/v?prevValue=%EF%BF%BD%28", "value=no"),
    ("PUT", "/v2/keys/b/v", "prevValue=%C3%28%F0%9F%98x&value=%3Ca%3E%26%E2%80%A8%08%0C"),
    ("GET", "/v2/keys/b/v", ""),
    ("DELETE", "/v2/keys/b/k%FE", ""),
    ("GET", "/v2/keys/b/k%FE", ""),
    ("GET", "/v2/keys/b/k%FF", ""),
    ("GET", "/v2/keys/b/k%F4%8F%BF%BD", ""),
];

#[test]
fn keys_and_values_keep_every_byte_and_render_as_in_etcd() {
    let Some(etcd) = KvServer::start(Kind::Etcd) else { return };
    let Some(hecd) = KvServer::start(Kind::HecdKv) else { return };
    let run = |kv: &KvServer| -> Vec<String> {
        RAW_BYTES_STEPS
            .iter()
            .map(|(m, p, b)| {
                let answer = raw(
                    kv.addr,
                    &format!(
                        "{m} {p} HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\
                         Content-Type: application/x-www-form-urlencoded\r\n\
                         Content-Length: {}\r\n\r\n{b}",
                        b.len()
                    ),
                );
                let body = answer.split_once("\r\n\r\n").map_or("", |(_, b)| b);
                // Indices differ between the two servers; everything else must not.
                let body: String =
                    body.chars().map(|c| if c.is_ascii_digit() { '#' } else { c }).collect();
                format!("{m} {p} {b} => {} {body}", status_of(&answer))
            })
            .collect()
    };
    let (want, got) = (run(&etcd), run(&hecd));
    for (w, g) in want.iter().zip(&got) {
        assert_eq!(g, w, "hecd-kv differs from etcd");
    }
    assert!(want[3].contains(r#""value":"ff""#), "{}", want[3]);
    assert!(want[4].contains(r#""value":"fe""#), "{}", want[4]);
}
