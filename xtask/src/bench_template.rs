//! `cargo xtask bench template`: `hecd-template` (with confd's functions) against Go's
//! text/template on the same machine, in one run, on the same inputs.
//!
//! Two workloads: the HAProxy template of `fixtures/haproxy/modern` over 10,000 registered
//! servers, and a template heavy in `range`/`if`/`printf` over 10,000 records. Each side parses
//! and executes the template per iteration (what confd does per render); the sides alternate
//! for several rounds and the report gives the median of each side and the ratio Go / ours.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::ci::{cargo_pub, root, target_dir};

const SERVERS: usize = 10_000;
const ROUNDS: usize = 5;
const ITERATIONS: &str = "20";

const HEAVY: &str = r#"{{- range $i, $s := .servers}}
{{- if and (gt $s.weight 50) (ne $s.zone "c")}}{{printf "server %s %s:%d weight %d check # %03d\n" $s.name $s.host $s.port $s.weight $i}}
{{- else if eq $s.zone "b"}}backup {{$s.name}} load={{printf "%05.2f" $s.load}} {{len $s.tags}} tags
{{else}}{{$s.name}}{{range $j, $t := $s.tags}}{{if $j}},{{else}} {{end}}{{$t}}{{end}} {{index $s.tags 0 | printf "%q"}}
{{end}}
{{- end}}"#;

fn write_inputs(dir: &Path) -> Result<(), String> {
    std::fs::create_dir_all(dir).map_err(|e| e.to_string())?;
    let mut kv = String::from("{\"/config/haproxy/bind\": \"127.0.0.1:8080\"");
    let mut data = String::from("{\"servers\": [");
    for i in 0..SERVERS {
        let host = format!("10.{}.{}.{}", i / 65536, (i / 256) % 256, i % 256);
        let _ = write!(kv, ", \"/app/servers/web{i:05}\": \"{host}:{}\"", 8000 + i % 1000);
        let zone = ["a", "b", "c"][i % 3];
        let _ = write!(
            data,
            "{}{{\"name\": \"web{i:05}\", \"host\": \"{host}\", \"port\": {}, \"weight\": {}, \"zone\": \"{zone}\", \"load\": {}.{}, \"tags\": [\"t{}\", \"rack{}\", \"v{}\"]}}",
            if i == 0 { "" } else { ", " },
            8000 + i % 1000,
            i % 101,
            i % 17,
            i % 100,
            i % 7,
            i % 40,
            i % 3
        );
    }
    kv.push('}');
    data.push_str("]}");
    let w = |name: &str, text: &str| {
        std::fs::write(dir.join(name), text).map_err(|e| format!("{name}: {e}"))
    };
    w("kv.json", &kv)?;
    w("data.json", &data)?;
    w("empty.json", "{}")?;
    w("heavy.tmpl", HEAVY)?;
    let haproxy = root().join("fixtures/haproxy/modern/templates/haproxy.cfg.tmpl");
    std::fs::copy(&haproxy, dir.join("haproxy.cfg.tmpl"))
        .map_err(|e| format!("{}: {e}", haproxy.display()))?;
    Ok(())
}

/// Runs `cmd`, returning (median ns, output hash) from its `median_ns=N bytes=M fnv=H` line.
fn measure(cmd: &mut Command) -> Result<(u64, String), String> {
    let out = cmd.output().map_err(|e| format!("{cmd:?}: {e}"))?;
    if !out.status.success() {
        return Err(format!("{cmd:?} failed: {}", String::from_utf8_lossy(&out.stderr)));
    }
    let text = String::from_utf8_lossy(&out.stdout);
    let field = |name: &str| -> Option<u64> {
        text.split_whitespace().find_map(|w| w.strip_prefix(name)).and_then(|v| v.parse().ok())
    };
    let hash = text.split_whitespace().find_map(|w| w.strip_prefix("fnv=")).ok_or("no hash")?;
    let bytes = field("bytes=").ok_or("no size")?;
    Ok((field("median_ns=").ok_or("no median")?, format!("{bytes} bytes, fnv {hash}")))
}

fn median(mut v: Vec<u64>) -> u64 {
    v.sort_unstable();
    v[v.len() / 2]
}

/// Runs the comparison and prints the report.
pub fn run() -> Result<(), String> {
    if !Path::new("/usr/bin/go").exists() {
        crate::deps::install_packages(&["golang-go"])?;
    }
    let dir = target_dir().join("bench-template");
    write_inputs(&dir)?;
    let go_bin = dir.join("gobench");
    let st = Command::new("go")
        .args(["build", "-o"])
        .arg(&go_bin)
        .arg(root().join("xtask/gobench/main.go"))
        .env("GOPROXY", "off")
        .env("GO111MODULE", "off")
        .env("GOCACHE", dir.join("gocache"))
        .status()
        .map_err(|e| format!("go build: {e}"))?;
    if !st.success() {
        return Err("go build of xtask/gobench failed".into());
    }
    cargo_pub(&["build", "--release", "--example", "template_bench", "--package", "hecd"])?;
    let ours: PathBuf = target_dir().join("release/examples/template_bench");
    println!("template benchmark: {SERVERS} servers, {ROUNDS} alternating rounds of {ITERATIONS} parse+execute iterations");
    println!("{:<28} {:>12} {:>12} {:>8}", "workload", "Go median", "hecd median", "Go/hecd");
    for (label, tmpl, data) in [
        ("haproxy (gets/base/getv)", "haproxy.cfg.tmpl", "empty.json"),
        ("range/if/printf", "heavy.tmpl", "data.json"),
    ] {
        let (mut go, mut us) = (Vec::new(), Vec::new());
        let (mut go_out, mut our_out) = (String::new(), String::new());
        for _ in 0..ROUNDS {
            let args = [dir.join(tmpl), dir.join(data), dir.join("kv.json")];
            let (g, gs) = measure(Command::new(&go_bin).args(&args).arg(ITERATIONS))?;
            let (o, os) = measure(Command::new(&ours).args(&args).arg(ITERATIONS))?;
            go.push(g);
            us.push(o);
            (go_out, our_out) = (gs, os);
        }
        if go_out != our_out {
            return Err(format!("{label}: outputs differ (Go {go_out}, hecd {our_out})"));
        }
        let (g, o) = (median(go), median(us));
        println!(
            "{label:<28} {:>10.2}ms {:>10.2}ms {:>8.2}  (identical output: {our_out})",
            g as f64 / 1e6,
            o as f64 / 1e6,
            g as f64 / o as f64
        );
    }
    Ok(())
}
