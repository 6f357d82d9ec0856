//! Splits one `template_bench` render into phases: start-up (load data/kv), function map,
//! parse, execute. Usage: `template_phases TEMPLATE DATA.json KV.json ITERATIONS`.
#![allow(clippy::unwrap_used, clippy::print_stdout)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use hecd_confd::funcs::func_map;
use hecd_confd::oneshot::{load_data, load_kv};
use hecd_template::Template;

fn med(mut v: Vec<Duration>) -> String {
    v.sort();
    format!("{:.3}/{:.3}", v[0].as_secs_f64() * 1e3, v[v.len() / 2].as_secs_f64() * 1e3)
}

fn main() {
    let a: Vec<String> = std::env::args().skip(1).collect();
    let t0 = Instant::now();
    let source = std::fs::read(&a[0]).unwrap();
    let data = load_data(std::path::Path::new(&a[1])).unwrap();
    let t1 = Instant::now();
    let store = Arc::new(load_kv(std::path::Path::new(&a[2]), "/").unwrap());
    let t2 = Instant::now();
    println!(
        "startup: data {:.3} ms, kv {:.3} ms",
        (t1 - t0).as_secs_f64() * 1e3,
        (t2 - t1).as_secs_f64() * 1e3
    );
    let n: usize = a[3].parse().unwrap();
    let (mut fm, mut pa, mut ex, mut tot) = (vec![], vec![], vec![], vec![]);
    for _ in 0..n {
        let s = Instant::now();
        let funcs = func_map(store.clone());
        let f = Instant::now();
        let t = Template::new("x").funcs(&funcs).parse_bytes(&source).unwrap();
        let p = Instant::now();
        let out = t.render(&data).unwrap();
        let e = Instant::now();
        drop(out);
        drop(t);
        fm.push(f - s);
        pa.push(p - f);
        ex.push(e - p);
        tot.push(Instant::now() - s);
    }
    println!(
        "min/median (ms): funcmap {} parse {} execute {} total {}",
        med(fm),
        med(pa),
        med(ex),
        med(tot)
    );
}
