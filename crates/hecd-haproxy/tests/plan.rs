//! The planner as a table: (old file, new file) → the plan, written as one line.

// Tests, benchmarks, examples, binaries and xtask may unwrap and print; libraries may not.
#![allow(clippy::unwrap_used, clippy::print_stdout)]

use hecd_haproxy::{config, plan, Plan};

const BASE: &str = "\
global
    maxconn 1024
    stats socket /run/admin.sock mode 600 level admin

defaults
    mode http
    timeout connect 1s

frontend fe
    bind 127.0.0.1:8080
    default_backend be_app

backend be_app
    balance roundrobin
    server web1 10.0.0.1:8080 check inter 500ms fall 2 rise 2
    server web2 10.0.0.2:8080 check inter 500ms fall 2 rise 2
";

/// The plan as one line: `runtime: op; op` (or `runtime: nothing`) or `reload(label): reason`.
fn show(old: &str, new: &str) -> String {
    match plan(&config::parse(old), &config::parse(new)) {
        Plan::Runtime(ops) if ops.is_empty() => "runtime: nothing".into(),
        Plan::Runtime(ops) => {
            format!(
                "runtime: {}",
                ops.iter().map(ToString::to_string).collect::<Vec<_>>().join("; ")
            )
        }
        Plan::Reload(r) => format!("reload({}): {r}", r.label()),
    }
}

fn edit(from: &str, to: &str) -> String {
    assert!(BASE.contains(from), "{from:?} not in BASE");
    BASE.replacen(from, to, 1)
}

