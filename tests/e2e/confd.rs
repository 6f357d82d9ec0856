//! `hecd-confd` against a real `hecd-kv` (and Debian's etcd for the store-facing paths):
//! onetime, interval and watch modes, prefixes, modes, noop, shared keys and reloads,
//! deleted keys, failing checks and reloads, bad resource files, the store going away and
//! coming back, each safety guard, SIGHUP, SIGTERM and the metrics endpoint.
//!
//! Hooks append lines to a log file; tests wait for files and log lines with deadlines.

use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Duration;

use hecd_testkit::kv::{Kind, KvServer};
use hecd_testkit::{free_ports, http, wait_until, Proc};

const DEADLINE: Duration = Duration::from_secs(20);

/// A confdir, an output dir and a hook log in one temp dir.
struct Site {
    dir: tempfile::TempDir,
}

impl Site {
    fn new() -> Site {
        let site = Site { dir: hecd_testkit::tempdir() };
        for d in ["confdir/conf.d", "confdir/templates", "out"] {
            std::fs::create_dir_all(site.dir.path().join(d)).unwrap();
        }
        site
    }

    fn confdir(&self) -> PathBuf {
        self.dir.path().join("confdir")
    }

    fn out(&self, name: &str) -> PathBuf {
        self.dir.path().join("out").join(name)
    }

    fn hook_log(&self) -> PathBuf {
        self.dir.path().join("hooks.log")
    }

    /// A shell command appending `NAME` (and the file's line count) to the hook log.
    fn hook(&self, name: &str, file: &str) -> String {
        format!("echo {name} $(wc -l < {file}) >> {}", self.hook_log().display())
    }

    fn template(&self, name: &str, text: &str) {
        std::fs::write(self.confdir().join("templates").join(name), text).unwrap();
    }

    /// Writes `conf.d/NAME.toml` with a `[template]` table of the given lines;
    /// `@OUT@` becomes the output dir.
    fn resource(&self, name: &str, lines: &str) {
        let out = self.dir.path().join("out");
        let text = format!("[template]\n{}\n", lines.replace("@OUT@", &out.display().to_string()));
        std::fs::write(self.confdir().join("conf.d").join(format!("{name}.toml")), text).unwrap();
    }

    fn servers_resource(&self, name: &str, extra: &str) {
        self.template(
            "servers.tmpl",
            "{{range gets \"/app/servers/*\"}}server {{base .Key}} {{.Value}}\n{{end}}",
        );
        self.resource(
            name,
            &format!("src = \"servers.tmpl\"\ndest = \"@OUT@/{name}.conf\"\nkeys = [\"/app/servers\"]\n{extra}"),
        );
    }

    fn hooks(&self) -> Vec<String> {
        std::fs::read_to_string(self.hook_log())
            .unwrap_or_default()
            .lines()
            .map(str::to_owned)
            .collect()
    }

    fn read(&self, name: &str) -> Option<String> {
        std::fs::read_to_string(self.out(name)).ok()
    }

    fn stage_files(&self) -> Vec<String> {
        std::fs::read_dir(self.dir.path().join("out"))
            .unwrap()
            .filter_map(|e| e.ok()?.file_name().into_string().ok())
            .filter(|n| n.starts_with('.'))
            .collect()
    }

    fn command(&self, kv_url: &str, args: &[&str]) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_hecd-confd"));
        cmd.args(["-node", kv_url, "-confdir"])
            .arg(self.confdir())
            .args(["-config-file", "/nonexistent/confd.toml"])
            .args(args)
            .current_dir(self.dir.path())
            .env_remove("ETCDCTL_PEERS");
        cmd
    }

    fn onetime(&self, kv_url: &str, args: &[&str]) -> Output {
        let mut cmd = self.command(kv_url, &["-onetime"]);
        cmd.args(args);
        cmd.output().expect("hecd-confd runs")
    }

    fn daemon(&self, kv_url: &str, args: &[&str]) -> Proc {
        Proc::spawn("hecd-confd", self.command(kv_url, args)).expect("hecd-confd starts")
    }

    #[track_caller]
    fn wait_file(&self, name: &str, want: impl Fn(&str) -> bool) -> String {
        wait_until(&format!("{name} to be rendered as expected"), DEADLINE, || {
            self.read(name).filter(|c| want(c))
        })
        .unwrap_or_else(|e| panic!("{e}; now {:?}", self.read(name)))
    }

    #[track_caller]
    fn wait_hooks(&self, n: usize) -> Vec<String> {
        wait_until(&format!("{n} hook lines"), DEADLINE, || {
            let h = self.hooks();
            (h.len() >= n).then_some(h)
        })
        .unwrap_or_else(|e| panic!("{e}; now {:?}", self.hooks()))
    }
}

