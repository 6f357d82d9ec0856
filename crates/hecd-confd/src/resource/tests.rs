//! Unit tests of resource loading.

use super::*;

#[track_caller]
fn check(toml: &str, prefix: Option<&str>) -> Result<Resource, String> {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("conf.d")).unwrap();
    let file = dir.path().join("conf.d/r.toml");
    std::fs::write(&file, toml).unwrap();
    load(&file, dir.path(), prefix).map_err(|e| e.to_string())
}

#[test]
fn keys_and_prefixes() {
    let r = check(
        "[template]\nsrc='a.tmpl'\ndest='/o/a'\nprefix='app/'\nkeys=['servers','/x']\n",
        None,
    )
    .unwrap();
    assert_eq!(r.prefix, "/app/");
    assert_eq!(r.keys, ["/app/servers", "/app/x"]);
    let r = check(
        "[template]\nsrc='a.tmpl'\ndest='/o/a'\nprefix='/app'\nkeys=['/servers']\n",
        Some("prod"),
    )
    .unwrap();
    assert_eq!(r.keys, ["/prod/servers"]);
}

#[test]
fn modes() {
    assert_eq!(parse_mode("0644"), Some(0o644));
    assert_eq!(parse_mode("644"), Some(0o644));
    assert_eq!(parse_mode("0o600"), Some(0o600));
    assert_eq!(parse_mode("0x1a4"), Some(0o644));
    assert_eq!(parse_mode("rw"), None);
    assert_eq!(parse_mode("99999"), None);
}

#[test]
fn bad_files_name_themselves() {
    let e = check("[template]\nsrc='a\n'\n", None).unwrap_err();
    assert!(e.starts_with("Cannot process template resource "), "{e}");
    assert!(e.contains("r.toml"), "{e}");
    let e = check("[template]\ndest='/x'\n", None).unwrap_err();
    assert!(e.ends_with("empty src template"), "{e}");
    let e = check("[template]\nsrc='a'\ndest='/x'\nmode='rw'\n", None).unwrap_err();
    assert!(e.ends_with("invalid mode \"rw\""), "{e}");
}

#[test]
fn guards_and_timeouts() {
    let r = check(
        "[template]\nsrc='a'\ndest='/x'\nmin_keys=2\nallow_empty=true\ncommand_timeout='5s'\n",
        None,
    )
    .unwrap();
    assert_eq!(r.min_keys, 2);
    assert!(r.allow_empty);
    assert_eq!(r.command_timeout, Some(Duration::from_secs(5)));
}

#[test]
fn haproxy_socket_and_drain_timeout() {
    let base = "[template]\nsrc='a.tmpl'\ndest='/o/a'\n";
    let r = check(base, None).unwrap();
    assert_eq!(r.haproxy_socket, None);
    assert_eq!(r.drain_timeout, DEFAULT_DRAIN_TIMEOUT);
    let r = check(
        &format!("{base}haproxy_socket='/run/haproxy/admin.sock'\ndrain_timeout='1m30s'\n"),
        None,
    )
    .unwrap();
    assert_eq!(
        r.haproxy_socket,
        Some(hecd_haproxy::Endpoint::Unix("/run/haproxy/admin.sock".into()))
    );
    assert_eq!(r.drain_timeout, Duration::from_secs(90));
    let r = check(&format!("{base}haproxy_socket='tcp://127.0.0.1:9999'\n"), None).unwrap();
    assert_eq!(
        r.haproxy_socket,
        Some(hecd_haproxy::Endpoint::Tcp("127.0.0.1:9999".parse().unwrap()))
    );
    let e = check(&format!("{base}haproxy_socket='admin.sock'\n"), None).unwrap_err();
    assert!(e.contains("invalid HAProxy runtime API address \"admin.sock\""), "{e}");
    let e = check(&format!("{base}drain_timeout='soon'\n"), None).unwrap_err();
    assert!(e.contains("invalid drain_timeout \"soon\""), "{e}");
}
