//! `hecd-register docker` against a real, private Docker engine (`hecd_testkit::docker`) and a
//! real `hecd-kv`: containers started before and after the registrar, stop, kill, die,
//! restart, pause, ports and `SERVICE_*` controls, TTL expiry after SIGKILL, `--cleanup`, an
//! engine restart, HEALTHCHECK gating, a store outage, and traffic through HAProxy.
//!
//! All tests share one engine (several engines fight over the `docker0` bridge); each names
//! its containers with its own prefix and registers under its own key prefix, and removes its
//! containers at the end. The engine-restart test takes the engine exclusively.

use std::net::SocketAddr;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use hecd_testkit::docker::{greeting, DockerEngine};
use hecd_testkit::kv::{Kind, KvServer};
use hecd_testkit::{http, wait_until, Proc};

const DEADLINE: Duration = Duration::from_secs(30);

/// Containers removed when the test ends.
struct Containers<'a> {
    engine: &'a DockerEngine,
    names: Vec<String>,
}

impl<'a> Containers<'a> {
    fn new(engine: &'a DockerEngine) -> Containers<'a> {
        Containers { engine, names: Vec::new() }
    }

    fn httpd(&mut self, name: &str, extra: &[&str]) -> String {
        self.names.push(name.to_owned());
        self.engine.run_httpd(name, extra)
    }

    fn run(&mut self, name: &str, extra: &[&str], cmd: &[&str]) -> String {
        self.names.push(name.to_owned());
        self.engine.run(name, extra, cmd)
    }

    /// The value a published 8080 should be registered with.
    fn published(&self, name: &str) -> String {
        format!("127.0.0.1:{}", self.engine.host_port(name, "8080/tcp"))
    }
}

impl Drop for Containers<'_> {
    fn drop(&mut self) {
        let names: Vec<&str> = self.names.iter().map(String::as_str).collect();
        self.engine.remove(&names);
    }
}

fn registrar(kv: &KvServer, engine: &DockerEngine, prefix: &str, extra: &[&str]) -> Proc {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_hecd-register"));
    cmd.args(["--endpoints", &kv.url, "--prefix", prefix, "--log-level", "info", "docker"])
        .args(["--docker-host", &engine.host, "--hostname", "h1"])
        .args(extra);
    let p = Proc::spawn(&format!("hecd-register docker {prefix}"), cmd).unwrap();
    p.wait_for_log("store in step with the engine", DEADLINE).unwrap();
    p
}

fn node(kv: &KvServer, key: &str) -> Option<serde_json::Value> {
    let (status, body) = http(kv.addr, "GET", &format!("/v2/keys{key}"), "").ok()?;
    if status != 200 {
        return None;
    }
    let v: serde_json::Value = serde_json::from_str(&body).ok()?;
    Some(v["node"].clone())
}

fn value_of(kv: &KvServer, key: &str) -> Option<String> {
    node(kv, key)?["value"].as_str().map(str::to_owned)
}

/// Every key below `prefix` (recursively).
fn keys(kv: &KvServer, prefix: &str) -> Vec<String> {
    fn walk(n: &serde_json::Value, out: &mut Vec<String>) {
        if let Some(children) = n["nodes"].as_array() {
            for c in children {
                walk(c, out);
            }
        } else if n["dir"].as_bool() != Some(true) {
            out.extend(n["key"].as_str().map(str::to_owned));
        }
    }
    let mut out = Vec::new();
    if let Ok((200, body)) = http(kv.addr, "GET", &format!("/v2/keys{prefix}?recursive=true"), "") {
        if let Ok(v) = serde_json::from_str::<serde_json::Value>(&body) {
            walk(&v["node"], &mut out);
        }
    }
    out.sort();
    out
}

#[track_caller]
fn await_value(kv: &KvServer, key: &str, want: &str, reg: &Proc) {
    wait_until(&format!("{key} = {want}"), DEADLINE, || {
        (value_of(kv, key).as_deref() == Some(want)).then_some(())
    })
    .unwrap_or_else(|e| panic!("{e}; it is {:?}\n{}", value_of(kv, key), reg.log()));
}

