//! Checks every function of `hecd-gostd` against `fixtures/expected.txt`, which
//! `fixtures/gen/main.go` recorded from Go 1.19; when `go` is installed, also checks that
//! the recorded file is what the generator prints today.

// Tests, benchmarks, examples, binaries and xtask may unwrap and print; libraries may not.
#![allow(clippy::unwrap_used, clippy::print_stdout)]

use std::path::Path;
use std::process::Command;

use hecd_gostd::{base64, json, path, sort, strconv, strings, utf8};

const EXPECTED: &str = include_str!("../fixtures/expected.txt");

fn unhex(h: &str) -> Vec<u8> {
    (0..h.len()).step_by(2).map(|i| u8::from_str_radix(&h[i..i + 2], 16).unwrap()).collect()
}

/// `N:h1,h2,...` → the N byte strings.
fn list(field: &str) -> Vec<Vec<u8>> {
    let (n, items) = field.split_once(':').unwrap();
    let n: usize = n.parse().unwrap();
    let out: Vec<Vec<u8>> = if n == 0 { Vec::new() } else { items.split(',').map(unhex).collect() };
    assert_eq!(out.len(), n, "{field}");
    out
}

fn text(b: &[u8]) -> &str {
    std::str::from_utf8(b).unwrap()
}

fn err_or<T, E: std::fmt::Display>(r: Result<T, E>, ok: impl FnOnce(T) -> Vec<u8>) -> Vec<u8> {
    match r {
        Ok(v) => ok(v),
        Err(e) => format!("ERR {e}").into_bytes(),
    }
}

/// What our implementation returns for one recorded line.
fn ours(op: &str, a: &[Vec<u8>]) -> Option<Vec<Vec<u8>>> {
    let takes_str = matches!(
        op,
        "parse_bool"
            | "atoi"
            | "json"
            | "clean"
            | "base"
            | "dir"
            | "join"
            | "match"
            | "sort_by_len"
    );
    if takes_str && a.iter().any(|b| std::str::from_utf8(b).is_err()) {
        // Go strings may hold invalid UTF-8; these functions take `&str`.
        return None;
    }
    let s = |i: usize| text(&a[i]);
    let one = |v: Vec<u8>| Some(vec![v]);
    match op {
        "decode_rune" => {
            let (c, w) = utf8::decode_rune(&a[0]);
            one(format!("{} {w}", u32::from(c)).into_bytes())
        }
        "quote" => one(strconv::quote(&a[0]).into_bytes()),
        "quote_ascii" => one(strconv::quote_with(&a[0], '"', true).into_bytes()),
        "quote_rune" => one(strconv::quote_rune(s(0).parse().unwrap(), false).into_bytes()),
        "quote_rune_ascii" => one(strconv::quote_rune(s(0).parse().unwrap(), true).into_bytes()),
        "unquote" => one(strconv::unquote(&a[0]).unwrap_or_else(|| b"ERR invalid syntax".to_vec())),
        "format_float" => {
            let parts: Vec<&str> = s(0).split(' ').collect();
            let f = f64::from_bits(u64::from_str_radix(parts[0], 16).unwrap());
            let c = parts[1].chars().next().unwrap();
            let prec: i32 = parts[2].parse().unwrap();
            one(strconv::format_float(f, c, prec, parts[3] == "32").into_bytes())
        }
        "parse_bool" => one(err_or(strconv::parse_bool(s(0)), |b| b.to_string().into_bytes())),
        "atoi" => one(err_or(strconv::atoi(s(0)), |n| n.to_string().into_bytes())),
        "base64_encode" => one(base64::encode(&a[0]).into_bytes()),
        "base64_decode" => one(err_or(base64::decode(&a[0]), |b| b)),
        "json" => one(err_or(json::parse(s(0)), |_| b"ok".to_vec())),
        "clean" => one(path::clean(s(0)).into_bytes()),
        "base" => one(path::base(s(0)).into_bytes()),
        "dir" => one(path::dir(s(0)).into_bytes()),
        "join" => {
            let parts: Vec<&str> = (0..a.len()).map(s).collect();
            one(path::join(&parts).into_bytes())
        }
        "match" => one(err_or(path::matches(s(0), s(1)), |m| m.to_string().into_bytes())),
        "upper" => one(strings::to_upper_bytes(&a[0])),
        "lower" => one(strings::to_lower_bytes(&a[0])),
        "contains" => one(strings::contains(&a[0], &a[1]).to_string().into_bytes()),
        "split" => Some(strings::split_bytes(&a[0], &a[1])),
        "replace" => one(strings::replace_bytes(&a[0], &a[1], &a[2], s(3).parse().unwrap())),
        "sort_by_len" => {
            let mut items: Vec<&str> =
                if s(0).is_empty() { Vec::new() } else { s(0).split(',').collect() };
            sort::sort_by(&mut items, |x, y| x.len() < y.len());
            one(items.join(",").into_bytes())
        }
        _ => panic!("unknown op {op}"),
    }
}

#[test]
fn recorded_go_results_hold() {
    let mut checked = 0;
    let mut failures = Vec::new();
    let mut not_print = Vec::new();
    for line in EXPECTED.lines() {
        let fields: Vec<&str> = line.split('\t').collect();
        let (op, args, want) = (fields[0], list(fields[1]), list(fields[2]));
        if op == "not_print" {
            let range: Vec<u32> = text(&want[0]).split(' ').map(|n| n.parse().unwrap()).collect();
            not_print.push((range[0], range[1]));
            continue;
        }
        let Some(got) = ours(op, &args) else { continue };
        checked += 1;
        if got != want {
            let show = |v: &[Vec<u8>]| {
                v.iter().map(|b| String::from_utf8_lossy(b).into_owned()).collect::<Vec<_>>()
            };
            failures.push(format!(
                "{op}{:?}: got {:?}, Go {:?}",
                show(&args),
                show(&got),
                show(&want)
            ));
        }
    }
    assert!(checked > 1000, "only {checked} lines checked");
    assert!(failures.is_empty(), "{} mismatches:\n{}", failures.len(), failures.join("\n"));

    // `IsPrint` over every code point (surrogates are not chars; Go calls them unprintable).
    let mut ours_np = Vec::new();
    let mut start: Option<u32> = None;
    for u in 0..=0x11_0000u32 {
        let printable = u > 0x10_ffff || char::from_u32(u).is_some_and(strconv::is_print);
        match (printable, start) {
            (false, None) => start = Some(u),
            (true, Some(s)) => {
                ours_np.push((s, u - 1));
                start = None;
            }
            _ => {}
        }
    }
    assert_eq!(ours_np, not_print, "non-printable ranges differ from Go's");
}

/// Re-runs the generator when Go is installed: the committed file must be what Go prints.
#[test]
fn fixtures_are_what_go_prints() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/gen");
    let out = match Command::new("go")
        .args(["run", "."])
        .current_dir(&dir)
        .env("GOPROXY", "off")
        .env("GOFLAGS", "-mod=mod")
        .output()
    {
        Ok(out) => out,
        Err(e) => {
            eprintln!("go not runnable ({e}); fixtures/expected.txt not re-checked");
            return;
        }
    };
    assert!(out.status.success(), "go run failed: {}", String::from_utf8_lossy(&out.stderr));
    assert!(
        out.stdout == EXPECTED.as_bytes(),
        "fixtures/expected.txt is stale: run `go run . > ../expected.txt` in {}",
        dir.display()
    );
}