#[test]
fn table() {
    let web1 = "    server web1 10.0.0.1:8080 check inter 500ms fall 2 rise 2\n";
    let web3 = "    server web3 10.0.0.3:8080 check inter 500ms fall 2 rise 2\n";
    let cases: Vec<(&str, String, String, &str)> = vec![
        ("identical", BASE.into(), BASE.into(), "runtime: nothing"),
        (
            "comments, blank lines and spacing only",
            BASE.into(),
            format!("# rendered by hecd-confd\n{}\n\n# end\n", BASE.replace("    ", "\t").replace("maxconn 1024", "maxconn   1024 # max")),
            "runtime: nothing",
        ),
        (
            "reordered servers",
            BASE.into(),
            edit(web1, "").replace("rise 2\n", &format!("rise 2\n{web1}")),
            "runtime: nothing",
        ),
        ("server added", BASE.into(), format!("{BASE}{web3}"), "runtime: add be_app/web3 10.0.0.3:8080"),
        ("server removed", BASE.into(), edit(web1, ""), "runtime: remove be_app/web1"),
        (
            "address and port changed",
            BASE.into(),
            edit("10.0.0.1:8080", "10.0.0.9:9090"),
            "runtime: set be_app/web1 addr 10.0.0.9 port 9090",
        ),
        ("weight added", BASE.into(), edit("fall 2 rise 2\n", "fall 2 rise 2 weight 20\n"), "runtime: set be_app/web1 weight 20"),
        (
            "add, change and remove together: adds first, removes last",
            BASE.into(),
            format!("{}{web3}", edit(web1, "").replace("10.0.0.2:8080", "10.0.0.2:8081")),
            "runtime: add be_app/web3 10.0.0.3:8080; set be_app/web2 addr 10.0.0.2 port 8081; remove be_app/web1",
        ),
        (
            "frontend changed",
            BASE.into(),
            edit("bind 127.0.0.1:8080", "bind 127.0.0.1:8081"),
            "reload(line): frontend fe: 'bind 127.0.0.1:8081' added or changed",
        ),
        (
            "acl added",
            BASE.into(),
            edit("    default_backend", "    acl is_api path_beg /api\n    default_backend"),
            "reload(line): frontend fe: 'acl is_api path_beg /api' added or changed",
        ),
        (
            "default-server added",
            BASE.into(),
            edit("    balance roundrobin\n", "    balance roundrobin\n    default-server inter 1s\n"),
            "reload(line): backend be_app: 'default-server inter 1s' added or changed",
        ),
        (
            "server-template changed",
            format!("{BASE}    server-template s 3 10.0.1.1:80\n"),
            format!("{BASE}    server-template s 4 10.0.1.1:80\n"),
            "reload(line): backend be_app: 'server-template s 4 10.0.1.1:80' added or changed",
        ),
        (
            "backend renamed",
            BASE.into(),
            edit("\nbackend be_app", "\nbackend be_web").replace("default_backend be_app", "default_backend be_web"),
            "reload(sections): sections changed: [global, defaults, frontend fe, backend be_app] -> [global, defaults, frontend fe, backend be_web]",
        ),
        (
            "server added to a backend with default-server",
            edit("    balance roundrobin\n", "    balance roundrobin\n    default-server check\n"),
            format!("{}{web3}", edit("    balance roundrobin\n", "    balance roundrobin\n    default-server check\n")),
            "reload(server): server be_app/web3: its backend has 'default-server' settings, which 'add server' does not apply",
        ),
        (
            "server added under a defaults section with default-server",
            edit("    mode http\n", "    mode http\n    default-server inter 1s\n"),
            format!("{}{web3}", edit("    mode http\n", "    mode http\n    default-server inter 1s\n")),
            "reload(server): server be_app/web3: its backend has 'default-server' settings, which 'add server' does not apply",
        ),
        (
            "server with a keyword add server refuses",
            BASE.into(),
            format!("{BASE}    server web3 10.0.0.3:8080 check cookie w3\n"),
            "reload(server): server be_app/web3: keyword 'cookie' is not accepted by 'add server'",
        ),
        (
            "server keywords changed",
            BASE.into(),
            edit("fall 2 rise 2\n", "fall 3 rise 2\n"),
            "reload(server): server be_app/web1: keywords changed from 'check inter 500ms fall 2 rise 2' to 'check inter 500ms fall 3 rise 2'",
        ),
        (
            "host name address",
            BASE.into(),
            format!("{BASE}    server web3 web3.internal:8080 check\n"),
            "reload(server): server be_app/web3: address web3.internal:8080 is not an IP address",
        ),
        (
            "address without a port",
            BASE.into(),
            format!("{BASE}    server web3 10.0.0.3 check\n"),
            "reload(server): server be_app/web3: address 10.0.0.3 has no plain port",
        ),
        (
            "static-rr backend",
            edit("balance roundrobin", "balance static-rr"),
            format!("{}{web3}", edit("balance roundrobin", "balance static-rr")),
            "reload(server): server be_app/web3: its backend balances with static-rr, which is not dynamic",
        ),
        (
            "map-based hashing",
            edit("balance roundrobin", "balance source"),
            format!("{}{web3}", edit("balance roundrobin", "balance source")),
            "reload(server): server be_app/web3: its backend balances with map-based hashing (source), which is not dynamic",
        ),
        (
            "consistent hashing is dynamic",
            edit("balance roundrobin", "balance source\n    hash-type consistent"),
            format!("{}{web3}", edit("balance roundrobin", "balance source\n    hash-type consistent")),
            "runtime: add be_app/web3 10.0.0.3:8080",
        ),
        (
            "listen section",
            "listen app\n    bind :80\n    server a 10.0.0.1:80\n".into(),
            "listen app\n    bind :80\n    server a 10.0.0.1:80\n    server b 10.0.0.2:80 weight 3\n".into(),
            "runtime: add app/b 10.0.0.2:80",
        ),
        ("no previous file's sections", String::new(), BASE.into(), "reload(sections): sections changed: [] -> [global, defaults, frontend fe, backend be_app]"),
        (
            "duplicate server name",
            BASE.into(),
            format!("{BASE}{web1}"),
            "reload(server): server be_app/web1: the name is used twice",
        ),
        (
            "server inside a conditional block",
            BASE.into(),
            format!("{BASE}.if defined(EXTRA)\n{web3}.endif\n"),
            "reload(line): backend be_app: '.if defined(EXTRA)' added or changed",
        ),
    ];
    let mut failures = Vec::new();
    for (name, old, new, want) in &cases {
        let got = show(old, new);
        if got != *want {
            failures.push(format!("{name}:\n   want {want}\n    got {got}"));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases differ:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}
