//! The `hecd-kv` binary: an etcd v2 server. Flags are etcd's (see `hecd_kv_server::flags`).
//!
//! The first line on standard output lists the bound client URLs (also written to
//! `--ready-file`), so port 0 works for tests.
//!
//! Exit codes: 0 after a clean shutdown, 1 on a runtime failure, 2 on a usage error.

// Tests, benchmarks, examples, binaries and xtask may unwrap and print; libraries may not.
#![allow(clippy::unwrap_used, clippy::print_stdout)]

use std::io::Write;
use std::process::ExitCode;

use hecd_kv_server::flags::{self, Launch};

#[path = "common.rs"]
#[allow(dead_code)] // not every binary uses every helper
mod common;

/// mimalloc: fewer cycles per request than glibc malloc for the many small, short-lived
/// allocations a request makes across threads (docs/adr/0005-allocator.md).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn fail(code: u8, msg: impl std::fmt::Display) -> ExitCode {
    eprintln!("hecd-kv: {msg}");
    ExitCode::from(code)
}

async fn serve(launch: Launch) -> ExitCode {
    let mut listeners = Vec::new();
    let mut bound = Vec::new();
    for addr in &launch.listen {
        match tokio::net::TcpListener::bind(addr).await {
            Ok(l) => {
                bound.push(format!("{}://{}", launch.scheme, l.local_addr().unwrap_or(*addr)));
                listeners.push(l);
            }
            Err(e) => return fail(1, format_args!("listen on {addr}: {e}")),
        }
    }
    let mut peer_listeners = Vec::new();
    for addr in &launch.listen_peer {
        match tokio::net::TcpListener::bind(addr).await {
            Ok(l) => peer_listeners.push(l),
            Err(e) => return fail(1, format_args!("listen on peer address {addr}: {e}")),
        }
    }
    let mut config = launch.config;
    if let Some(dir) = &config.data_dir {
        if let Err(e) = std::fs::create_dir_all(dir) {
            return fail(1, format_args!("data dir {}: {e}", dir.display()));
        }
    }
    config.advertise_client_urls = launch.advertise.unwrap_or_else(|| bound.clone());
    let line = bound.join(",");
    tracing::info!(urls = %line, name = %config.name, "hecd-kv starting");
    {
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "{line}");
        let _ = out.flush();
    }
    if let Some(f) = &launch.ready_file {
        if let Err(e) = std::fs::write(f, format!("{line}\n")) {
            return fail(1, format_args!("ready file {}: {e}", f.display()));
        }
    }
    let shutdown = common::shutdown_signal();
    match hecd_kv_server::run_with_peers(config, listeners, peer_listeners, shutdown).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => fail(1, common::one_line(&e)),
    }
}

fn main() -> ExitCode {
    // No transparent huge pages: mimalloc asks for them, and a 2 MiB page is counted (and zeroed)
    // whole as soon as one byte of it is touched. Measured after 100k keys: 43 -> 31 MiB RSS, and
    // the same restart time (docs/performance.md). Best effort: a kernel without the flag keeps them.
    #[cfg(target_os = "linux")]
    let _ = rustix::thread::disable_transparent_huge_pages(true);
    let launch = flags::parse(std::env::args().collect()).and_then(|args| {
        common::init_tracing(args.log_level.as_deref());
        Launch::plan(&args)
    });
    let launch = match launch {
        Ok(l) => l,
        Err(flags::FlagError::Usage(e)) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { 2 } else { 0 });
        }
        Err(e) => return fail(e.exit_code(), e),
    };
    for env in flags::unrecognized_env_vars() {
        tracing::warn!(%env, "unrecognized environment variable");
    }
    match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt.block_on(serve(launch)),
        Err(e) => fail(1, format_args!("cannot start the runtime: {e}")),
    }
}
