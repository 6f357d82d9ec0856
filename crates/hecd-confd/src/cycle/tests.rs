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
    while !rendered(dir.path(), "second") {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
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
    while lines(&order).is_empty() {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    answer("a");
    while lines(&order).len() < 2 {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    // b's turn has just come; d, rendered now, waits for it.
    answer("d");
    until_rendered(dir.path(), "d").await;
    answer("b");
    let report = cycle.await.unwrap();
    assert_eq!((report.failed, report.changed), (0, 4), "{:?}", report.last_error);
    assert_eq!(lines(&order), ["c", "a", "b", "d"]);
}
