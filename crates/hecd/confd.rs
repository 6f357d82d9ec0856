//! The `hecd-confd` binary: `hecd-confd render TEMPLATE [--data FILE] [--kv FILE]`
//! renders one template to standard output; the confd-style daemon (Go-style
//! single-dash flags such as `-confdir`, `-onetime`) will share this binary.
//!
//! Exit codes: 0 rendered, 1 template (parse or execution) error, 2 usage or input error.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;

/// `hecd-confd render`: render one template the way confd does.
#[derive(Debug, Parser)]
#[command(name = "hecd-confd render", about = "Render one confd template to standard output")]
struct RenderArgs {
    /// The template file (its base name is the template's name in errors).
    template: PathBuf,
    /// JSON document that becomes dot (whole numbers are int64, others float64).
    #[arg(long)]
    data: Option<PathBuf>,
    /// Flat JSON object of key to string value backing get/gets/getv/getvs/ls/lsdir/exists.
    #[arg(long)]
    kv: Option<PathBuf>,
    /// Key prefix stripped from every --kv key, as confd's -prefix.
    #[arg(long, default_value = "/")]
    prefix: String,
}

fn main() -> ExitCode {
    let argv: Vec<std::ffi::OsString> = std::env::args_os().collect();
    match argv.get(1).and_then(|a| a.to_str()) {
        Some("render") => render(&argv[1..]),
        _ => {
            eprintln!("hecd-confd: the daemon is not implemented yet; use `hecd-confd render TEMPLATE [--data FILE] [--kv FILE]`");
            ExitCode::from(2)
        }
    }
}

fn render(args: &[std::ffi::OsString]) -> ExitCode {
    // clap names the command after argv[0]; show the full invocation in usage texts.
    let argv = std::iter::once(std::ffi::OsString::from("hecd-confd render"))
        .chain(args[1..].iter().cloned());
    let args = match RenderArgs::try_parse_from(argv) {
        Ok(a) => a,
        Err(e) => {
            let code = if e.use_stderr() { 2 } else { 0 };
            // Printing help or a usage error is all that is left to do.
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    let request = hecd_confd::render::RenderRequest {
        template: args.template,
        data: args.data,
        kv: args.kv,
        prefix: args.prefix,
    };
    match hecd_confd::render::run(&request) {
        Ok(out) => {
            let mut stdout = std::io::stdout().lock();
            if stdout.write_all(&out).and_then(|()| stdout.flush()).is_err() {
                return ExitCode::from(1);
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("{}", one_line(&e));
            ExitCode::from(if e.is_template_error() { 1 } else { 2 })
        }
    }
}

/// The error and its sources on one line.
fn one_line(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        let part = s.to_string();
        if !text.contains(&part) {
            text.push_str(": ");
            text.push_str(&part);
        }
        source = s.source();
    }
    text
}
