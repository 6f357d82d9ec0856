//! Criterion benches: a HAProxy-style config over 10,000 servers, and a
//! range/if/printf-heavy template.

// Tests, benchmarks, examples, binaries and xtask may unwrap and print; libraries may not.
#![allow(clippy::unwrap_used, clippy::print_stdout)]

use criterion::{criterion_group, criterion_main, Criterion};
use hecd_template::{Template, Value};

fn servers(n: usize) -> Value {
    let list = (0..n)
        .map(|i| {
            Value::interface_map([
                ("name", Value::from(format!("web{i}"))),
                ("addr", Value::from(format!("10.0.{}.{}", i / 256, i % 256))),
                ("port", Value::int64(8000 + (i % 100) as i64)),
                ("weight", Value::int64((i % 10) as i64)),
                ("backup", Value::bool(i % 7 == 0)),
            ])
        })
        .collect();
    Value::interface_map([("servers", Value::interface_list(list)), ("name", Value::from("app"))])
}

const HAPROXY: &str = r#"global
    maxconn 4096
defaults
    mode http
backend {{.name}}
    balance roundrobin
{{- range .servers}}
    server {{.name}} {{.addr}}:{{.port}} check{{if .backup}} backup{{end}}
{{- end}}
"#;

const HEAVY: &str = r#"{{range $i, $s := .servers}}{{if and (gt $s.weight 3) (not $s.backup)}}{{printf "%-8s %15s:%-5d w=%02d" $s.name $s.addr $s.port $s.weight}}{{else if $s.backup}}{{printf "%s backup %v" $s.name $s.port}}{{else}}{{$s.name | printf "%q"}} {{len $s.addr}}{{end}}
{{end}}"#;

fn bench(c: &mut Criterion) {
    let data = servers(10_000);
    let haproxy = Template::new("haproxy.tmpl").parse(HAPROXY).expect("parses");
    let heavy = Template::new("heavy.tmpl").parse(HEAVY).expect("parses");
    let mut out = Vec::with_capacity(1 << 20);
    c.bench_function("haproxy_10k_servers", |b| {
        b.iter(|| {
            out.clear();
            haproxy.execute(&mut out, &data).expect("renders");
        })
    });
    c.bench_function("range_if_printf_10k", |b| {
        b.iter(|| {
            out.clear();
            heavy.execute(&mut out, &data).expect("renders");
        })
    });
    c.bench_function("parse_haproxy", |b| {
        b.iter(|| Template::new("haproxy.tmpl").parse(HAPROXY).expect("parses"))
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
