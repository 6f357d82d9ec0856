//! Tests of the harness helpers.

use super::*;

#[test]
fn free_ports_are_distinct_and_bindable() {
    let ports = free_ports(3);
    assert_eq!(ports.len(), 3);
    assert!(ports[0] != ports[1] && ports[1] != ports[2] && ports[0] != ports[2]);
    for p in ports {
        TcpListener::bind(("127.0.0.1", p)).expect("port is free");
    }
}

#[test]
fn wait_until_returns_value_or_times_out() {
    let mut n = 0;
    assert_eq!(
        wait_until("n to reach 3", Duration::from_secs(5), || {
            n += 1;
            (n >= 3).then_some(n)
        }),
        Ok(3)
    );
    let err = wait_until::<()>("never", Duration::from_millis(20), || None).unwrap_err();
    assert!(err.contains("waiting for never"), "{err}");
}

#[test]
fn proc_captures_output_and_exit() {
    let mut cmd = Command::new("sh");
    cmd.args(["-c", "echo ready; echo oops >&2; exit 3"]);
    let mut p = Proc::spawn("sh", cmd).unwrap();
    let st = p.wait_exit(Duration::from_secs(10)).unwrap();
    assert_eq!(st.code(), Some(3));
    p.wait_for_log("oops", Duration::from_secs(10)).unwrap();
    assert!(p.log().contains("ready"));
}

#[test]
fn dechunk_joins_chunks() {
    assert_eq!(dechunk("3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n"), "abcde");
}
