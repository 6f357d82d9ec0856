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
