//! Table tests of address parsing.

use super::*;

#[track_caller]
fn check(input: &str, expect: Result<&str, &str>) {
    match (Address::parse(input), expect) {
        (Ok(a), Ok(e)) => assert_eq!(a.to_string(), e, "{input}"),
        (Err(err), Err(reason)) => {
            let text = err.to_string();
            assert!(text.contains(reason), "{input}: {text}");
        }
        (got, want) => panic!("{input}: got {got:?}, want {want:?}"),
    }
}

#[test]
fn addresses() {
    check("10.0.0.1:80", Ok("10.0.0.1:80"));
    check("[fd00::1]:8080", Ok("[fd00::1]:8080"));
    check("[::1]:1", Ok("[::1]:1"));
    check("web-1.example.com:65535", Ok("web-1.example.com:65535"));
    check("localhost:443", Ok("localhost:443"));
    check("10.0.0.1", Err("expected HOST:PORT"));
    check("10.0.0.1:0", Err("between 1 and 65535"));
    check("10.0.0.1:65536", Err("between 1 and 65535"));
    check("10.0.0.1:http", Err("must be a number"));
    check("fd00::1:80", Err("in brackets"));
    check("[fd00::zz]:80", Err("not an IPv6 address"));
    check("[fd00::1]80", Err("expected [IPv6]:PORT"));
    check("300.1.1.1:80", Err("not a valid IPv4"));
    check("bad_host:80", Err("valid hostname"));
    check("-bad.example:80", Err("valid hostname"));
    check(":80", Err("host is empty"));
}

#[test]
fn host_and_port_separately() {
    assert_eq!(Address::new("::1", "80").unwrap().to_string(), "[::1]:80");
    assert_eq!(Address::new("[::1]", "80").unwrap().to_string(), "[::1]:80");
    assert!(Address::new("10.0.0.1", "0").is_err());
}
