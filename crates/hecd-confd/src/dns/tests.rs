//! `lookupSRV` against a fake DNS server on loopback.

use std::net::{SocketAddr, UdpSocket};
use std::time::Duration;

use super::{lookup_srv_with, Srv};

/// Answers one query with the given SRV records (target names compressed against the
/// question where possible) and then exits.
fn serve_once(
    records: Vec<(u16, u16, u16, &'static str)>,
    rcode: u8,
) -> (SocketAddr, std::thread::JoinHandle<String>) {
    let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
    let addr = socket.local_addr().unwrap();
    let handle = std::thread::spawn(move || {
        let mut buf = [0u8; 512];
        let (n, peer) = socket.recv_from(&mut buf).unwrap();
        let query = &buf[..n];
        // Decode the question name for the test to inspect.
        let mut name = String::new();
        let mut pos = 12;
        while query[pos] != 0 {
            let len = usize::from(query[pos]);
            name.push_str(std::str::from_utf8(&query[pos + 1..pos + 1 + len]).unwrap());
            name.push('.');
            pos += 1 + len;
        }
        let question_end = pos + 5;
        let mut reply = query[..question_end].to_vec();
        reply[2] = 0x81;
        reply[3] = 0x80 | rcode;
        reply[6..8].copy_from_slice(&(records.len() as u16).to_be_bytes());
        for (priority, weight, port, target) in &records {
            reply.extend_from_slice(&[0xc0, 12]); // name: pointer to the question
            reply.extend_from_slice(&[0, 33, 0, 1, 0, 0, 0, 60]);
            let mut rdata = Vec::new();
            for v in [priority, weight, port] {
                rdata.extend_from_slice(&v.to_be_bytes());
            }
            for label in target.trim_end_matches('.').split('.') {
                rdata.push(label.len() as u8);
                rdata.extend_from_slice(label.as_bytes());
            }
            rdata.push(0);
            reply.extend_from_slice(&(rdata.len() as u16).to_be_bytes());
            reply.extend_from_slice(&rdata);
        }
        socket.send_to(&reply, peer).unwrap();
        name
    });
    (addr, handle)
}

#[test]
fn srv_records_are_sorted_by_confd_key() {
    let (addr, server) =
        serve_once(vec![(10, 5, 8080, "web2.example.com"), (20, 1, 80, "web1.example.com")], 0);
    let got =
        lookup_srv_with(&[addr], "http", "tcp", "example.com", Duration::from_secs(5)).unwrap();
    assert_eq!(server.join().unwrap(), "_http._tcp.example.com.");
    assert_eq!(
        got,
        vec![
            Srv { target: "web1.example.com.".into(), port: 80, priority: 20, weight: 1 },
            Srv { target: "web2.example.com.".into(), port: 8080, priority: 10, weight: 5 },
        ]
    );
}

#[test]
fn bare_name_and_errors() {
    let (addr, server) = serve_once(vec![], 3);
    let got = lookup_srv_with(&[addr], "", "", "svc.example.com", Duration::from_secs(5));
    assert_eq!(server.join().unwrap(), "svc.example.com.");
    assert!(got.is_err());
}
