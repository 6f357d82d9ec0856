//! Every refused combination of `hecd-register`'s flags, and the plans of the accepted ones.

use clap::Parser;

use super::*;

fn cli(args: &[&str]) -> Cli {
    let argv = ["hecd-register", "--endpoints", "127.0.0.1:2379"].iter().chain(args);
    Cli::try_parse_from(argv).unwrap()
}

fn no_file(_: &str) -> std::io::Result<String> {
    Err(std::io::Error::new(std::io::ErrorKind::NotFound, "No such file or directory"))
}

fn host() -> Option<String> {
    Some("node1".into())
}

fn plan(args: &[&str]) -> Result<Plan, CliError> {
    cli(args).plan(no_file, host)
}

#[track_caller]
fn refused(args: &[&str], message: &str) {
    let c = cli(args);
    let err = c.registrar().and_then(|_| c.plan(no_file, host)).unwrap_err();
    assert_eq!((err.exit_code(), err.to_string().as_str()), (2, message), "{args:?}");
}

#[test]
fn client_flags_refused() {
    for t in ["--timeout=0", "--timeout=-1", "--timeout=NaN", "--timeout=inf"] {
        refused(&[t, "ls"], "--timeout must be a positive number of seconds");
    }
    refused(
        &["--username", "root", "ls"],
        "--username needs a password (USER:PASSWORD or --password)",
    );
    refused(&["--password", "secret", "ls"], "--password needs --username");
    refused(&["--prefix", "app", "ls"], "invalid prefix \"app\": it must start with '/'");
}

#[test]
fn client_flags_accepted() {
    assert!(cli(&["--username", "root:pw", "ls"]).registrar().is_ok());
    assert!(cli(&["--username", "root", "--password", "pw", "ls"]).registrar().is_ok());
    assert!(cli(&["--timeout", "0.5", "ls"]).registrar().is_ok());
}

#[test]
fn endpoints_precedence() {
    let c = Cli::try_parse_from(["hecd-register", "ls"]).unwrap();
    if c.endpoints.is_none() {
        assert_eq!(c.endpoints(Some("a:1,b:2")), ["a:1", "b:2"]);
        assert_eq!(c.endpoints(None), ["http://127.0.0.1:2379", "http://127.0.0.1:4001"]);
    }
    assert_eq!(cli(&["ls"]).endpoints(Some("a:1")), ["127.0.0.1:2379"]);
}

#[test]
fn add_refused() {
    refused(&["add"], "the container NAME is required");
    refused(&["add", "web1"], "give the address as HOST:PORT, or --host and --port");
    refused(&["add", "web1", "--host", "h"], "give the address as HOST:PORT, or --host and --port");
    refused(
        &["add", "web1", "1.2.3.4:80", "--port", "81"],
        "give either HOST:PORT or --host/--port, not both",
    );
    refused(
        &["add", "--from-inspect", "nope.json"],
        "cannot read nope.json: No such file or directory",
    );
    let bad_name = plan(&["add", "a/b", "1.2.3.4:80"]).unwrap_err();
    assert_eq!(bad_name.exit_code(), 2);
    assert!(bad_name.to_string().starts_with("invalid name \"a/b\""), "{bad_name}");
    let bad_address = plan(&["add", "web1", "1.2.3.4"]).unwrap_err();
    assert_eq!(bad_address.exit_code(), 2);
    assert!(bad_address.to_string().starts_with("invalid address"), "{bad_address}");
    let inspect = cli(&["add", "--from-inspect", "-"]).plan(|_| Ok("[]".into()), host).unwrap_err();
    assert_eq!(inspect.exit_code(), 2);
    assert!(inspect.to_string().starts_with("docker inspect output: "), "{inspect}");
}

#[test]
fn add_planned() {
    let Plan::Add { registration, ttl, no_overwrite } = plan(&[
        "add",
        "web1",
        "--host",
        "10.0.0.7",
        "--port",
        "8080",
        "--ttl",
        "30",
        "--no-overwrite",
    ])
    .unwrap() else {
        panic!("not an add");
    };
    assert_eq!(
        (registration.name(), registration.address().to_string().as_str()),
        ("web1", "10.0.0.7:8080")
    );
    assert_eq!((ttl, no_overwrite), (Some(30), true));
}