fn put(kv: &KvServer, key: &str, value: &str) {
    put_at(kv.addr, key, value);
}

fn put_at(addr: std::net::SocketAddr, key: &str, value: &str) {
    let (status, body) =
        http(addr, "PUT", &format!("/v2/keys{key}"), &format!("value={value}")).unwrap();
    assert!(status == 200 || status == 201, "PUT {key}: {status} {body}");
}

fn delete(kv: &KvServer, key: &str) {
    let (status, body) =
        http(kv.addr, "DELETE", &format!("/v2/keys{key}?recursive=true"), "").unwrap();
    assert_eq!(status, 200, "DELETE {key}: {body}");
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[track_caller]
fn exit(out: &Output, code: i32) {
    assert_eq!(out.status.code(), Some(code), "stderr:\n{}", stderr(out));
}

fn each_server(check: impl Fn(&KvServer)) {
    for kind in Kind::ALL {
        if let Some(kv) = KvServer::start(kind) {
            check(&kv);
        }
    }
}

#[test]
fn onetime_render_prefix_mode_and_rerun_in_sync() {
    each_server(|kv| {
        let site = Site::new();
        put(kv, "/prod/app/servers/b", "10.0.0.2:80");
        put(kv, "/prod/app/servers/a", "10.0.0.1:80");
        site.template("p.tmpl", "{{range gets \"/app/servers/*\"}}{{.Key}}={{.Value}}\n{{end}}");
        let dest = site.out("p.conf");
        site.resource(
            "p",
            &format!(
                "src = \"p.tmpl\"\ndest = \"@OUT@/p.conf\"\nprefix = \"/prod\"\nkeys = [\"/app/servers\"]\nmode = \"0600\"\ncheck_cmd = \"{}\"\nreload_cmd = \"{}\"",
                site.hook("check", "{{.src}}"),
                site.hook("reload", &dest.display().to_string())
            ),
        );
        let out = site.onetime(&kv.url, &[]);
        exit(&out, 0);
        assert_eq!(
            site.read("p.conf").unwrap(),
            "/app/servers/a=10.0.0.1:80\n/app/servers/b=10.0.0.2:80\n"
        );
        let meta = std::fs::metadata(&dest).unwrap();
        assert_eq!(meta.permissions().mode() & 0o7777, 0o600);
        assert_eq!(site.hooks(), ["check 2", "reload 2"]);
        assert!(stderr(&out)
            .contains(&format!("INFO Target config {} has been updated", dest.display())));
        assert!(site.stage_files().is_empty(), "{:?}", site.stage_files());

        // In sync: nothing runs, the inode stays.
        let out = site.onetime(&kv.url, &[]);
        exit(&out, 0);
        assert_eq!(site.hooks().len(), 2);
        assert_eq!(std::fs::metadata(&dest).unwrap().ino(), meta.ino());

        // A mode change alone makes dest out of sync.
        std::fs::set_permissions(&dest, std::fs::Permissions::from_mode(0o644)).unwrap();
        exit(&site.onetime(&kv.url, &[]), 0);
        assert_eq!(std::fs::metadata(&dest).unwrap().permissions().mode() & 0o7777, 0o600);
        assert_eq!(site.hooks().len(), 4);

        // -prefix replaces the resource's prefix.
        put(kv, "/staging/app/servers/z", "10.9.9.9:80");
        exit(&site.onetime(&kv.url, &["-prefix", "staging"]), 0);
        assert_eq!(site.read("p.conf").unwrap(), "/app/servers/z=10.9.9.9:80\n");
    });
}

#[test]
fn seed_command_line_and_resource_run_as_written() {
    let Some(kv) = KvServer::start(Kind::HecdKv) else { return };
    let site = Site::new();
    let seed = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/haproxy/seed");
    let template = std::fs::read_to_string(seed.join("templates/haproxy.cfg.tmpl")).unwrap();
    site.template("haproxy.cfg.tmpl", &template);
    let toml = std::fs::read_to_string(seed.join("conf.d/haproxy.toml")).unwrap();
    let dest = site.out("haproxy.cfg");
    let toml = toml.replace("/etc/haproxy/haproxy.cfg", &dest.display().to_string()).replace(
        "/usr/sbin/service haproxy reload",
        &site.hook("reload", &dest.display().to_string()),
    );
    std::fs::write(site.confdir().join("conf.d/haproxy.toml"), toml).unwrap();
    put(&kv, "/app/servers/web1", "192.168.1.22:49153");
    let hostport = kv.url.trim_start_matches("http://").to_owned();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_hecd-confd"));
    cmd.args(["-verbose", "-interval", "10", "-node", &hostport, "-confdir"])
        .arg(site.confdir())
        .args(["-config-file", "/nonexistent"]);
    let mut confd = Proc::spawn("hecd-confd", cmd).unwrap();
    let cfg = site.wait_file("haproxy.cfg", |c| c.contains("192.168.1.22:49153"));
    assert!(cfg.contains("web1"), "{cfg}");
    site.wait_hooks(1);
    confd.signal("TERM").unwrap();
    assert_eq!(confd.wait_exit(DEADLINE).unwrap().code(), Some(0));
    confd.wait_for_log("Captured terminated. Exiting...", DEADLINE).unwrap();
}

#[test]
fn noop_prints_a_diff_and_changes_nothing() {
    let Some(kv) = KvServer::start(Kind::HecdKv) else { return };
    let site = Site::new();
    put(&kv, "/app/servers/a", "10.0.0.1:80");
    site.servers_resource("s", &format!("reload_cmd = \"{}\"", site.hook("reload", "/dev/null")));
    std::fs::write(site.out("s.conf"), "server old 10.0.0.0:80\n").unwrap();
    let out = site.onetime(&kv.url, &["-noop"]);
    exit(&out, 0);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("-server old 10.0.0.0:80\n+server a 10.0.0.1:80\n"), "{stdout}");
    assert_eq!(site.read("s.conf").unwrap(), "server old 10.0.0.0:80\n");
    assert!(site.hooks().is_empty());
    assert!(site.stage_files().is_empty());
}

