//! HAProxy through its runtime API (`haproxy_socket`): server changes reach a real HAProxy 2.6
//! without a reload, under load, with dest always matching what runs; everything else, and
//! every refusal, takes the ordinary check → rename → reload path.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::os::unix::net::UnixStream;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use hecd_testkit::backend::Backend;
use hecd_testkit::kv::{Kind, KvServer};
use hecd_testkit::{free_ports, wait_until};

use crate::pipeline::{
    fetch, haproxy_available, percentile, put, start_confd, start_haproxy, Load, Mode, Pipeline,
    DEADLINE, HAPROXY,
};

/// One runtime API command over a unix socket; the whole answer.
fn cli(socket: &Path, command: &str) -> String {
    // The master CLI keeps the connection until `quit`; the stats socket closes it itself.
    let quit = if socket.ends_with("master.sock") { "; quit" } else { "" };
    // A reload re-executes the master and replaces the worker: a socket may refuse or reset
    // a connection meanwhile, so the whole exchange is retried until it completes.
    wait_until(&format!("{command:?} on {}", socket.display()), DEADLINE, || {
        let mut s = UnixStream::connect(socket).ok()?;
        s.write_all(format!("{command}{quit}\n").as_bytes()).ok()?;
        let mut out = String::new();
        s.read_to_string(&mut out).ok()?;
        Some(out)
    })
    .unwrap()
}

/// The master's reload count and the current worker's PID (`show proc`).
fn proc_state(master: &Path) -> (u64, u32) {
    let procs = hecd_haproxy::parse_show_proc(&cli(master, "show proc"));
    let reloads = procs.iter().find(|p| p.kind == "master").expect("a master").reloads;
    let worker = procs.iter().find(|p| p.kind == "worker").expect("a worker").pid;
    (reloads, worker)
}

/// The live servers of backend `app`: name → (address:port, weight, admin state).
fn live(admin: &Path) -> BTreeMap<String, (String, u32, u32)> {
    hecd_haproxy::parse_servers_state(&cli(admin, "show servers state app"))
        .unwrap()
        .into_iter()
        .map(|s| {
            let addr = format!(
                "{}:{}",
                s.addr.map(|a| a.to_string()).unwrap_or_default(),
                s.port.unwrap_or(0)
            );
            (s.name, (addr, s.weight, s.admin_state))
        })
        .collect()
}

/// The servers dest declares in backend `app`: name → (address, weight).
fn declared(dest: &str) -> BTreeMap<String, (String, u32)> {
    let config = hecd_haproxy::config::parse(dest);
    hecd_haproxy::servers_by_backend(&config)
        .remove("app")
        .unwrap_or_default()
        .into_iter()
        .map(|s| (s.name.clone(), (s.address.clone(), s.weight().unwrap_or(1))))
        .collect()
}

/// Whether HAProxy runs exactly the servers of dest (address and weight).
fn live_matches_dest(p: &Pipeline) -> bool {
    let live: BTreeMap<String, (String, u32)> =
        live(&p.admin).into_iter().map(|(n, (a, w, _))| (n, (a, w))).collect();
    live == declared(&p.dest())
}

fn await_live_matches_dest(p: &Pipeline, what: &str) {
    wait_until(what, DEADLINE, || live_matches_dest(p).then_some(())).unwrap_or_else(|e| {
        panic!("{e}: live {:?} dest {:?}\n{}", live(&p.admin), declared(&p.dest()), p.logs())
    });
}

/// A runtime-mode pipeline with backends web1 (registered, served) and web2 (not yet);
/// `None` when HAProxy is missing outside CI.
fn runtime_pipeline_serving_web1() -> Option<(Pipeline, Backend, Backend)> {
    if !haproxy_available() {
        return None;
    }
    let p = Pipeline::start_with(Mode::Runtime);
    let web1 = Backend::start("web1");
    let web2 = Backend::start("web2");
    p.register(&["add", "web1", &web1.addr.to_string()]);
    p.await_traffic(&web1, Instant::now());
    Some((p, web1, web2))
}

