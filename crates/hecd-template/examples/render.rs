//! Renders a Go template file with a JSON data file as dot.
//!
//! Usage: `render TEMPLATE_FILE DATA_JSON_FILE`. The template is named after
//! the file's base name; output goes to stdout. On error Go's message is
//! printed to stderr and the exit code is 1.

use std::io::Write;
use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    if args.len() != 3 {
        eprintln!("usage: render TEMPLATE_FILE DATA_JSON_FILE");
        return ExitCode::from(2);
    }
    let src = match std::fs::read(&args[1]) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("{}: {e}", args[1]);
            return ExitCode::from(2);
        }
    };
    let data = match std::fs::read(&args[2]) {
        Ok(d) => d,
        Err(e) => {
            eprintln!("{}: {e}", args[2]);
            return ExitCode::from(2);
        }
    };
    let json: serde_json::Value = if data.iter().all(u8::is_ascii_whitespace) {
        serde_json::Value::Null
    } else {
        match serde_json::from_slice(&data) {
            Ok(j) => j,
            Err(e) => {
                eprintln!("{}: {e}", args[2]);
                return ExitCode::from(2);
            }
        }
    };
    let dot = hecd_template::from_json(&json);
    let name = std::path::Path::new(&args[1])
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut out = Vec::new();
    let res = hecd_template::Template::new(name)
        .parse_bytes(&src)
        .and_then(|t| t.execute(&mut out, &dot));
    let mut stdout = std::io::stdout().lock();
    match res {
        Ok(()) => {
            if stdout.write_all(&out).and_then(|()| stdout.flush()).is_err() {
                return ExitCode::from(1);
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("{e}");
            ExitCode::from(1)
        }
    }
}