#[test]
fn check_cmd_failure_keeps_the_old_file_and_skips_reload() {
    let Some(kv) = KvServer::start(Kind::HecdKv) else { return };
    let site = Site::new();
    put(&kv, "/app/servers/a", "10.0.0.1:80");
    site.servers_resource(
        "s",
        &format!(
            "check_cmd = \"echo bad config; exit 3\"\nreload_cmd = \"{}\"",
            site.hook("reload", "/dev/null")
        ),
    );
    std::fs::write(site.out("s.conf"), "OLD\n").unwrap();
    let ino = std::fs::metadata(site.out("s.conf")).unwrap().ino();
    let out = site.onetime(&kv.url, &[]);
    exit(&out, 1);
    assert_eq!(site.read("s.conf").unwrap(), "OLD\n");
    assert_eq!(std::fs::metadata(site.out("s.conf")).unwrap().ino(), ino);
    assert!(site.hooks().is_empty());
    assert!(site.stage_files().is_empty());
    let err = stderr(&out);
    assert!(err.contains("ERROR \"bad config\\n\""), "{err}");
    assert!(err.contains("ERROR Config check failed: exit status 3 (resource "), "{err}");
}

#[test]
fn reload_failure_restores_the_previous_file_and_is_retried() {
    let Some(kv) = KvServer::start(Kind::HecdKv) else { return };
    let site = Site::new();
    put(&kv, "/app/servers/a", "10.0.0.1:80");
    let flag = site.dir.path().join("reload-ok");
    let reload = format!(
        "{}; test -e {}",
        site.hook("reload", &site.out("s.conf").display().to_string()),
        flag.display()
    );
    site.servers_resource("s", &format!("reload_cmd = \"{reload}\""));
    std::fs::write(site.out("s.conf"), "ACCEPTED\n").unwrap();
    let out = site.onetime(&kv.url, &[]);
    exit(&out, 1);
    assert_eq!(site.read("s.conf").unwrap(), "ACCEPTED\n");
    assert!(stderr(&out).contains("exit status 1 (previous dest restored)"), "{}", stderr(&out));
    assert!(site.stage_files().is_empty(), "{:?}", site.stage_files());
    // The failed reload is not forgotten: the next run tries again, and succeeds.
    std::fs::write(&flag, "").unwrap();
    exit(&site.onetime(&kv.url, &[]), 0);
    assert_eq!(site.read("s.conf").unwrap(), "server a 10.0.0.1:80\n");
    assert_eq!(site.hooks(), ["reload 1", "reload 1"]);
}