fn set_key(p: &Pipeline, name: &str, value: &str) {
    put(&p.kv, &format!("/v2/keys/app/servers/{name}"), &format!("value={value}"));
}

#[test]
fn server_changes_go_through_the_runtime_api_without_reloads_under_load() {
    if !haproxy_available() {
        return;
    }
    let p = Pipeline::start_with(Mode::Runtime);
    let backends: Vec<Backend> = (1..=4).map(|i| Backend::start(&format!("web{i}"))).collect();
    let before = proc_state(&p.master);
    let mut latencies = Vec::new();
    let mut load = None;

    // Registration (the load starts once a first server can answer it).
    for b in &backends[..3] {
        let t = Instant::now();
        p.register(&["add", &b.name, &b.addr.to_string()]);
        latencies.push(p.await_traffic(b, t));
        load.get_or_insert_with(|| Load::start(p.frontend, 3));
    }
    let load = load.unwrap();
    // Deregistration.
    p.register(&["rm", "web1"]);
    p.await_gone(&backends[0]);
    // Address change: web2's key now points at web4's port.
    set_key(&p, "web2", &backends[3].addr.to_string());
    p.await_traffic(&backends[3], Instant::now());
    let mut streak = 0;
    wait_until("web2's old address to get no traffic", DEADLINE, || {
        streak = if fetch(p.frontend)? == backends[1].greeting() { 0 } else { streak + 1 };
        (streak >= 20).then_some(())
    })
    .unwrap_or_else(|e| panic!("{e}\n{}", p.logs()));
    // Weight change.
    set_key(&p, "web3", &format!("{} weight 7", backends[2].addr));
    wait_until("web3's weight to become 7", DEADLINE, || {
        (live(&p.admin)["web3"].1 == 7).then_some(())
    })
    .unwrap_or_else(|e| panic!("{e}\n{}", p.logs()));

    let (total, failed) = load.finish();
    assert_eq!(failed, 0, "no request failed ({total} succeeded)\n{}", p.logs());
    assert_eq!(p.reload_count(), 0, "reload_cmd never ran\n{}", p.logs());
    assert_eq!(proc_state(&p.master), before, "same master reload count and worker PID");
    await_live_matches_dest(&p, "HAProxy's servers to equal dest's");
    let confd_log = p.confd.as_ref().unwrap().log();
    assert!(confd_log.contains("through HAProxy's runtime API, no reload"), "{confd_log}");
    latencies.sort();
    eprintln!(
        "runtime pipeline: registration→traffic p50 {:?} p99 {:?} (n={}); {total} requests, {failed} failed, 0 reloads",
        percentile(&latencies, 0.5),
        percentile(&latencies, 0.99),
        latencies.len()
    );
}

/// An HTTP/1.1 request on a kept-alive connection; the body of a 200, `None` otherwise.
fn keep_alive_get(reader: &mut BufReader<TcpStream>) -> Option<String> {
    reader.get_mut().write_all(b"GET / HTTP/1.1\r\nHost: ka\r\n\r\n").ok()?;
    let mut status = String::new();
    reader.read_line(&mut status).ok()?;
    let mut length = 0usize;
    loop {
        let mut line = String::new();
        reader.read_line(&mut line).ok()?;
        if line == "\r\n" {
            break;
        }
        if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
            length = v.trim().parse().ok()?;
        }
        if line.is_empty() {
            return None;
        }
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body).ok()?;
    status.starts_with("HTTP/1.1 200").then(|| String::from_utf8_lossy(&body).into_owned())
}