#[test]
fn run_refused() {
    refused(&["run", "web1"], "give the address as HOST:PORT, or --host and --port");
    for (flag, v) in [("--refresh", "0"), ("--refresh", "-2"), ("--check-interval", "NaN")] {
        refused(
            &["run", "web1", "1.2.3.4:80", &format!("{flag}={v}")],
            &format!("{flag} must be a positive number of seconds"),
        );
    }
    refused(&["run", "web1", "1.2.3.4:80", "--ttl", "0"], "--ttl must be at least 1 second");
    refused(
        &["run", "web1", "1.2.3.4:80", "--ttl", "5", "--refresh", "5"],
        "the refresh interval (5s) must be shorter than the TTL (5s)",
    );
    let bad_url = plan(&["run", "web1", "1.2.3.4:80", "--check-http", "ftp://x/"]).unwrap_err();
    assert_eq!(bad_url.exit_code(), 2);
    let both = Cli::try_parse_from([
        "hecd-register",
        "run",
        "web1",
        "1.2.3.4:80",
        "--check-http",
        "http://x/",
        "--check-tcp",
    ]);
    assert!(both.is_err());
}

#[test]
fn run_planned() {
    let Plan::Run { registration, options } =
        plan(&["run", "web1", "1.2.3.4:80", "--ttl", "30", "--refresh", "1", "--check-tcp"])
            .unwrap()
    else {
        panic!("not a run");
    };
    assert_eq!(registration.name(), "web1");
    assert_eq!(options.check, Check::Tcp("1.2.3.4:80".into()));
    assert_eq!(
        (options.refresh, options.check_interval),
        (Duration::from_secs(1), Duration::from_secs(1))
    );
}

#[test]
fn docker_refused() {
    let no_host = cli(&["docker"]).plan(no_file, || None).unwrap_err();
    assert_eq!(no_host, CliError::usage("cannot read the host name; give --hostname"));
    refused(&["docker", "--ttl-refresh", "3"], "--ttl-refresh needs --ttl");
    refused(
        &["docker", "--ttl", "9", "--ttl-refresh", "0"],
        "--ttl-refresh must be a positive number of seconds",
    );
    refused(&["docker", "--resync", "0"], "--resync must be a positive number of seconds");
    refused(&["docker", "--ttl", "0"], "--ttl must be at least 1 second");
    refused(
        &["docker", "--ttl", "3", "--ttl-refresh", "3"],
        "--ttl-refresh (3s) must be shorter than --ttl (3s)",
    );
    refused(
        &["docker", "--docker-host", "ssh://x"],
        "docker host \"ssh://x\": expected unix:///PATH or tcp://HOST:PORT",
    );
    let bad_ip = plan(&["docker", "--ip", "no host"]).unwrap_err();
    assert_eq!(bad_ip.exit_code(), 2);
    assert!(Cli::try_parse_from(["hecd-register", "docker", "--layout", "tree"]).is_err());
    assert!(Cli::try_parse_from(["hecd-register", "docker", "--deregister", "never"]).is_err());
}

#[test]
fn docker_planned() {
    let Plan::Docker { engine, options } = plan(&[
        "docker",
        "--docker-host",
        "tcp://127.0.0.1:2375",
        "--layout",
        "registrator",
        "--ttl",
        "30",
        "--deregister",
        "on-success",
        "--cleanup",
    ])
    .unwrap() else {
        panic!("not docker");
    };
    assert_eq!(engine.host(), "tcp://127.0.0.1:2375");
    assert_eq!(options.map.layout, Layout::Registrator);
    assert_eq!(options.deregister, Deregister::OnSuccess);
    assert_eq!((options.ttl, options.ttl_refresh), (Some(30), Duration::from_secs(10)));
    assert!(options.cleanup);
}

#[test]
fn store_errors_exit_1() {
    let e = CliError::from(Error::NotRegistered { key: "/app/servers/x".into() });
    assert_eq!((e.exit_code(), e.to_string().as_str()), (1, "/app/servers/x is not registered"));
}

#[test]
fn entries_formatted() {
    let entries = [
        Entry {
            name: "web1".into(),
            key: "/app/servers/web1".into(),
            value: "10.0.0.1:80".into(),
            ttl: None,
            modified_index: 1,
        },
        Entry {
            name: "w2".into(),
            key: "/app/servers/w2".into(),
            value: "1.2.3.4:5".into(),
            ttl: Some(7),
            modified_index: 2,
        },
    ];
    assert_eq!(
        format_entries(&entries, OutputFormat::Table),
        "NAME  ADDRESS      TTL\nweb1  10.0.0.1:80  -\nw2    1.2.3.4:5    7s\n"
    );
    assert_eq!(format_entries(&[], OutputFormat::Table), "NAME  ADDRESS  TTL\n");
    assert!(format_entries(&entries, OutputFormat::Json).starts_with("[\n  {\n"));
}
