//! Black-box tests of the client against real servers on loopback: Debian's etcd 3.4 with
//! `--enable-v2` (the reference) and `hecd-kv`. The same checks run against both. `wire`
//! drives the client against a scripted server (`fake`) for what real servers do not do on
//! demand: hang up, stall, answer garbage, clear a watch's history.

// Tests, benchmarks, examples, binaries and xtask may unwrap and print; libraries may not.
#![allow(clippy::unwrap_used, clippy::print_stdout)]

mod fake;
mod server;
mod suite;
mod tls;
mod wire;

use server::Server;

/// Runs `check` against every available server kind.
fn each_server(check: impl Fn(&Server)) {
    for kind in server::Kind::ALL {
        if let Some(s) = Server::start(kind) {
            check(&s);
        }
    }
}

#[test]
fn crud_and_errors() {
    each_server(|s| s.block_on(suite::crud_and_errors(s.client())));
}

#[test]
fn compare_and_swap_and_delete() {
    each_server(|s| s.block_on(suite::compare_and_swap_and_delete(s.client())));
}

#[test]
fn dirs_in_order_and_ttl() {
    each_server(|s| s.block_on(suite::dirs_in_order_and_ttl(s.client())));
}

#[test]
fn watch_sees_every_change_in_order() {
    each_server(|s| s.block_on(suite::watch_sees_every_change_in_order(s.client())));
}

#[test]
fn failover_to_a_live_endpoint() {
    each_server(|s| s.block_on(suite::failover_to_a_live_endpoint(s.url())));
}

#[test]
fn members_and_version() {
    each_server(|s| s.block_on(suite::members_and_version(s.client())));
}

#[test]
fn unreachable_store_is_a_clear_error() {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    rt.block_on(suite::unreachable_store_is_a_clear_error());
}

#[test]
fn tls_client_certificate_auth_against_etcd() {
    tls::client_certificate_auth(server::Kind::Etcd);
}

#[test]
fn tls_client_certificate_auth_against_hecd_kv() {
    tls::client_certificate_auth(server::Kind::HecdKv);
}