#[test]
fn resources_sharing_keys_and_a_reload_cmd_reload_once() {
    let Some(kv) = KvServer::start(Kind::HecdKv) else { return };
    let site = Site::new();
    put(&kv, "/app/servers/a", "10.0.0.1:80");
    let reload = site.hook("reload", "/dev/null");
    site.servers_resource("one", &format!("reload_cmd = \"{reload}\""));
    site.servers_resource("two", &format!("reload_cmd = \"{reload}\""));
    site.template("count.tmpl", "{{len (ls \"/app/servers\")}}\n");
    site.resource(
        "three",
        &format!("src = \"count.tmpl\"\ndest = \"@OUT@/count\"\nkeys = [\"/app/servers\"]\nreload_cmd = \"{}\"", site.hook("count", "/dev/null")),
    );
    exit(&site.onetime(&kv.url, &[]), 0);
    assert_eq!(site.read("one.conf"), site.read("two.conf"));
    assert_eq!(site.read("count").unwrap(), "1\n");
    assert_eq!(site.hooks(), ["count 0", "reload 0"]);
}

#[test]
fn bad_resources_fail_alone() {
    let Some(kv) = KvServer::start(Kind::HecdKv) else { return };
    let site = Site::new();
    put(&kv, "/app/servers/a", "10.0.0.1:80");
    site.servers_resource("b-good", "");
    site.resource("a-bad-toml", "src = \"x\ndest = \"y\"");
    site.resource(
        "c-no-template",
        "src = \"nope.tmpl\"\ndest = \"@OUT@/c\"\nkeys = [\"/app/servers\"]",
    );
    site.resource(
        "d-no-dir",
        "src = \"servers.tmpl\"\ndest = \"@OUT@/missing/d\"\nkeys = [\"/app/servers\"]",
    );
    site.resource(
        "e-no-key",
        "src = \"servers.tmpl\"\ndest = \"@OUT@/e\"\nkeys = [\"/app/nothere\"]",
    );
    let out = site.onetime(&kv.url, &[]);
    exit(&out, 1);
    assert_eq!(site.read("b-good.conf").unwrap(), "server a 10.0.0.1:80\n");
    let err = stderr(&out);
    let errors: Vec<&str> = err.lines().filter(|l| l.contains(" ERROR ")).collect();
    assert_eq!(errors.len(), 4, "{err}");
    for (line, name) in errors.iter().zip([
        "a-bad-toml.toml",
        "c-no-template.toml",
        "d-no-dir.toml",
        "e-no-key.toml",
    ]) {
        assert!(line.contains(name), "{line} should name {name}");
    }
    assert!(errors[1].contains("Missing template: "), "{}", errors[1]);
    assert!(errors[3].contains("Key not found"), "{}", errors[3]);
    assert!(err.lines().last().unwrap().contains(" FATAL "), "{err}");
}

#[test]
fn guards_min_keys_collapse_and_command_timeout() {
    let Some(kv) = KvServer::start(Kind::HecdKv) else { return };
    let site = Site::new();
    put(&kv, "/app/servers/a", "10.0.0.1:80");
    site.servers_resource("min", "min_keys = 2");
    site.servers_resource("slow", "check_cmd = \"sleep 30\"\ncommand_timeout = \"300ms\"");
    let out = site.onetime(&kv.url, &[]);
    exit(&out, 1);
    assert!(site.read("min.conf").is_none());
    let err = stderr(&out);
    assert!(err.contains("refusing to render: 1 keys found, min_keys is 2"), "{err}");
    assert!(err.contains("Config check failed: timed out after 300ms"), "{err}");
    assert!(site.read("slow.conf").is_none());

    // Collapse: in a daemon, keys going from some to none is refused unless allowed.
    std::fs::remove_file(site.confdir().join("conf.d/min.toml")).unwrap();
    std::fs::remove_file(site.confdir().join("conf.d/slow.toml")).unwrap();
    site.servers_resource("guarded", "");
    site.servers_resource("open", "allow_empty = true");
    let confd = site.daemon(&kv.url, &["-watch", "-wait", "0"]);
    site.wait_file("guarded.conf", |c| c == "server a 10.0.0.1:80\n");
    site.wait_file("open.conf", |c| c == "server a 10.0.0.1:80\n");
    delete(&kv, "/app/servers/a");
    site.wait_file("open.conf", str::is_empty);
    confd.wait_for_log("refusing to render: the keys went from 1 to none", DEADLINE).unwrap();
    assert_eq!(site.read("guarded.conf").unwrap(), "server a 10.0.0.1:80\n");
}