#[test]
fn a_keep_alive_connection_survives_100_server_changes() {
    let Some((p, _web1, web2)) = runtime_pipeline_serving_web1() else { return };
    let stream = TcpStream::connect(p.frontend).unwrap();
    stream.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let local = stream.local_addr().unwrap();
    let mut conn = BufReader::new(stream);
    for i in 0..100 {
        if i % 2 == 0 {
            set_key(&p, "web2", &web2.addr.to_string());
            wait_until("web2 in dest", DEADLINE, || {
                p.dest().contains("server web2 ").then_some(())
            })
            .unwrap();
        } else {
            hecd_testkit::http(p.kv.addr, "DELETE", "/v2/keys/app/servers/web2", "").unwrap();
            wait_until("web2 out of dest", DEADLINE, || {
                (!p.dest().contains("server web2 ")).then_some(())
            })
            .unwrap();
        }
        let body = keep_alive_get(&mut conn).unwrap_or_else(|| {
            panic!("request {i} on the kept-alive connection failed\n{}", p.logs())
        });
        assert!(body.starts_with("hello from web"), "{body}");
    }
    assert_eq!(conn.get_ref().local_addr().unwrap(), local, "the same connection all along");
    assert_eq!(p.reload_count(), 0, "no reload\n{}", p.logs());
}

#[test]
fn a_slow_request_to_a_removed_server_completes_before_the_server_is_deleted() {
    let Some((p, _web1, web2)) = runtime_pipeline_serving_web1() else { return };
    let frontend = p.frontend;
    let slow = std::thread::spawn(move || {
        let mut s = TcpStream::connect(frontend).unwrap();
        s.write_all(b"GET /slow/2000 HTTP/1.0\r\nHost: slow\r\n\r\n").unwrap();
        let mut resp = String::new();
        s.read_to_string(&mut resp).unwrap();
        resp
    });
    // The slow request is in web1 when the deregistration arrives.
    wait_until("the slow request to reach web1", DEADLINE, || {
        let stat = cli(&p.admin, "show stat app 4 -1");
        let rows = hecd_haproxy::parse_csv(&stat).ok()?;
        rows.iter().any(|r| r["svname"] == "web1" && r["scur"] == "1").then_some(())
    })
    .unwrap();
    p.register(&["add", "web2", &web2.addr.to_string()]);
    p.register(&["rm", "web1"]);
    wait_until("web1 out of dest", DEADLINE, || (!p.dest().contains("server web1 ")).then_some(()))
        .unwrap();
    // Draining: still there, out of load balancing, while its request runs.
    let state = live(&p.admin);
    assert!(state.contains_key("web1"), "web1 stays while its request runs: {state:?}");
    assert!(state["web1"].2 & 0x18 != 0, "web1 is draining: {state:?}");
    let resp = slow.join().unwrap();
    assert!(
        resp.starts_with("HTTP/1.1 200") && resp.ends_with("hello from web1\n"),
        "the slow request completed: {resp}"
    );
    await_live_matches_dest(&p, "web1 to be deleted once idle");
    assert_eq!(p.reload_count(), 0, "no reload\n{}", p.logs());
}

