//! Black-box tests of `from_inspect` over the `docker inspect` fixtures in `fixtures/register/`.

// Tests, benchmarks, examples, binaries and xtask may unwrap and print; libraries may not.
#![allow(clippy::unwrap_used, clippy::print_stdout)]

use hecd_register::from_inspect;

fn fixture(name: &str) -> String {
    let path = format!("{}/../../fixtures/register/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

#[track_caller]
fn check(file: &str, port: Option<&str>, host: Option<&str>, expect: Result<(&str, &str), &str>) {
    let got = from_inspect(&fixture(file), port, host);
    match (got, expect) {
        (Ok(i), Ok((name, addr))) => {
            assert_eq!((i.name.as_str(), i.address.to_string().as_str()), (name, addr))
        }
        (Err(e), Err(msg)) => assert!(e.to_string().contains(msg), "{file}: {e}"),
        (got, want) => panic!("{file}: got {got:?}, want {want:?}"),
    }
}

#[test]
fn all_interfaces_needs_a_host() {
    check(
        "web-all-interfaces.json",
        Some("80"),
        Some("192.168.1.22"),
        Ok(("web1", "192.168.1.22:49153")),
    );
    check("web-all-interfaces.json", None, Some("10.0.0.5"), Ok(("web1", "10.0.0.5:49153")));
    check("web-all-interfaces.json", Some("80"), None, Err("on all interfaces"));
}

#[test]
fn bound_ip_is_used() {
    check("api-bound-ip.json", Some("8080"), None, Ok(("api", "192.168.1.22:32770")));
    check(
        "api-bound-ip.json",
        Some("8080/tcp"),
        Some("api.example"),
        Ok(("api", "api.example:32770")),
    );
    check(
        "api-bound-ip.json",
        Some("80"),
        None,
        Err("does not publish 80/tcp (it publishes 8080/tcp)"),
    );
}

#[test]
fn several_ports_need_a_choice() {
    check("multi-port.json", None, Some("h"), Err("several ports"));
    check("multi-port.json", Some("443"), Some("10.0.0.9"), Ok(("edge", "10.0.0.9:32801")));
    check("multi-port.json", Some("53/udp"), Some("10.0.0.9"), Ok(("edge", "10.0.0.9:32802")));
    check("multi-port.json", Some("9000"), Some("10.0.0.9"), Err("not bound to a host port"));
}

#[test]
fn stopped_container_uses_port_bindings() {
    check("stopped.json", None, None, Ok(("worker", "10.1.2.3:5000")));
}

#[test]
fn malformed_input() {
    for (json, msg) in [
        ("not json", "not JSON"),
        ("[]", "0 containers"),
        ("[{}, {}]", "2 containers"),
        ("[{\"Id\": \"x\"}]", "no \"Name\""),
        ("[{\"Name\": \"/x\", \"NetworkSettings\": {\"Ports\": {}}}]", "publishes no ports"),
        ("42", "expected the JSON array"),
    ] {
        let e = from_inspect(json, None, Some("h")).unwrap_err().to_string();
        assert!(e.contains(msg), "{json}: {e}");
    }
}
