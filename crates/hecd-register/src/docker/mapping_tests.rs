//! The mapping over inspect JSON recorded from a real engine (`fixtures/register/docker/`,
//! Docker 20.10, API 1.41; see the README there for how each container was started).

use super::*;

fn fixture(name: &str) -> Value {
    let path = format!("{}/../../fixtures/register/docker/{name}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn opts() -> MapOptions {
    MapOptions::new("h1").unwrap()
}

/// Maps a fixture and returns `key=value` lines, or the skip reasons when nothing registers.
#[track_caller]
fn check(file: &str, o: &MapOptions, want: &[&str]) {
    let m = map_container(&fixture(file), o).unwrap_or_else(|e| panic!("{file}: {e}"));
    let got: Vec<String> = m.services.iter().map(|s| format!("{}={}", s.key, s.address)).collect();
    assert_eq!(got, want, "{file}: skipped {:?}", m.skipped);
}

#[track_caller]
fn skipped(file: &str, o: &MapOptions) -> Vec<Skip> {
    let m = map_container(&fixture(file), o).unwrap();
    assert!(m.services.is_empty(), "{file}: {:?}", m.services);
    m.skipped
}

#[test]
fn one_published_port() {
    // docker run --name web -p 127.0.0.1::8080 hecd-bb:1 httpd
    check("web.json", &opts(), &["h1:web:8080=127.0.0.1:32769"]);
    let o = MapOptions { ip: Some("10.0.0.7".into()), ..opts() };
    check("web.json", &o, &["h1:web:8080=10.0.0.7:32769"]);
    let o = MapOptions { layout: Layout::Registrator, ..opts() };
    check("web.json", &o, &["hecd-bb/h1:web:8080=127.0.0.1:32769"]);
}

#[test]
fn several_ports_are_a_group() {
    // -p 127.0.0.1::8080 -p 127.0.0.1::8443 -p 127.0.0.1::5353/udp -e SERVICE_8443_NAME=edge-tls
    check(
        "multi-port.json",
        &opts(),
        &[
            "h1:edge:5353:udp=127.0.0.1:32768",
            "h1:edge:8080=127.0.0.1:32771",
            "h1:edge:8443=127.0.0.1:32770",
        ],
    );
    let o = MapOptions { layout: Layout::Registrator, ..opts() };
    check(
        "multi-port.json",
        &o,
        &[
            "hecd-bb-5353/h1:edge:5353:udp=127.0.0.1:32768",
            "hecd-bb-8080/h1:edge:8080=127.0.0.1:32771",
            // A per-port name is used as is, without the port suffix.
            "edge-tls/h1:edge:8443=127.0.0.1:32770",
        ],
    );
}

#[test]
fn service_env_and_labels() {
    // -e SERVICE_NAME=shop -e SERVICE_9090_IGNORE=1 -l SERVICE_ID=shop-main: 9090 is ignored;
    // 8080 is named by the environment; the id comes from the label, with the port because the
    // container publishes two ports.
    let o = MapOptions { layout: Layout::Registrator, ..opts() };
    check("service-env-labels.json", &o, &["shop-8080/h1:shop-main:8080=127.0.0.1:32773"]);
    let m = map_container(&fixture("service-env-labels.json"), &o).unwrap();
    assert_eq!(m.skipped, [Skip::Ignored]);
    // -l SERVICE_IGNORE=true
    assert_eq!(skipped("service-ignore.json", &opts()), [Skip::Ignored]);
}

#[test]
fn explicit_needs_service_name() {
    let o = MapOptions { explicit: true, ..opts() };
    assert_eq!(skipped("web.json", &o), [Skip::NotExplicit]);
    check("service-env-labels.json", &o, &["h1:shop-main:8080=127.0.0.1:32773"]);
    // Only the port with a per-port name counts.
    check("multi-port.json", &o, &["h1:edge:8443=127.0.0.1:32770"]);
}

#[test]
fn no_ports_and_internal() {
    assert_eq!(skipped("no-ports.json", &opts()), [Skip::NoPorts]);
    // --expose 8080 without -p: nothing published, but registered with --internal.
    assert_eq!(skipped("internal.json", &opts()), [Skip::NoPorts]);
    let o = MapOptions { internal: true, ..opts() };
    check("internal.json", &o, &["h1:internal:8080=172.17.0.8:8080"]);
    check("web.json", &o, &["h1:web:8080=172.17.0.2:8080"]);
    assert_eq!(skipped("no-ports.json", &o), [Skip::NoPorts]);
}

#[test]
fn all_interfaces_need_ip() {
    // -p 8080: bound on 0.0.0.0 and ::.
    let s = skipped("all-interfaces.json", &opts());
    assert!(
        matches!(&s[..], [Skip::Port(p, why)] if p == "8080/tcp" && why.contains("--ip")),
        "{s:?}"
    );
    let o = MapOptions { ip: Some("192.168.1.22".into()), ..opts() };
    check("all-interfaces.json", &o, &["h1:anyif:8080=192.168.1.22:32768"]);
}

#[test]
fn health_gates_registration() {
    assert_eq!(skipped("health-starting.json", &opts()), [Skip::NotHealthy("starting".into())]);
    assert_eq!(skipped("health-unhealthy.json", &opts()), [Skip::NotHealthy("unhealthy".into())]);
    check("health-healthy.json", &opts(), &["h1:checked:8080=127.0.0.1:32775"]);
}

#[test]
fn paused_and_exited() {
    assert_eq!(skipped("paused.json", &opts()), [Skip::Paused]);
    let m = map_container(&fixture("exited-nonzero.json"), &opts()).unwrap();
    assert_eq!((m.skipped, m.exit_code), (vec![Skip::NotRunning], Some(3)));
    assert!(!exited_successfully(3));
    assert!(exited_successfully(0) && exited_successfully(137) && exited_successfully(143));
}

#[test]
fn ownership_is_decided_by_the_key() {
    let o = opts();
    assert!(o.owns("h1:web:8080"));
    assert!(!o.owns("h10:web:8080"));
    assert!(!o.owns("h2:web:8080"));
    assert!(!o.owns("web1"));
    assert!(!o.owns("svc/h1:web:8080"), "flat layout: one segment");
    let r = MapOptions { layout: Layout::Registrator, ..opts() };
    assert!(r.owns("svc/h1:web:8080"));
    assert!(!r.owns("h1:web:8080"));
    assert!(!r.owns("svc/h2:web:8080"));
}

#[test]
fn names_are_haproxy_server_names() {
    assert!(MapOptions::new("bad host").is_err());
    assert!(MapOptions::new("a:b").is_err());
    assert!(MapOptions::new("").is_err());
    assert_eq!(sanitize("a b/c"), "a-b-c");
    assert_eq!(sanitize("_x"), "-x");
    assert_eq!(image_base_name("registry.example:5000/team/shop:1.2"), "shop");
    assert_eq!(image_base_name("shop@sha256:abc"), "shop");
    let json: Value = serde_json::json!({
        "Name": "/w", "State": {"Running": true},
        "Config": {"Image": "x", "Env": ["SERVICE_ID=my id/1"]},
        "NetworkSettings": {"Ports": {"80/tcp": [{"HostIp": "10.0.0.1", "HostPort": "81"}]}}
    });
    let m = map_container(&json, &opts()).unwrap();
    assert_eq!(m.services[0].id, "h1:my-id-1");
}

#[test]
fn host_network_publishes_exposed_ports() {
    let json: Value = serde_json::json!({
        "Name": "/hostnet", "State": {"Running": true},
        "Config": {"Image": "x", "ExposedPorts": {"9000/tcp": {}}},
        "HostConfig": {"NetworkMode": "host"},
        "NetworkSettings": {"Ports": {}}
    });
    let o = MapOptions { ip: Some("10.0.0.2".into()), ..opts() };
    let m = map_container(&json, &o).unwrap();
    assert_eq!(m.services[0].address.to_string(), "10.0.0.2:9000");
}

#[test]
fn not_a_container() {
    assert!(map_container(&serde_json::json!({}), &opts()).is_err());
    assert!(map_container(&serde_json::json!({"Name": "/x"}), &opts()).is_err());
}