#[test]
fn other_changes_and_refusals_reload_and_rejected_configs_change_nothing() {
    let Some((p, web1, web2)) = runtime_pipeline_serving_web1() else { return };
    assert_eq!(p.reload_count(), 0);

    // A change outside server lines: exactly one reload.
    let (reloads, worker) = proc_state(&p.master);
    let stats_port = free_ports(1)[0];
    put(&p.kv, "/v2/keys/config/haproxy/stats_bind", &format!("value=127.0.0.1:{stats_port}"));
    wait_until("the reload", DEADLINE, || (p.reload_count() == 1).then_some(()))
        .unwrap_or_else(|e| panic!("{e}\n{}", p.logs()));
    wait_until("the stats listener to move", DEADLINE, || {
        TcpStream::connect(("127.0.0.1", stats_port)).ok()
    })
    .unwrap();
    let (reloads_after, worker_after) = proc_state(&p.master);
    assert_eq!(reloads_after, reloads + 1, "one master reload");
    assert_ne!(worker_after, worker, "a new worker");
    await_live_matches_dest(&p, "servers after the reload");

    // A server line HAProxy's runtime API refuses (custom id 1 is taken by web1 at run time,
    // but valid in the file): the ordinary path with check_cmd, one reload.
    set_key(&p, "web2", &format!("{} id 1", web2.addr));
    p.await_traffic(&web2, Instant::now());
    wait_until("the fallback reload", DEADLINE, || (p.reload_count() == 2).then_some(()))
        .unwrap_or_else(|e| panic!("{e}\n{}", p.logs()));
    let log = p.confd.as_ref().unwrap().log();
    assert!(
        log.contains("HAProxy refused") && log.contains("id 1"),
        "the refusal is logged:\n{log}"
    );
    await_live_matches_dest(&p, "servers after the fallback reload");

    // A configuration haproxy -c rejects: dest and HAProxy stay as they were.
    let before = p.dest();
    let running = live(&p.admin);
    let log_len = p.confd.as_ref().unwrap().log().len();
    set_key(&p, "web3", &format!("{} no-such-keyword", web1.addr));
    wait_until("the check failure", DEADLINE, || {
        let log = p.confd.as_ref().unwrap().log();
        log[log_len..].contains("no-such-keyword").then_some(())
    })
    .unwrap_or_else(|e| panic!("{e}\n{}", p.logs()));
    wait_until("the check to fail", DEADLINE, || {
        let log = p.confd.as_ref().unwrap().log();
        log[log_len..].contains("ERROR").then_some(())
    })
    .unwrap_or_else(|e| panic!("{e}\n{}", p.logs()));
    assert_eq!(p.dest(), before, "dest unchanged");
    assert_eq!(live(&p.admin), running, "HAProxy's servers unchanged");
    assert_eq!(p.reload_count(), 2, "no reload");
}

#[test]
fn haproxy_restarted_from_dest_serves_the_same_servers() {
    if !haproxy_available() {
        return;
    }
    let mut p = Pipeline::start_with(Mode::Runtime);
    let backends: Vec<Backend> = (1..=3).map(|i| Backend::start(&format!("web{i}"))).collect();
    for b in &backends {
        p.register(&["add", &b.name, &b.addr.to_string()]);
        p.await_traffic(b, Instant::now());
    }
    set_key(&p, "web1", &format!("{} weight 5", backends[0].addr));
    set_key(&p, "web2", &backends[2].addr.to_string());
    p.register(&["rm", "web3"]);
    wait_until("dest to have every change", DEADLINE, || {
        let d = declared(&p.dest());
        (d.len() == 2 && d["web1"].1 == 5 && d["web2"].0 == backends[2].addr.to_string())
            .then_some(())
    })
    .unwrap();
    await_live_matches_dest(&p, "HAProxy to run dest's servers");
    let running: BTreeMap<String, (String, u32)> =
        live(&p.admin).into_iter().map(|(n, (a, w, _))| (n, (a, w))).collect();
    assert_eq!(p.reload_count(), 0);

    drop(p.confd.take());
    drop(p.haproxy.take());
    let pid = p.dir.path().join("haproxy.pid");
    p.haproxy = Some(start_haproxy(&p.master, &pid, &p.dest, p.frontend));
    let restarted: BTreeMap<String, (String, u32)> =
        live(&p.admin).into_iter().map(|(n, (a, w, _))| (n, (a, w))).collect();
    assert_eq!(restarted, running, "the same servers after a restart from dest");
}