#[track_caller]
fn await_gone(kv: &KvServer, key: &str, reg: &Proc) {
    wait_until(&format!("{key} to be removed"), DEADLINE, || {
        value_of(kv, key).is_none().then_some(())
    })
    .unwrap_or_else(|e| panic!("{e}\n{}", reg.log()));
}

fn kv() -> KvServer {
    KvServer::start(Kind::HecdKv).expect("hecd-kv is built with the tests")
}

#[test]
fn start_stop_kill_die_restart_pause() {
    let Some(dk) = hecd_testkit::docker::shared() else { return };
    let kv = kv();
    let mut c = Containers::new(&dk);
    // A container running before the registrar starts.
    c.httpd("lc-before", &[]);
    let always = registrar(&kv, &dk, "/lc/always", &[]);
    let on_success = registrar(&kv, &dk, "/lc/onsuccess", &["--deregister", "on-success"]);
    let key = |prefix: &str, name: &str| format!("{prefix}/h1:{name}:8080");
    await_value(&kv, &key("/lc/always", "lc-before"), &c.published("lc-before"), &always);

    // start → key; stop → gone; start again → back (with its new host port).
    c.httpd("lc-web", &[]);
    let k = key("/lc/always", "lc-web");
    await_value(&kv, &k, &c.published("lc-web"), &always);
    dk.must(&["stop", "-t", "1", "lc-web"]);
    await_gone(&kv, &k, &always);
    await_gone(&kv, &key("/lc/onsuccess", "lc-web"), &on_success);
    dk.must(&["start", "lc-web"]);
    await_value(&kv, &k, &c.published("lc-web"), &always);
    // kill → gone; restart → back.
    dk.must(&["kill", "lc-web"]);
    await_gone(&kv, &k, &always);
    await_gone(&kv, &key("/lc/onsuccess", "lc-web"), &on_success);
    dk.must(&["restart", "-t", "1", "lc-web"]);
    await_value(&kv, &k, &c.published("lc-web"), &always);
    // pause → gone; unpause → back.
    dk.must(&["pause", "lc-web"]);
    await_gone(&kv, &k, &always);
    dk.must(&["unpause", "lc-web"]);
    await_value(&kv, &k, &c.published("lc-web"), &always);
    // docker restart: the key is back, at the same name.
    dk.must(&["restart", "-t", "1", "lc-web"]);
    await_value(&kv, &k, &c.published("lc-web"), &always);

    // die: the process exits by itself with 3 once told to.
    let script = "/bin/busybox rm -f /tmp/die && /bin/busybox mkdir -p /www && echo hi > /www/index.html && \
                  /bin/busybox httpd -p 8080 -h /www && \
                  until [ -f /tmp/die ]; do /bin/busybox usleep 50000; done; exit 3";
    c.run("lc-die", &["-p", "127.0.0.1::8080"], &["/bin/sh", "-c", script]);
    let value = c.published("lc-die");
    await_value(&kv, &key("/lc/always", "lc-die"), &value, &always);
    await_value(&kv, &key("/lc/onsuccess", "lc-die"), &value, &on_success);
    dk.must(&["exec", "lc-die", "/bin/busybox", "touch", "/tmp/die"]);
    await_gone(&kv, &key("/lc/always", "lc-die"), &always);
    // --deregister on-success keeps a failed container's entry. The barrier: a container
    // started after the die is registered, so the die event has been handled.
    c.httpd("lc-barrier", &[]);
    await_value(&kv, &key("/lc/onsuccess", "lc-barrier"), &c.published("lc-barrier"), &on_success);
    assert_eq!(
        value_of(&kv, &key("/lc/onsuccess", "lc-die")).as_deref(),
        Some(value.as_str()),
        "on-success keeps a container that exited with 3\n{}",
        on_success.log()
    );
    // Started again, it is registered again (with its new host port).
    dk.must(&["start", "lc-die"]);
    await_value(&kv, &key("/lc/always", "lc-die"), &c.published("lc-die"), &always);
}

