//! `hecd-register` against a real `hecd-kv` (and Debian's etcd): every command, TTLs, the
//! `run` heartbeat, health checks, `docker inspect` input and bad input.

use std::io::Write;
use std::net::TcpListener;
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use hecd_testkit::kv::{Kind, KvServer};
use hecd_testkit::{http, http_full, wait_until, Proc};

fn register(kv: &KvServer, args: &[&str]) -> Output {
    register_stdin(kv, args, "")
}

fn register_stdin(kv: &KvServer, args: &[&str], stdin: &str) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_hecd-register"))
        .args(["--endpoints", &kv.url])
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("hecd-register runs");
    child.stdin.take().expect("piped stdin").write_all(stdin.as_bytes()).expect("stdin written");
    child.wait_with_output().expect("hecd-register finishes")
}

#[track_caller]
fn ok(out: &Output) -> String {
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "status {}\nstdout: {stdout}\nstderr: {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

/// Asserts a failure with `code` and a single stderr line containing `msg`.
#[track_caller]
fn fails(out: &Output, code: i32, msg: &str) {
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(code), "stderr: {stderr}");
    assert_eq!(stderr.trim_end().lines().count(), 1, "one line: {stderr}");
    assert!(stderr.starts_with("hecd-register: ") && stderr.contains(msg), "{stderr}");
}

fn value_of(kv: &KvServer, key: &str) -> Option<String> {
    let (status, body) = http(kv.addr, "GET", &format!("/v2/keys{key}"), "").ok()?;
    if status != 200 {
        return None;
    }
    let v: serde_json::Value = serde_json::from_str(&body).ok()?;
    v["node"]["value"].as_str().map(str::to_owned)
}

fn etcd_index(kv: &KvServer) -> u64 {
    let r = http_full(kv.addr, "GET", "/v2/keys/", "").expect("store answers");
    r.header("x-etcd-index").and_then(|v| v.parse().ok()).expect("X-Etcd-Index header")
}

fn each_server(check: impl Fn(&KvServer)) {
    for kind in Kind::ALL {
        if let Some(kv) = KvServer::start(kind) {
            check(&kv);
        }
    }
}

#[test]
fn add_ls_get_rm() {
    each_server(|kv| {
        assert_eq!(
            ok(&register(kv, &["add", "web1", "10.0.0.1:8080"])).trim(),
            "/app/servers/web1 10.0.0.1:8080"
        );
        ok(&register(kv, &["add", "web2", "--host", "fd00::2", "--port", "80"]));
        assert_eq!(value_of(kv, "/app/servers/web2").as_deref(), Some("[fd00::2]:80"));
        let table = ok(&register(kv, &["ls"]));
        let lines: Vec<&str> = table.lines().collect();
        assert!(lines[0].starts_with("NAME"), "{table}");
        assert!(lines[1].starts_with("web1") && lines[1].contains("10.0.0.1:8080"), "{table}");
        assert!(lines[2].starts_with("web2") && lines[2].contains("[fd00::2]:80"), "{table}");
        let json: serde_json::Value =
            serde_json::from_str(&ok(&register(kv, &["ls", "--output", "json"]))).unwrap();
        assert_eq!(json[0]["name"], "web1");
        assert_eq!(json[1]["value"], "[fd00::2]:80");
        assert!(ok(&register(kv, &["get", "web1"])).contains("10.0.0.1:8080"));
        ok(&register(kv, &["rm", "web1"]));
        assert_eq!(value_of(kv, "/app/servers/web1"), None);
        fails(&register(kv, &["rm", "web1"]), 1, "/app/servers/web1 is not registered");
        fails(&register(kv, &["get", "web1"]), 1, "not registered");
        // Another prefix.
        ok(&register(kv, &["--prefix", "/svc/api", "add", "a1", "h.example:1"]));
        assert_eq!(value_of(kv, "/svc/api/a1").as_deref(), Some("h.example:1"));
    });
}

#[test]
fn no_overwrite_keeps_the_existing_registration() {
    let Some(kv) = KvServer::start(Kind::HecdKv) else { return };
    ok(&register(&kv, &["add", "web1", "10.0.0.1:80"]));
    fails(
        &register(&kv, &["add", "web1", "10.0.0.2:80", "--no-overwrite"]),
        1,
        "already registered (as 10.0.0.1:80)",
    );
    assert_eq!(value_of(&kv, "/app/servers/web1").as_deref(), Some("10.0.0.1:80"));
}

#[test]
fn ttl_registration_expires() {
    let Some(kv) = KvServer::start(Kind::HecdKv) else { return };
    ok(&register(&kv, &["add", "tmp", "10.0.0.1:80", "--ttl", "1"]));
    let json: serde_json::Value =
        serde_json::from_str(&ok(&register(&kv, &["get", "tmp", "-o", "json"]))).unwrap();
    assert_eq!(json[0]["ttl"], 1);
    wait_until("the TTL to expire the key", Duration::from_secs(15), || {
        value_of(&kv, "/app/servers/tmp").is_none().then_some(())
    })
    .unwrap();
}