#[test]
fn interval_mode_picks_up_changes() {
    let Some(kv) = KvServer::start(Kind::HecdKv) else { return };
    let site = Site::new();
    put(&kv, "/app/servers/a", "10.0.0.1:80");
    site.servers_resource(
        "s",
        &format!("reload_cmd = \"{}\"", site.hook("reload", "@OUT@/s.conf")),
    );
    let mut confd = site.daemon(&kv.url, &["-interval", "1"]);
    site.wait_file("s.conf", |c| c == "server a 10.0.0.1:80\n");
    put(&kv, "/app/servers/b", "10.0.0.2:80");
    site.wait_file("s.conf", |c| c.contains("server b"));
    assert_eq!(site.wait_hooks(2)[..2], ["reload 1", "reload 2"]);
    confd.signal("TERM").unwrap();
    assert_eq!(confd.wait_exit(DEADLINE).unwrap().code(), Some(0));
}

#[test]
fn watch_mode_follows_adds_changes_and_deletes() {
    each_server(|kv| {
        let site = Site::new();
        put(kv, "/app/servers/a", "10.0.0.1:80");
        let reload = site.hook("reload", &site.out("s.conf").display().to_string());
        site.servers_resource("s", &format!("reload_cmd = \"{reload}\""));
        let mut confd = site.daemon(&kv.url, &["-watch"]);
        site.wait_file("s.conf", |c| c == "server a 10.0.0.1:80\n");
        put(kv, "/app/servers/b", "10.0.0.2:80");
        site.wait_file("s.conf", |c| c == "server a 10.0.0.1:80\nserver b 10.0.0.2:80\n");
        put(kv, "/app/servers/a", "10.0.0.9:80");
        site.wait_file("s.conf", |c| c.starts_with("server a 10.0.0.9:80\n"));
        delete(kv, "/app/servers/b");
        site.wait_file("s.conf", |c| c == "server a 10.0.0.9:80\n");
        // Many writes in a burst: the last one always wins.
        for i in 0..20 {
            put(kv, "/app/servers/c", &format!("10.0.1.{i}:80"));
        }
        site.wait_file("s.conf", |c| c.contains("server c 10.0.1.19:80"));
        assert!(site.wait_hooks(5).iter().all(|h| h.starts_with("reload")));
        confd.signal("TERM").unwrap();
        assert_eq!(confd.wait_exit(DEADLINE).unwrap().code(), Some(0));
    });
}

/// A `hecd-kv` on fixed ports and data dir, so it can be stopped and started again.
fn start_kv(data: &Path, ports: &[u16]) -> Proc {
    let url = format!("http://127.0.0.1:{}", ports[0]);
    let peer = format!("http://127.0.0.1:{}", ports[1]);
    let mut cmd = Command::new(Kind::HecdKv.binary());
    cmd.args(["--name", "t", "--data-dir"])
        .arg(data)
        .args(["--listen-client-urls", &url, "--advertise-client-urls", &url])
        .args(["--listen-peer-urls", &peer, "--initial-advertise-peer-urls", &peer])
        .args(["--initial-cluster", &format!("t={peer}"), "--initial-cluster-state", "new"]);
    let proc = Proc::spawn("hecd-kv", cmd).unwrap();
    let addr = ([127, 0, 0, 1], ports[0]).into();
    wait_until("hecd-kv to answer", DEADLINE, || {
        http(addr, "GET", "/v2/keys/", "").ok().filter(|(s, _)| *s == 200)
    })
    .unwrap();
    proc
}

