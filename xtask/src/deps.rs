//! Installs the Debian packages that the tests and the demo need, when they are missing.

use std::process::Command;

/// The Debian packages the build and the test suite use, with a file that shows whether each is
/// present.
///
/// etcd (v2 API enabled with `--enable-v2`) and its clients are the reference the client and
/// conformance tests compare against; HAProxy is the real load balancer of the pipeline tests;
/// Docker is the engine `hecd-register docker` follows.
pub const PACKAGES: &[(&str, &str)] = &[
    // raft-rs's prost codec generates its message code at build time with protoc.
    ("protobuf-compiler", "/usr/bin/protoc"),
    ("etcd-server", "/usr/bin/etcd"),
    ("etcd-client", "/usr/bin/etcdctl"),
    ("python3-etcd", "/usr/lib/python3/dist-packages/etcd/__init__.py"),
    ("haproxy", "/usr/sbin/haproxy"),
    // fixtures/haproxy/haproxy-reload.sh talks to HAProxy's master CLI with socat.
    ("socat", "/usr/bin/socat"),
    ("curl", "/usr/bin/curl"),
    // hecd-register docker's tests start a private Docker engine and import an image holding
    // only a static busybox (no registry needed). Probed by its own file: Debian's dynamic
    // `busybox` package also provides /bin/busybox, which would not run alone in the image.
    ("docker.io", "/usr/sbin/dockerd"),
    ("busybox-static", "/usr/share/doc/busybox-static/copyright"),
];

/// Installs every missing package with apt-get (which needs root, as CI and fresh machines have).
pub fn install() -> Result<(), String> {
    let missing: Vec<&str> = PACKAGES
        .iter()
        .filter(|(_, probe)| !std::path::Path::new(probe).exists())
        .map(|(pkg, _)| *pkg)
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    install_packages(&missing)
}

/// Installs the named Debian packages with apt-get.
pub fn install_packages(missing: &[&str]) -> Result<(), String> {
    eprintln!("xtask: installing missing Debian packages: {}", missing.join(" "));
    let sudo = if is_root() { None } else { Some("sudo") };
    run_apt(sudo, &["update", "-qq"])?;
    let mut install = vec!["install", "-y", "-qq", "--no-install-recommends"];
    install.extend(missing.iter().copied());
    run_apt(sudo, &install)
}

fn run_apt(sudo: Option<&str>, args: &[&str]) -> Result<(), String> {
    let mut cmd = match sudo {
        Some(s) => {
            let mut c = Command::new(s);
            c.arg("apt-get");
            c
        }
        None => Command::new("apt-get"),
    };
    cmd.args(args).env("DEBIAN_FRONTEND", "noninteractive");
    let status = cmd.status().map_err(|e| format!("cannot run apt-get: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("apt-get {} failed with {status}", args.join(" ")))
    }
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}