#[test]
fn bad_input_is_one_line_and_changes_nothing() {
    let Some(kv) = KvServer::start(Kind::HecdKv) else { return };
    for (args, msg) in [
        (&["add", "web1", "10.0.0.1:0"][..], "between 1 and 65535"),
        (&["add", "web1", "10.0.0.1"], "expected HOST:PORT"),
        (&["add", "web1", "fd00::1:80"], "in brackets"),
        (&["add", "a/b", "10.0.0.1:80"], "single path segment"),
        (&["add", "_x", "10.0.0.1:80"], "hidden"),
        (&["add", "web1"], "HOST:PORT, or --host and --port"),
        (&["--prefix", "app", "add", "w", "10.0.0.1:80"], "must start with '/'"),
        (&["run", "w", "10.0.0.1:80", "--ttl", "2", "--refresh", "3"], "shorter than the TTL"),
        (&["run", "w", "10.0.0.1:80", "--check-http", "ftp://x"], "must start with http://"),
    ] {
        fails(&register(&kv, args), 2, msg);
    }
    let (_, body) = http(kv.addr, "GET", "/v2/keys/app/servers", "").unwrap();
    assert!(body.contains("\"errorCode\":100"), "nothing was written: {body}");
}

#[test]
fn unreachable_store_fails_with_one_line() {
    let port = hecd_testkit::free_ports(1)[0];
    let out = Command::new(env!("CARGO_BIN_EXE_hecd-register"))
        .args(["--endpoints", &format!("127.0.0.1:{port}"), "--timeout", "1", "ls"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(stderr.trim_end().lines().count(), 1, "{stderr}");
    assert!(stderr.contains("all endpoints failed"), "{stderr}");
}

#[test]
fn from_inspect_on_stdin_and_file() {
    let Some(kv) = KvServer::start(Kind::HecdKv) else { return };
    let fixtures = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/register");
    let json = std::fs::read_to_string(format!("{fixtures}/web-all-interfaces.json")).unwrap();
    let args = ["add", "--from-inspect", "-", "--container-port", "80", "--host", "192.168.1.22"];
    ok(&register_stdin(&kv, &args, &json));
    assert_eq!(value_of(&kv, "/app/servers/web1").as_deref(), Some("192.168.1.22:49153"));
    let file = format!("{fixtures}/api-bound-ip.json");
    ok(&register(&kv, &["add", "--from-inspect", &file, "--container-port", "8080"]));
    assert_eq!(value_of(&kv, "/app/servers/api").as_deref(), Some("192.168.1.22:32770"));
    fails(
        &register_stdin(&kv, &["add", "--from-inspect", "-", "--container-port", "80"], &json),
        2,
        "--host",
    );
}

fn run_proc(kv: &KvServer, args: &[&str]) -> Proc {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_hecd-register"));
    cmd.args(["--endpoints", &kv.url, "--log-level", "info", "run"]).args(args);
    Proc::spawn("hecd-register run", cmd).unwrap()
}

#[test]
fn run_refreshes_past_several_ttls_and_deregisters_on_sigterm() {
    each_server(|kv| {
        let mut p = run_proc(kv, &["hb", "10.0.0.9:80", "--ttl", "1", "--refresh", "0.25"]);
        wait_until("registration", Duration::from_secs(10), || value_of(kv, "/app/servers/hb"))
            .unwrap();
        let start = etcd_index(kv);
        // Each refresh bumps the store index by one; twelve of them at 0.25 s span three TTLs.
        // The key must be present at every look in between.
        wait_until("twelve refreshes", Duration::from_secs(30), || {
            assert_eq!(
                value_of(kv, "/app/servers/hb").as_deref(),
                Some("10.0.0.9:80"),
                "{}",
                p.log()
            );
            (etcd_index(kv) >= start + 12).then_some(())
        })
        .unwrap();
        p.signal("TERM").unwrap();
        let st = p.wait_exit(Duration::from_secs(10)).unwrap();
        assert!(st.success(), "{st}\n{}", p.log());
        assert_eq!(value_of(kv, "/app/servers/hb"), None, "deregistered on SIGTERM");
    });
}

#[test]
fn run_follows_the_tcp_health_check() {
    let Some(kv) = KvServer::start(Kind::HecdKv) else { return };
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    let mut p =
        run_proc(&kv, &["svc", &addr, "--ttl", "5", "--check-tcp", "--check-interval", "0.1"]);
    wait_until("registration while healthy", Duration::from_secs(10), || {
        value_of(&kv, "/app/servers/svc")
    })
    .unwrap();
    drop(listener);
    wait_until("removal while unhealthy", Duration::from_secs(10), || {
        value_of(&kv, "/app/servers/svc").is_none().then_some(())
    })
    .unwrap();
    let _again = TcpListener::bind(&addr).expect("the port is still free");
    wait_until("restoration when healthy again", Duration::from_secs(10), || {
        value_of(&kv, "/app/servers/svc")
    })
    .unwrap();
    p.signal("INT").unwrap();
    assert!(p.wait_exit(Duration::from_secs(10)).unwrap().success());
    assert_eq!(value_of(&kv, "/app/servers/svc"), None);
}

#[test]
fn tls_with_client_certificate_against_etcd() {
    let dir = hecd_testkit::tempdir();
    let pki = hecd_testkit::pki::TestPki::generate(dir.path()).unwrap();
    let Some(kv) = KvServer::start_tls(Kind::Etcd, &pki) else { return };
    let tls = [
        "--ca-file",
        pki.ca.to_str().unwrap(),
        "--cert-file",
        pki.client_cert.to_str().unwrap(),
        "--key-file",
        pki.client_key.to_str().unwrap(),
    ];
    let mut args = tls.to_vec();
    args.extend(["add", "web1", "10.0.0.1:80"]);
    // etcd may still be finishing its start: the client retries while the port is not serving.
    ok(&register(&kv, &args));
    let mut args = tls.to_vec();
    args.extend(["get", "web1"]);
    assert!(ok(&register(&kv, &args)).contains("10.0.0.1:80"));
    let out = register(&kv, &["--ca-file", pki.ca.to_str().unwrap(), "get", "web1"]);
    assert_eq!(out.status.code(), Some(1), "refused without a client certificate");
}