#[test]
fn watch_survives_the_store_going_down_and_coming_back() {
    let site = Site::new();
    let data = site.dir.path().join("kv-data");
    let ports = free_ports(2);
    let addr = ([127, 0, 0, 1], ports[0]).into();
    let url = format!("http://127.0.0.1:{}", ports[0]);
    let kv = start_kv(&data, &ports);
    put_at(addr, "/app/servers/a", "10.0.0.1:80");
    site.servers_resource("s", "");
    let confd = site.daemon(&url, &["-watch"]);
    site.wait_file("s.conf", |c| c == "server a 10.0.0.1:80\n");
    drop(kv);
    confd.wait_for_log("failed", DEADLINE).unwrap();
    let _kv = start_kv(&data, &ports);
    put_at(addr, "/app/servers/b", "10.0.0.2:80");
    site.wait_file("s.conf", |c| c == "server a 10.0.0.1:80\nserver b 10.0.0.2:80\n");
}

#[test]
fn sighup_rereads_confd_and_metrics_are_served() {
    let Some(kv) = KvServer::start(Kind::HecdKv) else { return };
    let site = Site::new();
    put(&kv, "/app/servers/a", "10.0.0.1:80");
    site.servers_resource("one", "");
    let port = free_ports(1)[0];
    let metrics = format!("127.0.0.1:{port}");
    let mut confd = site.daemon(&kv.url, &["-watch", "--metrics-addr", &metrics]);
    site.wait_file("one.conf", |c| c.contains("server a"));
    site.servers_resource("two", "");
    confd.signal("HUP").unwrap();
    site.wait_file("two.conf", |c| c.contains("server a"));
    assert!(confd.try_wait().is_none(), "SIGHUP must not stop the daemon");
    let addr = ([127, 0, 0, 1], port).into();
    let (status, body) = http(addr, "GET", "/health", "").unwrap();
    assert_eq!((status, body.as_str()), (200, "ok\n"));
    let (status, body) = http(addr, "GET", "/metrics", "").unwrap();
    assert_eq!(status, 200);
    assert!(body.contains("# TYPE hecd_confd_renders_total counter"), "{body}");
    assert!(body.contains("hecd_confd_last_success_timestamp_seconds{resource="), "{body}");
    assert!(body.contains("two.toml"), "{body}");
    confd.signal("TERM").unwrap();
    assert_eq!(confd.wait_exit(DEADLINE).unwrap().code(), Some(0));
}

#[test]
fn command_line_errors() {
    let site = Site::new();
    let out = site.onetime("http://127.0.0.1:1", &["-debug"]);
    exit(&out, 2);
    assert!(stderr(&out).starts_with("flag provided but not defined: -debug\nUsage of hecd-confd:"));
    let out = site.onetime("http://127.0.0.1:1", &["-log-level", "bogus"]);
    exit(&out, 1);
    assert!(stderr(&out).contains("FATAL not a valid level: \"bogus\""), "{}", stderr(&out));
    // The store is unreachable: the resource fails, exit 1.
    site.servers_resource("s", "");
    exit(&site.onetime("http://127.0.0.1:1", &[]), 1);
    assert!(site.read("s.conf").is_none());
}

#[test]
fn watch_resyncs_after_the_index_left_the_history() {
    let Some(kv) = KvServer::start_with(Kind::HecdKv, &["--history-size", "10"]) else { return };
    let site = Site::new();
    put(&kv, "/app/servers/a", "10.0.0.1:80");
    site.servers_resource("s", "");
    let confd = site.daemon(&kv.url, &["-watch"]);
    site.wait_file("s.conf", |c| c == "server a 10.0.0.1:80\n");
    // Frozen, the daemon cannot follow: its next index falls out of the store's history.
    confd.signal("STOP").unwrap();
    for i in 0..30 {
        put(&kv, &format!("/other/k{i}"), "x");
    }
    put(&kv, "/app/servers/b", "10.0.0.2:80");
    confd.signal("CONT").unwrap();
    site.wait_file("s.conf", |c| c == "server a 10.0.0.1:80\nserver b 10.0.0.2:80\n");
    confd.wait_for_log("fell behind the store's history; re-reading", DEADLINE).unwrap();
}

