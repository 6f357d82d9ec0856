//! Option checks and the store listing walk of the follow loop (the loop itself runs against
//! a real engine and store in `tests/e2e/docker.rs`).

use super::*;

fn opts() -> DockerOptions {
    DockerOptions::new(MapOptions::new("h1").unwrap(), "/app/servers/")
}

#[test]
fn options() {
    let o = opts();
    assert_eq!(o.prefix, "/app/servers");
    o.validate().unwrap();
    let bad = |o: DockerOptions, msg: &str| {
        let e = o.validate().unwrap_err().to_string();
        assert!(e.contains(msg), "{e}");
    };
    bad(DockerOptions { ttl: Some(0), ..opts() }, "at least 1 second");
    bad(
        DockerOptions { ttl: Some(3), ttl_refresh: Duration::from_secs(3), ..opts() },
        "shorter than --ttl",
    );
    bad(DockerOptions { resync: Some(Duration::ZERO), ..opts() }, "positive");
    bad(DockerOptions::new(MapOptions::new("h1").unwrap(), "app"), "must start with '/'");
    DockerOptions { ttl: Some(3), ttl_refresh: Duration::from_secs(1), ..opts() }
        .validate()
        .unwrap();
}

#[test]
fn listing_leaves() {
    let json = r#"{"key":"/s","dir":true,"nodes":[
        {"key":"/s/h1:a:80","value":"10.0.0.1:1"},
        {"key":"/s/web","dir":true,"nodes":[{"key":"/s/web/h1:b:80","value":"10.0.0.1:2"}]},
        {"key":"/s/empty","dir":true}
    ]}"#;
    let node: Node = serde_json::from_str(json).unwrap();
    let mut out = BTreeMap::new();
    collect_leaves(node, &mut out);
    let got: Vec<(&str, &str)> = out.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    assert_eq!(got, [("/s/h1:a:80", "10.0.0.1:1"), ("/s/web/h1:b:80", "10.0.0.1:2")]);
}