#[test]
fn docker_stop_deregisters_before_the_container_exits() {
    let Some(dk) = hecd_testkit::docker::shared() else { return };
    let kv = kv();
    let mut c = Containers::new(&dk);
    // httpd is the container's PID 1 and ignores SIGTERM: `docker stop -t 4` waits 4 s before
    // it sends SIGKILL. The entry goes at the SIGTERM, so the load balancer stops sending new
    // requests while the container is still serving the old ones.
    c.httpd("dr-web", &[]);
    // A resync every 0.3 s must not register it again while it drains.
    let reg = registrar(&kv, &dk, "/dr", &["--resync", "0.3"]);
    let key = "/dr/h1:dr-web:8080";
    await_value(&kv, key, &c.published("dr-web"), &reg);
    let host = dk.host.clone();
    let cli = if Path::new(hecd_testkit::docker::DOCKER_CLI).exists() {
        hecd_testkit::docker::DOCKER_CLI
    } else {
        "docker"
    };
    let stop = std::thread::spawn(move || {
        Command::new(cli).args(["--host", &host, "stop", "-t", "4", "dr-web"]).output()
    });
    await_gone(&kv, key, &reg);
    let running = dk.must(&["inspect", "-f", "{{.State.Running}}", "dr-web"]);
    assert_eq!(running, "true", "deregistered while the container still runs");
    wait_until("docker stop to finish", DEADLINE, || {
        assert_eq!(value_of(&kv, key), None, "registered again while draining\n{}", reg.log());
        stop.is_finished().then_some(())
    })
    .unwrap();
    assert!(stop.join().unwrap().unwrap().status.success());
}

#[test]
fn resync_repairs_hand_edits() {
    let Some(dk) = hecd_testkit::docker::shared() else { return };
    let kv = kv();
    let mut c = Containers::new(&dk);
    c.httpd("rs-web", &[]);
    let mut reg = registrar(&kv, &dk, "/rs", &["--resync", "0.5"]);
    let key = "/rs/h1:rs-web:8080";
    let value = c.published("rs-web");
    await_value(&kv, key, &value, &reg);
    // Deleted by hand: written again at the next resync.
    let (st, _) = http(kv.addr, "DELETE", &format!("/v2/keys{key}"), "").unwrap();
    assert_eq!(st, 200);
    await_value(&kv, key, &value, &reg);
    // Overwritten by hand: corrected.
    let (st, _) = http(kv.addr, "PUT", &format!("/v2/keys{key}"), "value=10.9.9.9:1").unwrap();
    assert_eq!(st, 200);
    await_value(&kv, key, &value, &reg);
    // SIGTERM: a clean exit, and the entries stay (the containers still run).
    reg.signal("TERM").unwrap();
    let st = reg.wait_exit(DEADLINE).unwrap();
    assert!(st.success(), "{st}\n{}", reg.log());
    assert_eq!(value_of(&kv, key), Some(value));
}