#[test]
fn owner_and_group_are_applied() {
    let site = Site::new();
    if std::fs::metadata(site.dir.path()).unwrap().uid() != 0 {
        eprintln!("SKIPPING owner_and_group_are_applied: needs root to chown");
        return;
    }
    let Some(kv) = KvServer::start(Kind::HecdKv) else { return };
    put(&kv, "/app/servers/a", "10.0.0.1:80");
    site.servers_resource("named", "owner = \"nobody\"");
    site.servers_resource("numeric", "uid = 1234\ngid = 4321\nmode = \"0640\"");
    exit(&site.onetime(&kv.url, &[]), 0);
    let named = std::fs::metadata(site.out("named.conf")).unwrap();
    assert_eq!(named.uid(), 65534);
    let numeric = std::fs::metadata(site.out("numeric.conf")).unwrap();
    assert_eq!((numeric.uid(), numeric.gid(), numeric.mode() & 0o7777), (1234, 4321, 0o640));
    // In sync now: a second run leaves both alone.
    let ino = numeric.ino();
    exit(&site.onetime(&kv.url, &[]), 0);
    assert_eq!(std::fs::metadata(site.out("numeric.conf")).unwrap().ino(), ino);
}

#[test]
fn watch_does_not_miss_a_write_made_during_reload() {
    let Some(kv) = KvServer::start(Kind::HecdKv) else { return };
    let site = Site::new();
    let gate = site.dir.path().join("gate");
    let made = Command::new("mkfifo").arg(&gate).status().expect("mkfifo runs");
    assert!(made.success());
    put(&kv, "/app/servers/a", "10.0.0.1:80");
    // Each reload logs itself, then blocks until the test opens the gate.
    let reload = format!("{}; read x < {}", site.hook("reload", "@OUT@/s.conf"), gate.display());
    site.servers_resource("s", &format!("reload_cmd = \"{reload}\""));
    let open_gate = || std::fs::write(&gate, "go\n").expect("the gate opens");
    let _confd = site.daemon(&kv.url, &["-watch"]);
    site.wait_hooks(1);
    // Written while reload_cmd still runs: confd 0.16 misses it until the next write.
    put(&kv, "/app/servers/b", "10.0.0.2:80");
    open_gate();
    assert_eq!(site.wait_hooks(2), ["reload 1", "reload 2"]);
    open_gate();
    assert_eq!(site.read("s.conf").unwrap(), "server a 10.0.0.1:80\nserver b 10.0.0.2:80\n");
}

#[test]
fn sigterm_finishes_the_cycle_in_progress() {
    let Some(kv) = KvServer::start(Kind::HecdKv) else { return };
    let site = Site::new();
    let gate = site.dir.path().join("gate");
    assert!(Command::new("mkfifo").arg(&gate).status().expect("mkfifo runs").success());
    put(&kv, "/app/servers/a", "10.0.0.1:80");
    let reload = format!("{}; read x < {}", site.hook("reload", "@OUT@/s.conf"), gate.display());
    site.servers_resource("s", &format!("reload_cmd = \"{reload}\""));
    let mut confd = site.daemon(&kv.url, &["-interval", "600"]);
    site.wait_hooks(1);
    confd.signal("TERM").unwrap();
    // Still busy with the reload: the signal waits for the cycle to end.
    assert!(confd.try_wait().is_none(), "exited during the cycle:\n{}", confd.log());
    std::fs::write(&gate, "go\n").expect("the gate opens");
    assert_eq!(confd.wait_exit(DEADLINE).unwrap().code(), Some(0));
    let log = confd.log();
    let updated = log.find("has been updated").expect("the cycle finished");
    let exiting = log.find("Captured terminated. Exiting...").expect("the signal was handled");
    assert!(updated < exiting, "{log}");
}

#[test]
fn tls_with_client_certificates() {
    let dir = hecd_testkit::tempdir();
    let pki = hecd_testkit::pki::TestPki::generate(dir.path()).unwrap();
    let Some(kv) = KvServer::start_tls(Kind::Etcd, &pki) else { return };
    let files =
        [&pki.ca, &pki.client_cert, &pki.client_key].map(|p| p.to_str().unwrap().to_owned());
    let added = Command::new(env!("CARGO_BIN_EXE_hecd-register"))
        .args(["--endpoints", &kv.url, "--ca-file", &files[0], "--cert-file", &files[1]])
        .args(["--key-file", &files[2], "add", "web1", "10.0.0.1:80"])
        .output()
        .expect("hecd-register runs");
    assert!(added.status.success(), "{}", String::from_utf8_lossy(&added.stderr));
    let site = Site::new();
    site.servers_resource("s", "");
    let tls = ["-client-ca-keys", &files[0], "-client-cert", &files[1], "-client-key", &files[2]];
    exit(&site.onetime(&kv.url, &tls), 0);
    assert_eq!(site.read("s.conf").unwrap(), "server web1 10.0.0.1:80\n");
    // Without a client certificate the server refuses us.
    std::fs::remove_file(site.out("s.conf")).unwrap();
    exit(&site.onetime(&kv.url, &tls[..2]), 1);
    assert!(site.read("s.conf").is_none());
}

