//! `lookupIP`, `lookupIPV4`, `lookupIPV6` (system resolver) and `lookupSRV` (a small DNS
//! query, see [`crate::dns`]). Failures yield empty lists, as in confd.

use std::net::{IpAddr, ToSocketAddrs};

use hecd_template::{FuncMap, Function, Kind, Record, Signature, Type, Value};

use super::{text, ConfdTypes};
use crate::dns;

/// Registers the lookup functions.
pub(super) fn register(m: &mut FuncMap, types: &ConfdTypes, resolver: Option<dns::Resolver>) {
    let s = Type::string;
    let t = types.clone();
    m.insert(
        "lookupIP",
        Function::new(Signature::new([s()]), move |a| Ok(t.string_list(lookup_ip(&text(&a[0]))))),
    );
    let t = types.clone();
    m.insert(
        "lookupIPV4",
        Function::new(Signature::new([s()]), move |a| Ok(t.string_list(filter(&text(&a[0]), '.')))),
    );
    let t = types.clone();
    m.insert(
        "lookupIPV6",
        Function::new(Signature::new([s()]), move |a| Ok(t.string_list(filter(&text(&a[0]), ':')))),
    );
    let t = types.clone();
    m.insert(
        "lookupSRV",
        Function::new(Signature::new([s(), s(), s()]), move |a| {
            let (service, proto, name) = (text(&a[0]), text(&a[1]), text(&a[2]));
            let records = match &resolver {
                Some(r) => r.lookup_srv(&service, &proto, &name),
                None => dns::lookup_srv(&service, &proto, &name),
            }
            .unwrap_or_default();
            let items = records
                .into_iter()
                .map(|r| {
                    let fields = vec![
                        Value::from(r.target),
                        Value::Uint(r.port.into(), Kind::Uint16),
                        Value::Uint(r.priority.into(), Kind::Uint16),
                        Value::Uint(r.weight.into(), Kind::Uint16),
                    ];
                    Value::record(Record::new(t.srv.clone(), fields))
                })
                .collect();
            Ok(Value::list(t.srv_list.clone(), items))
        }),
    );
}

/// Go's `net.IP.String`: IPv4-mapped IPv6 addresses print as dotted quads.
pub(crate) fn go_ip_string(ip: IpAddr) -> String {
    match ip {
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => v4.to_string(),
            None => v6.to_string(),
        },
        IpAddr::V4(v4) => v4.to_string(),
    }
}

/// `lookupIP`: the host's addresses as strings, sorted as strings; IP literals resolve
/// to themselves; any failure gives an empty list.
pub(crate) fn lookup_ip(host: &str) -> Vec<String> {
    let mut out: Vec<String> = if let Ok(ip) = host.parse::<IpAddr>() {
        vec![go_ip_string(ip)]
    } else if host.is_empty() {
        Vec::new()
    } else {
        match (host, 0u16).to_socket_addrs() {
            Ok(addrs) => addrs.map(|a| go_ip_string(a.ip())).collect(),
            Err(_) => Vec::new(),
        }
    };
    out.sort();
    out.dedup();
    out
}

fn filter(host: &str, marker: char) -> Vec<String> {
    lookup_ip(host).into_iter().filter(|a| a.contains(marker)).collect()
}
