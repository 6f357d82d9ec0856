//! Unit tests of the cycle's helpers.

use std::path::Path;
use std::time::Duration;

use super::*;

#[test]
fn modes_print_like_go() {
    assert_eq!(go_mode_string(0o100644), "-rw-r--r--");
    assert_eq!(go_mode_string(0o640), "-rw-r-----");
    assert_eq!(go_mode_string(0o6755), "ugrwxr-xr-x");
}

#[test]
fn check_cmd_is_a_template_with_only_src() {
    let stage = Path::new("/out/.a.conf123");
    assert_eq!(
        render_check_cmd("check {{.src}} '{{.dest}}'", stage).unwrap(),
        "check /out/.a.conf123 '<no value>'"
    );
    let e = render_check_cmd("check {{.src", stage).unwrap_err().to_string();
    assert_eq!(e, "template: checkcmd:1: unclosed action");
}

#[test]
fn md5_rfc_vectors() {
    assert_eq!(hex_digest(b""), "d41d8cd98f00b204e9800998ecf8427e");
    assert_eq!(hex_digest(b"abc"), "900150983cd24fb0d6963f7d28e17f72");
    assert_eq!(
        hex_digest(
            b"12345678901234567890123456789012345678901234567890123456789012345678901234567890"
        ),
        "57edf4a22be3c955ac49da2e2107b67a"
    );
    // What confd logged for a two-server file in the recorded scenarios.
    assert_eq!(
        hex_digest(b"server a 10.0.0.1:80\nserver b 10.0.0.2:80\n"),
        "61d3fb4e22448e6cf116944d4814ba6a"
    );
}

fn resource(dir: &Path, name: &str, template: &str) -> Resource {
    let src = dir.join(format!("{name}.tmpl"));
    std::fs::write(&src, template).unwrap();
    Resource {
        file: dir.join(format!("{name}.toml")),
        src,
        dest: dir.join(format!("{name}.conf")),
        prefix: "/".to_owned(),
        keys: Vec::new(),
        mode: None,
        uid: None,
        gid: None,
        check_cmd: None,
        reload_cmd: None,
        min_keys: 0,
        allow_empty: false,
        command_timeout: None,
        haproxy_socket: None,
        drain_timeout: crate::resource::DEFAULT_DRAIN_TIMEOUT,
    }
}