#[test]
fn a_burst_of_writes_causes_one_reload() {
    let Some(kv) = KvServer::start(Kind::HecdKv) else { return };
    let site = Site::new();
    let gate = site.dir.path().join("gate");
    assert!(Command::new("mkfifo").arg(&gate).status().expect("mkfifo runs").success());
    put(&kv, "/app/servers/a", "10.0.0.1:80");
    let reload = format!(
        "echo reload $(tail -n 1 @OUT@/s.conf) >> {}; read x < {}",
        site.hook_log().display(),
        gate.display()
    );
    site.servers_resource("s", &format!("reload_cmd = \"{reload}\""));
    let _confd = site.daemon(&kv.url, &["-watch"]);
    site.wait_hooks(1);
    // Twenty writes while the first reload still runs, then one render covers them all.
    for i in 0..20 {
        put(&kv, "/app/servers/c", &format!("10.0.1.{i}:80"));
    }
    std::fs::write(&gate, "go\n").expect("the gate opens");
    assert_eq!(site.wait_hooks(2), ["reload server a 10.0.0.1:80", "reload server c 10.0.1.19:80"]);
    std::fs::write(&gate, "go\n").expect("the gate opens");
}

#[test]
fn missing_keys_fail_like_confd_unless_asked_to_render_empty() {
    let Some(kv) = KvServer::start(Kind::HecdKv) else { return };
    let site = Site::new();
    site.servers_resource("s", "");
    std::fs::write(site.out("s.conf"), "bootstrap\n").unwrap();
    // confd's behaviour: a listed key that does not exist fails the resource.
    let out = site.onetime(&kv.url, &[]);
    exit(&out, 1);
    assert!(stderr(&out).contains("100: Key not found"), "{}", stderr(&out));
    assert_eq!(site.read("s.conf").as_deref(), Some("bootstrap\n"));
    // -missing-keys-empty: an empty store renders as no servers, then follows the first one.
    let mut confd = site.daemon(&kv.url, &["-watch", "-missing-keys-empty"]);
    site.wait_file("s.conf", |c| c.is_empty());
    put(&kv, "/app/servers/a", "10.0.0.1:80");
    site.wait_file("s.conf", |c| c == "server a 10.0.0.1:80\n");
    confd.signal("TERM").unwrap();
    assert_eq!(confd.wait_exit(DEADLINE).unwrap().code(), Some(0));
}

#[test]
fn basic_auth_against_a_store_with_auth_enabled() {
    let Some(kv) = KvServer::start(Kind::HecdKv) else { return };
    let send = crate::auth::send;
    // Basic base64("root:rootpw").
    let root = Some("Basic cm9vdDpyb290cHc=");
    let root_user = r#"{"user":"root","password":"rootpw"}"#;
    assert_eq!(send(kv.addr, "PUT", "/v2/auth/users/root", None, root_user).0, 201);
    assert_eq!(send(kv.addr, "PUT", "/v2/auth/enable", None, "").0, 200);
    let revoke = r#"{"role":"guest","revoke":{"kv":{"read":["/*"],"write":["/*"]}}}"#;
    let (status, body) = send(kv.addr, "PUT", "/v2/auth/roles/guest", root, revoke);
    assert_eq!(status, 200, "{body}");
    assert_eq!(send(kv.addr, "PUT", "/v2/keys/app/servers/a", root, "value=10.0.0.1:80").0, 201);
    let site = Site::new();
    site.servers_resource("s", "");
    // Without credentials the store refuses the read: the resource fails, nothing is written.
    let out = site.onetime(&kv.url, &[]);
    exit(&out, 1);
    assert_eq!(site.read("s.conf"), None);
    // With confd's basic-auth flags it renders.
    let out = site.onetime(&kv.url, &["-basic-auth", "-username", "root", "-password", "rootpw"]);
    exit(&out, 0);
    assert_eq!(site.read("s.conf").as_deref(), Some("server a 10.0.0.1:80\n"));
}
