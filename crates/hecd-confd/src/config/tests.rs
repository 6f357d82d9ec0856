//! Unit tests of the settings merge.

use std::time::Duration;

use super::*;

#[track_caller]
fn check(args: &[&str], env: &[(&str, &str)]) -> Config {
    let lookup = |name: &str| env.iter().find(|(k, _)| *k == name).map(|(_, v)| (*v).to_owned());
    let mut all = vec!["-config-file", "/nonexistent/confd.toml"];
    all.extend_from_slice(args);
    match from_args(all, &lookup).expect("valid") {
        Invocation::Run(c) => *c,
        other => panic!("not a run: {other:?}"),
    }
}

#[test]
fn seed_command_line() {
    let c =
        check(&["-verbose", "-interval", "10", "-node", "127.0.0.1:4001", "-confdir", "/d"], &[]);
    assert_eq!(c.nodes, ["http://127.0.0.1:4001"]);
    assert_eq!(c.mode, Mode::Interval(Duration::from_secs(10)));
    assert_eq!(c.confdir, PathBuf::from("/d"));
}

#[test]
fn onetime_wins_and_env_fills_in() {
    let c = check(
        &["-watch", "-onetime"],
        &[("CONFD_PREFIX", "/p"), ("ETCDCTL_PEERS", "http://a:1,http://b:2")],
    );
    assert_eq!(c.mode, Mode::Onetime);
    assert_eq!(c.prefix.as_deref(), Some("/p"));
    assert_eq!(c.nodes, ["http://a:1", "http://b:2"]);
    let c = check(&["-prefix", "/flag"], &[("CONFD_PREFIX", "/p")]);
    assert_eq!(c.prefix.as_deref(), Some("/flag"));
}

#[test]
fn file_is_below_flags() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("confd.toml");
    std::fs::write(
        &file,
        "prefix = \"/file\"\nnoop = true\nnodes = [\"http://f:1\"]\nwait = \"0:0\"\n",
    )
    .unwrap();
    let f = file.to_str().unwrap();
    let c = check(&["-config-file", f, "-prefix", "/flag"], &[]);
    assert_eq!(c.prefix.as_deref(), Some("/flag"));
    assert!(c.noop);
    assert_eq!(c.nodes, ["http://f:1"]);
    assert_eq!(c.wait, Quiescence { min: Duration::ZERO, max: Duration::ZERO });
}

#[test]
fn invalid_settings() {
    let none = |_: &str| None;
    let err = |args: &[&str]| from_args(args.iter().copied(), &none).unwrap_err().to_string();
    assert_eq!(err(&["-log-level", "bogus"]), "not a valid level: \"bogus\"");
    assert_eq!(err(&["-debug"]), "flag provided but not defined: -debug");
    assert!(err(&["-backend", "consul"]).contains("consul"));
}

#[test]
fn quiescence_windows() {
    let q = |s: &str| Quiescence::parse(s).map_err(|e| e.to_string());
    assert_eq!(
        q("50ms:2s"),
        Ok(Quiescence { min: Duration::from_millis(50), max: Duration::from_secs(2) })
    );
    assert_eq!(
        q("100ms"),
        Ok(Quiescence { min: Duration::from_millis(100), max: Duration::from_millis(400) })
    );
    assert_eq!(q("0"), Ok(Quiescence { min: Duration::ZERO, max: Duration::ZERO }));
    assert_eq!(
        q("2s:1s"),
        Err("invalid value \"2s:1s\" for wait: max is shorter than min".to_owned())
    );
    assert!(q("soon").is_err());
}

#[test]
fn log_levels_use_logrus_names() {
    assert_eq!(LogLevel::parse("warn").unwrap(), LogLevel::Warning);
    assert_eq!(LogLevel::parse("DEBUG").unwrap(), LogLevel::Debug);
    assert!(LogLevel::parse("verbose").is_err());
}