/// A raw HTTP/1.0 request with an `Authorization` header; returns the status.
fn authed(kv: &KvServer, method: &str, path: &str, auth: &str, body: &str) -> u16 {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(kv.addr).unwrap();
    let auth = if auth.is_empty() { String::new() } else { format!("Authorization: {auth}\r\n") };
    write!(
        s,
        "{method} {path} HTTP/1.0\r\nHost: kv\r\n{auth}Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut resp = String::new();
    s.read_to_string(&mut resp).unwrap();
    resp.split_whitespace().nth(1).and_then(|c| c.parse().ok()).unwrap_or(0)
}

#[test]
fn basic_auth_to_the_store() {
    let Some(dk) = hecd_testkit::docker::shared() else { return };
    let kv = kv();
    // v2 auth on, and the guest role may no longer write.
    let root = "Basic cm9vdDpyb290cHc="; // root:rootpw
    assert_eq!(
        authed(&kv, "PUT", "/v2/auth/users/root", "", r#"{"user":"root","password":"rootpw"}"#),
        201
    );
    assert_eq!(authed(&kv, "PUT", "/v2/auth/enable", "", ""), 200);
    let revoke = r#"{"role":"guest","revoke":{"kv":{"write":["/*"]}}}"#;
    assert_eq!(authed(&kv, "PUT", "/v2/auth/roles/guest", root, revoke), 200);
    let mut c = Containers::new(&dk);
    c.httpd("au-web", &[]);
    let key = "/au/h1:au-web:8080";
    let anonymous = registrar(&kv, &dk, "/au", &[]);
    anonymous.wait_for_log("will retry", DEADLINE).unwrap();
    assert_eq!(value_of(&kv, key), None, "refused without credentials");
    drop(anonymous);
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_hecd-register"));
    cmd.args(["--endpoints", &kv.url, "--prefix", "/au", "--username", "root:rootpw"]).args([
        "--log-level",
        "info",
        "docker",
        "--docker-host",
        &dk.host,
        "--hostname",
        "h1",
    ]);
    let reg = Proc::spawn("hecd-register docker (auth)", cmd).unwrap();
    await_value(&kv, key, &c.published("au-web"), &reg);
}

#[test]
fn ports_ignore_explicit_internal_and_layouts() {
    let Some(dk) = hecd_testkit::docker::shared() else { return };
    let kv = kv();
    let mut c = Containers::new(&dk);
    c.run("pt-noports", &[], &["/bin/busybox", "sleep", "100000"]);
    c.httpd("pt-multi", &["-p", "127.0.0.1::8443", "-p", "127.0.0.1::5353/udp"]);
    c.httpd("pt-ignored", &["-e", "SERVICE_IGNORE=1"]);
    c.httpd(
        "pt-named",
        &["-e", "SERVICE_NAME=shop", "-l", "SERVICE_8443_IGNORE=yes", "-p", "127.0.0.1::8443"],
    );
    c.httpd("pt-plain", &["--expose", "9000"]);
    let flat = registrar(&kv, &dk, "/pt/flat", &[]);
    let explicit = registrar(&kv, &dk, "/pt/explicit", &["--explicit"]);
    let internal = registrar(&kv, &dk, "/pt/internal", &["--internal"]);
    let layout = registrar(&kv, &dk, "/pt/reg", &["--layout", "registrator"]);

    // The registrars have compared the store with the engine (their logs say so): every
    // container was seen.
    let mine = |prefix: &str| -> Vec<String> {
        keys(&kv, prefix).into_iter().filter(|k| k.contains(":pt-")).collect()
    };
    let port = |name: &str, p: &str| dk.host_port(name, p);
    assert_eq!(
        mine("/pt/flat"),
        [
            "/pt/flat/h1:pt-multi:5353:udp",
            "/pt/flat/h1:pt-multi:8080",
            "/pt/flat/h1:pt-multi:8443",
            "/pt/flat/h1:pt-named:8080",
            "/pt/flat/h1:pt-plain:8080",
        ],
        "{}",
        flat.log()
    );
    assert_eq!(
        value_of(&kv, "/pt/flat/h1:pt-multi:8443"),
        Some(format!("127.0.0.1:{}", port("pt-multi", "8443/tcp")))
    );
    assert_eq!(
        value_of(&kv, "/pt/flat/h1:pt-multi:5353:udp"),
        Some(format!("127.0.0.1:{}", port("pt-multi", "5353/udp")))
    );
    assert_eq!(mine("/pt/explicit"), ["/pt/explicit/h1:pt-named:8080"], "{}", explicit.log());
    // registrator's layout and names: the image's base name, with the port for a group.
    assert_eq!(
        mine("/pt/reg"),
        [
            "/pt/reg/hecd-bb-5353/h1:pt-multi:5353:udp",
            "/pt/reg/hecd-bb-8080/h1:pt-multi:8080",
            "/pt/reg/hecd-bb-8443/h1:pt-multi:8443",
            "/pt/reg/hecd-bb/h1:pt-plain:8080",
            "/pt/reg/shop-8080/h1:pt-named:8080",
        ],
        "{}",
        layout.log()
    );
    // --internal: the container's own address and every exposed port, published or not.
    let ip = dk.must(&["inspect", "-f", "{{.NetworkSettings.IPAddress}}", "pt-plain"]);
    assert_eq!(value_of(&kv, "/pt/internal/h1:pt-plain:8080"), Some(format!("{ip}:8080")));
    assert_eq!(value_of(&kv, "/pt/internal/h1:pt-plain:9000"), Some(format!("{ip}:9000")));
    assert!(value_of(&kv, "/pt/internal/h1:pt-noports:8080").is_none(), "{}", internal.log());

    // The same, for containers started after the registrars: the last one's key is the
    // barrier (events are handled in order).
    c.run("pt-noports2", &[], &["/bin/busybox", "sleep", "100000"]);
    c.httpd("pt-ignored2", &["-l", "SERVICE_IGNORE=true"]);
    c.httpd("pt-last", &[]);
    await_value(&kv, "/pt/flat/h1:pt-last:8080", &c.published("pt-last"), &flat);
    let flat_keys = mine("/pt/flat");
    assert!(
        !flat_keys.iter().any(|k| k.contains("ignored") || k.contains("noports")),
        "{flat_keys:?}"
    );
}

#[test]
fn ttl_refresh_keeps_the_node_and_sigkill_lets_it_expire() {
    let Some(dk) = hecd_testkit::docker::shared() else { return };
    let kv = kv();
    let mut c = Containers::new(&dk);
    c.httpd("ttl-web", &[]);
    let mut reg = registrar(&kv, &dk, "/ttl", &["--ttl", "2", "--ttl-refresh", "0.4"]);
    let key = "/ttl/h1:ttl-web:8080";
    await_value(&kv, key, &c.published("ttl-web"), &reg);
    let first = node(&kv, key).unwrap();
    assert!(first["ttl"].as_i64().is_some_and(|t| (1..=2).contains(&t)), "{first}");
    // Past three TTLs the key is still the same node: a refresh never rewrites the value
    // (a set would give it a new createdIndex and wake every watcher).
    let start = Instant::now();
    wait_until("three TTLs of refreshes", DEADLINE, || {
        let n = node(&kv, key).unwrap_or_else(|| panic!("the key vanished\n{}", reg.log()));
        assert_eq!(n["createdIndex"], first["createdIndex"], "{n}");
        assert_eq!(n["value"], first["value"]);
        (start.elapsed() > Duration::from_secs(6)).then_some(())
    })
    .unwrap();
    let log = reg.log();
    let writes = log
        .lines()
        .filter(|l| {
            l.contains("ttl-web") && l.contains("registered") && !l.contains("deregistered")
        })
        .count();
    assert_eq!(writes, 1, "written once, then only refreshed\n{log}");
    // SIGKILL: nobody refreshes any more and the entry expires.
    reg.signal("KILL").unwrap();
    reg.wait_exit(DEADLINE).unwrap();
    await_gone(&kv, key, &reg);
}

#[test]
fn against_etcd_refreshes_keep_the_node() {
    // The reference store: Debian's etcd 3.4 with the v2 API.
    let Some(dk) = hecd_testkit::docker::shared() else { return };
    let Some(kv) = KvServer::start(Kind::Etcd) else { return };
    let mut c = Containers::new(&dk);
    c.httpd("et-web", &[]);
    let reg = registrar(&kv, &dk, "/et", &["--ttl", "2", "--ttl-refresh", "0.4"]);
    let key = "/et/h1:et-web:8080";
    await_value(&kv, key, &c.published("et-web"), &reg);
    let first = node(&kv, key).unwrap();
    let start = Instant::now();
    wait_until("two TTLs of refreshes", DEADLINE, || {
        let n = node(&kv, key).unwrap_or_else(|| panic!("the key vanished\n{}", reg.log()));
        assert_eq!(n["createdIndex"], first["createdIndex"], "{n}");
        (start.elapsed() > Duration::from_secs(4)).then_some(())
    })
    .unwrap();
    dk.must(&["stop", "-t", "1", "et-web"]);
    await_gone(&kv, key, &reg);
}

#[test]
fn cleanup_after_a_registrar_outage_keeps_other_hosts_entries() {
    let Some(dk) = hecd_testkit::docker::shared() else { return };
    let kv = kv();
    let mut c = Containers::new(&dk);
    c.httpd("cl-1", &[]);
    c.httpd("cl-2", &[]);
    let mut reg = registrar(&kv, &dk, "/cl", &[]);
    await_value(&kv, "/cl/h1:cl-1:8080", &c.published("cl-1"), &reg);
    await_value(&kv, "/cl/h1:cl-2:8080", &c.published("cl-2"), &reg);
    // Another host's entry and a hand-written one.
    for (k, v) in [("/cl/h2:cl-1:8080", "10.0.0.2:1"), ("/cl/manual", "10.0.0.3:2")] {
        let (st, _) = http(kv.addr, "PUT", &format!("/v2/keys{k}"), &format!("value={v}")).unwrap();
        assert!(st == 200 || st == 201);
    }
    reg.signal("KILL").unwrap();
    reg.wait_exit(DEADLINE).unwrap();
    // While the registrar is down: cl-1 stops, cl-3 starts.
    dk.must(&["stop", "-t", "1", "cl-1"]);
    c.httpd("cl-3", &[]);

    // Without --cleanup a new registrar adds cl-3 but cannot know that cl-1's entry is stale.
    let reg = registrar(&kv, &dk, "/cl", &[]);
    await_value(&kv, "/cl/h1:cl-3:8080", &c.published("cl-3"), &reg);
    assert!(value_of(&kv, "/cl/h1:cl-1:8080").is_some());
    drop(reg);
    // With --cleanup it removes it, and keeps everything this host does not own.
    let reg = registrar(&kv, &dk, "/cl", &["--cleanup"]);
    assert_eq!(value_of(&kv, "/cl/h1:cl-1:8080"), None, "{}", reg.log());
    assert_eq!(value_of(&kv, "/cl/h1:cl-2:8080"), Some(c.published("cl-2")));
    assert_eq!(value_of(&kv, "/cl/h1:cl-3:8080"), Some(c.published("cl-3")));
    assert_eq!(value_of(&kv, "/cl/h2:cl-1:8080").as_deref(), Some("10.0.0.2:1"));
    assert_eq!(value_of(&kv, "/cl/manual").as_deref(), Some("10.0.0.3:2"));
}

#[test]
fn healthcheck_gates_registration() {
    let Some(dk) = hecd_testkit::docker::shared() else { return };
    let kv = kv();
    let mut c = Containers::new(&dk);
    let reg = registrar(&kv, &dk, "/hc", &[]);
    let health =
        ["--health-cmd", "test -f /tmp/ok", "--health-interval", "300ms", "--health-retries", "1"];
    c.httpd("hc-web", &health);
    let status = || dk.must(&["inspect", "-f", "{{.State.Health.Status}}", "hc-web"]);
    wait_until("hc-web to turn unhealthy", DEADLINE, || (status() == "unhealthy").then_some(()))
        .unwrap();
    // Barrier: a later container is registered, so hc-web's events were handled.
    c.httpd("hc-barrier", &[]);
    await_value(&kv, "/hc/h1:hc-barrier:8080", &c.published("hc-barrier"), &reg);
    assert_eq!(value_of(&kv, "/hc/h1:hc-web:8080"), None, "not registered while unhealthy");
    dk.must(&["exec", "hc-web", "/bin/busybox", "touch", "/tmp/ok"]);
    await_value(&kv, "/hc/h1:hc-web:8080", &c.published("hc-web"), &reg);
    dk.must(&["exec", "hc-web", "/bin/busybox", "rm", "/tmp/ok"]);
    await_gone(&kv, "/hc/h1:hc-web:8080", &reg);
}

#[test]
fn store_down_and_back() {
    let Some(dk) = hecd_testkit::docker::shared() else { return };
    let mut kv = kv();
    let mut c = Containers::new(&dk);
    c.httpd("so-1", &[]);
    let mut reg = registrar(&kv, &dk, "/so", &["--ttl", "30", "--ttl-refresh", "1"]);
    await_value(&kv, "/so/h1:so-1:8080", &c.published("so-1"), &reg);
    kv.stop("TERM");
    // While the store is down: so-1 stops, so-2 starts; the registrar keeps running.
    dk.must(&["stop", "-t", "1", "so-1"]);
    c.httpd("so-2", &[]);
    reg.wait_for_log("will retry", DEADLINE).unwrap();
    assert!(reg.try_wait().is_none(), "the registrar survives\n{}", reg.log());
    kv.restart();
    await_value(&kv, "/so/h1:so-2:8080", &c.published("so-2"), &reg);
    await_gone(&kv, "/so/h1:so-1:8080", &reg);
    assert!(reg.try_wait().is_none());
}

#[test]
fn engine_restart_resyncs() {
    let Some(dk) = hecd_testkit::docker::exclusive() else { return };
    let kv = kv();
    let mut c = Containers::new(&dk);
    c.httpd("er-1", &[]);
    let reg = registrar(&kv, &dk, "/er", &[]);
    await_value(&kv, "/er/h1:er-1:8080", &c.published("er-1"), &reg);
    // The engine stops its containers; their stop events may reach the registrar or not.
    dk.stop();
    dk.restart();
    // After reconnecting, the registrar lists again: er-1 is not running any more.
    await_gone(&kv, "/er/h1:er-1:8080", &reg);
    c.httpd("er-2", &[]);
    await_value(&kv, "/er/h1:er-2:8080", &c.published("er-2"), &reg);
    // er-1 started again after the restart is registered again.
    dk.must(&["start", "er-1"]);
    await_value(&kv, "/er/h1:er-1:8080", &c.published("er-1"), &reg);
}

/// One HTTP/1.0 GET through HAProxy; `Some(body)` for a 200.
fn fetch(addr: SocketAddr) -> Option<String> {
    let (status, body) = http(addr, "GET", "/", "").ok()?;
    (status == 200).then_some(body)
}

#[test]
fn traffic_reaches_a_started_container_through_haproxy() {
    const HAPROXY: &str = "/usr/sbin/haproxy";
    if !Path::new(HAPROXY).exists() {
        assert!(std::env::var_os("CI").is_none(), "{HAPROXY} is missing in CI");
        eprintln!("SKIPPING: {HAPROXY} is not installed");
        return;
    }
    let Some(dk) = hecd_testkit::docker::shared() else { return };
    let kv = kv();
    let dir = hecd_testkit::tempdir();
    let port = hecd_testkit::free_ports(1)[0];
    let frontend: SocketAddr = ([127, 0, 0, 1], port).into();
    let confdir = dir.path().join("confd");
    std::fs::create_dir_all(confdir.join("conf.d")).unwrap();
    std::fs::create_dir_all(confdir.join("templates")).unwrap();
    // The seed's server loop, unchanged.
    let template = format!(
        "defaults\n    mode http\n    retries 3\n    option redispatch 1\n    timeout connect 1s\n    timeout client 10s\n    timeout server 10s\n\
         frontend http-in\n    bind 127.0.0.1:{port}\n    default_backend app\n\
         backend app\n{{{{range gets \"/app/servers/*\"}}}}    server {{{{base .Key}}}} {{{{.Value}}}}\n{{{{end}}}}"
    );
    std::fs::write(confdir.join("templates/haproxy.cfg.tmpl"), &template).unwrap();
    let dest = dir.path().join("haproxy.cfg");
    let pid = dir.path().join("haproxy.pid");
    let sock = dir.path().join("master.sock");
    let reload = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/haproxy/haproxy-reload.sh");
    std::fs::write(
        confdir.join("conf.d/haproxy.toml"),
        format!(
            "[template]\nsrc = \"haproxy.cfg.tmpl\"\ndest = \"{}\"\nkeys = [\"/app/servers\"]\nallow_empty = true\n\
             check_cmd = \"{HAPROXY} -c -q -f {{{{.src}}}}\"\nreload_cmd = \"/bin/sh {reload} {} {}\"\n",
            dest.display(),
            sock.display(),
            pid.display()
        ),
    )
    .unwrap();
    let (st, _) = http(kv.addr, "PUT", "/v2/keys/app/servers", "dir=true").unwrap();
    assert_eq!(st, 201);
    // HAProxy starts with no server; hecd-confd renders and reloads it as keys change.
    std::fs::write(
        &dest,
        template.replace(
            "{{range gets \"/app/servers/*\"}}    server {{base .Key}} {{.Value}}\n{{end}}",
            "",
        ),
    )
    .unwrap();
    let mut cmd = Command::new(HAPROXY);
    cmd.arg("-W").arg("-S").arg(&sock).arg("-p").arg(&pid).arg("-f").arg(&dest);
    let haproxy = Proc::spawn("haproxy", cmd).unwrap();
    wait_until("HAProxy's pid file", DEADLINE, || pid.exists().then_some(())).unwrap();
    wait_until("HAProxy's frontend", DEADLINE, || std::net::TcpStream::connect(frontend).ok())
        .unwrap();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_hecd-confd"));
    cmd.args(["-watch", "-node", &kv.url, "-confdir"]).arg(&confdir);
    let confd = Proc::spawn("hecd-confd", cmd).unwrap();
    let reg = registrar(&kv, &dk, "/app/servers", &["--ip", "127.0.0.1"]);

    let mut c = Containers::new(&dk);
    let t = Instant::now();
    c.httpd("tr-web", &[]);
    let want = greeting("tr-web");
    wait_until("tr-web to answer through HAProxy", DEADLINE, || {
        (fetch(frontend)? == want).then_some(())
    })
    .unwrap_or_else(|e| {
        panic!(
            "{e}\n--- confd ---\n{}\n--- haproxy ---\n{}\n{}",
            confd.log(),
            haproxy.log(),
            reg.log()
        )
    });
    eprintln!("tr-web: started → served through HAProxy in {:?}", t.elapsed());
    let cfg = std::fs::read_to_string(&dest).unwrap();
    assert!(cfg.contains(&format!("server h1:tr-web:8080 {}", c.published("tr-web"))), "{cfg}");
    // Stopped: out of the configuration.
    dk.must(&["stop", "-t", "1", "tr-web"]);
    wait_until("tr-web to leave the configuration", DEADLINE, || {
        (!std::fs::read_to_string(&dest).ok()?.contains("tr-web")).then_some(())
    })
    .unwrap_or_else(|e| panic!("{e}\n{}", confd.log()));
}

#[test]
fn bad_options_are_one_line_and_exit_2() {
    for (args, msg) in [
        (&["--ttl", "2", "--ttl-refresh", "3"][..], "shorter than --ttl"),
        (&["--ttl-refresh", "3"], "needs --ttl"),
        (&["--hostname", "a b"], "host name"),
        (&["--docker-host", "ftp://x"], "expected unix:///PATH or tcp://HOST:PORT"),
        (&["--ip", "not an ip!"], "invalid address"),
        (&["--resync", "0"], "positive"),
    ] {
        let out = Command::new(env!("CARGO_BIN_EXE_hecd-register"))
            .args(["--endpoints", "127.0.0.1:1", "docker"])
            .args(args)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert_eq!(stderr.trim_end().lines().count(), 1, "{stderr}");
        assert!(stderr.contains(msg), "{args:?}: {stderr}");
    }
}