#[test]
fn a_missing_socket_or_a_stopped_haproxy_takes_the_reload_path_and_loses_nothing() {
    if !haproxy_available() {
        return;
    }
    // The socket does not exist: every change reloads, with one log line saying why.
    let missing = hecd_testkit::tempdir();
    let p = Pipeline::start_with(Mode::RuntimeAt(missing.path().join("admin.sock")));
    let web1 = Backend::start("web1");
    p.register(&["add", "web1", &web1.addr.to_string()]);
    p.await_traffic(&web1, Instant::now());
    assert_eq!(p.reload_count(), 1, "the ordinary path\n{}", p.logs());
    let log = p.confd.as_ref().unwrap().log();
    assert!(log.contains("needs a reload: cannot connect to HAProxy's runtime API"), "{log}");
    drop(p);

    // HAProxy stopped: its socket refuses; the change waits in dest's history and reaches the
    // restarted HAProxy.
    let mut p = Pipeline::start_with(Mode::Runtime);
    p.register(&["add", "web1", &web1.addr.to_string()]);
    p.await_traffic(&web1, Instant::now());
    drop(p.haproxy.take());
    let web2 = Backend::start("web2");
    let log_len = p.confd.as_ref().unwrap().log().len();
    p.register(&["add", "web2", &web2.addr.to_string()]);
    wait_until("the refused connection to be logged", DEADLINE, || {
        let log = p.confd.as_ref().unwrap().log();
        log[log_len..].contains("cannot connect to HAProxy's runtime API").then_some(())
    })
    .unwrap_or_else(|e| panic!("{e}\n{}", p.logs()));
    let pid = p.dir.path().join("haproxy.pid");
    p.haproxy = Some(start_haproxy(&p.master, &pid, &p.dest, p.frontend));
    p.await_traffic(&web2, Instant::now());
    p.await_traffic(&web1, Instant::now());
    await_live_matches_dest(&p, "the restarted HAProxy to run dest's servers");
}

#[test]
fn hecd_confd_repairs_haproxy_servers_that_differ_from_dest_at_start() {
    let Some((mut p, _web1, web2)) = runtime_pipeline_serving_web1() else { return };
    p.register(&["add", "web2", &web2.addr.to_string()]);
    p.await_traffic(&web2, Instant::now());
    drop(p.confd.take());
    // Behind the renderer's back: a stray server, a weight and a missing server.
    assert!(cli(&p.admin, "add server app/stray 127.0.0.1:9 weight 3")
        .contains("New server registered"));
    assert_eq!(cli(&p.admin, "set weight app/web1 9").trim(), "");
    assert_eq!(cli(&p.admin, "set server app/web2 state maint").trim(), "");
    assert!(cli(&p.admin, "del server app/web2").contains("Server deleted"));
    assert!(!live_matches_dest(&p));
    p.confd = Some(start_confd(&p.kv, &p.confdir));
    await_live_matches_dest(&p, "hecd-confd to repair HAProxy's servers");
    p.await_traffic(&web2, Instant::now());
    assert_eq!(p.reload_count(), 0, "repaired without a reload\n{}", p.logs());
}