/// A `lookupSRV` whose nameserver never answers holds up neither the executor (this test
/// runs on a single-threaded runtime) nor the resource after it in the same cycle.
#[tokio::test]
async fn a_hanging_dns_lookup_does_not_delay_other_resources() {
    let dir = tempfile::tempdir().unwrap();
    // A nameserver that reads the question and never answers.
    let silent = tokio::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let timeout = Duration::from_secs(2);
    let resolver = Resolver { servers: vec![silent.local_addr().unwrap()], timeout };
    let slow = resource(
        dir.path(),
        "slow",
        "{{range lookupSRV \"xmpp\" \"tcp\" \"example.com\"}}{{.Target}}{{end}}slow\n",
    );
    let fast = resource(dir.path(), "fast", "fast\n");
    let options = CycleOptions {
        command_timeout: Duration::from_secs(5),
        resolver: Some(resolver),
        ..CycleOptions::default()
    };
    // No keys to fetch: the client is never used.
    let client = Client::builder().endpoints(["http://127.0.0.1:9"]).build().unwrap();
    let mut processor = Processor::new(client, options, Arc::new(Metrics::new()));
    let resources = vec![slow.clone(), fast.clone()];
    let cycle = tokio::spawn(async move { processor.cycle(&resources).await });

    let mut question = [0u8; 512];
    let (_, _) = tokio::time::timeout(Duration::from_secs(30), silent.recv_from(&mut question))
        .await
        .expect("the slow resource's lookupSRV never asked")
        .unwrap();
    let asked = Instant::now();
    // The slow lookup waits `timeout` twice; the fast resource must be written long before.
    while std::fs::read(&fast.dest).ok().as_deref() != Some(&b"fast\n"[..]) {
        assert!(
            asked.elapsed() < timeout,
            "the fast resource waited for the slow resource's DNS lookup"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(!cycle.is_finished(), "the slow lookup should still be waiting");
    assert!(!slow.dest.exists());

    let report = cycle.await.unwrap();
    assert_eq!((report.failed, report.changed), (0, 2), "{:?}", report.last_error);
    assert_eq!(std::fs::read_to_string(&slow.dest).unwrap(), "slow\n");
}

/// The lines of a file, none when it does not exist.
fn lines(path: &Path) -> Vec<String> {
    std::fs::read_to_string(path)
        .map(|s| s.lines().map(str::to_owned).collect())
        .unwrap_or_default()
}

/// A cycle counts what it replaced and what failed, and runs a reload_cmd shared by several
/// resources once, after the last of them; a cycle that changes nothing reloads nothing, and
/// with `-sync-only` files are replaced without any reload.
#[tokio::test]
async fn a_shared_reload_runs_once_per_cycle_and_the_report_counts_changes_and_failures() {
    let dir = tempfile::tempdir().unwrap();
    let reloads = dir.path().join("reloads");
    let reload = format!("echo reloaded >> '{}'", reloads.display());
    let c = resource(dir.path(), "c", "c\n");
    let bad = resource(dir.path(), "bad", "{{.nope\n");
    let mut a = resource(dir.path(), "a", "a\n");
    a.reload_cmd = Some(reload.clone());
    let mut b = resource(dir.path(), "b", "b\n");
    b.reload_cmd = Some(reload.clone());
    let mut e = resource(dir.path(), "e", "e\n");
    e.reload_cmd = Some(reload.clone());
    // No keys to fetch: the client is never used.
    let client = Client::builder().endpoints(["http://127.0.0.1:9"]).build().unwrap();
    let options =
        CycleOptions { command_timeout: Duration::from_secs(30), ..CycleOptions::default() };
    let mut processor = Processor::new(client.clone(), options.clone(), Arc::new(Metrics::new()));
    let resources = vec![c.clone(), bad.clone(), a.clone(), b.clone(), e.clone()];

    let report = processor.cycle(&resources).await;
    assert_eq!((report.changed, report.failed), (4, 1), "{:?}", report.last_error);
    assert!(report.last_error.is_some_and(|e| e.contains("bad.tmpl")));
    for (r, want) in [(&a, "a\n"), (&b, "b\n"), (&c, "c\n"), (&e, "e\n")] {
        assert_eq!(std::fs::read_to_string(&r.dest).unwrap(), want);
    }
    assert!(!bad.dest.exists());
    assert_eq!(lines(&reloads), ["reloaded"], "one reload for the group of a, b and e");

    let report = processor.cycle(&resources).await;
    assert_eq!((report.changed, report.failed), (0, 1));
    assert_eq!(lines(&reloads), ["reloaded"], "nothing changed: no reload");

    std::fs::write(&a.src, "a2\n").unwrap();
    let report = processor.cycle(&resources).await;
    assert_eq!((report.changed, report.failed), (1, 1));
    assert_eq!(lines(&reloads), ["reloaded", "reloaded"]);

    let sync_only = CycleOptions { sync_only: true, ..options };
    let mut processor = Processor::new(client, sync_only, Arc::new(Metrics::new()));
    std::fs::write(&b.src, "b2\n").unwrap();
    let report = processor.cycle(&resources).await;
    assert_eq!((report.changed, report.failed), (1, 1));
    assert_eq!(std::fs::read_to_string(&b.dest).unwrap(), "b2\n");
    assert_eq!(lines(&reloads), ["reloaded", "reloaded"], "-sync-only runs no reload_cmd");
}

/// With `haproxy_socket`, a change that HAProxy's runtime API can take (here only a comment:
/// no server changes, so nothing to send at all) replaces dest with neither check_cmd nor
/// reload_cmd, and counts as a change and a runtime update. A server change that the runtime
/// API cannot take (nothing listens on the socket) goes the ordinary way: check, then reload.
#[tokio::test]
async fn a_change_the_runtime_api_takes_replaces_dest_without_check_or_reload() {
    let dir = tempfile::tempdir().unwrap();
    let ran = dir.path().join("ran");
    let config = |comment: &str, server: &str| {
        format!("global\n    # {comment}\n\nbackend app\n    server {server}\n")
    };
    let mut r = resource(dir.path(), "haproxy", &config("v2", "a 10.0.0.1:80"));
    std::fs::write(&r.dest, config("v1", "a 10.0.0.1:80")).unwrap();
    r.check_cmd = Some(format!("echo check >> '{}'", ran.display()));
    r.reload_cmd = Some(format!("echo reload >> '{}'", ran.display()));
    let socket = dir.path().join("nobody-listens.sock");
    r.haproxy_socket = Some(hecd_haproxy::Endpoint::parse(&socket.display().to_string()).unwrap());
    let client = Client::builder().endpoints(["http://127.0.0.1:9"]).build().unwrap();
    let options =
        CycleOptions { command_timeout: Duration::from_secs(30), ..CycleOptions::default() };
    let metrics = Arc::new(Metrics::new());
    let mut processor = Processor::new(client, options, metrics.clone());
    let runtime_updates = |n: u32| {
        format!(
            "hecd_confd_runtime_updates_total{{resource=\"{}\",dest=\"{}\"}} {n}\n",
            r.file.display(),
            r.dest.display()
        )
    };

    let report = processor.cycle(std::slice::from_ref(&r)).await;
    assert_eq!((report.changed, report.failed), (1, 0), "{:?}", report.last_error);
    assert_eq!(std::fs::read_to_string(&r.dest).unwrap(), config("v2", "a 10.0.0.1:80"));
    assert!(lines(&ran).is_empty(), "ran {:?}", lines(&ran));
    assert!(metrics.prometheus().contains(&runtime_updates(1)), "{}", metrics.prometheus());

    std::fs::write(&r.src, config("v2", "a 10.0.0.2:80")).unwrap();
    let report = processor.cycle(std::slice::from_ref(&r)).await;
    assert_eq!((report.changed, report.failed), (1, 0), "{:?}", report.last_error);
    assert_eq!(std::fs::read_to_string(&r.dest).unwrap(), config("v2", "a 10.0.0.2:80"));
    assert_eq!(lines(&ran), ["check", "reload"]);
    assert!(metrics.prometheus().contains(&runtime_updates(1)), "{}", metrics.prometheus());
}

/// A DNS answer to `query` with no records.
fn no_records(query: &[u8]) -> Vec<u8> {
    let mut end = 12;
    while query[end] != 0 {
        end += 1 + usize::from(query[end]);
    }
    let mut reply = query[..end + 5].to_vec();
    reply[2] = 0x81;
    reply[3] = 0x80;
    reply
}

/// Whether `name` was rendered: its stage file or its dest exists.
fn rendered(dir: &Path, name: &str) -> bool {
    let stage = format!(".{name}.conf");
    std::fs::read_dir(dir)
        .unwrap()
        .any(|e| e.unwrap().file_name().to_string_lossy().starts_with(&stage))
        || dir.join(format!("{name}.conf")).exists()
}

/// Resources are compared, replaced and reloaded in their order: one rendered early waits for
/// those before it as long as their render is not slow (`slow_render`, an hour here).
#[tokio::test]
async fn resources_are_replaced_in_order_while_no_render_is_slow() {
    let dir = tempfile::tempdir().unwrap();
    let dns = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    let timeout = Duration::from_secs(30);
    let resolver = Resolver { servers: vec![dns.local_addr().unwrap()], timeout };
    let order = dir.path().join("order");
    let mut first = resource(
        dir.path(),
        "first",
        "{{range lookupSRV \"http\" \"tcp\" \"example.com\"}}{{.Target}}{{end}}first\n",
    );
    first.reload_cmd = Some(format!("echo first >> '{}'", order.display()));
    let mut second = resource(dir.path(), "second", "second\n");
    second.reload_cmd = Some(format!("echo second >> '{}'", order.display()));
    let options = CycleOptions {
        command_timeout: timeout,
        resolver: Some(resolver),
        slow_render: Some(Duration::from_secs(3600)),
        ..CycleOptions::default()
    };
    let client = Client::builder().endpoints(["http://127.0.0.1:9"]).build().unwrap();
    let mut processor = Processor::new(client, options, Arc::new(Metrics::new()));
    let resources = vec![first.clone(), second.clone()];
    let cycle = tokio::spawn(async move { processor.cycle(&resources).await });

    // first's lookup is answered only once second is rendered.
    let (dns, query, peer) = tokio::task::spawn_blocking(move || {
        let mut buf = [0u8; 512];
        let (n, peer) = dns.recv_from(&mut buf).unwrap();
        (dns, buf[..n].to_vec(), peer)
    })
    .await
    .unwrap();
    until_rendered(dir.path(), "second").await;
    dns.send_to(&no_records(&query), peer).unwrap();

    let report = cycle.await.unwrap();
    assert_eq!((report.failed, report.changed), (0, 2), "{:?}", report.last_error);
    assert_eq!(lines(&order), ["first", "second"]);
}

/// The name a DNS query asks about, dotted.
fn question_name(query: &[u8]) -> String {
    let (mut name, mut pos) = (String::new(), 12);
    while query[pos] != 0 {
        let len = usize::from(query[pos]);
        name.push_str(std::str::from_utf8(&query[pos + 1..pos + 1 + len]).unwrap());
        name.push('.');
        pos += 1 + len;
    }
    name
}

/// Waits until `name` is rendered (polling the directory; the cycle offers no event for it).
async fn until_rendered(dir: &Path, name: &str) {
    tokio::time::timeout(Duration::from_secs(30), async {
        while !rendered(dir, name) {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    })
    .await
    .unwrap_or_else(|_| panic!("{name} never rendered"));
}

/// Waits until `path` has `n` lines (polling: the reload commands write it).
async fn until_lines(path: &Path, n: usize) {
    tokio::time::timeout(Duration::from_secs(30), async {
        while lines(path).len() < n {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    })
    .await
    .unwrap_or_else(|_| panic!("{} never had {n} lines: {:?}", path.display(), lines(path)));
}

/// A render is slow when it runs `slow_render` past the moment its resource became the first one
/// waiting, not past the start of the cycle: a resource whose turn comes late gets the same
/// patience as the first.
#[tokio::test]
async fn a_render_is_slow_counting_from_when_its_turn_came() {
    let dir = tempfile::tempdir().unwrap();
    let dns = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    let timeout = Duration::from_secs(30);
    let resolver = Resolver { servers: vec![dns.local_addr().unwrap()], timeout };
    let order = dir.path().join("order");
    let resource_named = |name: &str, lookup: bool| {
        let template = if lookup {
            format!("{{{{range lookupSRV \"\" \"\" \"{name}.example.com\"}}}}{{{{end}}}}{name}\n")
        } else {
            format!("{name}\n")
        };
        let mut r = resource(dir.path(), name, &template);
        r.reload_cmd = Some(format!("echo {name} >> '{}'", order.display()));
        r
    };
    // a, b and d wait for the test's DNS answers; c renders at once.
    let resources = vec![
        resource_named("a", true),
        resource_named("b", true),
        resource_named("c", false),
        resource_named("d", true),
    ];
    let options = CycleOptions {
        command_timeout: timeout,
        resolver: Some(resolver),
        slow_render: Some(Duration::from_secs(1)),
        ..CycleOptions::default()
    };
    let client = Client::builder().endpoints(["http://127.0.0.1:9"]).build().unwrap();
    let mut processor = Processor::new(client, options, Arc::new(Metrics::new()));
    let cycle = tokio::spawn({
        let resources = resources.clone();
        async move { processor.cycle(&resources).await }
    });
    let (dns, mut questions) = tokio::task::spawn_blocking(move || {
        let mut questions = std::collections::HashMap::new();
        while questions.len() < 3 {
            let mut buf = [0u8; 512];
            let (n, peer) = dns.recv_from(&mut buf).unwrap();
            questions.insert(question_name(&buf[..n]), (buf[..n].to_vec(), peer));
        }
        (dns, questions)
    })
    .await
    .unwrap();
    let mut answer = |name: &str| {
        let (query, peer) = questions.remove(&format!("{name}.example.com.")).unwrap();
        dns.send_to(&no_records(&query), peer).unwrap();
    };
    // a is slow: c goes first once a second has passed.
    until_rendered(dir.path(), "c").await;
    until_lines(&order, 1).await;
    answer("a");
    until_lines(&order, 2).await;
    // b's turn has just come; d, rendered now, waits for it.
    answer("d");
    until_rendered(dir.path(), "d").await;
    answer("b");
    let report = cycle.await.unwrap();
    assert_eq!((report.failed, report.changed), (0, 4), "{:?}", report.last_error);
    assert_eq!(lines(&order), ["c", "a", "b", "d"]);
}

/// The template can be missing or unreadable; each is its own error, naming the file.
#[tokio::test]
async fn a_missing_template_and_an_unreadable_one_are_told_apart() {
    let dir = tempfile::tempdir().unwrap();
    let missing = resource(dir.path(), "missing", "x\n");
    std::fs::remove_file(&missing.src).unwrap();
    let unreadable = resource(dir.path(), "unreadable", "x\n");
    std::fs::remove_file(&unreadable.src).unwrap();
    std::fs::create_dir(&unreadable.src).unwrap();
    let client = Client::builder().endpoints(["http://127.0.0.1:9"]).build().unwrap();
    let mut processor = Processor::new(client, CycleOptions::default(), Arc::new(Metrics::new()));
    let report = processor.cycle(std::slice::from_ref(&missing)).await;
    let want = format!("Missing template: {}", missing.src.display());
    assert_eq!(report.last_error.as_deref(), Some(want.as_str()));
    let report = processor.cycle(std::slice::from_ref(&unreadable)).await;
    let want = format!("cannot read template {}: ", unreadable.src.display());
    assert!(report.last_error.as_deref().is_some_and(|e| e.starts_with(&want)), "{report:?}");
}

/// A store to fetch keys from: the reference etcd (Debian's, installed by `cargo xtask test`).
fn etcd() -> Option<hecd_testkit::kv::KvServer> {
    hecd_testkit::kv::KvServer::start(hecd_testkit::kv::Kind::Etcd)
}

/// A resource over the keys under `/app`, one line per key.
fn app_resource(dir: &Path, name: &str) -> Resource {
    let mut r = resource(dir, name, "{{range gets \"/app/*\"}}{{.Key}}={{.Value}}\n{{end}}");
    r.keys = vec!["/app".to_owned()];
    r
}

/// The guards: fewer keys than `min_keys`, or none after some (unless `allow_empty`), leave dest
/// as it is and fail the resource.
#[tokio::test]
async fn too_few_keys_or_keys_gone_leave_dest_alone() {
    let Some(etcd) = etcd() else { return };
    let dir = tempfile::tempdir().unwrap();
    let client = Client::builder().endpoints([etcd.url.as_str()]).build().unwrap();
    let options = CycleOptions { missing_keys_empty: true, ..CycleOptions::default() };
    let mut processor = Processor::new(client.clone(), options, Arc::new(Metrics::new()));
    let mut r = app_resource(dir.path(), "app");
    r.min_keys = 2;
    let set = |k: &'static str| {
        let client = client.clone();
        async move { client.set(k, "v", Default::default()).await.unwrap() }
    };
    set("/app/a").await;
    let report = processor.cycle(std::slice::from_ref(&r)).await;
    assert_eq!(
        report.last_error.as_deref(),
        Some("refusing to render: 1 keys found, min_keys is 2")
    );
    assert!(!r.dest.exists());
    set("/app/b").await;
    let report = processor.cycle(std::slice::from_ref(&r)).await;
    assert_eq!((report.changed, report.failed), (1, 0), "{:?}", report.last_error);
    let two = std::fs::read_to_string(&r.dest).unwrap();
    assert_eq!(two, "/app/a=v\n/app/b=v\n");

    r.min_keys = 0;
    client
        .delete("/app", hecd_client::DeleteOptions { recursive: true, ..Default::default() })
        .await
        .unwrap();
    let report = processor.cycle(std::slice::from_ref(&r)).await;
    assert_eq!(
        report.last_error.as_deref(),
        Some(
            "refusing to render: the keys went from 2 to none (set allow_empty = true to allow it)"
        )
    );
    assert_eq!(std::fs::read_to_string(&r.dest).unwrap(), two);
    r.allow_empty = true;
    let report = processor.cycle(std::slice::from_ref(&r)).await;
    assert_eq!((report.changed, report.failed), (1, 0), "{:?}", report.last_error);
    assert_eq!(std::fs::read_to_string(&r.dest).unwrap(), "");
}

/// The files in `dir` other than those named.
fn other_files(dir: &Path, named: &[&Path]) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| !named.contains(&p.as_path()) && p.extension().is_none_or(|x| x != "tmpl"))
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

/// A reload that fails puts back the dest the service last accepted, and the report asks for a
/// retry; when the dest it replaced had itself failed its reload, nothing is put back. Every
/// resource of a failed reload group counts as failed; no backup file is left behind.
#[tokio::test]
async fn a_failed_reload_puts_back_the_last_accepted_dest() {
    let dir = tempfile::tempdir().unwrap();
    let fail = dir.path().join("fail");
    let reload = format!("test ! -e '{}'", fail.display());
    let mut a = resource(dir.path(), "a", "a1\n");
    a.reload_cmd = Some(reload.clone());
    let mut b = resource(dir.path(), "b", "b1\n");
    b.reload_cmd = Some(reload);
    let client = Client::builder().endpoints(["http://127.0.0.1:9"]).build().unwrap();
    let options =
        CycleOptions { command_timeout: Duration::from_secs(30), ..CycleOptions::default() };
    let mut processor = Processor::new(client, options, Arc::new(Metrics::new()));
    let both = [a.clone(), b.clone()];
    let report = processor.cycle(&both).await;
    assert_eq!((report.changed, report.failed), (2, 0), "{:?}", report.last_error);
    let dests = [a.dest.as_path(), b.dest.as_path(), fail.as_path()];
    assert_eq!(other_files(dir.path(), &dests), Vec::<String>::new(), "no backup left");

    // The service refuses the next version of both: both are put back and to be retried.
    std::fs::write(&fail, "").unwrap();
    std::fs::write(&a.src, "a2\n").unwrap();
    std::fs::write(&b.src, "b2\n").unwrap();
    let report = processor.cycle(&both).await;
    assert_eq!((report.changed, report.failed), (2, 2));
    assert_eq!(report.retry, vec![a.file.clone(), b.file.clone()]);
    assert!(report.last_error.as_deref().is_some_and(|e| e.ends_with("(previous dest restored)")));
    assert_eq!(std::fs::read_to_string(&a.dest).unwrap(), "a1\n");
    assert_eq!(std::fs::read_to_string(&b.dest).unwrap(), "b1\n");
    assert_eq!(other_files(dir.path(), &dests), Vec::<String>::new(), "no backup left");

    // A first dest that never passed its reload is not put back: there is nothing better.
    let mut c = resource(dir.path(), "c", "c1\n");
    c.reload_cmd = a.reload_cmd.clone();
    let report = processor.cycle(std::slice::from_ref(&c)).await;
    assert_eq!((report.changed, report.failed), (1, 1));
    assert!(report.retry.is_empty());
    std::fs::write(&c.src, "c2\n").unwrap();
    let report = processor.cycle(std::slice::from_ref(&c)).await;
    assert!(report.retry.is_empty(), "c1 was never accepted: c2 stays");
    assert_eq!(std::fs::read_to_string(&c.dest).unwrap(), "c2\n");
    std::fs::remove_file(&fail).unwrap();
    std::fs::write(&c.src, "c3\n").unwrap();
    let report = processor.cycle(std::slice::from_ref(&c)).await;
    assert_eq!((report.changed, report.failed), (1, 0));
    // c3 passed: a failed c4 puts it back.
    std::fs::write(&fail, "").unwrap();
    std::fs::write(&c.src, "c4\n").unwrap();
    let report = processor.cycle(std::slice::from_ref(&c)).await;
    assert_eq!(report.retry, vec![c.file.clone()]);
    assert_eq!(std::fs::read_to_string(&c.dest).unwrap(), "c3\n");
}

const HAPROXY: &str = "/usr/sbin/haproxy";

/// HAProxy in the foreground on `config`, with its admin socket at `dir/admin.sock`; killed on
/// drop. `None` when HAProxy is not installed (outside CI: `cargo xtask test` installs it).
fn haproxy(dir: &Path, config: &Path) -> Option<(hecd_testkit::Proc, hecd_haproxy::Endpoint)> {
    if !Path::new(HAPROXY).exists() {
        assert!(std::env::var_os("CI").is_none(), "{HAPROXY} is missing in CI");
        eprintln!("SKIPPING: {HAPROXY} is not installed");
        return None;
    }
    let mut cmd = std::process::Command::new(HAPROXY);
    cmd.arg("-db").arg("-f").arg(config);
    let proc = hecd_testkit::Proc::spawn("haproxy", cmd).unwrap();
    let socket = dir.join("admin.sock");
    hecd_testkit::wait_until("HAProxy's admin socket", Duration::from_secs(20), || {
        std::os::unix::net::UnixStream::connect(&socket).ok()
    })
    .unwrap();
    let endpoint = hecd_haproxy::Endpoint::parse(&socket.display().to_string()).unwrap();
    Some((proc, endpoint))
}

/// A configuration with backend `app` holding `servers` (`name port` pairs on loopback).
fn haproxy_config(dir: &Path, port: u16, servers: &[(&str, u16)]) -> String {
    let mut c = format!(
        "global\n    stats socket {}/admin.sock mode 600 level admin\ndefaults\n    mode http\n    timeout connect 1s\n    timeout client 10s\n    timeout server 10s\nfrontend fe\n    bind 127.0.0.1:{port}\n    default_backend app\nbackend app\n    balance roundrobin\n",
        dir.display()
    );
    for (name, port) in servers {
        c.push_str(&format!("    server {name} 127.0.0.1:{port}\n"));
    }
    c
}

/// At start (`reconcile`), HAProxy's live servers are repaired to match dest through the runtime
/// API: a server dest declares is added, one it no longer declares is drained and deleted
/// (`wait_drains` waits for that); nothing is done when they already match, nor with `-noop`.
#[tokio::test]
async fn reconcile_repairs_haproxy_servers_to_match_dest() {
    let dir = tempfile::tempdir().unwrap();
    let port = hecd_testkit::free_ports(1)[0];
    let running = dir.path().join("running.cfg");
    std::fs::write(&running, haproxy_config(dir.path(), port, &[("a", 9001)])).unwrap();
    let Some((_haproxy, endpoint)) = haproxy(dir.path(), &running) else { return };
    let mut r = resource(dir.path(), "haproxy", "unused\n");
    r.haproxy_socket = Some(endpoint.clone());
    std::fs::write(&r.dest, haproxy_config(dir.path(), port, &[("a", 9001), ("b", 9002)])).unwrap();
    let live = || async {
        let servers = hecd_haproxy::Runtime::new(endpoint.clone()).servers_state(Some("app")).await;
        let mut names: Vec<String> = servers.unwrap().into_iter().map(|s| s.name).collect();
        names.sort();
        names
    };
    let client = Client::builder().endpoints(["http://127.0.0.1:9"]).build().unwrap();
    let options =
        CycleOptions { command_timeout: Duration::from_secs(30), ..CycleOptions::default() };
    let noop = CycleOptions { noop: true, ..options.clone() };
    Processor::new(client.clone(), noop, Arc::new(Metrics::new()))
        .reconcile(std::slice::from_ref(&r))
        .await;
    assert_eq!(live().await, ["a"], "-noop changes nothing");

    let metrics = Arc::new(Metrics::new());
    let mut processor = Processor::new(client, options, metrics.clone());
    let updates = |n: u32| {
        format!(
            "hecd_confd_runtime_updates_total{{resource=\"{}\",dest=\"{}\"}} {n}\n",
            r.file.display(),
            r.dest.display()
        )
    };
    processor.reconcile(std::slice::from_ref(&r)).await;
    assert_eq!(live().await, ["a", "b"]);
    assert!(metrics.prometheus().contains(&updates(1)), "{}", metrics.prometheus());
    processor.reconcile(std::slice::from_ref(&r)).await;
    assert!(
        metrics.prometheus().contains(&updates(1)),
        "already in sync: {}",
        metrics.prometheus()
    );

    std::fs::write(&r.dest, haproxy_config(dir.path(), port, &[("b", 9002)])).unwrap();
    processor.reconcile(std::slice::from_ref(&r)).await;
    processor.wait_drains().await;
    assert_eq!(live().await, ["b"]);
    assert!(metrics.prometheus().contains(&updates(2)), "{}", metrics.prometheus());
}

/// dest gets the owner the resource names, even when it names only one of uid and gid (run as
/// root; skipped otherwise).
#[tokio::test]
async fn dest_gets_the_uid_or_gid_alone() {
    let dir = tempfile::tempdir().unwrap();
    if std::fs::metadata(dir.path()).unwrap().uid() != 0 {
        eprintln!("SKIPPING: changing a file's owner needs root");
        return;
    }
    let mut u = resource(dir.path(), "u", "u\n");
    u.uid = Some(4321);
    let mut g = resource(dir.path(), "g", "g\n");
    g.gid = Some(4322);
    let client = Client::builder().endpoints(["http://127.0.0.1:9"]).build().unwrap();
    let mut processor = Processor::new(client, CycleOptions::default(), Arc::new(Metrics::new()));
    let report = processor.cycle(&[u.clone(), g.clone()]).await;
    assert_eq!((report.changed, report.failed), (2, 0), "{:?}", report.last_error);
    let (um, gm) = (std::fs::metadata(&u.dest).unwrap(), std::fs::metadata(&g.dest).unwrap());
    assert_eq!((um.uid(), um.gid()), (4321, 0));
    assert_eq!((gm.uid(), gm.gid()), (0, 4322));
}

/// A stage file is removed once it is compared and found the same as dest, unless
/// `keep_stage_file` asks to keep it.
#[tokio::test]
async fn an_unchanged_render_leaves_no_stage_file_unless_asked_to() {
    let dir = tempfile::tempdir().unwrap();
    let r = resource(dir.path(), "r", "r\n");
    let client = Client::builder().endpoints(["http://127.0.0.1:9"]).build().unwrap();
    let mut processor =
        Processor::new(client.clone(), CycleOptions::default(), Arc::new(Metrics::new()));
    processor.cycle(std::slice::from_ref(&r)).await;
    let report = processor.cycle(std::slice::from_ref(&r)).await;
    assert_eq!((report.changed, report.failed), (0, 0));
    assert_eq!(other_files(dir.path(), &[r.dest.as_path()]), Vec::<String>::new());
    let keep = CycleOptions { keep_stage_file: true, ..CycleOptions::default() };
    let mut processor = Processor::new(client, keep, Arc::new(Metrics::new()));
    processor.cycle(std::slice::from_ref(&r)).await;
    let kept = other_files(dir.path(), &[r.dest.as_path()]);
    assert!(kept.len() == 1 && kept[0].starts_with(".r.conf"), "{kept:?}");
}

/// Two backups of one dest get distinct names: one left behind (by a crash between the backup and
/// its removal) does not stop the next.
#[test]
fn backups_of_one_dest_get_distinct_names() {
    let dir = tempfile::tempdir().unwrap();
    let dest = dir.path().join("d.conf");
    std::fs::write(&dest, "d\n").unwrap();
    let stage =
        Stage { path: dir.path().join(".d.conf1"), content_len: 0, content_md5: String::new() };
    let first = stage.backup_dest(&dest).expect("a backup");
    let second = stage.backup_dest(&dest).expect("another backup");
    assert_ne!(first, second);
    for b in [&first, &second] {
        assert_eq!(std::fs::read_to_string(b).unwrap(), "d\n");
        assert!(b.file_name().unwrap().to_string_lossy().starts_with(".d.conf.hecd-prev"));
    }
}
