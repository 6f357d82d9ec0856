//! Times `hecd-template` with confd's functions on one template, for
//! `cargo xtask bench template` (which runs Go's text/template on the same inputs).
//!
//! Usage: `template_bench TEMPLATE DATA.json KV.json ITERATIONS`; each iteration parses and
//! executes the template, as confd does on every render. Prints `median_ns=N bytes=M fnv=H` (H: FNV-1a 64 of the output).

// Tests, benchmarks, examples, binaries and xtask may unwrap and print; libraries may not.
#![allow(clippy::unwrap_used, clippy::print_stdout)]

use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use hecd_confd::oneshot::{load_data, load_kv};
use hecd_confd::render::{render, template_name};

/// FNV-1a 64 of the output, so that the two sides can show that their outputs are identical.
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes
        .iter()
        .fold(0xcbf2_9ce4_8422_2325, |h, &b| (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3))
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [template, data, kv, iterations] = args.as_slice() else {
        eprintln!("usage: template_bench TEMPLATE DATA.json KV.json ITERATIONS");
        return ExitCode::from(2);
    };
    let run = || -> Result<(Duration, usize, u64), String> {
        let path = std::path::Path::new(template);
        let source = std::fs::read(path).map_err(|e| format!("{template}: {e}"))?;
        let data = load_data(std::path::Path::new(data)).map_err(|e| e.to_string())?;
        let store = Arc::new(load_kv(std::path::Path::new(kv), "/").map_err(|e| e.to_string())?);
        let n: usize = iterations.parse().map_err(|_| "ITERATIONS must be a number".to_string())?;
        let name = template_name(path);
        let mut times = Vec::with_capacity(n);
        let mut size = 0;
        let mut sum = 0;
        for _ in 0..n.max(1) {
            let start = Instant::now();
            let out = render(&name, &source, &data, store.clone()).map_err(|e| e.to_string())?;
            times.push(start.elapsed());
            size = out.len();
            sum = fnv1a(&out);
        }
        times.sort();
        Ok((times[times.len() / 2], size, sum))
    };
    match run() {
        Ok((median, size, sum)) => {
            println!("median_ns={} bytes={size} fnv={sum:016x}", median.as_nanos());
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("template_bench: {e}");
            ExitCode::from(1)
        }
    }
}