#[test]
fn several_resources_share_one_socket() {
    if !haproxy_available() {
        return;
    }
    let kv = KvServer::start(Kind::HecdKv).expect("hecd-kv is built with the tests");
    let dir = hecd_testkit::tempdir();
    let ports = free_ports(2);
    let (fa, fb): (SocketAddr, SocketAddr) =
        (([127, 0, 0, 1], ports[0]).into(), ([127, 0, 0, 1], ports[1]).into());
    let confdir = dir.path().join("confd");
    std::fs::create_dir_all(confdir.join("conf.d")).unwrap();
    std::fs::create_dir_all(confdir.join("templates")).unwrap();
    let (admin, master, pid) = (
        dir.path().join("admin.sock"),
        dir.path().join("master.sock"),
        dir.path().join("haproxy.pid"),
    );
    let (a_cfg, b_cfg) = (dir.path().join("a.cfg"), dir.path().join("b.cfg"));
    let reloads = dir.path().join("reloads.log");
    let head = format!(
        "global\n    stats socket {} mode 600 level admin\ndefaults\n    mode http\n    timeout connect 1s\n    timeout client 10s\n    timeout server 10s\n",
        admin.display()
    );
    let part = |name: &str, port: u16| {
        format!(
            "frontend fe_{name}\n    bind 127.0.0.1:{port}\n    default_backend be_{name}\nbackend be_{name}\n    balance roundrobin\n{{{{- range gets \"/app/{name}/*\"}}}}\n    server {{{{base .Key}}}} {{{{.Value}}}}\n{{{{- end}}}}\n"
        )
    };
    std::fs::write(confdir.join("templates/a.tmpl"), format!("{head}{}", part("a", ports[0])))
        .unwrap();
    std::fs::write(confdir.join("templates/b.tmpl"), part("b", ports[1])).unwrap();
    std::fs::write(
        &a_cfg,
        format!(
            "{head}{}",
            part("a", ports[0]).replace(
                "{{- range gets \"/app/a/*\"}}\n    server {{base .Key}} {{.Value}}\n{{- end}}\n",
                ""
            )
        ),
    )
    .unwrap();
    std::fs::write(
        &b_cfg,
        part("b", ports[1]).replace(
            "{{- range gets \"/app/b/*\"}}\n    server {{base .Key}} {{.Value}}\n{{- end}}\n",
            "",
        ),
    )
    .unwrap();
    let reload = format!(
        "echo reload >> {} && /bin/sh {} {} {}",
        reloads.display(),
        concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/haproxy/haproxy-reload.sh"),
        master.display(),
        pid.display()
    );
    for (name, src, dest, check) in [
        ("a", "a.tmpl", &a_cfg, format!("{HAPROXY} -c -q -f {{{{.src}}}} -f {}", b_cfg.display())),
        ("b", "b.tmpl", &b_cfg, format!("{HAPROXY} -c -q -f {} -f {{{{.src}}}}", a_cfg.display())),
    ] {
        std::fs::write(
            confdir.join(format!("conf.d/{name}.toml")),
            format!(
                "[template]\nsrc = \"{src}\"\ndest = \"{}\"\nkeys = [\"/app/{name}\"]\ncheck_cmd = \"{check}\"\nreload_cmd = \"{reload}\"\nhaproxy_socket = \"{}\"\n",
                dest.display(),
                admin.display()
            ),
        )
        .unwrap();
        put(&kv, &format!("/v2/keys/app/{name}"), "dir=true");
    }
    let mut cmd = Command::new(HAPROXY);
    cmd.arg("-W")
        .arg("-S")
        .arg(&master)
        .arg("-p")
        .arg(&pid)
        .arg("-f")
        .arg(&a_cfg)
        .arg("-f")
        .arg(&b_cfg);
    let _haproxy = hecd_testkit::Proc::spawn("haproxy", cmd).unwrap();
    wait_until("HAProxy", DEADLINE, || TcpStream::connect(fb).ok()).unwrap();
    let _confd = start_confd(&kv, &confdir);
    let (wa, wb) = (Backend::start("wa"), Backend::start("wb"));
    put(&kv, "/v2/keys/app/a/wa", &format!("value={}", wa.addr));
    put(&kv, "/v2/keys/app/b/wb", &format!("value={}", wb.addr));
    for (front, b) in [(fa, &wa), (fb, &wb)] {
        wait_until(&format!("{} to get traffic", b.name), DEADLINE, || {
            (fetch(front)? == b.greeting()).then_some(())
        })
        .unwrap();
    }
    assert!(std::fs::read_to_string(&a_cfg).unwrap().contains("server wa "));
    assert!(std::fs::read_to_string(&b_cfg).unwrap().contains("server wb "));
    assert!(!reloads.exists(), "no reload for either resource");
}

#[test]
fn onetime_exits_after_removed_servers_are_drained_and_deleted() {
    let Some((mut p, _web1, web2)) = runtime_pipeline_serving_web1() else { return };
    p.register(&["add", "web2", &web2.addr.to_string()]);
    p.await_traffic(&web2, Instant::now());
    drop(p.confd.take());
    p.register(&["rm", "web1"]);
    let out = Command::new(env!("CARGO_BIN_EXE_hecd-confd"))
        .args(["-onetime", "-node", &p.kv.url, "-confdir"])
        .arg(&p.confdir)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    // When -onetime returns, web1 is gone from dest and from HAProxy, without a reload.
    assert!(!p.dest().contains("server web1 "));
    assert!(live_matches_dest(&p), "live {:?} dest {:?}", live(&p.admin), declared(&p.dest()));
    assert_eq!(p.reload_count(), 0);
}
